/**
 * The plain loop: pre-generated sequences run on the implementation and checked step by
 * step, with no generation and no bookkeeping - the floor of what any harness costs on
 * top of the implementation and the reference.
 */
import type { Command } from "../model/commands.ts";
import type { Topology } from "../model/topology.ts";
import { type Property, RefinementCursor } from "../properties/checker.ts";
import type { ImplementationFactory } from "../properties/implementation.ts";

/** Runs every sequence up to its first divergence; returns the commands applied. */
export function plainLoop(
  sequences: readonly (readonly Command[])[],
  create: ImplementationFactory,
  topology: Topology,
  property: Property,
): number {
  let n = 0;
  for (const seq of sequences) {
    const impl = create();
    impl.reset(topology);
    const cursor = new RefinementCursor(topology, property);
    for (const c of seq) {
      n++;
      if (cursor.advance(c, impl.apply(c)) !== null) break;
    }
  }
  return n;
}
