/**
 * Guest-visible state: what a guest could read back after a step. The refinement
 * checker compares implementations with the reference on exactly this (plus the
 * observations of the step), never on internal structure.
 */

export interface LapicVisible {
  /** 256-bit IRR, ISR and TMR as eight 32-bit words each, vector 0 in bit 0 of word 0. */
  readonly irr: readonly number[];
  readonly isr: readonly number[];
  readonly tmr: readonly number[];
}

export interface FaultRecord {
  /** Fault reason (FR), VT-d §7.1.3 / semantics.md §4.3. */
  readonly reason: number;
  /** Interrupt index (FI[63:48]). */
  readonly index: number;
  /** Source ID of the request (0xffff when the request carried none). */
  readonly sourceId: number;
}

export interface GuestVisible {
  readonly ioapicId: number;
  /** RTE of each pin as IOWIN reads return it: [lo0, hi0, lo1, hi1, ...]. */
  readonly rtes: readonly number[];
  /** Indexed like topology.cpus. */
  readonly lapics: readonly LapicVisible[];
  /** Fault recording registers with F = 1, in register order; null where F = 0. */
  readonly faultRecords: readonly (FaultRecord | null)[];
  /** FSTS.PFO: a fault was dropped because every recording register was full. */
  readonly faultOverflow: boolean;
  /** MSI-X pending bits (PBA), per device, as a bitmap over its vectors. */
  readonly msiPending: readonly number[];
}

function wordsEqual(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

function faultEqual(a: FaultRecord | null | undefined, b: FaultRecord | null | undefined): boolean {
  if (a === null || a === undefined || b === null || b === undefined) return a === b;
  return a.reason === b.reason && a.index === b.index && a.sourceId === b.sourceId;
}

/** Views of the two machines at an earlier step, where they were equal. */
export interface Earlier {
  readonly a: GuestVisible;
  readonly b: GuestVisible;
}

/** Parts of views frozen all the way down by `seal`. */
const sealedParts = new WeakSet<object>();

/**
 * Freezes a part of a view (and everything in it) and marks it as such: an implementation
 * that returns a sealed part again at the next step says it is unchanged, and the checker
 * believes it without comparing (impl/kvm/kvm.ts keeps its LAPICs sealed between steps).
 */
export function seal<T extends object>(part: T): T {
  if (sealedParts.has(part)) return part;
  const inner: readonly unknown[] = Array.isArray(part) ? part : Object.values(part);
  for (let i = 0; i < inner.length; i++) {
    const v = inner[i];
    if (typeof v !== "object" || v === null) continue;
    // An array of numbers (a LAPIC register) is frozen with its owner and not marked: the
    // checker asks only of views, LAPIC lists and LAPICs whether they are sealed, and a
    // mark costs the array an identity hash.
    if (Array.isArray(v) && v.every((w) => typeof w !== "object" || w === null)) Object.freeze(v);
    else seal(v);
  }
  sealedParts.add(Object.freeze(part));
  return part;
}

export function isSealed(part: object): boolean {
  return sealedParts.has(part);
}

/**
 * Still equal since the earlier views: `a`'s part is the same object as before (views of
 * the reference share what a step did not change, and reference states are never changed)
 * and so is `b`'s, which is believed only when sealed (an implementation may reuse an
 * object it changed in place).
 */
function unchangedPair<T extends object>(a: T, a0: T | undefined, b: T, b0: T | undefined): boolean {
  return a === a0 && b === b0 && sealedParts.has(b);
}

function lapicEqual(x: LapicVisible, y: LapicVisible): boolean {
  return wordsEqual(x.irr, y.irr) && wordsEqual(x.isr, y.isr) && wordsEqual(x.tmr, y.tmr);
}

/**
 * Structural equality of two visible states, cheapest and likeliest differences first,
 * without allocating: the checker calls it for every allowed outcome of every step. Given
 * `earlier`, two views that were equal at the step before, parts unchanged on both sides
 * since then are not compared again, so the cost follows what the step changed.
 */
export function visibleEqual(a: GuestVisible, b: GuestVisible, earlier?: Earlier): boolean {
  if (a.ioapicId !== b.ioapicId || a.faultOverflow !== b.faultOverflow) return false;
  if (a.lapics.length !== b.lapics.length || a.faultRecords.length !== b.faultRecords.length) return false;
  const a0 = earlier?.a;
  const b0 = earlier?.b;
  if (!unchangedPair(a.lapics, a0?.lapics, b.lapics, b0?.lapics)) {
    // The last pair found equal: vCPUs both sides left at reset share one LAPIC object each,
    // so a first step over many vCPUs compares one pair, not one per vCPU.
    let equalX: LapicVisible | undefined;
    let equalY: LapicVisible | undefined;
    for (let i = 0; i < a.lapics.length; i++) {
      const x = a.lapics[i];
      const y = b.lapics[i];
      if (x === undefined || y === undefined) return false;
      if ((x === equalX && y === equalY) || unchangedPair(x, a0?.lapics[i], y, b0?.lapics[i])) continue;
      if (!lapicEqual(x, y)) return false;
      equalX = x;
      equalY = y;
    }
  }
  if (!unchangedPair(a.rtes, a0?.rtes, b.rtes, b0?.rtes) && !wordsEqual(a.rtes, b.rtes)) return false;
  if (!wordsEqual(a.msiPending, b.msiPending)) return false;
  for (let i = 0; i < a.faultRecords.length; i++) if (!faultEqual(a.faultRecords[i], b.faultRecords[i])) return false;
  return true;
}
