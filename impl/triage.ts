/**
 * Triage by replay, not by string. A finding (a command sequence that makes a variant
 * diverge) is:
 *   - inherited: the baseline variant diverges on it the same way (same property, op and
 *     kind of difference), or otherwise but a known divergence's fix explains it;
 *   - new: there is a baseline and it refines the reference on it (or diverges otherwise,
 *     unexplained);
 *   - known: no baseline, and the fix of a known divergence, applied to the variant,
 *     makes it pass (the manifest names each divergence's fix, impl/manifest.ts);
 *   - unexplained: no baseline, and no known fix removes it.
 * Inherited findings also say which known divergences explain them. A fix is only tried
 * where the finding's signature is one the divergence shows as, so a fix that rewrites a
 * whole path (the route cache) does not claim an unrelated bug on that path.
 */
import type { Command } from "../model/commands.ts";
import type { Topology } from "../model/topology.ts";
import type { Triager } from "../properties/campaign.ts";
import { check, type Property } from "../properties/checker.ts";
import { type Classification, type Signature, signatureOf } from "../properties/signature.ts";
import { KNOWN_DIVERGENCES, type KnownDivergence } from "./manifest.ts";
import { type RunStep, referenceRun } from "./mechanisms.ts";
import { type Change, type Variant, withChange } from "./variants/variant.ts";

export type TriageStatus = "new" | "inherited" | "known" | "unexplained";

export interface Triage extends Classification {
  readonly status: TriageStatus;
  /** Known divergences whose fix removes the finding (empty for new and unexplained). */
  readonly known: readonly string[];
  /** The variant it was compared with, if any. */
  readonly baseline: string | null;
}

export interface FindingCase {
  readonly topology: Topology;
  readonly commands: readonly Command[];
  readonly property: Property;
  readonly signature: Signature;
}

function sameKind(a: Signature, b: Signature): boolean {
  return a.property === b.property && a.op === b.op && a.difference === b.difference;
}

/** Does `variant` diverge on the case with the case's kind of difference? */
export function divergesAlike(variant: Variant, c: FindingCase): boolean {
  const r = check(c.topology, variant.create(), c.commands, c.property);
  return !r.ok && sameKind(signatureOf(variant.name, r.divergence), c.signature);
}

function passes(variant: Variant, c: FindingCase): boolean {
  return check(c.topology, variant.create(), c.commands, c.property).ok;
}

/** The built-in variant a variant is, or extends. */
export function builtinAncestor(v: Variant): string {
  const l = v.lineage;
  // A kernel choice (`qemu-7.2@linux-6.1`) has the variant's known divergences.
  if (l === undefined || l.builtin || l.base === null) return v.name.split("@")[0] ?? v.name;
  return builtinAncestor(l.base);
}

/**
 * The known divergences whose fixes, applied to `variant`, make the case pass. An
 * explanation contains a divergence that shows as the finding's signature (a primary):
 * each primary whose fix suffices alone; otherwise one smallest-by-removal set of the
 * variant's known divergences that contains a primary ("D3+D10b": on qemu-8.2 a
 * compatibility-format request that VT-d blocks is only seen as a fault once the IOAPIC
 * has a faulting path). Found greedily: start from every fix, drop each that is not needed.
 */
export function explainByFix(
  variant: Variant,
  c: FindingCase,
  known: readonly KnownDivergence[] = KNOWN_DIVERGENCES,
): string[] {
  const key = `${c.signature.op}/${c.signature.difference}`;
  const own = builtinAncestor(variant);
  const shows = triggerShown(c);
  const eligible = known.filter((d) => d.variants.includes(own) && shows(d));
  const isPrimary = (d: KnownDivergence) => d.signatures.includes(key);
  const primaries = eligible.filter(isPrimary);
  if (primaries.length === 0) return [];
  const single = primaries.filter((p) => fixedByAll(variant, c, [p])).map((d) => d.id);
  if (single.length > 0) return single;
  // One divergence per fix, primaries first so that they represent a fix they share.
  let set = distinctFixes([...primaries, ...eligible.filter((d) => !isPrimary(d))]);
  if (!fixedByAll(variant, c, set)) return [];
  for (const d of [...set].reverse()) {
    const without = set.filter((x) => x !== d);
    if (without.some(isPrimary) && fixedByAll(variant, c, without)) set = without;
  }
  return [
    set
      .map((d) => d.id)
      .sort(byId)
      .join("+"),
  ];
}

