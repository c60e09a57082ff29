import type { Patch } from "../patch.ts";
import { routeCacheOf } from "./cookie-route-cache.ts";
import { intxIrqfdFollowsRoute, intxRouteNotifier } from "./intx-follows-rte-mask.ts";

/**
 * The seed thread's INTx helper on the cookie-keyed route cache: one helper per device owns
 * the irqfd and the resamplefd and binds them only while the pin's RTE is unmasked and its
 * cached route is attached. An RTE write that masks the pin or changes its message, or an
 * IEC invalidation of the route's cookie, detaches the irqfd: the eventfd goes to QEMU's
 * handler and the IOAPIC decides (latch while masked, translate now, fault). The irqfd is
 * bound again once the route is rebuilt and an interrupt the slow path delivered is over:
 * the device was serviced (`vfio_intx_eoi`, at the driver's BAR access) and the guest
 * EOIed it (Remote IRR clear); binding earlier lets the next assertion in through KVM
 * while the IOAPIC still holds the pin in service. What it cannot give: an interrupt KVM
 * injects through the irqfd never sets Remote IRR (D9r).
 */
export const cookieRouteCacheIntx: Patch = {
  name: "INTx irqfd owned by the route cache",
  mirrors: "Woodhouse's proposal, qemu-devel thread of 2023-03-09, its INTx/resamplefd part (not merged)",
  ioapic: (Base) =>
    class extends intxRouteNotifier(Base) {
      override intxRouteReady(pin: number): boolean {
        return super.intxRouteReady(pin) && !this.remoteIrr(pin) && routeCacheOf(this).isValid(pin, this.message(pin));
      }
    },
  intx: (Base) =>
    class extends intxIrqfdFollowsRoute(Base) {
      protected override irqfdAllowed(): boolean {
        return super.irqfdAllowed() && !this.pending;
      }

      protected override vfio_intx_eoi(): void {
        super.vfio_intx_eoi();
        this.vfio_intx_route_changed();
      }
    },
};
