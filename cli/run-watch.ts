/**
 * The memory a sandbox worker and its watchdog share (one SharedArrayBuffer per worker):
 * a stop flag the parent sets, and what the worker is running right now, written before
 * each run and each command so that the parent can still read it after the worker hangs
 * or dies: whether a run is in progress, since when, its campaign run index, the step,
 * and the commands applied since reset (JSON lines).
 */
import type { Command } from "../model/commands.ts";
import type { Topology } from "../model/topology.ts";
import type { RunWatch } from "../properties/fault.ts";
import { parseCommands } from "../properties/language.ts";

const STOP = 0;
const IN_RUN = 1;
const RUN = 2;
const STEP = 3;
const LOG_LENGTH = 4;
const LOG_OVERFLOW = 5;
/** Byte offset of the Float64 run start time; the log follows the header. */
const STARTED_AT = 32;
const HEADER_BYTES = 64;
/** Enough for 10,000 commands (--max-commands' bound) of about 100 bytes of JSON each. */
const LOG_BYTES = 4 * 2 ** 20;

export function sharedWatchMemory(): SharedArrayBuffer {
  return new SharedArrayBuffer(HEADER_BYTES + LOG_BYTES);
}

/** The worker's side: the RunWatch that guarded implementations report to (fault.ts). */
export class WatchWriter implements RunWatch {
  private readonly header: Int32Array;
  private readonly startedAt: Float64Array;
  private readonly log: Uint8Array;
  private readonly encoder = new TextEncoder();

  constructor(
    memory: SharedArrayBuffer,
    /** Re-arm the budget at every command (the explorer has no runs), not only at reset. */
    private readonly perCommand = false,
  ) {
    this.header = new Int32Array(memory, 0, 8);
    this.startedAt = new Float64Array(memory, STARTED_AT, 1);
    this.log = new Uint8Array(memory, HEADER_BYTES);
  }

  get stopRequested(): boolean {
    return Atomics.load(this.header, STOP) === 1;
  }

  /** A campaign run begins (its implementation is created next): timed from here. */
  setRun(run: number): void {
    Atomics.store(this.header, RUN, run);
    this.runStarted();
  }

  runStarted(): void {
    Atomics.store(this.header, LOG_LENGTH, 0);
    Atomics.store(this.header, LOG_OVERFLOW, 0);
    Atomics.store(this.header, STEP, -1);
    this.startedAt[0] = Date.now();
    Atomics.store(this.header, IN_RUN, 1);
  }

  commandStarted(command: Command, step: number): void {
    const at = Atomics.load(this.header, LOG_LENGTH);
    const room = this.log.subarray(at);
    const line = `${JSON.stringify(command)}\n`;
    const { written, read } = this.encoder.encodeInto(line, room);
    if (read < line.length) Atomics.store(this.header, LOG_OVERFLOW, 1);
    else Atomics.store(this.header, LOG_LENGTH, at + written);
    Atomics.store(this.header, STEP, step);
    if (this.perCommand) this.startedAt[0] = Date.now();
  }

  idle(): void {
    Atomics.store(this.header, IN_RUN, 0);
  }
}

/** What the worker was running, as the parent reads it. */
export interface WatchSnapshot {
  /** The campaign's global run index, or -1. */
  readonly run: number;
  /** The commands since reset, the current one last; null if the log overflowed. */
  readonly commands: readonly unknown[] | null;
}

/** The parent's side. */
export class WatchReader {
  private readonly header: Int32Array;
  private readonly startedAt: Float64Array;
  private readonly log: Uint8Array;

  constructor(readonly memory: SharedArrayBuffer) {
    this.header = new Int32Array(memory, 0, 8);
    this.startedAt = new Float64Array(memory, STARTED_AT, 1);
    this.log = new Uint8Array(memory, HEADER_BYTES);
    Atomics.store(this.header, RUN, -1);
  }

  requestStop(): void {
    Atomics.store(this.header, STOP, 1);
  }

  runningForMs(now = Date.now()): number {
    return Atomics.load(this.header, IN_RUN) === 1 ? now - (this.startedAt[0] ?? now) : 0;
  }

  snapshot(): WatchSnapshot {
    const length = Atomics.load(this.header, LOG_LENGTH);
    const overflow = Atomics.load(this.header, LOG_OVERFLOW) === 1;
    const text = new TextDecoder().decode(this.log.slice(0, length));
    return {
      run: Atomics.load(this.header, RUN),
      commands: overflow ? null : text.split("\n").flatMap((l) => (l === "" ? [] : [JSON.parse(l) as unknown])),
    };
  }
}

/** The logged commands, validated like any other input (the log is written by the untrusted thread's memory). */
export function loggedCommands(snapshot: WatchSnapshot, topology: Topology): Command[] | null {
  if (snapshot.commands === null || snapshot.commands.length === 0) return null;
  const r = parseCommands(snapshot.commands, topology, "$");
  return r.ok ? r.value : null;
}
