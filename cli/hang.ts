/**
 * Shrinking a hang. A hang cannot be shrunk in the worker that hangs, so each candidate
 * runs in a sandbox with the same per-run budget: one that hangs costs the budget and a
 * fresh worker, one that finishes costs a run. Candidates keep the hanging command last
 * and drop chunks before it (halves down to single commands, as shrink.ts does first),
 * at most `maxHangs` hanging candidates and until `deadline`, then the best so far.
 */
import type { Command } from "../model/commands.ts";
import type { Topology } from "../model/topology.ts";
import type { CheckResult, Property } from "../properties/checker.ts";
import type { VariantSpec } from "./job.ts";
import { loggedCommands } from "./run-watch.ts";
import type { Sandbox } from "./sandbox.ts";

/** What starting a sandbox worker costs on a loaded 2-core machine (more where tsx compiles the sources). */
const WORKER_START_MS = 1500;

export interface HangShrink {
  readonly sandbox: Sandbox;
  readonly variant: VariantSpec;
  readonly topology: Topology;
  readonly property: Property;
  /** Stop trying at this time (epoch ms), or never. */
  readonly deadline?: number;
  readonly maxHangs: number;
}

export async function shrinkHang(h: HangShrink, commands: readonly Command[]): Promise<Command[]> {
  let best = [...commands];
  let hangsLeft = h.maxHangs;
  /** The commands up to the one that hung, if the candidate hangs. */
  const hangs = async (candidate: readonly Command[]): Promise<Command[] | null> => {
    const r = await h.sandbox.run<CheckResult>({
      kind: "check",
      variant: h.variant,
      topology: h.topology,
      commands: candidate,
      property: h.property,
    });
    if (r.ok || r.fault.kind !== "hung") return null;
    hangsLeft--;
    return loggedCommands(r.fault.snapshot, h.topology);
  };
  // A candidate may need a fresh worker and then hang for the whole budget: start one only
  // if that still ends by the deadline.
  const timeLeft = () =>
    hangsLeft > 0 && (h.deadline === undefined || Date.now() + WORKER_START_MS + h.sandbox.runTimeoutMs < h.deadline);
  for (let chunk = best.length >> 1; chunk >= 1 && timeLeft(); chunk >>= 1) {
    for (let start = best.length - 1 - chunk; start >= 0 && timeLeft(); start--) {
      const shorter = await hangs([...best.slice(0, start), ...best.slice(start + chunk)]);
      if (shorter !== null && shorter.length < best.length) {
        best = shorter;
        start = Math.min(start, best.length - 1 - chunk + 1);
      }
    }
  }
  return best;
}
