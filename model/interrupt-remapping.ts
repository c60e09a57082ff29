/**
 * VT-d interrupt remapping at delivery time (VT-d spec ch. 5 and §9.10; semantics.md §4).
 * Reference semantics: every interrupt request is translated through the IRTE when it is
 * delivered. The only cache is the one the architecture allows: an IRTE changed in memory
 * may still be used in a form from before the change until an IEC invalidation covers it.
 *
 * IRTE (VT-d §9.10), 128 bits held as four 32-bit words:
 *   word 0:  0 P   1 FPD   2 DM   3 RH   4 TM   7:5 DLM   11:8 AVAIL   14:12 rsvd   15 IM
 *            23:16 V (vector)   31:24 rsvd
 *   word 1:  DST (IRTE 63:32): xAPIC mode (EIME = 0) uses bits 15:8 as the APIC ID;
 *            x2APIC mode (EIME = 1) all 32 bits
 *   word 2:  15:0 SID   17:16 SQ   19:18 SVT   31:20 rsvd (IRTE 95:84)
 *   word 3:  rsvd (IRTE 127:96)
 */
import { bit, bits, get32, getField } from "./bits.ts";
import { type CompatInterrupt, decodeRemappable, isRemappable, MsiData, type MsiMessage } from "./msi.ts";
import type { FaultRecord } from "./visible.ts";

export const Irte = {
  present: bit(0),
  fpd: bit(1),
  destMode: bit(2),
  redirectionHint: bit(3),
  trigger: bit(4),
  deliveryMode: bits(7, 5),
  avail: bits(11, 8),
  reserved14to12: bits(14, 12),
  irteMode: bit(15),
  vector: bits(23, 16),
  reserved31to24: bits(31, 24),
  dest: bits(63, 32),
  xapicDest: bits(47, 40),
  sid: bits(79, 64),
  sq: bits(81, 80),
  svt: bits(83, 82),
  reserved95to84: bits(95, 84),
  reserved127to96: bits(127, 96),
} as const;

/** IRTE.SVT, how the request's source ID is verified (VT-d §9.10). */
export const Svt = {
  NONE: 0,
  /** SID compared with the requester ID, SQ masking function-number bits. */
  REQUESTER_ID: 1,
  /** SID[15:8] and SID[7:0] bound the requester's bus. */
  BUS_RANGE: 2,
} as const;

/** Fault reasons for interrupt requests (VT-d §7.1.3 table; semantics.md §4.3). */
export const FaultReason = {
  /** Reserved field set in the interrupt request (address 63:32, or SHV data 31:16). */
  REQUEST_RESERVED: 0x20,
  /** Interrupt index beyond the table size in IRTA.S. */
  INDEX_OVERFLOW: 0x21,
  /** IRTE not present. */
  NOT_PRESENT: 0x22,
  /** Reading the IRTE from memory failed. */
  TABLE_READ: 0x23,
  /** Reserved bits set in the IRTE. */
  IRTE_RESERVED: 0x24,
  /** Compatibility-format request blocked (CFIS = 0 or EIME = 1). */
  COMPAT_BLOCKED: 0x25,
  /** Source-ID check failed. */
  SOURCE_ID: 0x26,
} as const;

/** Requests without a source ID (QEMU's IOAPIC: semantics.md §1.7) carry this one. */
export const SOURCE_ID_NONE = 0xffff;

export type IrteWords = readonly number[];

/** The fault recording registers and the FSTS fields that govern them. */
export interface FaultRegisters {
  /** Fault recording registers; null where F = 0. */
  faults: (FaultRecord | null)[];
  /** FSTS.FRI: the register the next fault is written to. */
  nextFault: number;
  /** FSTS.PFO. */
  overflow: boolean;
}

export interface IrState extends FaultRegisters {
  /** GCMD/GSTS.IRE. */
  ire: boolean;
  /** GCMD/GSTS.CFI: compatibility-format interrupts pass through (only while EIME = 0). */
  cfi: boolean;
  /** IRTA.S and IRTA.EIME as latched by the last SIRTP (VT-d §10.4.29). */
  sizeLog2: number;
  eime: boolean;
  /** Number of IRTEs in guest memory at the IRT base; entries past it read as zero. */
  entries: number;
  /**
   * The IRTEs in guest memory that are not zero, by index. Replaced, never changed in
   * place, so a copied state may share it (a step copies only what it changes).
   */
  memory: ReadonlyMap<number, IrteWords>;
  /**
   * Per index, earlier forms hardware may still use because no IEC invalidation covered
   * them; indices with none are absent. Replaced, never changed in place, like `memory`.
   */
  stale: ReadonlyMap<number, readonly IrteWords[]>;
}

