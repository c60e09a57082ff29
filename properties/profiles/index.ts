/** Generator profiles by name. Each turns a topology into a command generator. */
import type { Command } from "../../model/commands.ts";
import type { Topology } from "../../model/topology.ts";
import type { Gen } from "../gen.ts";
import { deviceDriver, deviceSteps } from "./devices.ts";
import { intxDriver, intxSteps } from "./intx.ts";
import { irDriver, irSteps } from "./ir.ts";
import { linuxDriver, linuxSteps } from "./linux.ts";
import { uniform } from "./uniform.ts";

/**
 * A profile generates *steps* (context-free, so they shrink well) and lowers them into
 * commands through a guest driver that keeps its own shadow state for one run, as the
 * Linux IOAPIC driver keeps `mp_chip_data.entry`. The uniform profile's steps are
 * commands and its driver is the identity.
 */
export interface Profile<S = unknown> {
  readonly name: string;
  readonly description: string;
  readonly steps: (topology: Topology) => Gen<S>;
  readonly driver: (topology: Topology) => (step: S) => readonly Command[];
}

export const PROFILES: Readonly<Record<string, Profile>> = {
  uniform: {
    name: "uniform",
    description: "every command of the language, four busy pins, vectors owned by their sources",
    steps: uniform,
    driver: () => (c: unknown) => [c as Command],
  },
  linux: {
    name: "linux",
    description: "the Linux IOAPIC driver's register sequences: setup, deferred level/edge moves, IR moves and EOIs",
    steps: linuxSteps,
    driver: linuxDriver as Profile["driver"],
  },
  ir: {
    name: "ir",
    description:
      "interrupt remapping churn: IRTE rewrites (invalid, FPD, bad SID), index/range/global invalidations, IRTA resizes, EIME and CFI switched",
    steps: irSteps,
    driver: irDriver as Profile["driver"],
  },
  devices: {
    name: "devices",
    description: "MSI-X programming, moves, masking and firing, interleaved with IRTE changes and invalidations",
    steps: deviceSteps,
    driver: deviceDriver as Profile["driver"],
  },
  intx: {
    name: "intx",
    description:
      "level INTx devices asserting, serviced, EOIed, re-asserting, with RTE masking, retargeting and IRTE churn (topology intx)",
    steps: intxSteps,
    driver: intxDriver as Profile["driver"],
  },
};

export function findProfile(name: string): Profile | undefined {
  return Object.hasOwn(PROFILES, name) ? PROFILES[name] : undefined;
}
