/**
 * The harness a fast-check user would write over irqcheck's command language: the
 * profile's step arbitrary (properties/gen.ts, the same distribution as the campaign),
 * `fc.commands` of at most 40 steps, `fc.modelRun` with the profile's guest driver and a
 * RefinementCursor as the model and the variant as the real system. No shrinking: the
 * first failure ends the run (`endOnFailure`), as in the campaign's throughput.
 */
import fc from "fast-check";
import type { Command } from "../model/commands.ts";
import type { Topology } from "../model/topology.ts";
import { type Property, RefinementCursor } from "../properties/checker.ts";
import { toArbitrary } from "../properties/gen.ts";
import type { Implementation, ImplementationFactory } from "../properties/implementation.ts";
import type { Profile } from "../properties/profiles/index.ts";

interface Model {
  readonly cursor: RefinementCursor;
  readonly driver: (step: unknown) => readonly Command[];
  issued: number;
}

class DivergenceFound extends Error {}

export interface PeerOptions {
  readonly topology: Topology;
  readonly create: ImplementationFactory;
  readonly profile: Profile;
  readonly property: Property;
  readonly runs: number;
  readonly seed: number;
}

/** Runs the peer harness; returns the number of commands checked. */
export function fastCheckPeer(o: PeerOptions): number {
  const MAX = 40;
  let commands = 0;
  class Step implements fc.Command<Model, Implementation> {
    constructor(readonly step: unknown) {}
    check(): boolean {
      return true;
    }
    run(m: Model, impl: Implementation): void {
      for (const c of m.driver(this.step)) {
        if (m.issued >= MAX) return;
        m.issued++;
        commands++;
        if (m.cursor.advance(c, impl.apply(c)) !== null) throw new DivergenceFound();
      }
    }
    toString(): string {
      return JSON.stringify(this.step);
    }
  }
  const steps = toArbitrary(o.profile.steps(o.topology)).map((s) => new Step(s));
  const setup = () => {
    const real = o.create();
    real.reset(o.topology);
    return {
      model: { cursor: new RefinementCursor(o.topology, o.property), driver: o.profile.driver(o.topology), issued: 0 },
      real,
    };
  };
  fc.check(
    fc.property(fc.commands([steps], { maxCommands: MAX, size: "max" }), (cmds) => {
      try {
        fc.modelRun(setup, cmds);
      } catch (e) {
        if (!(e instanceof DivergenceFound)) throw e;
      }
    }),
    { numRuns: o.runs, seed: o.seed, endOnFailure: true },
  );
  return commands;
}