const ZERO_IRTE: IrteWords = [0, 0, 0, 0];

export function irReset(irtEntries: number, faultRecords: number): IrState {
  return {
    ire: false,
    cfi: false,
    sizeLog2: 0,
    eime: false,
    entries: irtEntries,
    memory: new Map(),
    stale: new Map(),
    faults: new Array<FaultRecord | null>(faultRecords).fill(null),
    nextFault: 0,
    overflow: false,
  };
}

/** A copy that can be changed without changing `s`; the IRT maps are shared (they are replaced on write). */
export function cloneIr(s: IrState): IrState {
  return { ...s, faults: s.faults.slice() };
}

function sameIrte(a: IrteWords, b: IrteWords): boolean {
  return a[0] === b[0] && a[1] === b[1] && a[2] === b[2] && a[3] === b[3];
}

const isZero = (irte: IrteWords) => sameIrte(irte, ZERO_IRTE);

/** The IRTE at `index` in guest memory (zero where never written or past the table memory). */
export function irteAt(s: IrState, index: number): IrteWords {
  return s.memory.get(index) ?? ZERO_IRTE;
}

/** The guest writes an IRTE in memory. The form it replaces stays usable until invalidated. */
export function writeIrte(s: IrState, index: number, irte: IrteWords): void {
  if (index < 0 || index >= s.entries) return; // outside the modelled table memory: nothing reads it back
  const old = irteAt(s, index);
  const stale = (s.stale.get(index) ?? []).filter((form) => !sameIrte(form, irte));
  if (!sameIrte(old, irte) && !stale.some((form) => sameIrte(form, old))) stale.push(old);
  const nextStale = new Map(s.stale);
  if (stale.length === 0) nextStale.delete(index);
  else nextStale.set(index, stale);
  s.stale = nextStale;
  const nextMemory = new Map(s.memory);
  if (isZero(irte)) nextMemory.delete(index);
  else nextMemory.set(index, irte);
  s.memory = nextMemory;
}

/** IEC invalidation (VT-d §6.5.2.7): global, or the 2^mask entries aligned at `index`. */
export function invalidateIec(s: IrState, range: { index: number; mask: number } | null): void {
  if (range === null) {
    s.stale = new Map();
    return;
  }
  const kept = [...s.stale].filter(([i]) => i >>> range.mask !== range.index >>> range.mask);
  if (kept.length !== s.stale.size) s.stale = new Map(kept);
}

export type RemapResult =
  | { readonly kind: "interrupt"; readonly irq: CompatInterrupt }
  /** `suppressed`: a qualified fault of an IRTE with FPD = 1: blocked, but not recorded. */
  | { readonly kind: "fault"; readonly reason: number; readonly index: number; readonly suppressed: boolean };

/** The IRTE forms a request through `index` may use now: current memory first. */
export function irteForms(s: IrState, index: number): IrteWords[] {
  return [irteAt(s, index), ...(s.stale.get(index) ?? [])];
}

/**
 * The requester-ID bits an SVT = 01b check leaves out, by IRTE.SQ (VT-d §9.10): none,
 * bit 2, bits 2:1, bits 2:0 of the function number.
 */
export function sqIgnoredBits(irte: IrteWords): number {
  return [0, 0b100, 0b110, 0b111][getField(irte, Irte.sq)] ?? 0;
}

function sourceIdMatches(irte: IrteWords, sourceId: number): boolean {
  const sid = getField(irte, Irte.sid);
  switch (getField(irte, Irte.svt)) {
    case Svt.NONE:
      return true;
    case Svt.REQUESTER_ID: {
      return ((sid ^ sourceId) & ~sqIgnoredBits(irte) & 0xffff) === 0;
    }
    case Svt.BUS_RANGE: {
      // Bus range: SID[15:8] is the start bus, SID[7:0] the end bus (VT-d §9.10, SVT = 10b).
      const bus = sourceId >>> 8;
      return bus >= sid >>> 8 && bus <= (sid & 0xff);
    }
    default:
      return false;
  }
}

