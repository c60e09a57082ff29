import type { Patch } from "../patch.ts";

/**
 * QEMU before 8.2: a failed interrupt translation on the userspace path is traced and
 * the interrupt dropped, but nothing is written to the fault recording registers
 * (semantics.md §4.4: "QEMU 7.2 has none of this").
 */
export const noIrFaultRecording: Patch = {
  name: "no IR fault recording",
  mirrors: 'hw/i386/intel_iommu.c before "intel-iommu: Report interrupt remapping faults" (v8.2.0)',
  iommu: (Base) =>
    class extends Base {
      protected override vtd_report_ir_fault(reason: number, index: number, sid: number | null): void {
        this.traceIrFault(reason, index, sid);
      }
    },
};
