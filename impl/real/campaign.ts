/**
 * Agreement campaign against real QEMU: draw sequences from a generator profile by seed
 * (properties/campaign.ts runGenerator and runSeed, so run r is the same sequence as in
 * `irqcheck fuzz`), keep those the guest can run, run them in real QEMU, many per boot,
 * and compare each, step by step, with a TypeScript implementation and with the reference.
 */
import type { Command } from "../../model/commands.ts";
import type { Topology } from "../../model/topology.ts";
import { type Agreement, runImplementation } from "../../properties/agreement.ts";
import { runGenerator, runSeed } from "../../properties/campaign.ts";
import { type CheckResult, checkResults } from "../../properties/checker.ts";
import type { ImplementationFactory, StepResult } from "../../properties/implementation.ts";
import type { Profile } from "../../properties/profiles/index.ts";
import type { Variant } from "../variants/index.ts";
import { compareWithAbort, knownAbort } from "./aborts.ts";
import type { QemuAbort } from "./boots.ts";
import { asRealMachine, type MachineOptions, sequenceProblem } from "./encode.ts";
import { modelError } from "./model-errors.ts";
import { type RealJob, type RealQemuRun, type RealSystem, runJobs } from "./qemu.ts";
import { hostQuirk } from "./quirks.ts";

const IR_OPS: ReadonlySet<Command["op"]> = new Set([
  "irte.write",
  "iec.invalidate",
  "ir.table",
  "ir.control",
  "ir.fault-clear",
]);

/** A sequence with IR commands runs on the machine with -device intel-iommu,intremap=on. */
export function needsIommu(commands: readonly Command[]): boolean {
  return commands.some((c) => IR_OPS.has(c.op));
}

/** A sequence with MSI-X commands runs on the machine with the ivshmem-doorbell devices. */
export function needsMsix(commands: readonly Command[]): boolean {
  return commands.some((c) => c.op === "msi.program" || c.op === "msi.mask" || c.op === "msi.fire");
}

export interface DrawnRun {
  /** Run index: the sequence is runGenerator(profile)(runSeed(seed, run)). */
  readonly run: number;
  readonly commands: readonly Command[];
  readonly iommu: boolean;
  readonly msix: boolean;
}

export interface Draw {
  readonly runs: readonly DrawnRun[];
  /** Runs the guest cannot execute, with the first reason. */
  readonly skipped: readonly { readonly run: number; readonly why: string }[];
}

/** Runs 0, 1, … of a profile until `count` are runnable on the real machine (or 10 × count tried). */
export function drawRuns(
  profile: Profile,
  topology: Topology,
  seed: number,
  count: number,
  maxCommands: number,
  irqchip: MachineOptions["irqchip"],
  only?: number,
): Draw {
  const generate = runGenerator(profile, topology, maxCommands);
  const runs: DrawnRun[] = [];
  const skipped: { run: number; why: string }[] = [];
  const indices = only === undefined ? Array.from({ length: 10 * count }, (_, i) => i) : [only];
  for (const run of indices) {
    if (runs.length === count) break;
    const commands = generate(runSeed(seed, run));
    const iommu = needsIommu(commands);
    const msix = needsMsix(commands);
    const why = sequenceProblem(commands, topology, { irqchip, iommu, msix });
    if (why === null) runs.push({ run, commands, iommu, msix });
    else skipped.push({ run, why });
  }
  return { runs, skipped };
}

/** Why real QEMU and a variant disagree, when it is known: a host quirk, a model error, or QEMU dying (aborts.ts). */
export interface Explanation {
  readonly kind: "host-quirk" | "model-error" | "qemu-abort";
  readonly id: string;
  readonly summary: string;
}

/** The known cause of a disagreement (quirks.ts, model-errors.ts), or null: news. */
export function explain(
  system: RealSystem,
  options: MachineOptions,
  ctx: Parameters<typeof modelError>[0],
  agreement: Agreement,
): Explanation | null {
  if (agreement.agree) return null;
  const quirk = system.kvm.mode === "host" ? hostQuirk(options, agreement) : null;
  if (quirk !== null) return { kind: "host-quirk", ...quirk };
  const error = modelError(ctx, agreement);
  return error === null ? null : { kind: "model-error", ...error };
}

