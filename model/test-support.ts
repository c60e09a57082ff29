/**
 * Helpers for the spec-derived unit tests of the reference model.
 *
 * Every builder here writes bit positions straight from the spec tables
 * (semantics.md §1.3-1.4 RTE, §4.3 IRTE, §7.1-7.2 MSI), on purpose without the model's
 * own field descriptors, so a wrong field table in the model makes a test fail.
 */
import { expect } from "vitest";
import type { Command } from "./commands.ts";
import type { MachineState, Outcome } from "./machine.ts";
import { initialState, step, visible } from "./machine.ts";
import type { Observation } from "./observations.ts";
import type { Topology } from "./topology.ts";
import { TOPOLOGIES } from "./topology.ts";

export function topology(name: "default" | "small" | "x2apic" | "ioapic-0x11"): Topology {
  const t = TOPOLOGIES[name];
  if (t === undefined) throw new Error(`no topology ${name}`);
  return t;
}

/** The single outcome of a step that the architecture makes deterministic. */
export function only(t: Topology, state: MachineState, command: Command): Outcome {
  const outcomes = step(t, state, command);
  expect(outcomes, `${JSON.stringify(command)} must have exactly one outcome`).toHaveLength(1);
  const o = outcomes[0];
  if (o === undefined) throw new Error("no outcome");
  return o;
}

export interface Run {
  readonly state: MachineState;
  /** Observations of each step, in command order. */
  readonly steps: readonly (readonly Observation[])[];
  /** Observations of the last step. */
  readonly last: readonly Observation[];
  /** Observations of every step, concatenated. */
  readonly all: readonly Observation[];
}

/** Runs commands from `start` (reset by default), asserting every step is deterministic. */
export function run(t: Topology, commands: readonly Command[], start: MachineState = initialState(t)): Run {
  let state = start;
  const steps: Observation[][] = [];
  for (const c of commands) {
    const o = only(t, state, c);
    steps.push([...o.observations]);
    state = o.next;
  }
  return { state, steps, last: steps[steps.length - 1] ?? [], all: steps.flat() };
}

export interface Delivery {
  readonly apicId: number;
  readonly vector: number;
  readonly trigger: "edge" | "level";
  readonly mode: string;
}

export function deliveries(obs: readonly Observation[]): Delivery[] {
  const out: Delivery[] = [];
  for (const o of obs) {
    if (o.kind === "deliver") out.push({ apicId: o.apicId, vector: o.vector, trigger: o.trigger, mode: o.mode });
  }
  return out;
}

/** `[apicId, vector]` of each delivery: the short form most tests compare. */
export function delivered(obs: readonly Observation[]): [number, number][] {
  return deliveries(obs).map((d) => [d.apicId, d.vector]);
}

export function faults(obs: readonly Observation[]): { reason: number; index: number; sourceId: number }[] {
  const out: { reason: number; index: number; sourceId: number }[] = [];
  for (const o of obs) if (o.kind === "fault") out.push({ reason: o.reason, index: o.index, sourceId: o.sourceId });
  return out;
}

export function reads(obs: readonly Observation[]): number[] {
  const out: number[] = [];
  for (const o of obs) if (o.kind === "read") out.push(o.value);
  return out;
}

// ---- IOAPIC (semantics.md §1.2-1.4) ----------------------------------------------------

export const lowReg = (pin: number): number => 0x10 + 2 * pin;
export const highReg = (pin: number): number => 0x11 + 2 * pin;

export const DM = { fixed: 0, lowest: 1, smi: 2, nmi: 4, init: 5, extint: 7 } as const;

export interface RteLowFields {
  vector: number;
  /** Bits 10:8. */
  deliveryMode?: number;
  /** Bit 11: 1 = logical (compatibility) / interrupt_index[15] (remappable). */
  destMode?: 0 | 1;
  /** Bit 13. */
  polarity?: 0 | 1;
  /** Bit 15. */
  trigger?: "edge" | "level";
  /** Bit 16. */
  masked?: boolean;
}

/** RTE bits 31:0 (semantics.md §1.3). */
export function rteLow(f: RteLowFields): number {
  return (
    ((f.vector & 0xff) |
      ((f.deliveryMode ?? 0) << 8) |
      ((f.destMode ?? 0) << 11) |
      ((f.polarity ?? 0) << 13) |
      ((f.trigger === "level" ? 1 : 0) << 15) |
      ((f.masked === true ? 1 : 0) << 16)) >>>
    0
  );
}

/** RTE bits 63:32, compatibility format: dest in 63:56, KVM ext dest (dest[14:8]) in 55:49. */
export function rteHighCompat(dest: number): number {
  return (((dest & 0xff) << 24) | (((dest >>> 8) & 0x7f) << 17)) >>> 0;
}

/** RTE bits 63:32, remappable format (semantics.md §1.4): index[14:0] in 63:49, format bit 48. */
export function rteHighRemap(index: number): number {
  return (((index & 0x7fff) << 17) | (1 << 16)) >>> 0;
}

/** Linux's `__ioapic_write_entry` order: high word, then low word (semantics.md §6.1). */
export function writeRte(pin: number, low: number, high = 0): Command[] {
  return [
    { op: "ioapic.write", reg: highReg(pin), value: high },
    { op: "ioapic.write", reg: lowReg(pin), value: low },
  ];
}

export const REMOTE_IRR = 1 << 14;
export const DELIVERY_STATUS = 1 << 12;

/** RTE words as the guest reads them back. */
export function rteOf(state: MachineState, pin: number): { low: number; high: number } {
  const r = visible(state).rtes;
  return { low: r[2 * pin] ?? -1, high: r[2 * pin + 1] ?? -1 };
}

