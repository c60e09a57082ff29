/**
 * Disagreements between a real QEMU + KVM and a TypeScript variant that are known errors of
 * the models (or of a kernel the variant does not describe), recognised exactly so that a
 * campaign reports them apart from news. Evidence, reproductions and the systems they were
 * seen on: impl/real/EVIDENCE.md. (M3, vectors 0x00-0x0F, is settled: the variants latch
 * them in IRR as KVM does, and the reference rejects them; known divergence D23.)
 */

import type { Command } from "../../model/commands.ts";
import { highestVector, setVector } from "../../model/lapic.ts";
import type { Topology } from "../../model/topology.ts";
import { type GuestVisible, visibleEqual } from "../../model/visible.ts";
import { type Disagreement, runImplementation } from "../../properties/agreement.ts";
import type { ImplementationFactory, StepResult } from "../../properties/implementation.ts";

export interface ModelError {
  readonly id: string;
  readonly summary: string;
}

/**
 * M1: real QEMU passes every pc-testdev write to `ioapic_set_irq` (hw/misc/pc-testdev.c
 * `test_irq_line_write`, no filtering), so a `line.set` to the level the line already has
 * (or the raise of a `line.pulse` on a high line) re-services the pin: an edge RTE sees a
 * new edge, a level RTE without Remote IRR is delivered again. The variants drop the raise.
 */
export const LINE_REASSERT: ModelError = {
  id: "M1",
  summary:
    "line.set 1 or line.pulse on a line already high: real QEMU re-services the pin (ioapic_set_irq), the variant ignores the raise",
};

/**
 * M2: the EOI of a level vector in service on a vCPU the RTE no longer targets reached only
 * the LAPIC (ISR cleared, Remote IRR kept): the kernel lacks the split-irqchip pending-EOI
 * clause of kvm_scan_ioapic_irq that the variants assume (semantics.md D8a).
 */
export const EOI_WITHOUT_PENDING_CLAUSE: ModelError = {
  id: "M2",
  summary:
    "cpu.eoi not forwarded to the IOAPIC (Remote IRR kept): this KVM has no pending-EOI clause, the variant assumes it",
};

export interface RunContext {
  readonly topology: Topology;
  readonly commands: readonly Command[];
  /** Real QEMU's results, step by step. */
  readonly real: readonly StepResult[];
  /** The variant the real run is compared with. */
  readonly create: ImplementationFactory;
}

const readsAgree = (d: Disagreement) => !d.diff.some((l) => l.startsWith("reads:"));

/** The level the line of `pin` has before `step` (lines start low; line.pulse ends low). */
function lineLevel(commands: readonly Command[], step: number, pin: number): number {
  let level = 0;
  for (const c of commands.slice(0, step)) {
    if ((c.op === "line.set" || c.op === "line.pulse") && c.pin === pin) level = c.op === "line.set" ? c.level : 0;
  }
  return level;
}

/**
 * M1: a `line.set 1` or a `line.pulse` (QEMU: 1 then 0) on a line that is already high; the
 * variant, given the line lowered first (a fresh 0 -> 1 edge), ends where real QEMU did.
 */
function lineReassert(ctx: RunContext, d: Disagreement): boolean {
  const c = d.command;
  const raises = (c.op === "line.set" && c.level === 1) || c.op === "line.pulse";
  if (!raises || lineLevel(ctx.commands, d.step, c.pin) !== 1) return false;
  const lower: Command = { op: "line.set", pin: c.pin, level: 0 };
  const edge: Command[] = [...ctx.commands.slice(0, d.step), lower, c];
  const after = runImplementation(ctx.topology, ctx.create(), edge).at(-1);
  return after !== undefined && readsAgree(d) && visibleEqual(after.visible, d.actual.visible);
}

/** M2: real QEMU's state is the previous step's with only the EOI'd ISR bit cleared, where the variant changed an RTE. */
function eoiNotForwarded(ctx: RunContext, d: Disagreement): boolean {
  const c = d.command;
  const before = ctx.real[d.step - 1]?.visible;
  if (c.op !== "cpu.eoi" || before === undefined) return false;
  const lapic = before.lapics[c.cpu];
  if (lapic === undefined) return false;
  const vector = highestVector(lapic.isr);
  if (vector < 0) return false;
  const isr = lapic.isr.slice();
  setVector(isr, vector, false);
  const onlyLapic: GuestVisible = {
    ...before,
    lapics: before.lapics.map((l, i) => (i === c.cpu ? { ...l, isr } : l)),
  };
  const variantForwarded = d.expected.visible.rtes.some((w, i) => w !== before.rtes[i]);
  return variantForwarded && readsAgree(d) && visibleEqual(onlyLapic, d.actual.visible);
}

/** The known model error that explains a disagreement exactly, or null. */
export function modelError(ctx: RunContext, d: Disagreement): ModelError | null {
  if (lineReassert(ctx, d)) return LINE_REASSERT;
  if (eoiNotForwarded(ctx, d)) return EOI_WITHOUT_PENDING_CLAUSE;
  return null;
}
