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
import { type Earlier, type GuestVisible, visibleEqual } from "../model/visible.ts";
import { type FaultInfo, guard, ImplementationFault, runFinished } from "./fault.ts";
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
  /** Set when the implementation itself failed at this step (fault.ts); `actual` is then a placeholder. */
  readonly fault?: FaultInfo;
}

export type CheckResult =
  | { readonly ok: true; readonly steps: number }
  | { readonly ok: false; readonly divergence: Divergence };

function sameReads(a: readonly Observation[], b: readonly Observation[]): boolean {
  let i = 0;
  let j = 0;
  for (;;) {
    while (i < a.length && a[i]?.kind !== "read") i++;
    while (j < b.length && b[j]?.kind !== "read") j++;
    if (i === a.length || j === b.length) return i === a.length && j === b.length;
    const x = a[i++];
    const y = b[j++];
    if (x?.kind !== "read" || y?.kind !== "read" || x.reg !== y.reg || x.value !== y.value) return false;
  }
}

/** Deliveries and faults as a multiset: the order within a step is not guest-visible. */
function sameEvents(a: readonly Observation[], b: readonly Observation[]): boolean {
  const events = (obs: readonly Observation[]) =>
    obs
      .filter((o) => o.kind !== "read")
      .map(formatObservation)
      .sort()
      .join(";");
  const count = (obs: readonly Observation[]) => obs.reduce((n, o) => (o.kind === "read" ? n : n + 1), 0);
  const n = count(a);
  if (n !== count(b)) return false;
  return n === 0 || events(a) === events(b);
}

/** Does an outcome match what the implementation did, under a property? */
export function stepMatches(
  property: Property,
  expected: { readonly observations: readonly Observation[]; readonly visible: GuestVisible },
  actual: { readonly observations: readonly Observation[]; readonly visible: GuestVisible },
  earlier?: Earlier,
): boolean {
  if (!visibleEqual(expected.visible, actual.visible, earlier)) return false;
  if (!sameReads(expected.observations, actual.observations)) return false;
  return property === "guest-visible" || sameEvents(expected.observations, actual.observations);
}

/** A checker that is fed one step at a time (fuzz loop, explorer, real-QEMU backend). */
export class RefinementCursor {
  private frontier: MachineState[];
  private readonly history: HistoryEntry[] = [];
  /**
   * The views that matched at the last step when the frontier is that one state: the
   * reference's next views share what a step did not change with it, so only changed
   * parts are compared (model/visible.ts).
   */
  private matched: Earlier | undefined;

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
    const matching: MachineState[] = [];
    const allowed: AllowedOutcome[] = [];
    let matchedVisible: GuestVisible | undefined;
    for (const state of this.frontier) {
      for (const o of step(this.topology, state, command)) {
        const vis = visible(o.next);
        if (stepMatches(this.property, { observations: o.observations, visible: vis }, actual, this.matched)) {
          matching.push(o.next);
          matchedVisible = vis;
        } else allowed.push({ observations: o.observations, visible: vis });
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
    this.matched =
      this.frontier.length === 1 && matchedVisible !== undefined ? { a: matchedVisible, b: actual.visible } : undefined;
    this.history.push({ command, result: actual });
    return null;
  }

  /** The implementation faulted on `command` (the next step): a divergence of its own kind. */
  fault(command: Command, fault: FaultInfo): Divergence {
    const allowed = this.frontier.flatMap((state) =>
      step(this.topology, state, command).map((o) => ({ observations: o.observations, visible: visible(o.next) })),
    );
    return {
      property: this.property,
      step: this.history.length,
      command,
      allowed,
      actual: faultResult(fault, allowed[0]?.visible ?? visible(this.frontier[0] ?? initialState(this.topology))),
      history: this.history.slice(),
      fault,
    };
  }
}

function faultResult(fault: FaultInfo, placeholder: GuestVisible): StepResult {
  return { observations: [], visible: placeholder, trace: [`implementation ${fault.kind}: ${fault.message}`] };
}

/**
 * A fault seen from outside the faulting thread (a hang, a dead worker): the commands up
 * to the faulting one, with no implementation results; the reference follows its first
 * outcome at each earlier step.
 */
export function faultDivergence(
  topology: Topology,
  property: Property,
  commands: readonly Command[],
  fault: FaultInfo,
): Divergence {
  const last = commands.at(-1);
  if (last === undefined) throw new Error("faultDivergence: no command");
  let state = initialState(topology);
  for (const command of commands.slice(0, -1)) state = step(topology, state, command)[0]?.next ?? state;
  const allowed = step(topology, state, last).map((o) => ({ observations: o.observations, visible: visible(o.next) }));
  return {
    property,
    step: commands.length - 1,
    command: last,
    allowed,
    actual: faultResult(fault, allowed[0]?.visible ?? visible(state)),
    history: [],
    fault,
  };
}

function dedupe(states: MachineState[]): MachineState[] {
  const seen = new Map<string, MachineState>();
  for (const s of states) seen.set(stateDigest(s), s);
  return [...seen.values()];
}

/**
 * Run a whole sequence on a fresh implementation and check it. `afterStep` sees each step
 * that refined the reference (the cursor's states after it, the implementation's result):
 * feedback guidance learns from it.
 */
export function check(
  topology: Topology,
  impl: Implementation,
  commands: readonly Command[],
  property: Property,
  afterStep?: (command: Command, cursor: RefinementCursor, result: StepResult) => void,
): CheckResult {
  // No command, nothing to diverge on (a shrinker may try the empty sequence).
  if (commands.length === 0) return { ok: true, steps: 0 };
  const guarded = guard(impl);
  const cursor = new RefinementCursor(topology, property);
  try {
    guarded.reset(topology);
    // An implementation over a pipe takes the whole run in one round trip (protocol/).
    guarded.prepare?.(commands);
    for (const command of commands) {
      const result = guarded.apply(command);
      const divergence = cursor.advance(command, result);
      if (divergence !== null) return { ok: false, divergence };
      afterStep?.(command, cursor, result);
    }
    return { ok: true, steps: commands.length };
  } catch (e) {
    const command = e instanceof ImplementationFault ? commands[Math.max(0, e.commands.length - 1)] : undefined;
    if (!(e instanceof ImplementationFault) || command === undefined) throw e;
    const fault = e.commands.length === 0 ? { ...e.fault, atReset: true } : e.fault;
    return { ok: false, divergence: cursor.fault(command, fault) };
  } finally {
    runFinished();
  }
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
