/** Campaign throughput with one and with two worker jobs, over the same time budget. */

import type { JobSpec } from "../cli/job.ts";
import { runJobs } from "../cli/pool.ts";
import { sumProgress } from "../cli/progress.ts";
import { defaultTopology } from "../model/topology.ts";
import { PROFILES } from "../properties/profiles/index.ts";

export interface Scaling {
  readonly variant: string;
  readonly seconds: number;
  readonly oneJob: number;
  readonly twoJobs: number;
  readonly ratio: number;
}

async function commandsPerSecond(variant: string, jobs: number, timeMs: number): Promise<number> {
  const specs: JobSpec[] = Array.from({ length: jobs }, (_, j) => ({
    variant: { name: variant },
    profiles: Object.keys(PROFILES),
    topology: defaultTopology(),
    property: "delivery-log",
    seed: 1,
    maxCommands: 40,
    deadline: Date.now() + timeMs,
    firstRun: j,
    runStride: jobs,
  }));
  // Both counts run on worker threads, so start-up cost is in both measurements.
  const results = await runJobs(
    specs,
    { onProgress: () => {}, onFinding: () => {}, onFault: () => {}, known: () => [] },
    { runTimeoutMs: 60_000 },
  );
  const total = sumProgress(results);
  return total.commands / (timeMs / 1000);
}

export async function scaling(variant: string, timeMs: number): Promise<Scaling> {
  const oneJob = await commandsPerSecond(variant, 1, timeMs);
  const twoJobs = await commandsPerSecond(variant, 2, timeMs);
  return { variant, seconds: timeMs / 1000, oneJob, twoJobs, ratio: twoJobs / oneJob };
}
