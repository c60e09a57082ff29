/**
 * Disagreements between a real QEMU + KVM and a TypeScript variant that are known errors of
 * the models (or of a kernel the variant does not describe), recognised exactly so that a
 * campaign reports them apart from news. Evidence, reproductions and the systems they were
 * seen on: impl/real/EVIDENCE.md. (M3, vectors 0x00-0x0F, is settled: the variants latch
 * them in IRR as KVM does, and the reference rejects them; known divergence D23.)
 */

import type { Command } from "../../model/commands.ts";
import { highestVector, setVector, testVector } from "../../model/lapic.ts";
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

/**
 * M4: an MSI-X message to the xAPIC physical broadcast (destination 0xFF) with lowest-priority
 * delivery or the redirection hint (address bit 3) reached one vCPU in real KVM: a broadcast
 * leaves kvm_irq_delivery_to_apic_fast for kvm_irq_delivery_to_apic, which treats it as
 * lowest priority (kvm_lowest_prio_delivery: delivery mode LowestPrio or RH) and picks one
 * vCPU of the destination set with kvm_vector_to_index (vector hashing: the (vector mod n)-th).
 * The models deliver it to every vCPU (semantics.md §5.3: "physical broadcast with lowest
 * priority is demoted to fixed"); lowest-priority arbitration (SDM vol. 3 §10.6.2.4) picks one.
 */
export const LOWEST_PRIORITY_BROADCAST: ModelError = {
  id: "M4",
  summary:
    "MSI to physical broadcast 0xFF with lowest priority or RH: real KVM delivers to one vCPU (vector hashing), the models to all",
};

/**
 * M5 (a KVM bug the variants do not describe): a lowest-priority (or RH) MSI in xAPIC flat
 * logical mode. kvm_apic_map_get_dest_lapic hashes the vector over the set bits of the
 * destination mask (kvm_vector_to_index), APICs that do not exist included, and when the
 * pick has no APIC (kvm_apic_disabled_lapic_found) the interrupt goes nowhere. SDM vol. 3
 * §10.6.2.4 delivers it to one processor of the set; the variants do.
 */
export const LOWEST_PRIORITY_ABSENT_PICK: ModelError = {
  id: "M5",
  summary:
    "lowest-priority MSI to a flat logical set: KVM's vector hashing picked a mask bit with no APIC and dropped it; the variant delivers",
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

/** The message an MSI-X entry holds before `step` (msi.program; entries start at 0 / 0). */
function msixMessage(commands: readonly Command[], step: number, dev: number, vec: number) {
  let msg = { address: 0, data: 0 };
  for (const c of commands.slice(0, step + 1))
    if (c.op === "msi.program" && c.dev === dev && c.vec === vec) msg = { address: c.address, data: c.data };
  return msg;
}

/**
 * The vCPU KVM's vector hashing (kvm_vector_to_index: the (vector mod n)-th of n candidates)
 * gives a lowest-priority compatibility-format MSI: physical broadcast (M4, the slow path
 * over every vCPU) or xAPIC flat logical (M5, over the mask's bits; -1 = a bit with no APIC).
 */
function kvmLowestPriorityPick(topology: Topology, address: number, data: number): { id: string; cpu: number } | null {
  const lowest = (address & 8) !== 0 || ((data >>> 8) & 7) === 1;
  if (!lowest || (address & 0x10) !== 0) return null;
  const dest = (address >>> 12) & 0xff;
  const vector = data & 0xff;
  if ((address & 4) === 0) return dest === 0xff ? { id: "M4", cpu: vector % topology.cpus.length } : null;
  if (topology.apicMode !== "xapic-flat") return null;
  const bits = [0, 1, 2, 3, 4, 5, 6, 7].filter((b) => (dest >>> b) & 1);
  const bit = bits[vector % Math.max(1, bits.length)];
  if (bit === undefined) return null;
  return { id: "M5", cpu: bit < topology.cpus.length ? bit : -1 };
}

/**
 * M4 / M5: an MSI-X step whose entry holds a lowest-priority message KVM hashes, where real
 * QEMU equals the variant with the vector taken back out of every vCPU but KVM's pick
 * (unless it was there before).
 */
function lowestPriorityPick(ctx: RunContext, d: Disagreement): ModelError | null {
  const c = d.command;
  const delivers = c.op === "msi.fire" || c.op === "msi.program" || (c.op === "msi.mask" && !c.masked);
  const before = ctx.real[d.step - 1]?.visible;
  if (!delivers || before === undefined) return null;
  const { address, data } = msixMessage(ctx.commands, d.step, c.dev, c.vec);
  const pick = kvmLowestPriorityPick(ctx.topology, address, data);
  if (pick === null) return null;
  const vector = data & 0xff;
  const chosen = pick.cpu;
  const level = ((data >>> 15) & 1) === 1;
  const oneCpu: GuestVisible = {
    ...d.expected.visible,
    lapics: d.expected.visible.lapics.map((l, i) => {
      const had = before.lapics[i];
      if (i === chosen || had === undefined) return l;
      const irr = l.irr.slice();
      const tmr = l.tmr.slice();
      if (!testVector(had.irr, vector)) setVector(irr, vector, false);
      if (level && !testVector(had.tmr, vector)) setVector(tmr, vector, false);
      return { ...l, irr, tmr };
    }),
  };
  if (!readsAgree(d) || !visibleEqual(oneCpu, d.actual.visible)) return null;
  return pick.id === "M4" ? LOWEST_PRIORITY_BROADCAST : LOWEST_PRIORITY_ABSENT_PICK;
}

/** The known model error that explains a disagreement exactly, or null. */
export function modelError(ctx: RunContext, d: Disagreement): ModelError | null {
  if (lineReassert(ctx, d)) return LINE_REASSERT;
  if (eoiNotForwarded(ctx, d)) return EOI_WITHOUT_PENDING_CLAUSE;
  return lowestPriorityPick(ctx, d);
}
