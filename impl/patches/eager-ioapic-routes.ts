import type { Patch } from "../patch.ts";
import { routeCacheOf } from "./cookie-route-cache.ts";

/**
 * Fix for D20, on top of the cookie cache: an unmasked pin's route is rebuilt when its RTE
 * is written (translated without recording a fault), as 54ad31fb0a does, instead of at the
 * pin's next interrupt. KVM computes the split-irqchip EOI-exit bitmap from the routes of
 * GSIs 0..23, so a route left holding the old vector keeps the EOI of the vector in
 * service from being forwarded (semantics.md §5.4).
 */
export const eagerIoapicRoutes: Patch = {
  name: "unmasked IOAPIC routes rebuilt on RTE write",
  mirrors: "irqcheck's fix to the proposal (D20), after 54ad31fb0a",
  ioapic: (Base) =>
    class extends Base {
      protected override ioapic_store_rte(pin: number, high: boolean, val: number): void {
        super.ioapic_store_rte(pin, high, val);
        if (!this.masked(pin)) routeCacheOf(this).refresh(pin, this.message(pin), null);
      }
    },
};
