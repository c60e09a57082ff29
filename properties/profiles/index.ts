/** Generator profiles by name. Each turns a topology into a command generator. */
import type { Command } from "../../model/commands.ts";
import type { Topology } from "../../model/topology.ts";
import type { Gen } from "../gen.ts";
import { uniform } from "./uniform.ts";

export interface Profile {
  readonly name: string;
  readonly description: string;
  readonly command: (topology: Topology) => Gen<Command>;
}

export const PROFILES: Readonly<Record<string, Profile>> = {
  uniform: {
    name: "uniform",
    description: "every command of the language, four busy pins, vectors owned by their sources",
    command: uniform,
  },
};
