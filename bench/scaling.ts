/**
 * Jobs scaling on the same work: one campaign of a fixed number of runs (the same runs,
 * split over the jobs as `fuzz --jobs` splits them), with one and with two worker
 * threads, interleaved with warm-up (measure.ts). The speed-up is wall time of one job
 * over wall time of two; CPU time shows what the threads cost together.
 */
import type { JobSpec } from "../cli/job.ts";
import { runJobs } from "../cli/pool.ts";
import { sumProgress } from "../cli/progress.ts";
import { defaultTopology } from "../model/topology.ts";
import { PROFILES } from "../properties/profiles/index.ts";
import { interleave, type Sample, type Stat, stat } from "./measure.ts";

export interface Scaling {
  readonly variant: string;
  readonly runs: number;
  readonly rounds: number;
  readonly oneJob: readonly Sample[];
  readonly twoJobs: readonly Sample[];
  /** Wall time of one job over wall time of two, per round. */
  readonly speedup: Stat;
}

async function campaign(variant: string, jobs: number, runs: number): Promise<number> {
  const specs: JobSpec[] = Array.from({ length: jobs }, (_, j) => ({
    variant: { name: variant },
    profiles: Object.keys(PROFILES),
    topology: defaultTopology(),
    property: "delivery-log",
    seed: 1,
    maxCommands: 40,
    runs: Math.floor(runs / jobs) + (j < runs % jobs ? 1 : 0),
    firstRun: j,
    runStride: jobs,
  }));
  // Both sides run on worker threads, so thread start-up is in both.
  const results = await runJobs(
    specs,
    { onProgress: () => {}, onFinding: () => {}, onFault: () => {}, known: () => [] },
    { runTimeoutMs: 60_000 },
  );
  return sumProgress(results).commands;
}

export async function scaling(variant: string, runs: number, rounds: number): Promise<Scaling> {
  const s = await interleave({ one: () => campaign(variant, 1, runs), two: () => campaign(variant, 2, runs) }, rounds);
  const speedup = stat(s.one.map((a, i) => a.wallMs / (s.two[i]?.wallMs ?? Number.NaN)));
  return { variant, runs, rounds, oneJob: s.one, twoJobs: s.two, speedup };
}
