import { QEMU_BASELINE } from "../strategy.ts";
import { variantFromStrategy } from "./variant.ts";

/**
 * The seed patch: on an RTE write, `ioapic_update_kvm_routes` runs right before
 * `ioapic_service`, and no longer after other writes. IR faults are still never recorded.
 */
export const qemu80 = variantFromStrategy({
  name: "qemu-8.0",
  summary: "routes refreshed right before service on an RTE write (the seed fix)",
  mirrors: '54ad31fb0a "hw/intc/ioapic: Update KVM routes before redelivering IRQ, on RTE update" (v8.0.0-rc1)',
  strategy: QEMU_BASELINE,
});
