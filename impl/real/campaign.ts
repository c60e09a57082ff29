/**
 * Agreement campaign against real QEMU: draw sequences from a generator profile by seed
 * (properties/campaign.ts runGenerator and runSeed, so run r is the same sequence as in
 * `irqcheck fuzz`), keep those the guest can run, run them in real QEMU, many per boot,
 * and compare each, step by step, with a TypeScript implementation and with the reference.
 */
import type { Command } from "../../model/commands.ts";
import type { Topology } from "../../model/topology.ts";
import { type Agreement, compareRuns, runImplementation } from "../../properties/agreement.ts";
import { runGenerator, runSeed } from "../../properties/campaign.ts";
import { type CheckResult, checkResults } from "../../properties/checker.ts";
import type { ImplementationFactory, StepResult } from "../../properties/implementation.ts";
import type { Profile } from "../../properties/profiles/index.ts";
import { type MachineOptions, sequenceProblem } from "./encode.ts";
import { type RealQemuRun, runOnRealQemu } from "./qemu.ts";
import { type HostQuirk, hostQuirk } from "./quirks.ts";

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

export interface DrawnRun {
  /** Run index: the sequence is runGenerator(profile)(runSeed(seed, run)). */
  readonly run: number;
  readonly commands: readonly Command[];
  readonly iommu: boolean;
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
    const why = sequenceProblem(commands, topology, { irqchip, iommu });
    if (why === null) runs.push({ run, commands, iommu });
    else skipped.push({ run, why });
  }
  return { runs, skipped };
}

export interface RunOutcome extends DrawnRun {
  readonly real: readonly StepResult[];
  /** Real QEMU against the TypeScript implementation, stream against stream. */
  readonly agreement: Agreement;
  /** The host quirk that explains the disagreement exactly, if any. */
  readonly quirk: HostQuirk | null;
  /** Real QEMU against the reference under guest-visible (its nondeterminism included). */
  readonly reference: CheckResult;
}

export interface RealCampaign {
  readonly outcomes: readonly RunOutcome[];
  readonly skipped: Draw["skipped"];
  /** One real QEMU run per machine (without and with the IOMMU) that had sequences. */
  readonly machines: readonly RealQemuRun[];
}

export async function runRealCampaign(
  topology: Topology,
  draw: Draw,
  irqchip: MachineOptions["irqchip"],
  create: ImplementationFactory,
): Promise<RealCampaign> {
  const outcomes: RunOutcome[] = [];
  const machines: RealQemuRun[] = [];
  for (const iommu of [false, true]) {
    const batch = draw.runs.filter((r) => r.iommu === iommu);
    if (batch.length === 0) continue;
    const options = { irqchip, iommu };
    const real = await runOnRealQemu(
      topology,
      batch.map((r) => r.commands),
      options,
    );
    machines.push(real);
    batch.forEach((r, i) => {
      const results = real.results[i] ?? [];
      const agreement = compareRuns(topology, r.commands, runImplementation(topology, create(), r.commands), results);
      outcomes.push({
        ...r,
        real: results,
        agreement,
        quirk: agreement.agree ? null : hostQuirk(options, agreement),
        reference: checkResults(topology, r.commands, results, "guest-visible"),
      });
    });
  }
  outcomes.sort((a, b) => a.run - b.run);
  return { outcomes, skipped: draw.skipped, machines };
}
