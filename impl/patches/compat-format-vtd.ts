import { FaultReason } from "../../model/interrupt-remapping.ts";
import type { Patch } from "../patch.ts";
import type { Msi, RemapOutcome } from "../qemu/intel-iommu.ts";

/**
 * Fix for D10b: a compatibility-format request while remapping is on passes through only
 * if GSTS.CFIS = 1 and EIME = 0; otherwise it is blocked with fault 0x25 (VT-d §5.1.2.1;
 * semantics.md §4.2 step 4, D10b).
 */
export const compatFormatVtd: Patch = {
  name: "compatibility format per VT-d",
  mirrors: "VT-d spec §5.1.2.1 (QEMU passes every compatibility-format request through)",
  iommu: (Base) =>
    class extends Base {
      protected override vtd_remap_compat_msi(origin: Msi, sid: number | null, doFault: boolean): RemapOutcome {
        if (this.cfi && !this.intrEime) return { ok: true, msi: origin, index: null };
        if (doFault) this.vtd_report_ir_fault(FaultReason.COMPAT_BLOCKED, 0, sid);
        return { ok: false, reason: FaultReason.COMPAT_BLOCKED, index: 0 };
      }
    },
};
