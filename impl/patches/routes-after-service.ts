import type { Patch } from "../patch.ts";

/**
 * QEMU before 54ad31fb0a (7.2 and older): `ioapic_mem_write` refreshes the KVM routes at
 * the end of every write, so after any `ioapic_service` the write triggered; the
 * IOREDTBL branch services without refreshing first. An unmask of a pending level pin is
 * injected through the route of the last unmasked state (the seed bug, semantics.md D1).
 */
export const routesAfterService: Patch = {
  name: "routes refreshed after service",
  mirrors: "hw/intc/ioapic.c before 54ad31fb0a (v7.2.x)",
  ioapic: (Base) =>
    class extends Base {
      override ioapic_mem_write(addr: number, val: number): void {
        super.ioapic_mem_write(addr, val);
        this.ioapic_update_kvm_routes();
      }

      protected override ioapic_mem_write_rte(pin: number, high: boolean, val: number): void {
        this.ioapic_store_rte(pin, high, val);
        this.ioapic_service();
      }
    },
};
