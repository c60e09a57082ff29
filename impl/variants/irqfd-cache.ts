import { eagerIoapicRoutes } from "../patches/eager-ioapic-routes.ts";
import { noKvmIntx } from "../patches/no-kvm-intx.ts";
import { irqfdCacheLazy } from "./irqfd-cache-lazy.ts";
import { extendVariant } from "./variant.ts";

/**
 * The proposed design with irqcheck's fix: routes as a cache keyed by the IRTE index,
 * detached on IEC invalidation and rebuilt on a faulting slow path, with an unmasked
 * IOAPIC pin's route rebuilt when its RTE is written (D20), and assigned devices' INTx
 * handled in userspace: an INTx injected from an irqfd never sets Remote IRR (D9r), which
 * no userspace helper can repair in split-irqchip mode.
 */
export const irqfdCache = extendVariant(
  irqfdCacheLazy,
  {
    name: "irqfd-cache",
    summary: "routes as a cookie-keyed cache, detached on IEC invalidation, rebuilt on a faulting slow path",
    mirrors: "Woodhouse's proposal, qemu-devel thread of 2023-03-09 (semantics.md §5.5); not merged",
  },
  [eagerIoapicRoutes, noKvmIntx],
);
