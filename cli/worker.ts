/** Worker-thread entry: runs one job and posts progress and the result to the parent. */
import { parentPort, workerData } from "node:worker_threads";
import { type JobSpec, runJob } from "./job.ts";

const port = parentPort;
if (port === null) throw new Error("cli/worker.ts must run in a worker thread");
try {
  const result = await runJob(workerData as JobSpec, (progress) => port.postMessage({ kind: "progress", progress }));
  port.postMessage({ kind: "done", result });
} catch (e) {
  port.postMessage({ kind: "error", message: e instanceof Error ? e.message : String(e) });
}
