/**
 * Running the implementation under test where it cannot take irqcheck down: in a worker
 * thread (bin/worker.js, cli/worker.ts) watched from this thread. A run that exceeds the
 * per-run budget is stopped by terminating the worker; a worker that dies (an async
 * throw, a native crash) is noticed by its exit. Either way the task ends with a fault
 * naming the run and the commands since reset (read from the shared memory the worker
 * writes before each command, run-watch.ts), and the next task gets a fresh worker.
 */
import { totalmem } from "node:os";
import { Worker } from "node:worker_threads";
import type { FaultKind } from "../properties/fault.ts";
import { UsageError } from "./errors.ts";
import { sharedWatchMemory, WatchReader, type WatchSnapshot } from "./run-watch.ts";
import type { CampaignMessage, Task, TaskResult } from "./tasks.ts";

/** Default per-run budget: QEMU variants run a 40-command run in well under a millisecond. */
export const DEFAULT_RUN_TIMEOUT_MS = 5000;

export interface SandboxFault {
  readonly kind: FaultKind;
  readonly message: string;
  /** What the worker was running when it hung or died. */
  readonly snapshot: WatchSnapshot;
}

export type SandboxOutcome<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly fault: SandboxFault };

type WorkerMessage =
  | CampaignMessage
  | { readonly kind: "result"; readonly value: TaskResult }
  | { readonly kind: "error"; readonly usage: boolean; readonly message: string; readonly stack: string };

/** irqcheck's own failure inside a worker (not the implementation's): exit 3. */
export class WorkerError extends Error {
  override readonly name = "WorkerError";
}

function workerError(message: string, stack: string): WorkerError {
  const e = new WorkerError(`in a worker: ${message}`);
  e.stack = stack;
  return e;
}

export interface SandboxOptions {
  readonly runTimeoutMs: number;
  /** Time each command, not each run (the explorer has no runs). */
  readonly perCommand?: boolean;
  /**
   * The end of the command's time budget (epoch ms): after it, a run still going after
   * LATE_RUN_MS is stopped as hung, so the command ends close to its --time.
   */
  readonly deadline?: number;
  readonly onMessage?: (m: CampaignMessage) => void;
}

const WATCH_TICK_MS = 50;
/** A worker's heap: a campaign needs about 100 MB; the explorer's state sets can need far more. */
const WORKER_HEAP_MB = Math.max(1024, Math.floor(totalmem() / 2 ** 20 / 8));
/** A run takes milliseconds; past the deadline one that takes a second is not waited for. */
const LATE_RUN_MS = 1000;

export class Sandbox {
  private worker: Worker | null = null;
  private reader: WatchReader | null = null;
  private stopped = false;
  private closed = false;
  private busy: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: SandboxOptions) {}

  get runTimeoutMs(): number {
    return this.options.runTimeoutMs;
  }

  /** Ask the running task (a campaign, an exploration) to end after its current run. */
  stop(): void {
    this.stopped = true;
    this.reader?.requestStop();
  }

  /** Run one task; tasks queue, one at a time per sandbox. */
  run<T extends TaskResult>(task: Task): Promise<SandboxOutcome<T>> {
    const next = this.busy.then(() => this.runNow<T>(task));
    this.busy = next.catch(() => undefined);
    return next;
  }

  async close(): Promise<void> {
    this.closed = true;
    const w = this.worker;
    this.worker = null;
    if (w !== null) await w.terminate();
  }

  private start(): { worker: Worker; reader: WatchReader } {
    if (this.worker !== null && this.reader !== null) return { worker: this.worker, reader: this.reader };
    const memory = sharedWatchMemory();
    const reader = new WatchReader(memory);
    if (this.stopped) reader.requestStop();
    const worker = new Worker(new URL("../bin/worker.js", import.meta.url), {
      workerData: { memory, perCommand: this.options.perCommand === true },
      // An implementation that allocates without bound ends its worker (an 'error' event:
      // a crash finding), not irqcheck.
      resourceLimits: { maxOldGenerationSizeMb: WORKER_HEAP_MB },
    });
    worker.unref();
    this.worker = worker;
    this.reader = reader;
    return { worker, reader };
  }

  private discard(worker: Worker): void {
    if (this.worker === worker) {
      this.worker = null;
      this.reader = null;
    }
    void worker.terminate();
  }

  private runNow<T extends TaskResult>(task: Task): Promise<SandboxOutcome<T>> {
    if (this.closed) return Promise.reject(new WorkerError("sandbox closed"));
    const { worker, reader } = this.start();
    return new Promise<SandboxOutcome<T>>((resolve, reject) => {
      let settled = false;
      const settle = (f: () => void) => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        worker.off("message", onMessage);
        worker.off("error", onError);
        worker.off("exit", onExit);
        f();
      };
      const fault = (kind: FaultKind, message: string) => {
        const snapshot = reader.snapshot();
        this.discard(worker);
        settle(() => resolve({ ok: false, fault: { kind, message, snapshot } }));
      };
      const { runTimeoutMs, deadline } = this.options;
      const timer = setInterval(() => {
        const ms = reader.runningForMs();
        const late = deadline !== undefined && Date.now() > deadline;
        if (ms > runTimeoutMs)
          fault("hung", `no result within the per-run budget of ${runTimeoutMs / 1000}s (--run-timeout)`);
        else if (late && ms > Math.min(runTimeoutMs, LATE_RUN_MS))
          fault("hung", `no result within ${LATE_RUN_MS / 1000}s after the time budget (--time) was spent`);
      }, WATCH_TICK_MS);
      const onMessage = (m: WorkerMessage) => {
        if (m.kind === "result") settle(() => resolve({ ok: true, value: m.value as T }));
        else if (m.kind === "error") {
          this.discard(worker);
          settle(() => reject(m.usage ? new UsageError(m.message) : workerError(m.message, m.stack)));
        } else this.options.onMessage?.(m);
      };
      // A worker ended by close() did nothing wrong: the task ends without a finding.
      const closedUnder = () => {
        if (!this.closed) return false;
        settle(() => reject(new WorkerError("the sandbox was closed while a task ran")));
        return true;
      };
      const onError = (e: Error) =>
        closedUnder() || fault("crashed", `the worker running it died: ${e.name}: ${e.message}`);
      const onExit = (code: number) =>
        closedUnder() || fault("crashed", `the worker running it exited with code ${code}`);
      worker.on("message", onMessage);
      worker.on("error", onError);
      worker.on("exit", onExit);
      worker.postMessage(task);
    });
  }
}
