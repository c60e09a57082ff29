/**
 * Classifying a divergence, so a campaign keeps one counterexample per kind of bug:
 * variant, property, the op of the diverging command, and the kind of difference
 * between what the implementation did and the closest allowed outcome.
 */
import type { Observation } from "../model/observations.ts";
import type { GuestVisible } from "../model/visible.ts";
import type { AllowedOutcome, Divergence } from "./checker.ts";

export type DifferenceKind =
  | "misrouted-delivery"
  | "wrong-vector"
  | "wrong-trigger"
  | "spurious-delivery"
  | "missing-delivery"
  | "missing-fault"
  | "spurious-fault"
  | "wrong-fault"
  | "read-value"
  | "rte-state"
  | "lapic-state"
  | "fault-record-state"
  | "msi-pending-state"
  /** The implementation threw, returned a malformed step result or called process.exit (properties/fault.ts). */
  | "implementation-crashed"
  /** A run exceeded the per-run budget (--run-timeout). */
  | "implementation-hung";

type Deliver = Extract<Observation, { kind: "deliver" }>;

const delivers = (obs: readonly Observation[]): Deliver[] => obs.filter((o): o is Deliver => o.kind === "deliver");
const faults = (obs: readonly Observation[]) => obs.filter((o) => o.kind === "fault");

function deliveryDifference(expected: Deliver[], actual: Deliver[]): DifferenceKind | null {
  if (expected.length === 0 && actual.length > 0) return "spurious-delivery";
  if (actual.length === 0 && expected.length > 0) return "missing-delivery";
  const e = expected[0];
  const a = actual[0];
  if (e === undefined || a === undefined) return null;
  if (e.apicId !== a.apicId) return "misrouted-delivery";
  if (e.vector !== a.vector) return "wrong-vector";
  if (e.trigger !== a.trigger) return "wrong-trigger";
  if (actual.length > expected.length) return "spurious-delivery";
  if (actual.length < expected.length) return "missing-delivery";
  return null;
}

function visibleDifference(e: GuestVisible, a: GuestVisible): DifferenceKind | null {
  if (e.rtes.some((w, i) => w !== a.rtes[i]) || e.ioapicId !== a.ioapicId) return "rte-state";
  if (JSON.stringify(e.faultRecords) !== JSON.stringify(a.faultRecords) || e.faultOverflow !== a.faultOverflow) {
    return "fault-record-state";
  }
  if (e.msiPending.some((p, i) => p !== a.msiPending[i])) return "msi-pending-state";
  if (JSON.stringify(e.lapics) !== JSON.stringify(a.lapics)) return "lapic-state";
  return null;
}

/** The kind of difference between one allowed outcome and what happened. */
export function differenceKind(expected: AllowedOutcome, actual: AllowedOutcome): DifferenceKind {
  const reads = (o: readonly Observation[]) => JSON.stringify(o.filter((x) => x.kind === "read"));
  if (reads(expected.observations) !== reads(actual.observations)) return "read-value";
  const ef = faults(expected.observations);
  const af = faults(actual.observations);
  if (ef.length > 0 && af.length === 0) return "missing-fault";
  if (af.length > 0 && ef.length === 0) return "spurious-fault";
  if (JSON.stringify(ef) !== JSON.stringify(af)) return "wrong-fault";
  return (
    deliveryDifference(delivers(expected.observations), delivers(actual.observations)) ??
    visibleDifference(expected.visible, actual.visible) ??
    "lapic-state"
  );
}

/** Observations as comparable keys, in order. */
const keys = (obs: readonly Observation[]) => obs.map((o) => JSON.stringify(o));

/** How many keys one list has that the other lacks (multisets). */
function unmatched(a: readonly string[], b: readonly string[]): number {
  const rest = [...b];
  let n = 0;
  for (const k of a) {
    const i = rest.indexOf(k);
    if (i < 0) n++;
    else rest.splice(i, 1);
  }
  return n + rest.length;
}

/** Differing words of two equally shaped word lists. */
const wordsApart = (a: readonly number[], b: readonly number[]) => a.filter((w, i) => w !== b[i]).length;

