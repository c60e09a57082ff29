import { matchesDestination } from "../../model/lapic.ts";
import type { CompatInterrupt } from "../kvm/routing.ts";
import type { Patch } from "../patch.ts";

/**
 * Linux 6.1 (Debian 12's KVM): `kvm_scan_ioapic_irq` without the split-mode pending-EOI
 * clause, so a level vector in service on a vCPU the route no longer targets does not
 * exit on EOI (semantics.md D8a; real-qemu.md: Remote IRR stays set on 6.1, cleared on 6.12).
 */
export const linux61: Patch = {
  name: "Linux 6.1 KVM",
  mirrors: "arch/x86/kvm/irq_comm.c kvm_scan_ioapic_irq before the 6.6 split-irqchip EOI fix",
  kvm: (Base) =>
    class extends Base {
      protected override kvm_scan_ioapic_irq(cpu: number, irq: CompatInterrupt, bitmap: boolean[]): void {
        if (matchesDestination(this.topology, cpu, irq)) bitmap[irq.vector] = true;
      }
    },
};
