/**
 * Idea: on an RTE write, refresh only the written pin's KVM route before `ioapic_service`,
 * instead of every unmasked pin's (54ad31fb0a refreshes them all). Expected: the same
 * verdicts as qemu-8.0; every finding inherited.
 *
 *   irqcheck fuzz --impl examples/refresh-written-pin.ts --runs 20000 --seed 1
 */
import type { VariantDefinition } from "../impl/index.ts";

export default {
  name: "refresh-written-pin",
  extends: "qemu-8.0",
  summary: "an RTE write refreshes only that pin's KVM route before ioapic_service",
  ioapic: (Base) =>
    class extends Base {
      protected override ioapic_mem_write_rte(pin: number, high: boolean, val: number): void {
        this.ioapic_store_rte(pin, high, val);
        if (!this.masked(pin)) this.accel.kvm_irqchip_update_msi_route(pin, this.message(pin), null);
        this.accel.kvm_irqchip_commit_routes();
        this.ioapic_service();
      }
    },
} satisfies VariantDefinition;
