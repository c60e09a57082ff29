/**
 * Sandbox worker entry (cli/sandbox.ts): runs tasks that touch the implementation under
 * test, one at a time, posting campaign messages and each task's result. The parent
 * watches the shared memory this thread writes before every run and command, so it can
 * stop a hang and name what hung. `process.exit` here would end this thread silently
 * with a code (and process.abort or a signal to this process would end irqcheck): they are
 * made to throw instead, so a guarded implementation reports them as a crash at the
 * command that called them.
 */
import { parentPort, workerData } from "node:worker_threads";
import { watchRuns } from "../properties/fault.ts";
import { UsageError } from "./errors.ts";
import { WatchWriter } from "./run-watch.ts";
import { runTask, type Task } from "./tasks.ts";

export class ProcessExitCalled extends Error {
  override readonly name = "ProcessExitCalled";
}

const port = parentPort;
if (port === null) throw new Error("cli/worker.ts must run in a worker thread");
const { memory, perCommand } = workerData as { memory: SharedArrayBuffer; perCommand: boolean };
const watch = new WatchWriter(memory, perCommand);
watchRuns(watch);
process.exit = ((code?: number | string | null) => {
  throw new ProcessExitCalled(`the implementation called process.exit(${code ?? ""})`);
}) as typeof process.exit;
process.abort = () => {
  throw new ProcessExitCalled("the implementation called process.abort()");
};
const kill = process.kill.bind(process);
process.kill = (pid: number, signal?: string | number) => {
  if (pid === process.pid || pid === 0)
    throw new ProcessExitCalled(`the implementation sent ${signal ?? "SIGTERM"} to irqcheck`);
  return kill(pid, signal);
};

port.on("message", async (task: Task) => {
  try {
    const value = await runTask(task, watch, (m) => port.postMessage(m));
    watch.idle();
    port.postMessage({ kind: "result", value });
  } catch (e) {
    watch.idle();
    port.postMessage({
      kind: "error",
      usage: e instanceof UsageError,
      message: e instanceof Error ? e.message : String(e),
      stack: e instanceof Error ? (e.stack ?? "") : "",
    });
  }
});
