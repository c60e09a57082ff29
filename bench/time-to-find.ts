/**
 * For each documented divergence in the manifest's verdicts: runs and seconds to the
 * first divergence with that signature over several seeds (one core), and the shrunk
 * length of the counterexample.
 */
import { huntVerdict } from "../impl/hunt.ts";
import { VERDICTS, type Verdict } from "../impl/manifest.ts";

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
  const runs: number[] = [];
  const seconds: number[] = [];
  const lengths: number[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    const t0 = performance.now();
    const { result: r, finding: f } = huntVerdict(verdict, seed, runCap);
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
