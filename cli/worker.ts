/**
 * Worker-thread entry: runs one job and posts progress and the result to the parent; a
 * shared stop flag set by the parent ends the campaign after the current run.
 */
import { parentPort, workerData } from "node:worker_threads";
import { type JobSpec, runJob } from "./job.ts";

const port = parentPort;
if (port === null) throw new Error("cli/worker.ts must run in a worker thread");
// The campaign loop is synchronous, so "stop" is a shared flag, not a message.
const { spec, stop } = workerData as { spec: JobSpec; stop: Int32Array };
try {
  const result = await runJob(
    spec,
    (progress) => port.postMessage({ kind: "progress", progress }),
    () => Atomics.load(stop, 0) === 1,
  );
  port.postMessage({ kind: "done", result });
} catch (e) {
  port.postMessage({ kind: "error", message: e instanceof Error ? e.message : String(e) });
}