export function remoteIrrOf(state: MachineState, pin: number): boolean {
  return (rteOf(state, pin).low & REMOTE_IRR) !== 0;
}

export const lineSet = (pin: number, level: 0 | 1): Command => ({ op: "line.set", pin, level });

// ---- VT-d IRTE (semantics.md §4.3) ------------------------------------------------------

export interface IrteFields {
  present?: boolean;
  fpd?: boolean;
  /** Bit 2: 1 = logical. */
  dm?: 0 | 1;
  rh?: 0 | 1;
  /** Bit 4: 1 = level. */
  tm?: 0 | 1;
  /** Bits 7:5. */
  dlm?: number;
  /** Bits 11:8. */
  avail?: number;
  /** Bit 15. */
  im?: 0 | 1;
  vector: number;
  /** Bits 63:32, taken as is: xAPIC callers put the APIC ID in bits 15:8 themselves. */
  dst: number;
  /** Bits 79:64. */
  sid?: number;
  /** Bits 81:80. */
  sq?: number;
  /** Bits 83:82. */
  svt?: number;
  /** Extra bits to OR into each 32-bit word (for reserved-bit tests). */
  extra?: readonly [number, number, number, number];
}

export function irteWords(f: IrteFields): [number, number, number, number] {
  const x = f.extra ?? [0, 0, 0, 0];
  const w0 =
    ((f.present === false ? 0 : 1) |
      ((f.fpd === true ? 1 : 0) << 1) |
      ((f.dm ?? 0) << 2) |
      ((f.rh ?? 0) << 3) |
      ((f.tm ?? 0) << 4) |
      ((f.dlm ?? 0) << 5) |
      ((f.avail ?? 0) << 8) |
      ((f.im ?? 0) << 15) |
      ((f.vector & 0xff) << 16) |
      x[0]) >>>
    0;
  const w1 = (f.dst | x[1]) >>> 0;
  const w2 = ((f.sid ?? 0) | ((f.sq ?? 0) << 16) | ((f.svt ?? 0) << 18) | x[2]) >>> 0;
  const w3 = x[3] >>> 0;
  return [w0, w1, w2, w3];
}

/** 128-bit IRTE as the `0x` hex string irte.write takes. */
export function irteHex(f: IrteFields): string {
  const [w0, w1, w2, w3] = irteWords(f);
  const h = (w: number) => w.toString(16).padStart(8, "0");
  return `0x${h(w3)}${h(w2)}${h(w1)}${h(w0)}`;
}

/** xAPIC-mode IRTE destination: APIC ID in DST bits 15:8 (IRTE bits 47:40). */
export const xapicDst = (apicId: number): number => (apicId & 0xff) << 8;

/**
 * Write IRTEs, make them current (global IEC invalidation), set the table size and enable
 * remapping: the Linux order is SIRTP, global IEC, IRE (semantics.md D10).
 */
export function setupIr(opts: {
  sizeLog2?: number;
  eime?: boolean;
  cfi?: boolean;
  irtes?: readonly [number, IrteFields][];
}): Command[] {
  const cmds: Command[] = [{ op: "ir.table", sizeLog2: opts.sizeLog2 ?? 2, eime: opts.eime ?? false }];
  for (const [index, f] of opts.irtes ?? []) cmds.push({ op: "irte.write", index, irte: irteHex(f) });
  cmds.push({ op: "iec.invalidate", global: true });
  cmds.push({ op: "ir.control", ire: true, cfi: opts.cfi ?? false });
  return cmds;
}

// ---- MSI (semantics.md §7.1-7.2) --------------------------------------------------------

/** Compatibility-format MSI address: dest[7:0] in 19:12, dest[14:8] in 11:5 (KVM ext dest). */
export function msiAddrCompat(dest: number, opts: { logical?: boolean; rh?: boolean } = {}): number {
  return (
    (0xfee00000 |
      ((dest & 0xff) << 12) |
      (((dest >>> 8) & 0x7f) << 5) |
      ((opts.rh === true ? 1 : 0) << 3) |
      ((opts.logical === true ? 1 : 0) << 2)) >>>
    0
  );
}

/** Remappable-format MSI address: handle[14:0] in 19:5, format bit 4, SHV bit 3, handle[15] bit 2. */
export function msiAddrRemap(handle: number, shv = false): number {
  return (0xfee00000 | ((handle & 0x7fff) << 5) | (1 << 4) | ((shv ? 1 : 0) << 3) | (((handle >>> 15) & 1) << 2)) >>> 0;
}

export function msiData(vector: number, opts: { deliveryMode?: number; level?: boolean } = {}): number {
  return ((vector & 0xff) | ((opts.deliveryMode ?? 0) << 8) | (1 << 14) | ((opts.level === true ? 1 : 0) << 15)) >>> 0;
}

/** Program an MSI-X vector, unmask it and fire it once. */
export function msiSend(dev: number, vec: number, address: number, data: number): Command[] {
  return [
    { op: "msi.program", dev, vec, address, data },
    { op: "msi.mask", dev, vec, masked: false },
    { op: "msi.fire", dev, vec },
  ];
}

// ---- LAPIC (semantics.md §7.3) ----------------------------------------------------------

export function vectorsIn(words: readonly number[]): number[] {
  const out: number[] = [];
  for (let v = 0; v < 256; v++) if ((((words[v >>> 5] ?? 0) >>> (v & 31)) & 1) === 1) out.push(v);
  return out;
}

export function lapicOf(state: MachineState, cpu: number): { irr: number[]; isr: number[]; tmr: number[] } {
  const l = visible(state).lapics[cpu];
  if (l === undefined) throw new Error(`no cpu ${cpu}`);
  return { irr: vectorsIn(l.irr), isr: vectorsIn(l.isr), tmr: vectorsIn(l.tmr) };
}
