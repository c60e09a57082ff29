import type { Patch } from "../patch.ts";
import type { MsixVector } from "../qemu/msix-device.ts";
import { RouteCache } from "../qemu/route-cache.ts";

/** What the eager refresh needs of an IOAPIC that caches its routes. */
export interface RouteCacheOwner {
  readonly routeCache: RouteCache;
}

export function routeCacheOf(o: object): RouteCache {
  if (!("routeCache" in o) || !(o.routeCache instanceof RouteCache)) {
    throw new Error("this patch needs the cookie-keyed route cache applied first");
  }
  return o.routeCache;
}

/**
 * The proposed design (Woodhouse, qemu-devel 2023-03-09; semantics.md §5.5), as written:
 * KVM routes and irqfds are a cache keyed by an invalidation cookie, the IRTE index. An
 * IEC invalidation detaches exactly the covered entries; the next interrupt takes the
 * userspace slow path: translate now (recording a fault if the IRTE is invalid),
 * reinstall the route, re-attach the irqfd. Masking does not invalidate; a guest write
 * that changes the message behind an entry detaches it. This fixes D3 (no stale route
 * after an invalid IRTE) and D19 (no route for a message outside the interrupt window).
 */
export const cookieRouteCache: Patch = {
  name: "cookie-keyed route cache",
  mirrors: "Woodhouse's proposal, qemu-devel thread of 2023-03-09 (not merged)",
  ioapic: (Base) =>
    class extends Base implements RouteCacheOwner {
      readonly routeCache = new RouteCache(this.accel, this.iommu, this.rec);

      protected override ioapic_store_rte(pin: number, high: boolean, val: number): void {
        super.ioapic_store_rte(pin, high, val);
        this.routeCache.sourceChanged(pin, this.message(pin));
      }

      /** No whole-table refresh: each GSI's route is the cache entry's. */
      override ioapic_update_kvm_routes(): void {}

      protected override ioapic_iec_notifier(global: boolean, index: number, mask: number): void {
        this.routeCache.invalidate(global, index, mask);
      }

      protected override ioapic_inject(pin: number): void {
        if (this.routeCache.ensure(pin, this.message(pin), null)) super.ioapic_inject(pin);
      }

      override digest(): string {
        return super.digest() + this.routeCache.digest();
      }

      override describe(): string[] {
        return this.routeCache.describe();
      }
    },
  msix: (Base) =>
    class extends Base {
      /** Entries keyed by the vector's eventfd number, which doubles as its GSI. */
      readonly routeCache = new RouteCache(this.accel, this.iommu, this.rec, (gsi) => this.detached(gsi));

      /** No routes up front: they are built on the first interrupt. */
      override realize(): void {
        this.iommu.addIecNotifier((global, index, mask) => this.routeCache.invalidate(global, index, mask));
      }

      protected override msix_vector_unmask(v: MsixVector): void {
        const msg = this.message(v);
        this.routeCache.sourceChanged(v.fd, msg);
        if (this.routeCache.isValid(v.fd, msg)) this.assignIrqfd(v, v.fd);
      }

      /** The slow path: translate now (faulting), install, attach, inject through the irqfd. */
      protected override msix_notify(v: MsixVector): void {
        if (!this.routeCache.ensure(v.fd, this.message(v), this.device.requesterId)) return;
        this.assignIrqfd(v, v.fd);
        this.accel.event_notifier_set(v.fd);
      }

      private detached(gsi: number): void {
        const v = this.vectors.find((x) => x.fd === gsi);
        if (v !== undefined) this.deassignIrqfd(v);
      }

      override digest(): string {
        return super.digest() + this.routeCache.digest();
      }

      override describe(): string[] {
        return this.routeCache.describe();
      }
    },
};
