/**
 * Running jobs on worker threads (one per job; workers load the TypeScript sources
 * through tsx). One job runs in-process: no start-up cost, plain stack traces. An abort
 * of `stop` ends every job after its current run, with its findings.
 */
import { Worker } from "node:worker_threads";
import type { CampaignProgress, CampaignResult } from "../properties/campaign.ts";
import { UsageError } from "./errors.ts";
import { type JobSpec, runJob } from "./job.ts";

type Message =
  | { kind: "progress"; progress: CampaignProgress }
  | { kind: "done"; result: CampaignResult }
  | { kind: "error"; message: string };

export async function runJobs(
  specs: readonly JobSpec[],
  onProgress: (perJob: readonly (CampaignProgress | null)[]) => void,
  options: { readonly alwaysWorkers?: boolean; readonly stop?: AbortSignal } = {},
): Promise<CampaignResult[]> {
  const progress: (CampaignProgress | null)[] = specs.map(() => null);
  const stopped = () => options.stop?.aborted === true;
  if (specs.length === 1 && specs[0] !== undefined && options.alwaysWorkers !== true) {
    return [
      await runJob(
        specs[0],
        (p) => {
          progress[0] = p;
          onProgress(progress);
        },
        stopped,
      ),
    ];
  }
  const stop = new Int32Array(new SharedArrayBuffer(4));
  options.stop?.addEventListener("abort", () => Atomics.store(stop, 0, 1), { once: true });
  return Promise.all(
    specs.map(
      (spec, i) =>
        new Promise<CampaignResult>((resolve, reject) => {
          const worker = new Worker(new URL("../bin/worker.js", import.meta.url), { workerData: { spec, stop } });
          worker.on("message", (m: Message) => {
            if (m.kind === "progress") {
              progress[i] = m.progress;
              onProgress(progress);
            } else if (m.kind === "done") resolve(m.result);
            else reject(new UsageError(m.message));
          });
          worker.on("error", reject);
          worker.on("exit", (code) => {
            if (code !== 0) reject(new Error(`campaign worker ${i} exited with code ${code}`));
          });
        }),
    ),
  );
}
