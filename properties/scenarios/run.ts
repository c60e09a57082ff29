/**
 * Running scenarios: against the reference model (its allowed outcomes must be exactly the
 * ones the scenario writes down) and against a variant (the refinement checker, property
 * delivery-log).
 */
import type { Command } from "../../model/commands.ts";
import { testVector } from "../../model/lapic.ts";
import { initialState, type MachineState, stateDigest, step } from "../../model/machine.ts";
import { formatObservation, type Observation } from "../../model/observations.ts";
import { check } from "../checker.ts";
import type { ImplementationFactory } from "../implementation.ts";
import { formatSignature, type Signature, signatureOf } from "../signature.ts";
import { commandOf, isChecked, type LapicExpectation, type Scenario } from "./types.ts";

export function commandsOf(s: Scenario): Command[] {
  return s.steps.map(commandOf);
}

/** A checked step where the reference disagrees with the scenario. */
export interface ReferenceMismatch {
  /** 0-based step index. */
  readonly step: number;
  /** The outcomes written in the scenario and the ones the reference allows, as sorted text. */
  readonly expected: readonly string[];
  readonly reference: readonly string[];
}

/** One outcome's observations as one line, order within the step ignored (not guest-visible). */
function outcomeText(obs: readonly Observation[]): string {
  return obs.length === 0 ? "(nothing)" : obs.map(formatObservation).sort().join("; ");
}

function vectorsOf(words: readonly number[]): number[] {
  return Array.from({ length: 256 }, (_, v) => v).filter((v) => testVector(words, v));
}

function lapicText(state: MachineState, lapic: readonly LapicExpectation[]): string[] {
  return lapic.flatMap((e) => {
    const l = state.lapics[e.cpu];
    if (l === undefined) return [`cpu ${e.cpu}: absent`];
    const regs = [
      ["irr", e.irr, l.irr],
      ["isr", e.isr, l.isr],
      ["tmr", e.tmr, l.tmr],
    ] as const;
    return regs.flatMap(([reg, want, words]) => {
      if (want === undefined) return [];
      const have = vectorsOf(words);
      return have.join() === want.join() ? [] : [`cpu ${e.cpu} ${reg} {${have.map((v) => v.toString(16))}}`];
    });
  });
}

/**
 * Runs the reference over the scenario, following every state it allows (as the checker
 * does). Returns the checked steps where its set of outcomes differs from the scenario's, or
 * where the LAPIC registers differ; empty when the reference agrees everywhere.
 */
export function referenceMismatches(s: Scenario): ReferenceMismatch[] {
  let frontier: MachineState[] = [initialState(s.topology)];
  const out: ReferenceMismatch[] = [];
  s.steps.forEach((st, index) => {
    const outcomes = frontier.flatMap((state) => step(s.topology, state, commandOf(st)));
    const next = new Map(outcomes.map((o) => [stateDigest(o.next), o.next]));
    frontier = [...next.values()];
    if (!isChecked(st)) return;
    const expected = [...new Set(st.outcomes.map(outcomeText))].sort();
    const reference = [...new Set(outcomes.map((o) => outcomeText(o.observations)))].sort();
    const lapic = frontier.flatMap((state) => lapicText(state, st.lapic ?? []));
    if (expected.join("\n") !== reference.join("\n") || lapic.length > 0) {
      out.push({ step: index, expected, reference: [...reference, ...new Set(lapic)] });
    }
  });
  return out;
}

/** A variant's result on one scenario. */
export interface ScenarioVerdict {
  readonly scenario: string;
  readonly variant: string;
  readonly ok: boolean;
  /** The diverging step (0-based) and its signature; null when the variant refines the reference. */
  readonly step: number | null;
  readonly signature: string | null;
  /** Known divergences whose fixes remove the divergence (impl/triage.ts). */
  readonly known: readonly string[];
}

/** A system under test by name, and how a divergence of it is explained (impl/triage.ts's explainByFix). */
export interface ScenarioSubject {
  readonly name: string;
  readonly create: ImplementationFactory;
  readonly explain?: (commands: readonly Command[], signature: Signature) => readonly string[];
}

export function checkScenario(s: Scenario, variant: ScenarioSubject): ScenarioVerdict {
  const r = check(s.topology, variant.create(), commandsOf(s), "delivery-log");
  if (r.ok) return { scenario: s.name, variant: variant.name, ok: true, step: null, signature: null, known: [] };
  const sig = signatureOf(variant.name, r.divergence);
  return {
    scenario: s.name,
    variant: variant.name,
    ok: false,
    step: r.divergence.step,
    signature: formatSignature(sig),
    known: variant.explain?.(commandsOf(s).slice(0, r.divergence.step + 1), sig) ?? [],
  };
}

/** For a `matrix` column: how many scenarios a variant passes, and which it does not. */
export interface ScenarioColumn {
  readonly passed: number;
  readonly total: number;
  readonly diverged: readonly string[];
}

export function scenarioColumn(variant: ScenarioSubject, scenarios: readonly Scenario[]): ScenarioColumn {
  const verdicts = scenarios.map((s) => checkScenario(s, variant));
  return {
    passed: verdicts.filter((v) => v.ok).length,
    total: verdicts.length,
    diverged: verdicts.filter((v) => !v.ok).map((v) => v.scenario),
  };
}
