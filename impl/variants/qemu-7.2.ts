import { routesAfterService } from "../patches/routes-after-service.ts";
import { qemu80 } from "./qemu-8.0.ts";
import { extendVariant } from "./variant.ts";

/** QEMU 7.2 (Debian 12's 7.2.22): qemu-8.0 without 54ad31fb0a, so with the seed bug (D1). */
export const qemu72 = extendVariant(
  qemu80,
  {
    name: "qemu-7.2",
    summary: "routes refreshed after every IOAPIC write, after service (the seed bug); no IR faults",
    mirrors: "hw/intc/ioapic.c before 54ad31fb0a (v7.2.x, Debian 1:7.2+dfsg-7+deb12u18)",
  },
  [routesAfterService],
);
