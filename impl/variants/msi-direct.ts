import { QEMU_BASELINE } from "../strategy.ts";
import { variantFromStrategy } from "./variant.ts";

/**
 * The thread's other question: why `kvm_set_irq` at all? Here `ioapic_service` writes
 * the MSI through the IOMMU now, as without split irqchip (translated and faulted at
 * delivery, then KVM_SIGNAL_MSI after the ext-dest swizzle). Routes for GSIs 0..23 are
 * still maintained (as in qemu-8.0), because KVM derives its EOI-exit bitmap from them.
 * MSI-X devices keep their cached irqfd routes, with qemu-8.2's fault recording.
 */
export const msiDirect = variantFromStrategy({
  name: "msi-direct",
  summary: "IOAPIC interrupts sent as MSIs translated at delivery; MSI-X devices unchanged",
  mirrors: "question in the 54ad31fb0a commit message; Woodhouse's ext-dest-ID reply (qemu-devel, 2023-03)",
  strategy: {
    ...QEMU_BASELINE,
    ioapic: { ...QEMU_BASELINE.ioapic, delivery: "msi-write" },
    iommu: { ...QEMU_BASELINE.iommu, recordFaults: true },
  },
});