/**
 * Whether a divergence's trigger (its `mechanism`) is in the case's reference run: a fix
 * that replaces a whole path removes other bugs on it too, so it alone claims nothing.
 * The run is computed once, when a divergence with a mechanism is first asked about.
 */
function triggerShown(c: FindingCase): (d: KnownDivergence) => boolean {
  let run: RunStep[] | null = null;
  return (d) => {
    if (d.mechanism === undefined) return true;
    run ??= referenceRun(c.topology, c.commands);
    return d.mechanism.holds(c.topology, run);
  };
}

/** Does the case pass once every fix of `ds` is applied to the variant? */
function fixedByAll(variant: Variant, c: FindingCase, ds: readonly KnownDivergence[]): boolean {
  let v: Variant | null = variant;
  for (const d of ds) v = v === null ? null : withChange(v, d.fix);
  return v !== null && passes(v, c);
}

function sameChange(a: Change, b: Change): boolean {
  return "add" in a ? "add" in b && a.add === b.add : "revert" in b && a.revert === b.revert;
}

/** One divergence per fix (D1 and D2 share theirs, D8 and D17 too). */
function distinctFixes(ds: readonly KnownDivergence[]): KnownDivergence[] {
  return ds.filter((d, i) => ds.findIndex((e) => sameChange(e.fix, d.fix)) === i);
}

function byId(a: string, b: string): number {
  return Number.parseInt(a.slice(1), 10) - Number.parseInt(b.slice(1), 10) || a.localeCompare(b);
}

/** Triage one finding of `variant`, against `baseline` when there is one. */
export function triage(variant: Variant, c: FindingCase, baseline: Variant | null): Triage {
  if (baseline !== null) {
    const b = check(c.topology, baseline.create(), c.commands, c.property);
    if (b.ok) return { status: "new", known: [], baseline: baseline.name };
    const known = explainByFix(explanationSubject(variant, baseline), c);
    // The baseline diverges otherwise: inherited only if a known divergence explains it.
    const alike = sameKind(signatureOf(baseline.name, b.divergence), c.signature);
    return { status: alike || known.length > 0 ? "inherited" : "new", known, baseline: baseline.name };
  }
  const known = explainByFix(variant, c);
  return { status: known.length > 0 ? "known" : "unexplained", known, baseline: null };
}

/**
 * The baseline a variant is compared with by default: for a user's variant, the built-in
 * variant it extends; built-in variants have none (their findings are known or unexplained).
 */
export function defaultBaseline(v: Variant): Variant | null {
  const l = v.lineage;
  return l === undefined || l.builtin ? null : l.base;
}

/** A variant without a lineage (an exec: program) is explained through its baseline's fixes. */
function explanationSubject(variant: Variant, baseline: Variant | null): Variant {
  return variant.lineage === undefined && baseline !== null ? baseline : variant;
}

/**
 * While shrinking: does the case still have triage `t`? A few replays instead of a
 * new search: a new finding's baseline still refines the reference on it, an inherited
 * one's still diverges alike, a known one's explanations still remove it and their
 * triggers are still in the run, an unexplained one is still explained by no known
 * divergence.
 */
export function keepsTriage(variant: Variant, c: FindingCase, t: Classification, baseline: Variant | null): boolean {
  if (baseline !== null && t.status === "new") return check(c.topology, baseline.create(), c.commands, c.property).ok;
  if (baseline !== null && t.known.length === 0 && !divergesAlike(baseline, c)) return false;
  const known = byExplanation(t.known);
  const subject = explanationSubject(variant, baseline);
  if (known.length > 0) {
    const shows = triggerShown(c);
    return known.every((ds) => ds.every(shows) && fixedByAll(subject, c, ds));
  }
  // Still explained by nothing, judged as the finding was: a shorter run can lose a
  // trigger, so every fix at once would be too strict a test.
  return explainByFix(subject, c).length === 0;
}

/** "D3+D10b" -> the two manifest entries. */
function byExplanation(known: readonly string[]): KnownDivergence[][] {
  return known.map((e) => e.split("+").map((id) => KNOWN_DIVERGENCES.find((d) => d.id === id) ?? missing(id)));
}

function missing(id: string): never {
  throw new Error(`no known divergence ${id}`);
}

/** A campaign's triage of `variant`'s findings (properties/campaign.ts). */
export function triager(variant: Variant, baseline: Variant | null, topology: Topology, property: Property): Triager {
  return {
    classify: (commands, signature) => triage(variant, { topology, commands, property, signature }, baseline),
    keeps: (commands, signature, t) => keepsTriage(variant, { topology, commands, property, signature }, t, baseline),
  };
}
