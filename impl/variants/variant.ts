/**
 * A named implementation variant: what it changes and which real code or proposal it
 * mirrors. A variant built from patches keeps its lineage (the variant it extends and its
 * own patches), so a fix can be applied to it or a change reverted when a finding is
 * triaged; a variant with its own `create` (a user's factory, an external program) has none.
 */
import type { ImplementationFactory } from "../../properties/implementation.ts";
import { machineImplementation } from "../machine.ts";
import { applyPatches, type Patch } from "../patch.ts";

export interface Variant {
  readonly name: string;
  /** One line: what this variant is. */
  readonly summary: string;
  /** The real code, commit or mailing-list proposal it mirrors. */
  readonly mirrors: string;
  readonly create: ImplementationFactory;
  readonly lineage?: Lineage;
}

export interface Lineage {
  /** The variant this one extends; null for the root (QEMU as released, see impl/qemu/). */
  readonly base: Variant | null;
  /** Its own changes, applied in order on top of the base's. */
  readonly patches: readonly Patch[];
  /** A built-in variant (a fix is applied after its patches) or a user's (before them). */
  readonly builtin: boolean;
}

/** Every patch of a variant's lineage, root first. */
export function patchChain(v: Variant): readonly Patch[] {
  if (v.lineage === undefined) return [];
  return [...(v.lineage.base === null ? [] : patchChain(v.lineage.base)), ...v.lineage.patches];
}

export interface VariantInfo {
  readonly name: string;
  readonly summary: string;
  readonly mirrors: string;
}

/** A variant from its lineage: the components are built once, each run gets a fresh machine. */
export function variantOf(info: VariantInfo, lineage: Lineage): Variant {
  const components = applyPatches([...(lineage.base === null ? [] : patchChain(lineage.base)), ...lineage.patches]);
  return { ...info, lineage, create: () => machineImplementation(info.name, components) };
}

/** `base` with `patches` on top. */
export function extendVariant(base: Variant, info: VariantInfo, patches: readonly Patch[], builtin = true): Variant {
  return variantOf(info, { base, patches, builtin });
}

/**
 * A change to try on a variant: add a patch (a fix), or revert one of its lineage's
 * (a change that introduced a divergence, e.g. the revert of 54ad31fb0a in qemu-7.2).
 */
export type Change = { readonly add: Patch } | { readonly revert: Patch };

/**
 * `v` with `change` applied, or null if it cannot apply: `v` has no lineage, or the patch
 * to revert is not in it. A fix goes after the built-in part of the lineage and before a
 * user's own patches, so it never hides what the user changed.
 */
export function withChange(v: Variant, change: Change): Variant | null {
  const l = v.lineage;
  if (l === undefined) return null;
  const info = { name: v.name, summary: v.summary, mirrors: v.mirrors };
  if (!l.builtin) {
    const base = l.base === null ? null : withChange(l.base, change);
    return base === null ? null : variantOf(info, { ...l, base });
  }
  if ("add" in change) return variantOf(info, { ...l, patches: [...l.patches, change.add] });
  if (l.patches.includes(change.revert)) {
    return variantOf(info, { ...l, patches: l.patches.filter((p) => p !== change.revert) });
  }
  const base = l.base === null ? null : withChange(l.base, change);
  return base === null ? null : variantOf(info, { ...l, base });
}
