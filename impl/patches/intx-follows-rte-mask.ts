import type { Patch } from "../patch.ts";
import type { QemuIoapic } from "../qemu/ioapic.ts";
import type { VfioIntx } from "../qemu/vfio-intx.ts";

/** What an INTx irqfd user needs of the IOAPIC: may the pin's route carry it, and when to ask again. */
export interface IntxRouteOwner {
  intxRouteReady(pin: number): boolean;
  addIntxRouteNotifier(pin: number, notify: () => void): void;
}

function intxRouteOwnerOf(o: object): IntxRouteOwner {
  if (!("intxRouteReady" in o) || !("addIntxRouteNotifier" in o)) {
    throw new Error("this patch needs the IOAPIC's INTx route notifier applied first");
  }
  return o as IntxRouteOwner;
}

/**
 * The IOAPIC side: after it refreshes the KVM routes (an RTE write, before the pin is
 * serviced; an IEC invalidation) and after an EOI broadcast it tells each pin's INTx user,
 * which asks `intxRouteReady`: here, the RTE is unmasked.
 */
export const intxRouteNotifier = (Base: typeof QemuIoapic) =>
  class extends Base implements IntxRouteOwner {
    private readonly intxNotifiers = new Map<number, () => void>();

    addIntxRouteNotifier(pin: number, notify: () => void): void {
      this.intxNotifiers.set(pin, notify);
    }

    intxRouteReady(pin: number): boolean {
      return !this.masked(pin);
    }

    override ioapic_update_kvm_routes(): void {
      super.ioapic_update_kvm_routes();
      this.notifyIntx();
    }

    protected override ioapic_iec_notifier(global: boolean, index: number, mask: number): void {
      super.ioapic_iec_notifier(global, index, mask);
      this.notifyIntx();
    }

    override ioapic_eoi_broadcast(vector: number): void {
      super.ioapic_eoi_broadcast(vector);
      this.notifyIntx();
    }

    private notifyIntx(): void {
      for (const notify of this.intxNotifiers.values()) notify();
    }
  };

/** The INTx side: the irqfd is bound only while the IOAPIC says the route may carry it. */
export const intxIrqfdFollowsRoute = (Base: typeof VfioIntx) =>
  class extends Base {
    override vfio_intx_enable(): void {
      intxRouteOwnerOf(this.ioapic).addIntxRouteNotifier(this.pin, () => this.vfio_intx_route_changed());
      super.vfio_intx_enable();
    }

    /** The pin's RTE or route changed: bind the irqfd, or hand the eventfd back to QEMU's handler. */
    protected vfio_intx_route_changed(): void {
      if (this.irqfdAllowed()) this.vfio_intx_enable_kvm();
      else this.vfio_intx_disable_kvm();
    }

    protected irqfdAllowed(): boolean {
      return intxRouteOwnerOf(this.ioapic).intxRouteReady(this.pin);
    }

    protected override vfio_intx_enable_kvm(): void {
      if (this.irqfdAllowed()) super.vfio_intx_enable_kvm();
    }
  };

/**
 * Fix for D9: while the pin's RTE is masked the INTx is not bound as an irqfd, so an
 * assertion reaches the IOAPIC through QEMU's handler and stays latched in `irr` until
 * the unmask (semantics.md §1.6, D9). The IOAPIC tells the device when it refreshes the
 * routes, so the irqfd is bound again after the unmasking write refreshed the pin's route
 * and before the pin is serviced. No QEMU has it; it is the mask half of the seed
 * thread's helper (impl/patches/cookie-route-cache-intx.ts) on released QEMU.
 */
export const intxFollowsRteMask: Patch = {
  name: "INTx irqfd detached while the RTE is masked",
  mirrors: "the seed thread's INTx helper (qemu-devel, 2023-03), mask half only; not in QEMU",
  ioapic: intxRouteNotifier,
  intx: intxIrqfdFollowsRoute,
};
