import type { Patch } from "../patch.ts";

/**
 * The thread's other question: why `kvm_set_irq` at all? `ioapic_service` writes the MSI
 * through the IOMMU now, as without split irqchip (`stl_le_phys` to the interrupt window:
 * translated and faulted at delivery, then KVM_SIGNAL_MSI after the ext-dest swizzle).
 * The GSI 0..23 routes are still maintained: KVM derives its EOI-exit bitmap from them.
 */
export const ioapicMsiWrite: Patch = {
  name: "IOAPIC interrupts as MSI writes",
  mirrors: "question in the 54ad31fb0a commit message; Woodhouse's ext-dest-ID reply (qemu-devel, 2023-03)",
  ioapic: (Base) =>
    class extends Base {
      protected override ioapic_inject(pin: number): void {
        this.rec.event(`ioapic_service msi pin=${pin}`);
        this.iommu.vtd_mem_ir_write(this.message(pin), null, (m) => this.accel.kvm_send_msi(m));
      }
    },
};
