/**
 * Harness throughput against a plain loop over the same work: the same pre-generated
 * sequences, the same implementation, the same step-by-step refinement check; the
 * plain loop leaves out generation, run bookkeeping and the campaign's wrapper. The
 * ratio is the harness's overhead.
 */

import { findVariant } from "../impl/variants/index.ts";
import { defaultTopology } from "../model/topology.ts";
import { runCampaign, runGenerator, runSeed } from "../properties/campaign.ts";
import { RefinementCursor } from "../properties/checker.ts";
import { PROFILES } from "../properties/profiles/index.ts";

export interface ThroughputResult {
  readonly variant: string;
  readonly runs: number;
  readonly commands: number;
  readonly campaignPerSecond: number;
  readonly plainPerSecond: number;
  readonly ratio: number;
}

export function throughput(variantName: string, runs: number): ThroughputResult {
  const topology = defaultTopology();
  const variant = findVariant(variantName);
  if (variant === undefined) throw new Error(variantName);
  const profiles = Object.values(PROFILES);
  const generators = profiles.map((p) => runGenerator(p, topology, 40));
  const sequences = Array.from({ length: runs }, (_, r) => generators[r % generators.length]?.(runSeed(1, r)) ?? []);

  const t0 = performance.now();
  let plainCommands = 0;
  for (const seq of sequences) {
    const impl = variant.create();
    impl.reset(topology);
    const cursor = new RefinementCursor(topology, "delivery-log");
    for (const c of seq) {
      plainCommands++;
      if (cursor.advance(c, impl.apply(c)) !== null) break;
    }
  }
  const plainMs = performance.now() - t0;

  const campaign = (n: number, known: ReadonlySet<string>) =>
    runCampaign({
      topology,
      variant: variant.name,
      create: variant.create,
      profiles,
      property: "delivery-log",
      seed: 1,
      maxCommands: 40,
      runs: n,
      known,
    });
  // The campaign shrinks each new signature; give it the known ones so both loops do the same work.
  const known = new Set(campaign(Math.min(runs, 2000), new Set()).findings.map((f) => f.key));
  const t2 = performance.now();
  const r = campaign(runs, known);
  const campaignMs = performance.now() - t2;
  const campaignPerSecond = r.commands / (campaignMs / 1000);
  const plainPerSecond = plainCommands / (plainMs / 1000);
  return {
    variant: variant.name,
    runs,
    commands: r.commands,
    campaignPerSecond,
    plainPerSecond,
    ratio: campaignPerSecond / plainPerSecond,
  };
}
