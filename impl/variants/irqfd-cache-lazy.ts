import { irqfdCacheStrategy } from "./irqfd-cache.ts";
import { variantFromStrategy } from "./variant.ts";

/**
 * The proposal taken literally for the IOAPIC too: an RTE write only detaches the pin's
 * cached route, which is rebuilt at the pin's next interrupt. irqcheck found the hole
 * (D20): KVM builds the EOI-exit bitmap from the routes of GSIs 0..23, so while the route
 * still holds the old vector, an EOI of the interrupt in service under the RTE's current
 * vector is not forwarded, Remote IRR stays set and the still-asserted line is never
 * re-delivered.
 */
export const irqfdCacheLazy = variantFromStrategy({
  name: "irqfd-cache-lazy",
  summary: "irqfd-cache, but IOAPIC routes rebuilt only at the next interrupt (loses EOIs: D20)",
  mirrors: "Woodhouse's proposal applied to the IOAPIC's GSI routes as well (not merged)",
  strategy: { ...irqfdCacheStrategy, ioapic: { ...irqfdCacheStrategy.ioapic, eagerRouteRefresh: false } },
});
