/**
 * The built-in variants, by name. Each runs over the KVM of Linux 6.12 (the root's); a
 * name with `@linux-6.1` runs it over Debian 12's KVM instead (the kernels differ in
 * the split-irqchip EOI forwarding clause: real-qemu.md, impl/real/EVIDENCE.md M2).
 */
import { linux61 } from "../patches/linux-6.1.ts";
import { irqfdCache } from "./irqfd-cache.ts";
import { irqfdCacheLazy } from "./irqfd-cache-lazy.ts";
import { msiDirect } from "./msi-direct.ts";
import { qemu72 } from "./qemu-7.2.ts";
import { qemu80 } from "./qemu-8.0.ts";
import { qemu82 } from "./qemu-8.2.ts";
import { routeMasked } from "./route-masked.ts";
import { extendVariant, type Variant } from "./variant.ts";

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

/** The kernels a variant can run over, after `@` in its name. */
export const KERNELS = ["linux-6.12", "linux-6.1"] as const;

export function findVariant(name: string): Variant | undefined {
  const [qemu, kernel] = name.split("@");
  const v = VARIANTS.find((x) => x.name === qemu);
  if (v === undefined || kernel === undefined || kernel === "linux-6.12") return v;
  if (kernel !== "linux-6.1") return undefined;
  return extendVariant(v, { name, summary: `${v.summary}; over Linux 6.1's KVM`, mirrors: `${v.mirrors}, Linux 6.1` }, [
    linux61,
  ]);
}