export interface RunOutcome extends DrawnRun {
  /** Real QEMU's steps (up to the abort, if QEMU died in this run). */
  readonly real: readonly StepResult[];
  readonly abort: QemuAbort | null;
  /** Real QEMU against the TypeScript implementation, stream against stream. */
  readonly agreement: Agreement;
  /** The host quirk or model error that explains the disagreement exactly, if any. */
  readonly explanation: Explanation | null;
  /** Real QEMU against the reference under guest-visible (its nondeterminism included). */
  readonly reference: CheckResult;
}

export interface RealCampaign {
  readonly outcomes: readonly RunOutcome[];
  readonly skipped: Draw["skipped"];
  /** The real QEMU runs, one per machine (without and with the IOMMU) that had sequences; shared by the campaigns of one runRealCampaigns call. */
  readonly machines: readonly RealQemuRun[];
}

/** One campaign of a batch: its draw and the variant it is compared with. */
export interface CampaignPlan {
  readonly draw: Draw;
  readonly create: ImplementationFactory;
  /** The variant `create` builds, when it is one (model-errors.ts replays it with a patch). */
  readonly variant?: Variant;
}

/**
 * Run campaigns on one real system, all in one go: one job per machine (without and with
 * the IOMMU) holding the runs of every campaign, so few inner boots and, with --kvm nested,
 * one outer boot.
 */
export async function runRealCampaigns(
  system: RealSystem,
  topology: Topology,
  plans: readonly CampaignPlan[],
  irqchip: MachineOptions["irqchip"],
): Promise<RealCampaign[]> {
  const batches = [false, true]
    .map((iommu) => {
      const runs = plans.flatMap((plan, p) =>
        plan.draw.runs.filter((r) => r.iommu === iommu).map((run) => ({ p, run })),
      );
      return { options: { irqchip, iommu, msix: runs.some((r) => r.run.msix) }, runs };
    })
    .filter((b) => b.runs.length > 0);
  const jobs: RealJob[] = batches.map((b) => ({
    topology,
    sequences: b.runs.map((r) => r.run.commands),
    options: b.options,
  }));
  const machines = await runJobs(system, jobs);
  const outcomes: RunOutcome[][] = plans.map(() => []);
  batches.forEach((b, j) => {
    b.runs.forEach(({ p, run: r }, i) => {
      const plan = plans[p];
      if (plan === undefined) return;
      const real = machines[j]?.results[i] ?? [];
      const abort = machines[j]?.aborts.find((a) => a.sequence === i);
      const create = plan.create;
      const expected = runImplementation(asRealMachine(topology), create(), r.commands);
      const agreement = compareWithAbort(topology, r.commands, expected, real, abort);
      const ctx = {
        topology: asRealMachine(topology),
        commands: r.commands,
        real,
        create,
        ...(plan.variant === undefined ? {} : { variant: plan.variant }),
      };
      const died = abort !== undefined && !agreement.agree && agreement.step === abort.step;
      const known = died ? knownAbort(abort, agreement.command) : null;
      outcomes[p]?.push({
        ...r,
        real,
        abort: abort ?? null,
        agreement,
        explanation: died ? known && { kind: "qemu-abort", ...known } : explain(system, b.options, ctx, agreement),
        reference: checkResults(topology, r.commands.slice(0, real.length), real, "guest-visible"),
      });
    });
  });
  return plans.map((plan, p) => ({
    outcomes: (outcomes[p] ?? []).sort((a, b) => a.run - b.run),
    skipped: plan.draw.skipped,
    machines,
  }));
}

/** One campaign on one real system. */
export async function runRealCampaign(
  system: RealSystem,
  topology: Topology,
  draw: Draw,
  irqchip: MachineOptions["irqchip"],
  compare: Pick<CampaignPlan, "create" | "variant">,
): Promise<RealCampaign> {
  const [campaign] = await runRealCampaigns(system, topology, [{ draw, ...compare }], irqchip);
  if (campaign === undefined) throw new Error("no campaign");
  return campaign;
}
