/**
 * A synchronous conversation with a child process. Implementation.apply is synchronous,
 * so a worker thread (pipe-worker.js) owns the process and its pipes, and the calling
 * thread blocks on Atomics.wait until the worker has the answer lines; a wait that times
 * out is a hang. A write of any number of request lines announces how many answer lines
 * follow, and one read takes them all: a whole run costs one round trip. (Reading each
 * step as it comes, to check step k while the program computes k + 1, measured slower:
 * the extra round trips cost more than the overlap gains.) Lines still owed when the next
 * write goes out are read and dropped first.
 */
import { MessageChannel, type MessagePort, receiveMessageOnPort, Worker } from "node:worker_threads";
import { ImplementationFault } from "./fault.ts";

type WorkerReply = {
  readonly lines?: string[];
  readonly unrequested?: string[];
  readonly exit?: { code?: number | null; signal?: string | null; error?: string };
  readonly stderr?: string;
};

export class ChildPipe {
  private readonly signal = new Int32Array(new SharedArrayBuffer(4));
  private readonly port: MessagePort;
  private readonly worker: Worker;
  /** Set once the program has failed: every later exchange throws it again. */
  private failure: ImplementationFault | null = null;
  private requests = 0;
  /** Answer lines written for and not yet received. */
  private owed = 0;
  /** Writes so far: one per run when the checker hands runs ahead. */
  exchanges = 0;

  constructor(
    readonly program: string,
    private readonly timeoutMs: number,
  ) {
    const { port1, port2 } = new MessageChannel();
    this.port = port1;
    this.port.unref();
    this.worker = new Worker(new URL("./pipe-worker.js", import.meta.url), {
      workerData: { program, signal: this.signal, port: port2 },
      transferList: [port2],
    });
    this.worker.unref();
  }

  get failed(): boolean {
    return this.failure !== null;
  }

  /** Write `text` (complete lines) and wait for its `count` answer lines. */
  exchange(text: string, count: number, waitingFor: string): string[] {
    this.send(text, count, waitingFor);
    return this.receive(count, waitingFor);
  }

  /** Write `text` (complete lines), whose answers are `count` lines, without waiting. */
  send(text: string, count: number, waitingFor: string): void {
    if (this.failure !== null) throw this.failure;
    if (this.owed > 0) this.receive(this.owed, `the rest of an abandoned batch (before: ${waitingFor})`);
    this.exchanges++;
    this.owed += count;
    this.worker.postMessage({ kind: "write", text, lines: count });
  }

  /** Wait for `count` of the owed answer lines. */
  receive(count: number, waitingFor: string): string[] {
    if (this.failure !== null) throw this.failure;
    const reply = this.call({ kind: "read", count });
    if (reply === null) {
      const stderrTail = this.call({ kind: "stderr" })?.stderr ?? "";
      throw this.fail({ kind: "hung", waitingFor, reason: `no answer within ${this.timeoutMs / 1000}s`, stderrTail });
    }
    const stderrTail = reply.stderr ?? "";
    if (reply.unrequested !== undefined) {
      throw this.fail({
        kind: "answered badly",
        waitingFor,
        reason: `${reply.unrequested.length} line(s) more than the requests asked for`,
        line: reply.unrequested[0] ?? "",
        stderrTail,
      });
    }
    const lines = reply.lines ?? [];
    this.owed -= lines.length;
    if (reply.exit !== undefined) {
      const e = reply.exit;
      const how =
        e.error !== undefined
          ? `could not be started: ${e.error}`
          : e.signal != null
            ? `was killed by ${e.signal}`
            : `exited with status ${e.code}`;
      throw this.fail({
        kind: "crashed",
        waitingFor,
        reason: `the program ${how} after ${lines.length} of ${count} answer line(s)`,
        ...(lines.length > 0 ? { line: lines[lines.length - 1] ?? "" } : {}),
        stderrTail,
      });
    }
    return lines;
  }

  /** A fault found in an answer's content: the program is stopped and the fault kept. */
  fail(
    d: Omit<ConstructorParameters<typeof ImplementationFault>[0], "program" | "stderrTail"> & { stderrTail?: string },
  ): ImplementationFault {
    const stderrTail = d.stderrTail ?? this.call({ kind: "stderr" })?.stderr ?? "";
    this.failure = new ImplementationFault({ ...d, stderrTail, program: this.program });
    this.close(true);
    return this.failure;
  }

  /** End the conversation: close the program's stdin (it should exit), or kill it. */
  close(kill = false): void {
    this.worker.postMessage({ kind: "close", kill });
  }

  /**
   * One request to the worker and its reply. Requests are numbered and the worker stores
   * the number it answers: a notify left over from an earlier reply (the worker stores,
   * the caller sees the value without sleeping, then the worker's notify lands in the
   * next wait) is told apart from this reply's, and so is a reply that came too late.
   */
  private call(message: Record<string, unknown>): WorkerReply | null {
    const seq = ++this.requests;
    this.worker.postMessage({ ...message, seq });
    const deadline = Date.now() + this.timeoutMs;
    for (let v = Atomics.load(this.signal, 0); v !== seq; v = Atomics.load(this.signal, 0)) {
      const left = deadline - Date.now();
      if (left <= 0) return null;
      Atomics.wait(this.signal, 0, v, left);
    }
    for (;;) {
      const m = receiveMessageOnPort(this.port);
      if (m === undefined) return null;
      const reply = m.message as WorkerReply & { seq: number };
      if (reply.seq === seq) return reply;
    }
  }
}
