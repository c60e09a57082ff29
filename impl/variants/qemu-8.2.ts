import { variantOf } from "./variant.ts";

/**
 * QEMU as released from 8.2 through 10.0.2 over KVM, the root every other variant
 * patches: routes refreshed right before service on an RTE write (54ad31fb0a), IR faults
 * recorded on the userspace path only (`vtd_report_ir_fault`); KVM route pre-translation
 * never faults, and a failed re-translation keeps the old route. Debian's QEMU 10.0.2
 * agreed with it on 300 of 300 linux-profile runs on real KVM (real-qemu.md).
 */
export const qemu82 = variantOf(
  {
    name: "qemu-8.2",
    summary: "routes refreshed before service on an RTE write, IR faults recorded on the userspace path only",
    mirrors: '"intel-iommu: Report interrupt remapping faults, fix return value" (v8.2.0), as in QEMU 10.0.2',
  },
  { base: null, patches: [], builtin: true },
);
