/**
 * Runs and time to the first divergence of every documented bug (the manifest's verdict
 * rows, and D8 and D20, which have none), with feedback guidance and without, over the
 * same seeds: one core, wall time and CPU time, and the shrunk length.
 */
import { VERDICTS } from "../impl/manifest.ts";
import { type Bug, hunt } from "./hunt.ts";
import { measure, type Stat, stat } from "./measure.ts";

/** The deep bugs without a verdict: one in tens of thousands of random runs (manifest D8 and D20). */
export const DEEP_BUGS: readonly Bug[] = [
  {
    deep: true,
    divergence: "D8",
    variant: "irqfd-cache",
    profile: "uniform",
    property: "delivery-log",
    signatures: ["cpu.eoi/rte-state", "cpu.eoi/missing-delivery"],
  },
  {
    deep: true,
    divergence: "D20",
    variant: "irqfd-cache-lazy",
    profile: "uniform",
    property: "delivery-log",
    signatures: ["cpu.eoi/missing-delivery", "cpu.eoi/rte-state"],
    // irqfd-cache still has D8, which shows with the same signatures; it fixes D20.
    fixedBy: "irqfd-cache",
  },
];

/** A verdict's run budget from which its bug counts as deep (D10a). */
const DEEP_BUDGET = 5000;

/** One bug per (divergence, variant) of the manifest's verdicts, then the deep bugs. */
export function documentedBugs(): Bug[] {
  const seen = new Set<string>();
  const rows: Bug[] = [];
  for (const v of VERDICTS) {
    const key = `${v.divergence}/${v.variant}`;
    if (seen.has(key)) continue;
    seen.add(key);
    rows.push({ ...v, signatures: [v.signature], deep: v.runs >= DEEP_BUDGET });
  }
  return [...rows, ...DEEP_BUGS];
}

export interface TimeToFind {
  readonly bug: Bug;
  readonly guided: boolean;
  readonly seeds: number;
  readonly cap: number;
  readonly found: number;
  /** Over every seed; a seed that did not find the bug counts as Infinity (median "> cap"). */
  readonly runs: Stat;
  /** Runs per seed, seed 1 first (Infinity where not found): for paired comparisons. */
  readonly runsPerSeed: readonly number[];
  readonly wallSeconds: Stat;
  readonly cpuSeconds: Stat;
  /**
   * Per seed that found it; a length whose signature is not the bug's first is followed by
   * that signature's difference (D8 shows as rte-state or missing-delivery).
   */
  readonly shrunkLengths: readonly string[];
}

export async function timeToFind(bug: Bug, guided: boolean, seeds: number, cap: number): Promise<TimeToFind> {
  const runs: number[] = [];
  const wall: number[] = [];
  const cpu: number[] = [];
  const lengths: string[] = [];
  for (let seed = 1; seed <= seeds; seed++) {
    let h: ReturnType<typeof hunt> | undefined;
    const s = await measure(() => {
      h = hunt(bug, seed, cap, guided);
      return 1;
    });
    if (h === undefined) continue;
    runs.push(h.runs ?? Number.POSITIVE_INFINITY);
    if (h.runs === null) continue;
    // CPU time of the whole hunt scaled to the part before the finding (shrinking excluded).
    wall.push(h.ms / 1000);
    cpu.push((s.cpuMs / 1000) * Math.min(1, h.ms / s.wallMs));
    lengths.push(h.signature === bug.signatures[0] ? `${h.length}` : `${h.length} ${h.signature.split("/")[1]}`);
  }
  return {
    bug,
    guided,
    seeds,
    cap,
    found: lengths.length,
    runs: stat(runs),
    runsPerSeed: runs,
    wallSeconds: stat(wall),
    cpuSeconds: stat(cpu),
    shrunkLengths: lengths,
  };
}
