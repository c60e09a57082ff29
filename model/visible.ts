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

/**
 * Structural equality of two visible states, cheapest and likeliest differences first,
 * without allocating: the checker calls it for every allowed outcome of every step.
 */
export function visibleEqual(a: GuestVisible, b: GuestVisible): boolean {
  if (a.ioapicId !== b.ioapicId || a.faultOverflow !== b.faultOverflow) return false;
  if (a.lapics.length !== b.lapics.length || a.faultRecords.length !== b.faultRecords.length) return false;
  for (let i = 0; i < a.lapics.length; i++) {
    const x = a.lapics[i];
    const y = b.lapics[i];
    if (x === undefined || y === undefined) return false;
    if (!wordsEqual(x.irr, y.irr) || !wordsEqual(x.isr, y.isr) || !wordsEqual(x.tmr, y.tmr)) return false;
  }
  if (!wordsEqual(a.rtes, b.rtes) || !wordsEqual(a.msiPending, b.msiPending)) return false;
  for (let i = 0; i < a.faultRecords.length; i++) if (!faultEqual(a.faultRecords[i], b.faultRecords[i])) return false;
  return true;
}
