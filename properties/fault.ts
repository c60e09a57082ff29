/**
 * The implementation under test is untrusted code: a user's `--impl` module, an
 * out-of-process implementation, a variant being rewritten. Whatever it does, the checker
 * must get a well-formed StepResult or a fault it can report as a finding of its own
 * kind. `guard` wraps an implementation so that a throw (any Error subclass, or anything
 * thrown; `process.exit` is made to throw in the worker that runs it) or a malformed
 * result becomes an ImplementationFault naming the commands applied since reset. A hang
 * cannot be caught in the thread that hangs: a `RunWatch` (installed by the worker that
 * runs implementations, cli/sandbox.ts) records each run's start and commands where the
 * thread that watches can read them.
 */
import type { Command } from "../model/commands.ts";
import type { Topology } from "../model/topology.ts";
import { isSealed } from "../model/visible.ts";
import type { Implementation, ImplementationFactory, StepResult } from "./implementation.ts";

export type FaultKind = "crashed" | "hung";

/** What a divergence caused by the implementation itself carries (checker.ts). */
export interface FaultInfo {
  readonly kind: FaultKind;
  /** The error text: the thrown error's name and message, or what is malformed. */
  readonly message: string;
  /** It failed creating or resetting the implementation, before the command of its step. */
  readonly atReset?: boolean;
}

export class ImplementationFault extends Error {
  override readonly name = "ImplementationFault";
  constructor(
    readonly fault: FaultInfo,
    /** Every command applied since reset, the faulting one last (empty: reset faulted). */
    readonly commands: readonly Command[],
  ) {
    super(`implementation ${fault.kind}: ${fault.message}`);
  }
}

/** Where a watched thread reports each run's start and each command, before running it. */
export interface RunWatch {
  runStarted(): void;
  commandStarted(command: Command, step: number): void;
  /** Between runs: nothing of the implementation is running. */
  idle(): void;
}

let watch: RunWatch | null = null;

/** Install (or remove) the watch for every guarded implementation of this thread. */
export function watchRuns(w: RunWatch | null): void {
  watch = w;
}

/** A checked run is over: the watch stops timing it. */
export function runFinished(): void {
  watch?.idle();
}

export function describeThrown(e: unknown): string {
  if (e instanceof Error) return `${e.name}: ${e.message}`.split("\n")[0] ?? e.name;
  try {
    return `threw ${JSON.stringify(e) ?? String(e)}`;
  } catch {
    return `threw ${String(e)}`;
  }
}

const isWords = (x: unknown, n?: number) =>
  Array.isArray(x) && (n === undefined || x.length === n) && x.every((w) => typeof w === "number");

/**
 * The shape the checker relies on, checked cheaply (no schema library on the hot path):
 * the arrays are there, with the topology's lengths, and every observation has a kind.
 * Returns what is wrong, or null.
 */
export function malformedStepResult(r: unknown, topology: Topology): string | null {
  if (typeof r !== "object" || r === null) return `step result is ${r === null ? "null" : typeof r}, not an object`;
  const { observations, visible, trace } = r as Partial<Record<keyof StepResult, unknown>>;
  if (!Array.isArray(observations)) return "step result has no observations array";
  for (const [i, o] of observations.entries()) {
    const wrong = malformedObservation(o);
    if (wrong !== null) return `observations[${i}] ${wrong}`;
  }
  if (!Array.isArray(trace) || trace.some((t) => typeof t !== "string"))
    return "step result has no trace array of strings";
  if (typeof visible !== "object" || visible === null) return "step result has no visible object";
  const v = visible as Record<string, unknown>;
  if (typeof v.ioapicId !== "number") return "visible.ioapicId is not a number";
  if (!isWords(v.rtes)) return "visible.rtes is not an array of numbers";
  if (typeof v.faultOverflow !== "boolean") return "visible.faultOverflow is not a boolean";
  if (!Array.isArray(v.faultRecords)) return "visible.faultRecords is not an array";
  if (!isWords(v.msiPending, topology.msiDevices.length))
    return `visible.msiPending is not an array of ${topology.msiDevices.length} numbers`;
  return wellFormedLapics(v.lapics, topology) ? null : malformedLapics(v.lapics, topology);
}

/**
 * Per topology, the last sealed LAPIC list (model/visible.ts) found well formed: frozen all
 * the way down, so it still is, and so is each LAPIC in it. An implementation that returns
 * it again, or a new list that shares LAPICs with it, is checked only for the LAPICs that
 * changed (the cost of a step stays flat in the vCPU count).
 */
const lastWellFormed = new WeakMap<Topology, readonly unknown[]>();

function wellFormedLapics(lapics: unknown, topology: Topology): boolean {
  return lastWellFormed.get(topology) === lapics;
}

