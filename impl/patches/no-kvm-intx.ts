import type { Patch } from "../patch.ts";

/**
 * Fix for D9r (and D9): no KVM acceleration for INTx, as `-device vfio-pci,x-no-kvm-intx=on`
 * gives. QEMU handles the trigger eventfd itself (`vfio_intx_interrupt` asserts the IOAPIC
 * input, `vfio_intx_eoi` deasserts it at the driver's next BAR access), so the IOAPIC
 * decides delivery, masking and Remote IRR as for any level input (semantics.md §1.6-1.9).
 */
export const noKvmIntx: Patch = {
  name: "INTx without irqfd (x-no-kvm-intx)",
  mirrors: "hw/vfio/pci.c vfio_intx_enable_kvm with vdev->no_kvm_intx set",
  intx: (Base) =>
    class extends Base {
      protected override vfio_intx_enable_kvm(): void {}
    },
};
