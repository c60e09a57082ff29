import { compatFormatVtd } from "../patches/compat-format-vtd.ts";
import { cookieRouteCache } from "../patches/cookie-route-cache.ts";
import { cookieRouteCacheIntx } from "../patches/cookie-route-cache-intx.ts";
import { ireIecNotify } from "../patches/ire-iec-notify.ts";
import { latchedInputs } from "../patches/latched-inputs.ts";
import { svtBusRangeVtd } from "../patches/svt-bus-range-vtd.ts";
import { qemu82 } from "./qemu-8.2.ts";
import { extendVariant } from "./variant.ts";

/**
 * The proposal taken literally: qemu-8.2 with KVM routes and irqfds as a cookie-keyed
 * cache, for the IOAPIC's GSI routes too, plus the emulation fixes a translate-at-delivery
 * guarantee needs (each a separate finding in the manifest: D10a, D10b, D11, D2e/D18). An
 * RTE write only detaches the pin's route, rebuilt at its next interrupt; irqcheck found
 * the hole that leaves (D20, fixed in irqfd-cache). An assigned device's INTx irqfd is
 * owned by the cache too (bound while the pin is unmasked and its route attached).
 */
export const irqfdCacheLazy = extendVariant(
  qemu82,
  {
    name: "irqfd-cache-lazy",
    summary: "irqfd-cache, but IOAPIC routes rebuilt only at the next interrupt (loses EOIs: D20)",
    mirrors: "Woodhouse's proposal applied to the IOAPIC's GSI routes as well (not merged)",
  },
  [ireIecNotify, compatFormatVtd, svtBusRangeVtd, latchedInputs, cookieRouteCache, cookieRouteCacheIntx],
);
