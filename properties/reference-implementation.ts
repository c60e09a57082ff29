/**
 * The reference model wrapped as an implementation: a check of the checker (it must pass
 * every sequence). Where the model allows several outcomes it takes the one `pick` selects.
 */
import { get32, set32 } from "../model/bits.ts";
import type { Command } from "../model/commands.ts";
import { RteLow } from "../model/ioapic.ts";
import { initialState, type MachineState, stateDigest, step, visible } from "../model/machine.ts";
import type { Topology } from "../model/topology.ts";
import type { Implementation, StepResult } from "./implementation.ts";

export interface ModelImplementationOptions {
  /** Chooses among the allowed outcomes; default the first. */
  readonly pick?: (count: number) => number;
  /**
   * Runs the model step in a changed setting (used to build deliberately broken systems):
   * `run` steps from the state it is given and returns the chosen outcome's next state.
   */
  readonly around?: (state: MachineState, command: Command, run: (from: MachineState) => MachineState) => MachineState;
  readonly name?: string;
}

export function modelImplementation(options: ModelImplementationOptions = {}): Implementation {
  let topology: Topology | null = null;
  let state: MachineState | null = null;
  return {
    name: options.name ?? "reference",
    reset(t) {
      topology = t;
      state = initialState(t);
    },
    apply(command): StepResult {
      if (topology === null || state === null) throw new Error("apply before reset");
      const t = topology;
      let observations: StepResult["observations"] = [];
      const run = (from: MachineState): MachineState => {
        const outcomes = step(t, from, command);
        const chosen = outcomes[options.pick ? options.pick(outcomes.length) : 0] ?? outcomes[0];
        if (chosen === undefined) throw new Error("model returned no outcome");
        observations = chosen.observations;
        return chosen.next;
      };
      state = options.around ? options.around(state, command, run) : run(state);
      return { observations, visible: visible(state), trace: [] };
    },
    describe() {
      return [];
    },
    digest() {
      return state === null ? "" : stateDigest(state);
    },
  };
}

/**
 * A deliberately broken IOAPIC: an input change on a masked pin is delivered as if the
 * pin were unmasked (it ignores the mask bit). The checker must catch it.
 */
export function ignoresMaskImplementation(): Implementation {
  return modelImplementation({
    name: "broken-ignores-mask",
    around(state, command, run) {
      if (command.op !== "line.set" && command.op !== "line.pulse") return run(state);
      const pin = command.pin;
      const low = state.ioapic.rteLow[pin] ?? 0;
      const unmasked = state.ioapic.rteLow.slice();
      unmasked[pin] = set32(low, RteLow.mask, 0);
      const next = run({ ...state, ioapic: { ...state.ioapic, rteLow: unmasked } });
      // The guest still reads back its own mask bit.
      next.ioapic.rteLow[pin] = set32(next.ioapic.rteLow[pin] ?? 0, RteLow.mask, get32(low, RteLow.mask));
      return next;
    },
  });
}
