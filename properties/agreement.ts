/**
 * Agreement of two implementations on the same commands: step by step, the same
 * guest-visible state and the same read values (the checker's "guest-visible" property,
 * checker.ts stepMatches, with one side in place of the reference). Real QEMU reports no
 * deliveries, so deliveries and faults as events are not compared; their effects on IRR,
 * Remote IRR and the fault registers are.
 */
import { hex } from "../model/bits.ts";
import type { Command } from "../model/commands.ts";
import type { Observation } from "../model/observations.ts";
import type { Topology } from "../model/topology.ts";
import { visibleEqual } from "../model/visible.ts";
import type { Implementation, StepResult } from "./implementation.ts";
import { visibleDiff } from "./report.ts";

export interface Disagreement {
  /** 0-based index of the first step where the two differ. */
  readonly step: number;
  readonly command: Command;
  readonly expected: StepResult;
  readonly actual: StepResult;
  /** What differs, one short line each (report.ts visibleDiff, then the reads). */
  readonly diff: readonly string[];
}

export type Agreement = { readonly agree: true; readonly steps: number } | ({ readonly agree: false } & Disagreement);

/** The results of running `commands` on a fresh implementation. */
export function runImplementation(
  topology: Topology,
  impl: Implementation,
  commands: readonly Command[],
): StepResult[] {
  impl.reset(topology);
  return commands.map((c) => impl.apply(c));
}

const reads = (obs: readonly Observation[]): string[] =>
  obs.flatMap((o) => (o.kind === "read" ? [`${hex(o.reg, 2)}=${hex(o.value)}`] : []));

/** Differences of one step, empty when the two agree on it. */
export function stepDiff(expected: StepResult, actual: StepResult, cpuApicIds: readonly number[]): string[] {
  const ev = expected.visible;
  const av = actual.visible;
  const diff = visibleEqual(ev, av) ? [] : visibleDiff(ev, av, cpuApicIds);
  // visibleDiff leaves out the two scalar fields.
  if (ev.ioapicId !== av.ioapicId) diff.push(`IOAPIC ID: expected ${ev.ioapicId}, actual ${av.ioapicId}`);
  if (ev.faultOverflow !== av.faultOverflow)
    diff.push(`FSTS.PFO: expected ${Number(ev.faultOverflow)}, actual ${Number(av.faultOverflow)}`);
  const e = reads(expected.observations).join(", ");
  const a = reads(actual.observations).join(", ");
  if (e !== a) diff.push(`reads: expected [${e}], actual [${a}]`);
  return diff;
}

/** The first step where `actual` differs from `expected`, or agreement on every step. */
export function compareRuns(
  topology: Topology,
  commands: readonly Command[],
  expected: readonly StepResult[],
  actual: readonly StepResult[],
): Agreement {
  const ids = topology.cpus.map((c) => c.apicId);
  for (let step = 0; step < commands.length; step++) {
    const command = commands[step];
    const e = expected[step];
    const a = actual[step];
    if (command === undefined || e === undefined || a === undefined)
      throw new Error(`step ${step}: a result is missing (${expected.length} expected, ${actual.length} actual)`);
    const diff = stepDiff(e, a, ids);
    if (diff.length > 0) return { agree: false, step, command, expected: e, actual: a, diff };
  }
  return { agree: true, steps: commands.length };
}