function visibleDistance(e: GuestVisible, a: GuestVisible): number {
  const lapicWords = (v: GuestVisible) => v.lapics.flatMap((l) => [...l.irr, ...l.isr, ...l.tmr]);
  return (
    wordsApart(e.rtes, a.rtes) +
    wordsApart(lapicWords(e), lapicWords(a)) +
    e.msiPending.filter((p, i) => p !== a.msiPending[i]).length +
    (JSON.stringify(e.faultRecords) === JSON.stringify(a.faultRecords) && e.faultOverflow === a.faultOverflow ? 0 : 1)
  );
}

/**
 * How far what happened is from an allowed outcome: a read, then a fault, then a delivery
 * that differs outweighs any amount of register state.
 */
function outcomeDistance(expected: AllowedOutcome, actual: AllowedOutcome): number {
  const reads = (o: readonly Observation[]) => keys(o.filter((x) => x.kind === "read"));
  const others = (o: readonly Observation[], kind: string) => keys(o.filter((x) => x.kind === kind));
  return (
    1_000_000 * unmatched(reads(expected.observations), reads(actual.observations)) +
    10_000 * unmatched(others(expected.observations, "fault"), others(actual.observations, "fault")) +
    100 * unmatched(others(expected.observations, "deliver"), others(actual.observations, "deliver")) +
    visibleDistance(expected.visible, actual.visible)
  );
}

/** The allowed outcome closest to what happened (the first of equals), which signatures are computed against. */
export function closestOutcome(allowed: readonly AllowedOutcome[], actual: AllowedOutcome): AllowedOutcome | undefined {
  let best: AllowedOutcome | undefined;
  let bestDistance = Number.POSITIVE_INFINITY;
  for (const o of allowed) {
    const d = outcomeDistance(o, actual);
    if (d < bestDistance) [best, bestDistance] = [o, d];
  }
  return best;
}

/** The reference outcome a divergence is described against: the one closest to what happened. */
export function closestAllowed(d: Divergence): AllowedOutcome | undefined {
  return closestOutcome(d.allowed, d.actual);
}

export interface Signature {
  readonly variant: string;
  readonly property: string;
  readonly op: string;
  readonly difference: DifferenceKind;
}

export function signatureOf(variant: string, d: Divergence): Signature {
  if (d.fault !== undefined) {
    const op = d.fault.atReset === true ? "reset" : d.command.op;
    return { variant, property: d.property, op, difference: `implementation-${d.fault.kind}` };
  }
  const expected = closestAllowed(d) ?? { observations: [], visible: d.actual.visible };
  return { variant, property: d.property, op: d.command.op, difference: differenceKind(expected, d.actual) };
}

/** The whole signature as one string: a map key and the counterexample file's `signature` field. */
export function formatSignature(s: Signature): string {
  return `${s.variant}/${s.property}/${s.op}/${s.difference}`;
}

/** The signature without its variant, as reports print it and file names spell it. */
export function signatureLabel(s: Signature): string {
  return `${s.property}/${s.op}/${s.difference}`;
}

/**
 * Reads back `formatSignature(s)`; the file's own `variant` field names the variant. The variant name may itself hold a
 * slash (`impl:/home/me/v.ts`), so the three fields are taken from the right.
 */
export function parseSignature(variant: string, text: string): Signature | null {
  const parts = text.split("/");
  if (parts.length < 4) return null;
  const [property, op, difference] = parts.slice(-3) as [string, string, string];
  if (property === "" || op === "" || difference === "") return null;
  return { variant, property, op, difference: difference as DifferenceKind };
}

/**
 * What triage said of a finding (impl/triage.ts): its status (new, inherited, known,
 * unexplained), the known divergences whose fixes remove it, and the baseline it was
 * compared with. Findings of one signature are kept apart when their classifications differ.
 */
export interface Classification {
  readonly status: string;
  readonly known: readonly string[];
  readonly baseline: string | null;
}

/** The key a campaign keeps one finding per: the signature and, if classified, the classification. */
export function findingKey(s: Signature, c: Classification | null): string {
  return c === null ? formatSignature(s) : `${formatSignature(s)}#${c.status}:${c.known.join(",")}`;
}

/** How a report names a classification: "new", "inherited [D3]", "known [D1]", "unexplained". */
export function classificationLabel(c: Classification | null): string {
  if (c === null) return "unexplained";
  return c.known.length === 0 ? c.status : `${c.status} [${c.known.join(",")}]`;
}
