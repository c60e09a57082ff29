/**
 * One-shot runs of the implementation under test (replay, import-trace, regress,
 * scenarios) in a sandbox worker, so a crash or a hang is reported as what it is: a
 * finding about the implementation, at a step, with its error text.
 */

import type { Triage } from "../impl/triage.ts";
import type { Command } from "../model/commands.ts";
import type { Topology } from "../model/topology.ts";
import type { CheckResult, Property } from "../properties/checker.ts";
import type { FaultKind } from "../properties/fault.ts";
import type { Replay } from "../properties/replay.ts";
import { formatCommand } from "../properties/report.ts";
import type { Classification, Signature } from "../properties/signature.ts";
import type { VariantSpec } from "./job.ts";
import { Sandbox } from "./sandbox.ts";
import type { GuardedReplay } from "./tasks.ts";

export interface ImplementationFailure {
  readonly kind: FaultKind;
  readonly message: string;
  /** The command it failed on (0-based). */
  readonly step: number;
}

export interface IsolatedReplay {
  /** The steps before a failure, or all of them. */
  readonly replay: Replay;
  readonly failure: ImplementationFailure | null;
}

export async function withSandbox<T>(runTimeoutMs: number, f: (s: Sandbox) => Promise<T>): Promise<T> {
  const sandbox = new Sandbox({ runTimeoutMs });
  try {
    return await f(sandbox);
  } finally {
    await sandbox.close();
  }
}

export async function isolatedReplay(
  sandbox: Sandbox,
  variant: VariantSpec,
  topology: Topology,
  commands: readonly Command[],
  property: Property,
): Promise<IsolatedReplay> {
  const run = (cs: readonly Command[]) =>
    sandbox.run<GuardedReplay>({ kind: "replay", variant, topology, commands: cs, property });
  const r = await run(commands);
  if (r.ok) return { replay: r.value.replay, failure: r.value.fault };
  // The worker hung or died: the commands it had started say where; replay the steps before.
  const step = Math.max(0, (r.fault.snapshot.commands?.length ?? 1) - 1);
  const before = await run(commands.slice(0, step));
  return {
    replay: before.ok ? before.value.replay : { steps: [], divergence: null },
    failure: { kind: r.fault.kind, message: r.fault.message, step },
  };
}

/** Does it diverge (or crash, or hang)? For regress. */
export async function isolatedCheck(
  sandbox: Sandbox,
  variant: VariantSpec,
  topology: Topology,
  commands: readonly Command[],
  property: Property,
): Promise<{ readonly diverged: boolean; readonly failure: string | null }> {
  const r = await sandbox.run<CheckResult>({ kind: "check", variant, topology, commands, property });
  if (!r.ok) return { diverged: true, failure: `implementation ${r.fault.kind}: ${r.fault.message}` };
  if (r.value.ok) return { diverged: false, failure: null };
  const fault = r.value.divergence.fault;
  return { diverged: true, failure: fault === undefined ? null : `implementation ${fault.kind}: ${fault.message}` };
}

/** The lines replay and import-trace print for a crash or hang at a step. */
export function failureLines(f: ImplementationFailure, command: Command | undefined): string[] {
  return [
    `>#${f.step} ${command === undefined ? "(reset)" : formatCommand(command)}`,
    `  IMPLEMENTATION ${f.kind.toUpperCase()} at step #${f.step}: ${f.message}`,
  ];
}

/**
 * The triage of a finding (impl/triage.ts), computed in the sandbox because it replays the
 * implementation; if the implementation hangs or dies meanwhile, the finding is news.
 */
export async function isolatedTriage(
  sandbox: Sandbox,
  variant: VariantSpec,
  finding: { readonly topology: Topology; readonly commands: readonly Command[]; readonly property: Property },
  signature: Signature,
  baseline: string | undefined,
): Promise<Classification> {
  const r = await sandbox.run<Triage>({
    kind: "triage",
    variant,
    signature,
    ...finding,
    ...(baseline === undefined ? {} : { baseline }),
  });
  return r.ok ? r.value : { status: "unexplained", known: [], baseline: baseline ?? null };
}
