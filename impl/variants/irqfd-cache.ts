import { QEMU_BASELINE, type Strategy } from "../strategy.ts";
import { variantFromStrategy } from "./variant.ts";

/**
 * The proposed design: KVM routes and irqfds as a cache keyed by an invalidation cookie
 * (the IRTE index). An IEC invalidation detaches exactly the covered entries; the next
 * interrupt takes the userspace slow path, translates now (recording a fault if the IRTE
 * is invalid), reinstalls the route and re-attaches. Masking does not invalidate. The
 * IOAPIC's GSI routes use the same cache, but an unmasked pin's route is rebuilt when its
 * RTE is written, as 54ad31fb0a does: KVM's EOI-exit bitmap is computed from those routes,
 * and a route left stale until the next interrupt loses EOIs (D20, see irqfd-cache-lazy).
 *
 * To pass the reference it also carries the emulation fixes irqcheck found needed for a
 * translate-at-delivery guarantee (each is a separate finding in the manifest): IRE/CFI
 * changes invalidate like SIRTP (D10a), compatibility-format requests follow CFI/EIME
 * (D10b), the SVT bus range is read as the spec says (D11), and IOAPIC input levels are
 * kept apart from the edge latch (D2e, D18).
 */
export const irqfdCacheStrategy: Strategy = {
  ioapic: { ...QEMU_BASELINE.ioapic, delivery: "route-cache", inputs: "latched", eagerRouteRefresh: true },
  iommu: { recordFaults: true, compatFormat: "vt-d", busRange: "vt-d", notifyOnControlChange: true },
  kvm: QEMU_BASELINE.kvm,
  msix: "route-cache",
};

export const irqfdCache = variantFromStrategy({
  name: "irqfd-cache",
  summary: "routes as a cookie-keyed cache, detached on IEC invalidation, rebuilt on a faulting slow path",
  mirrors: "Woodhouse's proposal, qemu-devel thread of 2023-03-09 (semantics.md §5.5); not merged",
  strategy: irqfdCacheStrategy,
});
