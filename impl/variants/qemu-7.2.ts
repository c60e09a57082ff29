import { QEMU_BASELINE } from "../strategy.ts";
import { variantFromStrategy } from "./variant.ts";

/**
 * QEMU 7.2 (Debian 12's 7.2.22): `ioapic_mem_write` calls `ioapic_update_kvm_routes` at
 * the end of every write, so after `ioapic_service`; masked pins are skipped. An unmask
 * of a pending level pin is delivered through the route of the last unmasked state
 * (the seed bug, D1). No IR fault recording.
 */
export const qemu72 = variantFromStrategy({
  name: "qemu-7.2",
  summary: "routes refreshed after every IOAPIC write, after service (the seed bug); no IR faults",
  mirrors: "hw/intc/ioapic.c before 54ad31fb0a (v7.2.x, Debian 1:7.2+dfsg-7+deb12u18)",
  strategy: { ...QEMU_BASELINE, ioapic: { ...QEMU_BASELINE.ioapic, routeUpdate: "end-of-every-mem-write" } },
});
