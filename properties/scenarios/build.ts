/**
 * Builders for scenarios. Field positions come from the spec tables (82093AA §3.2.4 and
 * semantics.md §1.3-1.4 for RTEs, VT-d §9.10 / semantics.md §4.3 for IRTEs, §7.1-7.2 for MSI),
 * written here independently of the model's field tables so that a wrong table in the model
 * shows up as a failing scenario.
 */
import type { Command } from "../../model/commands.ts";
import { DELIVERY_MODES, type DeliveryMode, type Observation, type Trigger } from "../../model/observations.ts";
import { TOPOLOGIES, type Topology } from "../../model/topology.ts";
import type { CheckedStep, LapicExpectation, ScenarioStep } from "./types.ts";

function topology(name: string): Topology {
  const t = TOPOLOGIES[name];
  if (t === undefined) throw new Error(`no topology ${name}`);
  return t;
}

/** Four vCPUs, APIC IDs 0-3, xAPIC flat logical IDs 1 << index, IOxAPIC version 0x20, 8 IRTEs. */
export const FOUR_CPUS = topology("default");
/** Two vCPUs and an 82093AA-style IOAPIC (version 0x11: no EOI register). */
export const OLD_IOAPIC = topology("ioapic-0x11");

// ---- IOAPIC redirection entries ---------------------------------------------------------

export interface RteFields {
  readonly vector: number;
  readonly mode?: DeliveryMode;
  /** Bit 11: logical destination (compatibility format). */
  readonly logical?: boolean;
  /** Bit 13: active low. */
  readonly activeLow?: boolean;
  /** Bit 15: level triggered. */
  readonly level?: boolean;
  /** Bit 16. */
  readonly masked?: boolean;
  /** Bits 63:56 (compatibility format). */
  readonly dest?: number;
  /** Remappable format (VT-d §5.1.5.1): interrupt index; bit 48 set, index[14:0] in 63:49. */
  readonly remap?: number;
}

/** RTE bits 31:0. */
export function rteLow(f: RteFields): number {
  const flag = (on: boolean | undefined, at: number) => (on === true ? 2 ** at : 0);
  const mode = DELIVERY_MODES.indexOf(f.mode ?? "fixed");
  const indexBit15 = f.remap === undefined ? f.logical : ((f.remap >>> 15) & 1) === 1;
  return (
    (f.vector & 0xff) +
    mode * 2 ** 8 +
    flag(indexBit15, 11) +
    flag(f.activeLow, 13) +
    flag(f.level, 15) +
    flag(f.masked, 16)
  );
}

/** RTE bits 63:32. */
export function rteHigh(f: RteFields): number {
  if (f.remap !== undefined) return ((f.remap & 0x7fff) * 2 ** 17 + 2 ** 16) >>> 0;
  return ((f.dest ?? 0) & 0xff) * 2 ** 24;
}

export const lowReg = (pin: number): number => 0x10 + pin * 2;
export const highReg = (pin: number): number => 0x11 + pin * 2;

/** Program a whole RTE the way Linux's `__ioapic_write_entry` does: high word, then low. */
export function program(pin: number, f: RteFields): Command[] {
  return [writeHigh(pin, f), writeLow(pin, f)];
}

export const writeLow = (pin: number, f: RteFields): Command => ({
  op: "ioapic.write",
  reg: lowReg(pin),
  value: rteLow(f),
});
export const writeHigh = (pin: number, f: RteFields): Command => ({
  op: "ioapic.write",
  reg: highReg(pin),
  value: rteHigh(f),
});
export const write = (reg: number, value: number): Command => ({ op: "ioapic.write", reg, value });
export const read = (reg: number): Command => ({ op: "ioapic.read", reg });

// ---- devices and vCPUs ------------------------------------------------------------------

export const line = (pin: number, level: 0 | 1): Command => ({ op: "line.set", pin, level });
export const pulse = (pin: number): Command => ({ op: "line.pulse", pin });
export const accept = (cpu: number): Command => ({ op: "cpu.accept", cpu });
export const eoi = (cpu: number): Command => ({ op: "cpu.eoi", cpu });
export const eoiRegister = (vector: number): Command => ({ op: "ioapic.eoi", vector });
export const broadcast = (vector: number): Command => ({ op: "eoi.broadcast", vector });

// ---- VT-d interrupt remapping -----------------------------------------------------------

