/**
 * A user's variant module: a plain object naming the built-in variant it extends and the
 * functions it overrides. It needs no import from irqcheck (so a file anywhere on disk
 * loads as it is); `import type { VariantDefinition } from ".../impl/index.ts"` gives
 * editor help.
 *
 *   export default {
 *     name: "my-idea",
 *     extends: "qemu-8.0",
 *     ioapic: (Base) => class extends Base { override ioapic_update_kvm_routes() { ... } },
 *   } satisfies VariantDefinition;
 */
import type { Overrides } from "../patch.ts";
import { extendVariant, type Variant } from "./variant.ts";

export interface VariantDefinition extends Overrides {
  readonly name: string;
  /** The built-in variant it changes (`irqcheck variants` lists them). */
  readonly extends: string;
  readonly summary?: string;
  readonly mirrors?: string;
}

const COMPONENTS = ["kvm", "accel", "iommu", "ioapic", "msix", "intx"] as const;

/** What is wrong with a module's export as a definition, or null if it is one. */
export function definitionProblem(d: unknown, known: readonly string[]): string | null {
  if (typeof d !== "object" || d === null) return "expected an object";
  const r = d as Record<string, unknown>;
  if (typeof r.name !== "string" || r.name === "") return 'field "name": expected a non-empty string';
  if (typeof r.extends !== "string") return 'field "extends": expected the name of a built-in variant';
  if (!known.includes(r.extends)) return `field "extends": unknown variant "${r.extends}" (known: ${known.join(", ")})`;
  for (const k of Object.keys(r)) {
    if (["name", "extends", "summary", "mirrors"].includes(k)) continue;
    if (!(COMPONENTS as readonly string[]).includes(k)) {
      return `field "${k}": not a component (overridable: ${COMPONENTS.join(", ")})`;
    }
    if (typeof r[k] !== "function") return `field "${k}": expected a function (Base) => class extends Base {...}`;
  }
  return null;
}

/** The variant a definition describes, on top of `base`. */
export function variantFromDefinition(d: VariantDefinition, base: Variant, source: string): Variant {
  const { name, summary, mirrors, extends: _, ...overrides } = d;
  return extendVariant(
    base,
    { name, summary: summary ?? `${base.name} with ${name}'s changes`, mirrors: mirrors ?? source },
    [{ name, mirrors: mirrors ?? source, ...overrides }],
    false,
  );
}
