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
import { kvmVectorHashing } from "../patches/kvm-vector-hashing.ts";
import { type Variant, withChange } from "../variants/index.ts";

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

/**
 * M4: a message to the xAPIC physical broadcast (destination 0xFF) with the redirection hint
 * (address bit 3) reached one vCPU in real KVM: a broadcast leaves
 * kvm_irq_delivery_to_apic_fast for kvm_irq_delivery_to_apic, which demotes lowest priority
 * to fixed there but keeps RH, so kvm_lowest_prio_delivery still holds and
 * kvm_vector_to_index picks one vCPU (the (vector mod n)-th). The models deliver it to every
 * vCPU (semantics.md §5.3: "physical broadcast with lowest priority is demoted to fixed").
 * SDM vol. 3 §10.11.1 forbids RH = 1 with physical destination 0xFF: undefined either way.
 */
export const LOWEST_PRIORITY_BROADCAST: ModelError = {
  id: "M4",
  summary:
    "message to physical broadcast 0xFF with RH = 1: real KVM delivers to one vCPU (vector hashing), the models to all",
};

/**
 * M5 (a KVM bug the variants do not describe): a lowest-priority (or RH) interrupt to a
 * logical destination, from an MSI or an IOAPIC pin, remapped or not.
 * kvm_apic_map_get_dest_lapic hashes the vector over the set bits of the destination mask
 * (kvm_vector_to_index), APICs that do not exist included, so it may pick another vCPU than
 * the variants' hash over the vCPUs that exist, and when the pick has no APIC
 * (kvm_apic_disabled_lapic_found) the interrupt goes nowhere. SDM vol. 3 §10.6.2.4 delivers
 * it to one processor of the set (with RH = 1, §10.11.1 requires the mask to name present
 * processors only); the variants do.
 */
export const LOWEST_PRIORITY_ABSENT_PICK: ModelError = {
  id: "M5",
  summary:
    "lowest-priority interrupt to a logical set: KVM's vector hashing counts mask bits with no APIC, picking another vCPU or none; the variant picks among the vCPUs",
};

export interface RunContext {
  readonly topology: Topology;
  readonly commands: readonly Command[];
  /** Real QEMU's results, step by step. */
  readonly real: readonly StepResult[];
  /** The implementation the real run is compared with. */
  readonly create: ImplementationFactory;
  /** The same as a variant, when it is one: M4 and M5 replay it over KVM's exact pick. */
  readonly variant?: Variant;
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

/**
 * M4 / M5: the variant over KVM's exact lowest-priority pick (impl/patches/kvm-vector-hashing.ts)
 * ends the step where real QEMU did, whatever carried the interrupt (an MSI-X vector, an
 * IOAPIC pin, either through an IRTE). M4 when the variant delivered the vector to several
 * vCPUs (the RH = 1 broadcast), M5 otherwise.
 */
function kvmLowestPriorityPick(ctx: RunContext, d: Disagreement): ModelError | null {
  const exact = ctx.variant === undefined ? null : withChange(ctx.variant, { add: kvmVectorHashing });
  if (exact === null || !readsAgree(d)) return null;
  const after = runImplementation(ctx.topology, exact.create(), ctx.commands.slice(0, d.step + 1)).at(-1);
  if (after === undefined || !visibleEqual(after.visible, d.actual.visible)) return null;
  const apicsPerVector = new Map<number, number>();
  for (const o of d.expected.observations)
    if (o.kind === "deliver") apicsPerVector.set(o.vector, (apicsPerVector.get(o.vector) ?? 0) + 1);
  return [...apicsPerVector.values()].some((n) => n > 1) ? LOWEST_PRIORITY_BROADCAST : LOWEST_PRIORITY_ABSENT_PICK;
}

/** The known model error that explains a disagreement exactly, or null. */
export function modelError(ctx: RunContext, d: Disagreement): ModelError | null {
  if (lineReassert(ctx, d)) return LINE_REASSERT;
  if (eoiNotForwarded(ctx, d)) return EOI_WITHOUT_PENDING_CLAUSE;
  return kvmLowestPriorityPick(ctx, d);
}