function malformedLapics(lapics: unknown, topology: Topology): string | null {
  if (!Array.isArray(lapics) || lapics.length !== topology.cpus.length)
    return `visible.lapics is not an array of ${topology.cpus.length} (one per vCPU)`;
  const last = lastWellFormed.get(topology);
  for (let i = 0; i < lapics.length; i++) {
    const x = lapics[i] as Record<string, unknown> | null;
    if (x !== null && x === last?.[i]) continue;
    if (x === null || !isWords(x.irr, 8) || !isWords(x.isr, 8) || !isWords(x.tmr, 8))
      return `visible.lapics[${i}] needs irr, isr and tmr as 8 words each`;
  }
  if (isSealed(lapics)) lastWellFormed.set(topology, lapics);
  return null;
}

/**
 * The factory with its own faults caught: a constructor that throws gives an
 * implementation whose reset reports it, so it is a crash at the first command like any other.
 */
export function guardFactory(create: ImplementationFactory): ImplementationFactory {
  return () => {
    try {
      return create();
    } catch (e) {
      const message = `creating the implementation: ${describeThrown(e)}`;
      return {
        name: "(not created)",
        reset() {
          throw new ImplementationFault({ kind: "crashed", message }, []);
        },
        apply() {
          throw new ImplementationFault({ kind: "crashed", message }, []);
        },
        describe: () => [],
      };
    }
  };
}

const OBSERVATION_FIELDS: Readonly<Record<string, readonly string[]>> = {
  deliver: ["apicId", "vector"],
  fault: ["reason", "index", "sourceId"],
  read: ["reg", "value"],
};

/** An observation's kind and the whole numbers reports print of it (model/observations.ts). */
function malformedObservation(o: unknown): string | null {
  const x = (typeof o === "object" && o !== null ? o : {}) as Record<string, unknown>;
  const fields = typeof x.kind === "string" ? OBSERVATION_FIELDS[x.kind] : undefined;
  if (fields === undefined) return `has kind ${JSON.stringify(x.kind)}, expected deliver, fault or read`;
  for (const f of fields)
    if (!Number.isInteger(x[f]) || (x[f] as number) < 0)
      return `(${x.kind}) has ${f} ${JSON.stringify(x[f])}, expected a whole number`;
  if (x.kind === "deliver" && x.trigger !== "edge" && x.trigger !== "level")
    return `(deliver) has trigger ${JSON.stringify(x.trigger)}, expected edge or level`;
  if (x.kind === "deliver" && typeof x.mode !== "string") return "(deliver) has no delivery mode";
  return null;
}

const GUARDED = Symbol("guarded");

/** The implementation with every fault turned into an ImplementationFault (idempotent). */
export function guard(impl: Implementation): Implementation {
  if ((impl as { [GUARDED]?: true })[GUARDED] === true) return impl;
  let topology: Topology | null = null;
  let applied: Command[] = [];
  const fail = (message: string): never => {
    throw new ImplementationFault({ kind: "crashed", message }, applied);
  };
  const call = <T>(f: () => T): T => {
    try {
      return f();
    } catch (e) {
      if (e instanceof ImplementationFault) throw e;
      // A program over the exec protocol that stopped answering (protocol/fault.ts) hung.
      if (e instanceof Error && (e as { kind?: unknown }).kind === "hung")
        throw new ImplementationFault({ kind: "hung", message: e.message.split("\n")[0] ?? e.message }, applied);
      return fail(describeThrown(e));
    }
  };
  const guarded: Implementation & { [GUARDED]: true } = {
    [GUARDED]: true,
    get name() {
      return impl.name;
    },
    reset(t) {
      topology = t;
      applied = [];
      watch?.runStarted();
      call(() => impl.reset(t));
    },
    apply(command) {
      applied.push(command);
      watch?.commandStarted(command, applied.length - 1);
      const r = call(() => impl.apply(command));
      // Reading a hostile result can throw too (a getter, a proxy).
      const wrong = call(() => (topology === null ? "apply before reset" : malformedStepResult(r, topology)));
      if (wrong !== null) fail(`malformed step result: ${wrong}`);
      return r;
    },
    describe() {
      const lines = call(() => impl.describe());
      if (!Array.isArray(lines) || lines.some((l) => typeof l !== "string"))
        fail("malformed describe(): expected an array of strings");
      return lines;
    },
    ...(impl.digest === undefined ? {} : { digest: () => call(() => impl.digest?.() ?? "") }),
    ...(impl.coverage === undefined
      ? {}
      : {
          coverage: () => {
            const flags = call(() => impl.coverage?.() ?? 0);
            if (!Number.isInteger(flags) || flags < 0 || flags > 0x7fffffff)
              fail(`malformed coverage(): ${JSON.stringify(flags)}, expected a whole number below 2^31`);
            return flags;
          },
        }),
    ...(impl.prepare === undefined ? {} : { prepare: (commands) => call(() => impl.prepare?.(commands)) }),
  };
  return guarded;
}
