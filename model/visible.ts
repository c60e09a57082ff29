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

/** Canonical text of a visible state: equal states give equal strings. */
export function visibleDigest(v: GuestVisible): string {
  const lapics = v.lapics.map((l) => `${l.irr.join(",")}/${l.isr.join(",")}/${l.tmr.join(",")}`).join(";");
  const faults = v.faultRecords.map((f) => (f === null ? "-" : `${f.reason}:${f.index}:${f.sourceId}`)).join(",");
  return `${v.ioapicId}|${v.rtes.join(",")}|${lapics}|${faults}|${v.faultOverflow ? 1 : 0}|${v.msiPending.join(",")}`;
}
