import type { Patch } from "../patch.ts";

/**
 * Fix for D10a: a change of GCMD.IRE or CFI sends a global IEC notify, as SIRTP does, so
 * routes built in the other remapping mode are re-translated (semantics.md §4.1, D10a).
 */
export const ireIecNotify: Patch = {
  name: "IEC notify on IRE/CFI changes",
  mirrors: "proposed change to vtd_handle_gcmd_ire (not upstream)",
  iommu: (Base) =>
    class extends Base {
      override vtd_handle_gcmd_ire(ire: boolean, cfi: boolean): void {
        const changed = ire !== this.intrEnabled || cfi !== this.cfi;
        super.vtd_handle_gcmd_ire(ire, cfi);
        if (changed) this.x86_iommu_iec_notify_all(true, 0, 0);
      }
    },
};