/** Reserved IRTE bits 14:12, 31:24 and 127:84 (semantics.md §4.3 check 4). */
export function irteReservedBitsSet(irte: IrteWords): boolean {
  return (
    getField(irte, Irte.reserved14to12) !== 0 ||
    getField(irte, Irte.reserved31to24) !== 0 ||
    getField(irte, Irte.reserved95to84) !== 0 ||
    getField(irte, Irte.reserved127to96) !== 0
  );
}

/**
 * Translate a request through one IRTE form. Guard clauses in the order of
 * semantics.md §4.2-4.3: present, reserved bits, source ID, then SHV data. Faults found after
 * the IRTE is read are "qualified": IRTE.FPD suppresses their recording.
 */
export function remapThrough(
  irte: IrteWords,
  index: number,
  msg: MsiMessage,
  subhandleValid: boolean,
  sourceId: number | null,
  eime: boolean,
): RemapResult {
  const fault = (reason: number, qualified: boolean): RemapResult => ({
    kind: "fault",
    reason,
    index,
    suppressed: qualified && getField(irte, Irte.fpd) === 1,
  });
  if (getField(irte, Irte.present) === 0) return fault(FaultReason.NOT_PRESENT, true);
  if (irteReservedBitsSet(irte)) return fault(FaultReason.IRTE_RESERVED, true);
  if (sourceId !== null && !sourceIdMatches(irte, sourceId)) return fault(FaultReason.SOURCE_ID, true);
  // The SHV data check comes after the whole IRTE fetch (semantics.md §4.2 step 8).
  if (subhandleValid && get32(msg.data, MsiData.high) !== 0) return fault(FaultReason.REQUEST_RESERVED, false);
  return {
    kind: "interrupt",
    irq: {
      dest: eime ? getField(irte, Irte.dest) : getField(irte, Irte.xapicDest),
      destMode: getField(irte, Irte.destMode) as 0 | 1,
      redirectionHint: getField(irte, Irte.redirectionHint) as 0 | 1,
      deliveryMode: getField(irte, Irte.deliveryMode),
      vector: getField(irte, Irte.vector),
      trigger: getField(irte, Irte.trigger) as 0 | 1,
    },
  };
}

/**
 * Steps of a request before any IRTE is read (semantics.md §9.3, §4.2): returns either a
 * fault, "compat" (deliver the message as it is), or the IRTE index to read.
 */
export function remapIndex(
  s: IrState,
  msg: MsiMessage,
):
  | { readonly kind: "fault"; readonly reason: number; readonly index: number }
  | { readonly kind: "compat" }
  | { readonly kind: "index"; readonly index: number; readonly subhandleValid: boolean } {
  if (!isRemappable(msg.address)) {
    // Compatibility format passes only while CFI is set and EIME is clear (VT-d §5.1.2.1).
    return s.cfi && !s.eime ? { kind: "compat" } : { kind: "fault", reason: FaultReason.COMPAT_BLOCKED, index: 0 };
  }
  const req = decodeRemappable(msg.address);
  const index = req.subhandleValid ? (req.handle + get32(msg.data, MsiData.subhandle)) & 0xffff : req.handle;
  if (index >= 2 ** (s.sizeLog2 + 1)) return { kind: "fault", reason: FaultReason.INDEX_OVERFLOW, index };
  return { kind: "index", index, subhandleValid: req.subhandleValid };
}

/**
 * Primary fault logging (VT-d §7.3.1; semantics.md §4.4): dropped while PFO is set or
 * while a record from the same source is pending; PFO is set when the next register is
 * still full. Returns whether the fault was recorded.
 */
export function recordFault(s: FaultRegisters, record: FaultRecord): boolean {
  if (s.overflow) return false;
  if (s.faults.some((f) => f !== null && f.sourceId === record.sourceId)) return false;
  if (s.faults[s.nextFault] !== null) {
    s.overflow = true;
    return false;
  }
  s.faults[s.nextFault] = record;
  s.nextFault = (s.nextFault + 1) % s.faults.length;
  return true;
}

export function clearFaults(s: FaultRegisters): void {
  s.faults.fill(null);
  s.overflow = false;
}
