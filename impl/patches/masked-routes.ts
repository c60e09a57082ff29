import { IOAPIC_NUM_PINS } from "../../model/topology.ts";
import type { Patch } from "../patch.ts";

/**
 * The alternative the 54ad31fb0a commit message rejects: `ioapic_update_kvm_routes`
 * refreshes masked pins' routes too. With routes still refreshed after service, a write
 * that changes the vector in the same write that unmasks is still injected through the
 * old route (semantics.md D2).
 */
export const maskedRoutes: Patch = {
  name: "masked pins' routes refreshed too",
  mirrors: "alternative discussed in the 54ad31fb0a commit message (qemu-devel, 2023-03-05)",
  ioapic: (Base) =>
    class extends Base {
      override ioapic_update_kvm_routes(): void {
        for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++)
          this.accel.kvm_irqchip_update_msi_route(pin, this.message(pin), null);
        this.accel.kvm_irqchip_commit_routes();
      }
    },
};
