/** The choices a variant makes: each field names the real code or proposal it mirrors. */
import type { KvmOptions } from "./kvm/kvm.ts";
import type { IntelIommuOptions } from "./qemu/intel-iommu.ts";
import type { IoapicStrategy } from "./qemu/ioapic.ts";

export interface Strategy {
  readonly ioapic: IoapicStrategy;
  readonly iommu: IntelIommuOptions;
  readonly kvm: KvmOptions;
  /** "qemu": routes per vector, refreshed by notifiers and unmask paths; "route-cache": the cookie cache. */
  readonly msix: "qemu" | "route-cache";
}

/** QEMU as released, before any of the changes the variants make. */
export const QEMU_BASELINE: Strategy = {
  ioapic: {
    routeUpdate: "before-service",
    updateMaskedRoutes: false,
    delivery: "kvm_set_irq",
    inputs: "qemu",
  },
  iommu: {
    recordFaults: false,
    compatFormat: "qemu-passthrough",
    busRange: "qemu-inverted",
    notifyOnControlChange: false,
  },
  kvm: { pendingEoiClause: true },
  msix: "qemu",
};
