import type { Patch } from "../patch.ts";
import type { MsixVector } from "../qemu/msix-device.ts";

/**
 * Fix for D7: virtio-pci re-translates the route on every unmask instead of comparing
 * the untranslated message with its cached copy, so an IEC invalidation that
 * `kvm_update_msi_routes_all` skipped while the vector was masked is applied at the
 * unmask; a failed translation still leaves the vector to userspace (semantics.md §3.6, D7).
 */
export const virtioUnmaskUpdate: Patch = {
  name: "virtio-pci re-translates on unmask",
  mirrors: "proposed change to virtio_pci_one_vector_unmask (vfio-pci's behaviour)",
  msix: (Base) =>
    class extends Base {
      protected override virtio_pci_one_vector_unmask(v: MsixVector): void {
        if (v.gsi === null) return;
        const msg = this.message(v);
        const ok = this.accel.kvm_irqchip_update_msi_route(v.gsi, msg, this.device.requesterId) !== null;
        this.accel.kvm_irqchip_commit_routes();
        if (!ok) return;
        v.cachedMsg = msg;
        this.assignIrqfd(v, v.gsi);
      }
    },
};
