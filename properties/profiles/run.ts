/**
 * One run of a profile: its steps and the commands the profile's guest driver lowers
 * them into. The campaign generates runs from a seed; the guidance (properties/guidance/)
 * keeps and mutates the steps, so a mutated run still goes through the driver and keeps
 * the profile's discipline (a Linux-profile mutant is still a sequence Linux issues).
 */
import seedrandom from "seedrandom";
import type { Command } from "../../model/commands.ts";
import type { Topology } from "../../model/topology.ts";
import { type Sampler, toSampler } from "../gen.ts";
import type { Profile } from "./index.ts";

export interface ProfileRun {
  readonly steps: readonly unknown[];
  readonly commands: readonly Command[];
}

/** Lower steps through a fresh driver, keeping at most `maxCommands` commands. */
export function lowerSteps(
  profile: Profile,
  topology: Topology,
  steps: readonly unknown[],
  maxCommands: number,
): Command[] {
  const driver = profile.driver(topology);
  const out: Command[] = [];
  for (const s of steps) {
    if (out.length >= maxCommands) break;
    out.push(...driver(s));
  }
  return out.slice(0, maxCommands);
}

/** Draws one step of the profile. */
export function stepSampler(profile: Profile, topology: Topology): Sampler<unknown> {
  return toSampler(profile.steps(topology));
}

/**
 * Generates a run from its seed: a length in [1, max], then steps until the driver has
 * issued that many commands (the last step's commands cut at the length).
 */
export function profileRun(profile: Profile, topology: Topology, maxCommands: number): (seed: string) => ProfileRun {
  const sample = stepSampler(profile, topology);
  return (seed) => {
    const random = seedrandom.xor128(seed);
    const length = 1 + Math.floor(random() * maxCommands);
    const driver = profile.driver(topology);
    const steps: unknown[] = [];
    const out: Command[] = [];
    while (out.length < length) {
      const s = sample(random);
      steps.push(s);
      out.push(...driver(s));
    }
    return { steps, commands: out.slice(0, length) };
  };
}
