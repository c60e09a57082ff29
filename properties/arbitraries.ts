/** fast-check arbitraries of whole runs, for the vitest property suites. */

import { fc as fcv } from "@fast-check/vitest";
import type fc from "fast-check";
import type { Command } from "../model/commands.ts";
import type { Topology } from "../model/topology.ts";
import { toArbitrary } from "./gen.ts";
import type { Profile } from "./profiles/index.ts";

/**
 * Sequences of at most `maxCommands` commands from a profile. `size: "max"` because
 * fast-check's default size keeps arrays at about ten elements whatever maxLength says.
 */
export function sequenceArbitrary(profile: Profile, topology: Topology, maxCommands: number): fc.Arbitrary<Command[]> {
  return fcv.array(toArbitrary(profile.steps(topology)), { maxLength: maxCommands, size: "max" }).map((steps) => {
    const driver = profile.driver(topology);
    return steps.flatMap((s) => driver(s)).slice(0, maxCommands);
  });
}
