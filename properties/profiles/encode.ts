/**
 * Building guest register values from named fields, for the generators and for tests.
 * Every bit position comes from the model's field tables.
 */
import { formatHexWords, set32 } from "../../model/bits.ts";
import type { Command } from "../../model/commands.ts";
import { Irte } from "../../model/interrupt-remapping.ts";
import { RteHigh, RteLow } from "../../model/ioapic.ts";
import { encodeCompat, encodeRemappable } from "../../model/msi.ts";
import type { Topology } from "../../model/topology.ts";

export interface RteLowFields {
  readonly vector: number;
  readonly deliveryMode?: number;
  readonly destMode?: 0 | 1;
  readonly polarity?: 0 | 1;
  readonly level?: boolean;
  readonly masked?: boolean;
  /** Remappable format: interrupt_index[15] shares bit 11 with the destination mode. */
  readonly index15?: 0 | 1;
}

export function rteLow(f: RteLowFields): number {
  let w = set32(0, RteLow.vector, f.vector);
  w = set32(w, RteLow.deliveryMode, f.deliveryMode ?? 0);
  w = set32(w, RteLow.destMode, f.index15 ?? f.destMode ?? 0);
  w = set32(w, RteLow.polarity, f.polarity ?? 0);
  w = set32(w, RteLow.trigger, f.level === true ? 1 : 0);
  return set32(w, RteLow.mask, f.masked === true ? 1 : 0);
}

/** Compatibility-format high word: destination bits 7:0 in 63:56, 14:8 in 55:49 (KVM ext dest). */
export function rteHighCompat(dest: number): number {
  return set32(set32(0, RteHigh.dest, dest & 0xff), RteHigh.extDest, (dest >>> 8) & 0x7f);
}

/** Remappable-format high word: format bit 48 and interrupt_index[14:0] in 63:49. */
export function rteHighRemappable(index: number): number {
  return set32(set32(0, RteHigh.format, 1), { word: 0, lo: 17, width: 15 }, index & 0x7fff);
}

export interface IrteFields {
  readonly present?: boolean;
  readonly fpd?: boolean;
  readonly destMode?: 0 | 1;
  readonly redirectionHint?: 0 | 1;
  readonly level?: boolean;
  readonly deliveryMode?: number;
  readonly vector: number;
  /** The APIC ID; placed in DST[15:8] unless `x2apic` (then DST is the full 32-bit ID). */
  readonly dest: number;
  readonly x2apic?: boolean;
  readonly sid?: number;
  readonly sq?: number;
  readonly svt?: number;
  /** Extra bits OR-ed into word 0 (to set reserved bits 14:12 or 31:24). */
  readonly reservedLow?: number;
}

export function irteWords(f: IrteFields): number[] {
  let w0 = set32(0, Irte.present, f.present === false ? 0 : 1);
  w0 = set32(w0, Irte.fpd, f.fpd === true ? 1 : 0);
  w0 = set32(w0, Irte.destMode, f.destMode ?? 0);
  w0 = set32(w0, Irte.redirectionHint, f.redirectionHint ?? 0);
  w0 = set32(w0, Irte.trigger, f.level === true ? 1 : 0);
  w0 = set32(w0, Irte.deliveryMode, f.deliveryMode ?? 0);
  w0 = set32(w0, Irte.vector, f.vector);
  w0 = (w0 | (f.reservedLow ?? 0)) >>> 0;
  const w1 = f.x2apic === true ? f.dest >>> 0 : ((f.dest & 0xff) << 8) >>> 0;
  let w2 = set32(0, Irte.sid, f.sid ?? 0);
  w2 = set32(w2, Irte.sq, f.sq ?? 0);
  w2 = set32(w2, Irte.svt, f.svt ?? 0);
  return [w0, w1, w2, 0];
}

export function irteHex(f: IrteFields): string {
  return formatHexWords(irteWords(f));
}

/** An IRTE as Linux leaves it when it lets go of it (`clear_entries`, `intel_irq_remapping_deactivate`): all zero. */
export const CLEARED_IRTE = formatHexWords([0, 0, 0, 0]);

export function msiCompatAddress(dest: number, destMode: 0 | 1 = 0, redirectionHint: 0 | 1 = 0): number {
  return encodeCompat({ dest, destMode, redirectionHint, deliveryMode: 0, vector: 0, trigger: 0 }).address;
}

export function msiData(vector: number, level = false, deliveryMode = 0): number {
  return ((vector & 0xff) | ((deliveryMode & 7) << 8) | (level ? 1 << 15 : 0)) >>> 0;
}

export function msiRemappableAddress(handle: number, subhandleValid: boolean): number {
  return encodeRemappable({ handle, subhandleValid });
}

/** IRTA.S as Linux sets it: the table holds 2^(S+1) entries, enough for the topology's IRTEs. */
export function linuxIrtaSize(topology: Topology): number {
  return Math.max(0, Math.ceil(Math.log2(topology.irtEntries)) - 1);
}

/**
 * How Linux switches interrupt remapping on (intel_setup_irq_remapping,
 * iommu_enable_irq_remapping): IRTA sized for the table and SIRTP, a global IEC flush,
 * then IRE with compatibility-format interrupts blocked (CFI clear).
 */
export function linuxEnableIr(topology: Topology): Command[] {
  return [
    { op: "ir.table", sizeLog2: linuxIrtaSize(topology), eime: topology.apicMode === "x2apic" },
    { op: "iec.invalidate", global: true },
    { op: "ir.control", ire: true, cfi: false },
  ];
}
