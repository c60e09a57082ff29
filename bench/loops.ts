/**
 * The loops the benchmarks time, over one variant, profile and topology:
 * - plain: pre-generated sequences run on the implementation and checked step by step,
 *   with no generation and no bookkeeping - the floor of what any harness costs on top of
 *   the implementation and the reference;
 * - campaign: irqcheck's campaign loop, unguided or guided (properties/guidance/), given the
 *   findings it would make beforehand so that no side spends its time shrinking.
 */
import type { Command } from "../model/commands.ts";
import type { Topology } from "../model/topology.ts";
import { runCampaign, runGenerator, runSeed } from "../properties/campaign.ts";
import { type Property, RefinementCursor } from "../properties/checker.ts";
import { FeedbackGuide } from "../properties/guidance/guide.ts";
import type { ImplementationFactory } from "../properties/implementation.ts";
import type { Profile } from "../properties/profiles/index.ts";

export interface Workload {
  readonly topology: Topology;
  readonly variant: string;
  readonly create: ImplementationFactory;
  readonly profile: Profile;
  readonly property: Property;
  readonly runs: number;
}

/** The workload's runs of seed 1, generated now. */
export function sequencesOf(w: Workload): Command[][] {
  const generate = runGenerator(w.profile, w.topology, 40);
  return Array.from({ length: w.runs }, (_, r) => generate(runSeed(1, r)));
}

/** Runs every sequence up to its first divergence; returns the commands applied. */
export function plainLoop(w: Workload, sequences: readonly (readonly Command[])[]): number {
  let n = 0;
  for (const seq of sequences) {
    const impl = w.create();
    impl.reset(w.topology);
    const cursor = new RefinementCursor(w.topology, w.property);
    for (const c of seq) {
      n++;
      if (cursor.advance(c, impl.apply(c)) !== null) break;
    }
  }
  return n;
}

/** A campaign over the workload (seed 1); returns the commands it ran. */
function campaign(w: Workload, guided: boolean, known: ReadonlySet<string>) {
  const { topology, create, profile, property } = w;
  return runCampaign({
    topology,
    variant: w.variant,
    create,
    profiles: [profile],
    property,
    seed: 1,
    maxCommands: 40,
    runs: w.runs,
    known,
    ...(guided
      ? { guide: new FeedbackGuide({ topology, create, profiles: [profile], property, maxCommands: 40 }) }
      : {}),
  });
}

/** The unguided and the guided campaign loop, each knowing the findings of both beforehand. */
export function campaignLoops(w: Workload): { readonly unguided: () => number; readonly guided: () => number } {
  const known = new Set(
    [...campaign(w, false, new Set()).findings, ...campaign(w, true, new Set()).findings].map((f) => f.key),
  );
  return { unguided: () => campaign(w, false, known).commands, guided: () => campaign(w, true, known).commands };
}