export interface IrteFields {
  readonly vector: number;
  /** xAPIC APIC ID: IRTE bits 47:40 (DST bits 15:8, EIME = 0). */
  readonly dest: number;
  readonly present?: boolean;
  readonly fpd?: boolean;
  readonly logical?: boolean;
  readonly level?: boolean;
  readonly mode?: DeliveryMode;
  /** Bits 83:82 and 79:64: source validation type and source ID. */
  readonly svt?: number;
  readonly sid?: number;
  /** A reserved bit to set (e.g. 12, 24 or 100): the IRTE is then malformed. */
  readonly reservedBit?: number;
}

/** The 128-bit IRTE as the hex string `irte.write` takes. */
export function irte(f: IrteFields): string {
  const at = (on: boolean | undefined, n: number) => (on === true ? 1n << BigInt(n) : 0n);
  const value =
    at(f.present !== false, 0) |
    at(f.fpd, 1) |
    at(f.logical, 2) |
    at(f.level, 4) |
    (BigInt(DELIVERY_MODES.indexOf(f.mode ?? "fixed")) << 5n) |
    (BigInt(f.vector & 0xff) << 16n) |
    (BigInt(f.dest & 0xff) << 40n) |
    (BigInt(f.sid ?? 0) << 64n) |
    (BigInt(f.svt ?? 0) << 82n) |
    (f.reservedBit === undefined ? 0n : 1n << BigInt(f.reservedBit));
  return `0x${value.toString(16)}`;
}

export const irteWrite = (index: number, f: IrteFields): Command => ({ op: "irte.write", index, irte: irte(f) });
export const invalidateAll: Command = { op: "iec.invalidate", global: true };
/** An index-selective IEC invalidation of the 2^mask entries aligned at `index` (VT-d §6.5.2.7). */
export const invalidate = (index: number, mask = 0): Command => ({ op: "iec.invalidate", global: false, index, mask });

/**
 * Linux's order (semantics.md D10): table address and size (SIRTP), the IRTEs, a global IEC
 * invalidation, then IRE. The table has 2^(sizeLog2+1) entries.
 */
export function enableRemapping(entries: readonly [number, IrteFields][], sizeLog2 = 2): Command[] {
  return [
    { op: "ir.table", sizeLog2, eime: false },
    ...entries.map(([index, f]) => irteWrite(index, f)),
    invalidateAll,
    { op: "ir.control", ire: true, cfi: false },
  ];
}

/** Remappable-format MSI address (semantics.md §7.1): handle[14:0] 19:5, format 4, SHV 3, handle[15] 2. */
export function remappableAddress(handle: number, shv = false): number {
  return 0xfee00000 + (handle & 0x7fff) * 2 ** 5 + 2 ** 4 + (shv ? 2 ** 3 : 0) + ((handle >>> 15) & 1) * 2 ** 2;
}

/** Compatibility-format MSI address, physical destination. */
export const compatAddress = (dest: number): number => 0xfee00000 + (dest & 0xff) * 2 ** 12;

/** Program MSI-X vector `vec` of device `dev` and unmask it. */
export function msiVector(dev: number, vec: number, address: number, data: number): Command[] {
  return [
    { op: "msi.program", dev, vec, address, data },
    { op: "msi.mask", dev, vec, masked: false },
  ];
}

export const fire = (dev: number, vec: number): Command => ({ op: "msi.fire", dev, vec });
export const msiMask = (dev: number, vec: number, masked: boolean): Command => ({ op: "msi.mask", dev, vec, masked });

// ---- expectations -----------------------------------------------------------------------

export function delivered(apicId: number, vector: number, trigger: Trigger = "edge", mode: DeliveryMode = "fixed") {
  return { kind: "deliver", apicId, vector, trigger, mode } as const satisfies Observation;
}

export function faulted(reason: number, index: number, sourceId = 0xffff) {
  return { kind: "fault", reason, index, sourceId } as const satisfies Observation;
}

export function readBack(reg: number, value: number) {
  return { kind: "read", reg, value: value >>> 0 } as const satisfies Observation;
}

/** A step with one allowed outcome: exactly these observations (none: nothing happens). */
export function at(command: Command, ...observations: Observation[]): CheckedStep {
  return { command, outcomes: [observations] };
}

/** A step where the spec allows any one of these outcomes, and the reference must allow each. */
export function anyOf(command: Command, ...outcomes: Observation[][]): CheckedStep {
  return { command, outcomes };
}

/** The same step, also checking LAPIC registers afterwards. */
export function withLapic(step: CheckedStep, ...lapic: LapicExpectation[]): CheckedStep {
  return { ...step, lapic };
}

/** Steps as a list (readability: spread helpers and single steps together). */
export const steps = (...s: (ScenarioStep | readonly ScenarioStep[])[]): ScenarioStep[] => s.flat();
