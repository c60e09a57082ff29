/**
 * Re-running a command list against an implementation with everything a report needs:
 * per step the implementation's result and internal state (routes, irqfds, cache) and
 * the outcomes the reference allowed; and the divergence, if any.
 */
import type { Command } from "../model/commands.ts";
import { step, visible } from "../model/machine.ts";
import type { Topology } from "../model/topology.ts";
import { type AllowedOutcome, type Divergence, type Property, RefinementCursor } from "./checker.ts";
import type { Implementation, StepResult } from "./implementation.ts";

export interface ReplayStep {
  readonly index: number;
  readonly command: Command;
  readonly result: StepResult;
  /** `impl.describe()` after the step. */
  readonly implState: readonly string[];
  /** What the reference allowed for this step (from every state still consistent). */
  readonly expected: readonly AllowedOutcome[];
  /** Input line levels per pin after the step, as the reference holds them (bit per pin). */
  readonly lines: number;
}

export interface Replay {
  readonly steps: readonly ReplayStep[];
  readonly divergence: Divergence | null;
}

export function replayRun(
  topology: Topology,
  impl: Implementation,
  commands: readonly Command[],
  property: Property,
): Replay {
  impl.reset(topology);
  const cursor = new RefinementCursor(topology, property);
  const steps: ReplayStep[] = [];
  for (const [index, command] of commands.entries()) {
    const expected = cursor.states.flatMap((s) =>
      step(topology, s, command).map((o) => ({ observations: o.observations, visible: visible(o.next) })),
    );
    const result = impl.apply(command);
    const divergence = cursor.advance(command, result);
    const lines = cursor.states[0]?.ioapic.lines ?? 0;
    steps.push({ index, command, result, implState: impl.describe(), expected, lines });
    if (divergence !== null) return { steps, divergence };
  }
  return { steps, divergence: null };
}
