import type { Patch } from "../patch.ts";
import type { Msi } from "../qemu/intel-iommu.ts";
import type { FixedUp } from "../qemu/kvm-accel.ts";

/**
 * Fix for D19: a message outside the interrupt window (0xFEExxxxx) is a memory write, not
 * an interrupt, so the route fixup refuses it and no irqfd route can carry it; the vector
 * stays on the userspace path, where the write goes to memory (semantics.md §5.2, §7.1).
 */
export const interruptWindowRoutes: Patch = {
  name: "no KVM route outside the interrupt window",
  mirrors: "proposed check in kvm_arch_fixup_msi_route (KVM decodes any address)",
  accel: (Base) =>
    class extends Base {
      override kvm_arch_fixup_msi_route(msi: Msi, sid: number | null): FixedUp | null {
        if (msi.addressHi === 0 && msi.addressLo >>> 20 === 0xfee) return super.kvm_arch_fixup_msi_route(msi, sid);
        this.rec.event(`kvm_x86_fixup_msi_error addr=0x${msi.addressLo.toString(16)} is not an interrupt`);
        return null;
      }
    },
};
