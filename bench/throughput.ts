/**
 * Harness throughput on the same work, interleaved (measure.ts): commands per CPU-second
 * and per wall-second of
 * - plain: a loop over pre-generated sequences (no generation, no bookkeeping): the floor
 *   of what any harness costs on top of the implementation and the reference;
 * - campaign: irqcheck's campaign loop, unguided;
 * - guided: the campaign with feedback guidance (properties/guidance/);
 * - fast-check: the peer harness a fast-check user would write (fast-check-peer.ts).
 * The campaigns are given the signatures they would find, so no side spends time shrinking.
 */
import { findVariant } from "../impl/variants/index.ts";
import { defaultTopology } from "../model/topology.ts";
import { findProfile } from "../properties/profiles/index.ts";
import { fastCheckPeer } from "./fast-check-peer.ts";
import { campaignLoops, plainLoop, sequencesOf } from "./loops.ts";
import { interleave, rates, type Stat } from "./measure.ts";

export const SIDES = ["plain", "campaign", "guided", "fast-check"] as const;
export type Side = (typeof SIDES)[number];

export interface ThroughputResult {
  readonly variant: string;
  readonly profile: string;
  readonly runs: number;
  readonly rounds: number;
  /** Commands per CPU-second and per wall-second, per side. */
  readonly perSide: Readonly<Record<Side, { cpu: Stat; wall: Stat }>>;
}

export async function throughput(
  variantName: string,
  profileName: string,
  runs: number,
  rounds: number,
): Promise<ThroughputResult> {
  const topology = defaultTopology();
  const variant = findVariant(variantName);
  const profile = findProfile(profileName);
  if (variant === undefined || profile === undefined) throw new Error(`${variantName}/${profileName}`);
  const property = "delivery-log";
  const w = { topology, variant: variant.name, create: variant.create, profile, property, runs } as const;
  const sequences = sequencesOf(w);
  const campaigns = campaignLoops(w);
  const samples = await interleave<Side>(
    {
      plain: () => plainLoop(w, sequences),
      campaign: campaigns.unguided,
      guided: campaigns.guided,
      "fast-check": () => fastCheckPeer({ topology, create: variant.create, profile, property, runs, seed: 1 }),
    },
    rounds,
  );
  const perSide = Object.fromEntries(SIDES.map((s) => [s, rates(samples[s])])) as ThroughputResult["perSide"];
  return { variant: variant.name, profile: profile.name, runs, rounds, perSide };
}
