/**
 * I/O APIC (Intel 82093AA datasheet §3; IOxAPIC version 0x20 adds the EOI register).
 * semantics.md §1. The reference keeps the *input line levels* and decides delivery from
 * them, as the hardware does; it has no GSIs, no routes and no `irr` latch.
 *
 * Redirection table entry, compatibility format (82093AA §3.2.4), low word:
 *    7:0  vector               R/W
 *   10:8  delivery mode        R/W   000 fixed, 001 lowest priority, 010 SMI, 100 NMI, 101 INIT, 111 ExtINT
 *     11  destination mode     R/W   0 physical, 1 logical
 *     12  delivery status      RO    always 0 here: delivery is instantaneous
 *     13  polarity             R/W   (stored; inputs are given as asserted/deasserted)
 *     14  remote IRR           RO    level only: set when sent, cleared by a matching EOI
 *     15  trigger mode         R/W   0 edge, 1 level
 *     16  mask                 R/W
 * high word (RTE bits 63:32):
 *  31:24  destination          R/W   (RTE 63:56)
 *  23:17  ext. destination     R/W   (RTE 55:49, KVM dest[14:8]) / remappable: index[14:8..0]
 *     16  interrupt format     R/W   (RTE 48) 1 = remappable (VT-d §5.1.5.1)
 * Remappable format: index[14:0] = RTE 63:49 (high word 31:17), index[15] = low bit 11.
 */
import { bit, bits, get32, set32 } from "./bits.ts";
import { IOREGSEL } from "./commands.ts";
import { MSI_ADDRESS_BASE, type MsiMessage } from "./msi.ts";
import { IOAPIC_NUM_PINS } from "./topology.ts";

export const RteLow = {
  vector: bits(7, 0),
  deliveryMode: bits(10, 8),
  destMode: bit(11),
  deliveryStatus: bit(12),
  polarity: bit(13),
  remoteIrr: bit(14),
  trigger: bit(15),
  mask: bit(16),
} as const;

export const RteHigh = {
  dest: bits(31, 24),
  extDest: bits(23, 17),
  format: bit(16),
  /** RTE bits 63:48, the "dest_idx" that becomes MSI address bits 19:4. */
  destIdx: bits(31, 16),
} as const;

/** Read-only low-word bits, preserved across writes (82093AA §3.2.4). */
export const RTE_LOW_RO_MASK = (1 << 12) | (1 << 14);

/** Reset value of every RTE: masked, everything else 0 (82093AA §3.0, "all entries masked"). */
export const RTE_RESET_LOW = 1 << 16;
export const RTE_RESET_HIGH = 0;

export const TRIGGER_EDGE = 0;
export const TRIGGER_LEVEL = 1;

/** IOAPIC VER register: 7:0 version, 23:16 maximum redirection entry (23). */
export function versionRegister(version: number): number {
  return ((IOAPIC_NUM_PINS - 1) << 16) | version;
}

export interface IoapicState {
  /** IOREGSEL. */
  sel: number;
  /** 4-bit IOAPIC ID (ID register bits 27:24). */
  id: number;
  rteLow: number[];
  rteHigh: number[];
  /** Input line levels, one bit per pin (1 = asserted). */
  lines: number;
}

export function ioapicReset(): IoapicState {
  return {
    sel: 0,
    id: 0,
    rteLow: new Array<number>(IOAPIC_NUM_PINS).fill(RTE_RESET_LOW),
    rteHigh: new Array<number>(IOAPIC_NUM_PINS).fill(RTE_RESET_HIGH),
    lines: 0,
  };
}

export function cloneIoapic(s: IoapicState): IoapicState {
  return { sel: s.sel, id: s.id, rteLow: s.rteLow.slice(), rteHigh: s.rteHigh.slice(), lines: s.lines };
}

/** The pin and half a register index names, or null if it is not an RTE register. */
export function rteOfRegister(reg: number): { pin: number; high: boolean } | null {
  const index = (reg - IOREGSEL.REDTBL_BASE) >> 1;
  if (reg < IOREGSEL.REDTBL_BASE || index >= IOAPIC_NUM_PINS) return null;
  return { pin: index, high: (reg & 1) === 1 };
}

