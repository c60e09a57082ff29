/**
 * Quirks of the host KVM seen from the real guest, recognised so that a campaign can tell
 * them from model or guest bugs. Evidence and minimal sequences: guest/README.md.
 */
import { type GuestVisible, visibleEqual } from "../../model/visible.ts";
import type { Disagreement } from "../../properties/agreement.ts";
import type { MachineOptions } from "./encode.ts";

export interface HostQuirk {
  readonly id: string;
  readonly summary: string;
}

/**
 * Q1 (kvm_pvm, kernel-irqchip=split): the vCPU takes the interrupt through its IDT and the
 * LAPIC clears the IRR bit, but never sets ISR nor raises PPR, even as read inside the
 * handler; the later LAPIC EOI then finds no ISR bit and is not forwarded to the IOAPIC
 * (Remote IRR stays set) and a level vector comes back into IRR. kernel-irqchip=off on the
 * same host sets ISR as SDM vol. 3 §10.8.4 says, so this is the host's in-kernel LAPIC.
 */
export const ACCEPT_WITHOUT_ISR: HostQuirk = {
  id: "Q1",
  summary: "host KVM (kvm_pvm, split irqchip): cpu.accept took the vector but the LAPIC did not set ISR",
};

/** The vector the guest printed as taken by this step's cpu.accept (`A <cpu> <vector>`). */
function takenVector(trace: readonly string[]): { cpu: number; vector: number } | null {
  const m = trace.map((l) => /^A ([0-9a-f]+) ([0-9a-f]+)$/.exec(l)).find((x) => x !== null);
  return m ? { cpu: Number.parseInt(m[1] ?? "", 16), vector: Number.parseInt(m[2] ?? "", 16) } : null;
}

/**
 * The LAPIC as the SDM says it is after the accept: the vector in ISR and, for a level
 * vector (TMR set), not back in IRR (Q1 returns it to IRR at the vCPU's next exit, which
 * may come before the guest's dump).
 */
function asAccepted(v: GuestVisible, cpu: number, vector: number): GuestVisible {
  const w = vector >>> 5;
  const bit = 1 << (vector & 31);
  return {
    ...v,
    lapics: v.lapics.map((l, i) => {
      if (i !== cpu) return l;
      const isr = l.isr.slice();
      isr[w] = ((isr[w] ?? 0) | bit) >>> 0;
      const irr = l.irr.slice();
      if (((l.tmr[w] ?? 0) & bit) !== 0) irr[w] = ((irr[w] ?? 0) & ~bit) >>> 0;
      return { ...l, isr, irr };
    }),
  };
}

/** The host quirk that explains a disagreement exactly, or null. */
export function hostQuirk(options: MachineOptions, d: Disagreement): HostQuirk | null {
  if (options.irqchip !== "split" || d.command.op !== "cpu.accept") return null;
  const taken = takenVector(d.actual.trace);
  if (taken === null || taken.cpu !== d.command.cpu) return null;
  const readsAgree = !d.diff.some((l) => l.startsWith("reads:"));
  return readsAgree && visibleEqual(d.expected.visible, asAccepted(d.actual.visible, taken.cpu, taken.vector))
    ? ACCEPT_WITHOUT_ISR
    : null;
}
