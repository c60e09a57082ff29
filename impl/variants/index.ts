/** The built-in variants, by name. */
import { irqfdCache } from "./irqfd-cache.ts";
import { irqfdCacheLazy } from "./irqfd-cache-lazy.ts";
import { msiDirect } from "./msi-direct.ts";
import { qemu72 } from "./qemu-7.2.ts";
import { qemu80 } from "./qemu-8.0.ts";
import { qemu82 } from "./qemu-8.2.ts";
import { routeMasked } from "./route-masked.ts";
import type { Variant } from "./variant.ts";

export type { Change, Lineage, Variant, VariantInfo } from "./variant.ts";
export { extendVariant, patchChain, withChange } from "./variant.ts";

export const VARIANTS: readonly Variant[] = [
  qemu72,
  qemu80,
  qemu82,
  routeMasked,
  msiDirect,
  irqfdCache,
  irqfdCacheLazy,
];

export function findVariant(name: string): Variant | undefined {
  return VARIANTS.find((v) => v.name === name);
}
