import { QEMU_BASELINE } from "../strategy.ts";
import { variantFromStrategy } from "./variant.ts";

/**
 * The alternative the seed commit message rejects: keep the pre-fix order (update after
 * every write, after service) but refresh routes of masked RTEs too. A write that
 * changes the low word (vector, trigger) in the same write that unmasks is still
 * delivered through the old route (D2).
 */
export const routeMasked = variantFromStrategy({
  name: "route-masked",
  summary: "routes of masked RTEs refreshed too, still after service (the rejected alternative)",
  mirrors: "alternative discussed in the 54ad31fb0a commit message (qemu-devel, 2023-03-05)",
  strategy: {
    ...QEMU_BASELINE,
    ioapic: { ...QEMU_BASELINE.ioapic, routeUpdate: "end-of-every-mem-write", updateMaskedRoutes: true },
  },
});
