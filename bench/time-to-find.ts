/**
 * For each documented divergence in the manifest's verdicts: runs and seconds to the
 * first divergence with that signature over several seeds (one core), and the shrunk
 * length of the counterexample.
 */

import { VERDICTS, type Verdict } from "../impl/manifest.ts";
import { findVariant } from "../impl/variants/index.ts";
import { defaultTopology } from "../model/topology.ts";
import { runCampaign } from "../properties/campaign.ts";
import { findProfile } from "../properties/profiles/index.ts";

export interface TimeToFind {
  readonly verdict: Verdict;
  readonly found: number;
  readonly seeds: number;
  readonly medianRuns: number;
  readonly worstRuns: number;
  readonly medianSeconds: number;
  readonly worstSeconds: number;
  readonly shrunkLengths: readonly number[];
}

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length === 0 ? Number.NaN : (s[(s.length - 1) >> 1] ?? Number.NaN);
}

export function timeToFind(verdict: Verdict, seeds: number, runCap: number): TimeToFind {
  const topology = defaultTopology();
  const v = findVariant(verdict.variant);
  const p = findProfile(verdict.profile);
  if (v === undefined || p === undefined) throw new Error(`${verdict.variant}/${verdict.profile}`);
  const runs: number[] = [];
  const seconds: number[] = [];
  const lengths: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const t0 = performance.now();
    const r = runCampaign({
      topology,
      variant: v.name,
      create: v.create,
      profiles: [p],
      property: verdict.property,
      seed,
      maxCommands: 40,
      runs: runCap,
      stopWhen: (s) => `${s.op}/${s.difference}` === verdict.signature,
    });
    const f = r.findings.find((x) => `${x.signature.op}/${x.signature.difference}` === verdict.signature);
    if (f === undefined) continue;
    runs.push(r.runs);
    seconds.push((performance.now() - t0) / 1000);
    lengths.push(f.commands.length);
  }
  return {
    verdict,
    found: runs.length,
    seeds,
    medianRuns: median(runs),
    worstRuns: Math.max(...runs),
    medianSeconds: median(seconds),
    worstSeconds: Math.max(...seconds),
    shrunkLengths: lengths,
  };
}

export function allTimeToFind(seeds: number, runCap: number): TimeToFind[] {
  // One row per divergence (the first verdict that names it).
  const seen = new Set<string>();
  return VERDICTS.filter((v) => {
    const key = `${v.divergence}/${v.variant}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  }).map((v) => timeToFind(v, seeds, runCap));
}
