/**
 * The refinement checker (design.md "The checker"): run each command on the
 * implementation, find the reference outcomes that match what it did, continue from
 * those. No match is a divergence. The reference is nondeterministic, so the checker
 * follows the set of reference states that are still consistent with the run (usually
 * one), as a model checker follows an NFA.
 */
import type { Command } from "../model/commands.ts";
import { initialState, type MachineState, stateDigest, step, visible } from "../model/machine.ts";
import { formatObservation, type Observation } from "../model/observations.ts";
import type { Topology } from "../model/topology.ts";
import { type GuestVisible, visibleDigest } from "../model/visible.ts";
import type { Implementation, StepResult } from "./implementation.ts";

/**
 * guest-visible: what a guest can read back after each step (RTEs, LAPIC IRR/ISR/TMR,
 * fault records, MSI-X pending bits) and the values of its reads.
 * delivery-log: additionally, the same deliveries and fault records, step by step; catches
 * a redundant or spurious delivery that a pending IRR bit would hide.
 */
export type Property = "guest-visible" | "delivery-log";

export const PROPERTIES: readonly Property[] = ["guest-visible", "delivery-log"];

export interface AllowedOutcome {
  readonly observations: readonly Observation[];
  readonly visible: GuestVisible;
}

export interface HistoryEntry {
  readonly command: Command;
  readonly result: StepResult;
}

export interface Divergence {
  readonly property: Property;
  /** 0-based index of the diverging command. */
  readonly step: number;
  readonly command: Command;
  /** Every reference outcome that would have been accepted. */
  readonly allowed: readonly AllowedOutcome[];
  readonly actual: StepResult;
  /** The implementation's results for the steps before. */
  readonly history: readonly HistoryEntry[];
}

export type CheckResult =
  | { readonly ok: true; readonly steps: number }
  | { readonly ok: false; readonly divergence: Divergence };

function readsOf(obs: readonly Observation[]): string {
  return obs
    .filter((o) => o.kind === "read")
    .map(formatObservation)
    .join(";");
}

function eventsOf(obs: readonly Observation[]): string {
  return obs
    .filter((o) => o.kind !== "read")
    .map(formatObservation)
    .sort()
    .join(";");
}

/** The comparison key of one step under a property; equal keys are accepted. */
export function stepKey(property: Property, obs: readonly Observation[], vis: GuestVisible): string {
  const base = `${visibleDigest(vis)}#${readsOf(obs)}`;
  return property === "guest-visible" ? base : `${base}#${eventsOf(obs)}`;
}

/** A checker that is fed one step at a time (fuzz loop, explorer, real-QEMU backend). */
export class RefinementCursor {
  private frontier: MachineState[];
  private readonly history: HistoryEntry[] = [];

  constructor(
    private readonly topology: Topology,
    private readonly property: Property,
  ) {
    this.frontier = [initialState(topology)];
  }

  /** The reference states still consistent with the run. */
  get states(): readonly MachineState[] {
    return this.frontier;
  }

  /** Feed the implementation's result of `command`; a Divergence if nothing allowed it. */
  advance(command: Command, actual: StepResult): Divergence | null {
    const key = stepKey(this.property, actual.observations, actual.visible);
    const matching: MachineState[] = [];
    const allowed: AllowedOutcome[] = [];
    for (const state of this.frontier) {
      for (const o of step(this.topology, state, command)) {
        const vis = visible(o.next);
        if (stepKey(this.property, o.observations, vis) === key) matching.push(o.next);
        else allowed.push({ observations: o.observations, visible: vis });
      }
    }
    if (matching.length === 0) {
      return {
        property: this.property,
        step: this.history.length,
        command,
        allowed,
        actual,
        history: this.history.slice(),
      };
    }
    this.frontier = matching.length === 1 ? matching : dedupe(matching);
    this.history.push({ command, result: actual });
    return null;
  }
}

function dedupe(states: MachineState[]): MachineState[] {
  const seen = new Map<string, MachineState>();
  for (const s of states) seen.set(stateDigest(s), s);
  return [...seen.values()];
}

/** Run a whole sequence on a fresh implementation and check it. */
export function check(
  topology: Topology,
  impl: Implementation,
  commands: readonly Command[],
  property: Property,
): CheckResult {
  impl.reset(topology);
  const cursor = new RefinementCursor(topology, property);
  for (const command of commands) {
    const divergence = cursor.advance(command, impl.apply(command));
    if (divergence !== null) return { ok: false, divergence };
  }
  return { ok: true, steps: commands.length };
}

/** Check precomputed results (a batch backend such as real QEMU). */
export function checkResults(
  topology: Topology,
  commands: readonly Command[],
  results: readonly StepResult[],
  property: Property,
): CheckResult {
  const cursor = new RefinementCursor(topology, property);
  for (let i = 0; i < commands.length; i++) {
    const command = commands[i];
    const result = results[i];
    if (command === undefined || result === undefined) break;
    const divergence = cursor.advance(command, result);
    if (divergence !== null) return { ok: false, divergence };
  }
  return { ok: true, steps: commands.length };
}
