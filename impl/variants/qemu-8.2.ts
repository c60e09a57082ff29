import { QEMU_BASELINE } from "../strategy.ts";
import { variantFromStrategy } from "./variant.ts";

/**
 * qemu-8.0 plus `vtd_report_ir_fault`: faults are recorded when an interrupt is
 * translated on the userspace path (`vtd_mem_ir_write`, do_fault = true). KVM route
 * pre-translation still never faults, and a failed re-translation keeps the old route.
 */
export const qemu82 = variantFromStrategy({
  name: "qemu-8.2",
  summary: "qemu-8.0 plus IR fault recording on the userspace path only",
  mirrors: '"intel-iommu: Report interrupt remapping faults, fix return value" (mst PULL 2023-10-19, v8.2.0)',
  strategy: { ...QEMU_BASELINE, iommu: { ...QEMU_BASELINE.iommu, recordFaults: true } },
});