/** IOWIN read of register `reg` (82093AA §3.1). Unimplemented registers read 0. */
export function readRegister(s: IoapicState, version: number, reg: number): number {
  if (reg === IOREGSEL.ID || reg === IOREGSEL.ARB) return (s.id << 24) >>> 0;
  if (reg === IOREGSEL.VER) return versionRegister(version);
  const rte = rteOfRegister(reg);
  if (rte === null) return 0;
  return (rte.high ? s.rteHigh[rte.pin] : s.rteLow[rte.pin]) ?? 0;
}

/**
 * IOWIN write of register `reg`. Returns the pin whose RTE was written, or null.
 * Writes to VER, ARB and unimplemented registers are ignored.
 */
export function writeRegister(s: IoapicState, reg: number, value: number): number | null {
  if (reg === IOREGSEL.ID) {
    s.id = (value >>> 24) & 0xf;
    return null;
  }
  const rte = rteOfRegister(reg);
  if (rte === null) return null;
  if (rte.high) {
    s.rteHigh[rte.pin] = value >>> 0;
  } else {
    const old = s.rteLow[rte.pin] ?? 0;
    s.rteLow[rte.pin] = ((value & ~RTE_LOW_RO_MASK) | (old & RTE_LOW_RO_MASK)) >>> 0;
  }
  // Switching an entry to edge clears Remote IRR: Linux relies on it to EOI a pin on an
  // IOAPIC without an EOI register (semantics.md §1.8 step 5, §6.3 step 5).
  if (isEdge(s, rte.pin)) setRemoteIrr(s, rte.pin, false);
  return rte.pin;
}

export function isMasked(s: IoapicState, pin: number): boolean {
  return get32(s.rteLow[pin] ?? 0, RteLow.mask) === 1;
}

export function isEdge(s: IoapicState, pin: number): boolean {
  return get32(s.rteLow[pin] ?? 0, RteLow.trigger) === TRIGGER_EDGE;
}

export function remoteIrr(s: IoapicState, pin: number): boolean {
  return get32(s.rteLow[pin] ?? 0, RteLow.remoteIrr) === 1;
}

export function setRemoteIrr(s: IoapicState, pin: number, value: boolean): void {
  s.rteLow[pin] = set32(s.rteLow[pin] ?? 0, RteLow.remoteIrr, value ? 1 : 0);
}

export function lineLevel(s: IoapicState, pin: number): boolean {
  return ((s.lines >>> pin) & 1) === 1;
}

/** Sets the input level; returns true on a rising transition. */
export function setLine(s: IoapicState, pin: number, level: boolean): boolean {
  const rising = level && !lineLevel(s, pin);
  s.lines = level ? (s.lines | (1 << pin)) >>> 0 : (s.lines & ~(1 << pin)) >>> 0;
  return rising;
}

/**
 * A level-triggered entry sends while its input is asserted, it is unmasked and Remote
 * IRR is clear (82093AA §3.2.4). A masked asserted input stays pending and is sent on
 * unmask (semantics.md §1.6: model it the IOxAPIC way).
 */
export function levelWantsToSend(s: IoapicState, pin: number): boolean {
  return !isEdge(s, pin) && !isMasked(s, pin) && lineLevel(s, pin) && !remoteIrr(s, pin);
}

/**
 * EOI for `vector` (LAPIC broadcast or EOI register): clears Remote IRR of every
 * level-triggered entry whose vector field equals bits 7:0 of the EOI (semantics.md §1.9).
 */
export function eoi(s: IoapicState, vector: number): void {
  for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
    const low = s.rteLow[pin] ?? 0;
    if (get32(low, RteLow.trigger) === TRIGGER_LEVEL && get32(low, RteLow.vector) === (vector & 0xff)) {
      setRemoteIrr(s, pin, false);
    }
  }
}

/**
 * The message an entry sends (VT-d §5.1.5 for the remappable format): RTE bits 63:48
 * become address bits 19:4, the destination mode (index[15] when remappable) bit 2;
 * data carries vector, delivery mode and trigger mode.
 */
export function rteMessage(low: number, high: number): MsiMessage {
  const address = (MSI_ADDRESS_BASE | (get32(high, RteHigh.destIdx) << 4) | (get32(low, RteLow.destMode) << 2)) >>> 0;
  const data = get32(low, RteLow.vector) | (get32(low, RteLow.deliveryMode) << 8) | (get32(low, RteLow.trigger) << 15);
  return { address, data };
}
