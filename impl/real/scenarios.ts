/**
 * The acceptance scenarios of issue 7 as command sequences (pin 10, vector 0x41), with the
 * outcome real QEMU 7.2 shows (shared/docs/real-qemu.md, semantics.md D1-D3).
 */
import { formatHexWords } from "../../model/bits.ts";
import { type Command, rteHighReg, rteLowReg } from "../../model/commands.ts";

export const PIN = 10;
const lo = rteLowReg(PIN);
const hi = rteHighReg(PIN);
const LEVEL = 1 << 15;
const MASK = 1 << 16;
const write = (reg: number, value: number): Command => ({ op: "ioapic.write", reg, value: value >>> 0 });

/** Seed bug (D1): level RTE routed to APIC 1 unmasked; mask; dest := 0; raise; unmask. */
export const seedScenario: readonly Command[] = [
  write(hi, 1 << 24),
  write(lo, LEVEL | 0x41),
  write(lo, MASK | LEVEL | 0x41),
  write(hi, 0),
  { op: "line.set", pin: PIN, level: 1 },
  write(lo, LEVEL | 0x41),
];

/** D2: vector 0x41 unmasked; mask; vector := 0x40 while masked; raise; unmask. */
export const vectorChangeScenario: readonly Command[] = [
  write(hi, 0),
  write(lo, LEVEL | 0x41),
  write(lo, MASK | LEVEL | 0x41),
  write(lo, MASK | LEVEL | 0x40),
  { op: "line.set", pin: PIN, level: 1 },
  write(lo, LEVEL | 0x40),
];

/** A present, level, fixed, physical IRTE (VT-d §9.10) for an xAPIC destination. */
export function irte(dest: number, vector: number): string {
  return formatHexWords([0x11 | (vector << 16), (dest & 0xff) << 8, 0, 0], 32);
}
/** Remappable RTE high word (VT-d §5.1.5.1): format bit 48, handle in bits 63:49. */
const remappable = (handle: number): number => (1 << 16) | (handle << 17);

const irOn: readonly Command[] = [
  { op: "ir.table", sizeLog2: 0, eime: false },
  { op: "iec.invalidate", global: true },
  { op: "ir.control", ire: true, cfi: false },
];

/** D1 with IR: RTE handle 0 (IRTE0 -> APIC 1, 0x41) unmasked; mask; handle := 1 (IRTE1 -> APIC 0, 0x42); raise; unmask. */
export const irHandleChangeScenario: readonly Command[] = [
  { op: "irte.write", index: 0, irte: irte(1, 0x41) },
  { op: "irte.write", index: 1, irte: irte(0, 0x42) },
  ...irOn,
  write(hi, remappable(0)),
  write(lo, LEVEL | 0x41),
  write(lo, MASK | LEVEL | 0x41),
  write(hi, remappable(1)),
  { op: "line.set", pin: PIN, level: 1 },
  write(lo, LEVEL | 0x41),
];

/** D3: IRTE0 (-> APIC 0, 0x41) routed; IRTE0 := not present; IEC invalidate index 0; raise. */
export const irInvalidIrteScenario: readonly Command[] = [
  { op: "irte.write", index: 0, irte: irte(0, 0x41) },
  ...irOn,
  write(hi, remappable(0)),
  write(lo, LEVEL | 0x41),
  { op: "irte.write", index: 0, irte: "0x0" },
  { op: "iec.invalidate", global: false, index: 0, mask: 0 },
  { op: "line.set", pin: PIN, level: 1 },
];

/**
 * Host-quirk probe (impl/real/quirks.ts Q1): level pin 10, vector 0x41 to APIC ID 0; raise;
 * accept; the device lowers the line; EOI; read the RTE. SDM: ISR holds 0x41 after the
 * accept, the EOI clears it and Remote IRR; kvm_pvm split: ISR stays empty, Remote IRR stays.
 */
export const acceptEoiScenario: readonly Command[] = [
  write(hi, 0),
  write(lo, LEVEL | 0x41),
  { op: "line.set", pin: PIN, level: 1 },
  { op: "cpu.accept", cpu: 0 },
  { op: "line.set", pin: PIN, level: 0 },
  { op: "cpu.eoi", cpu: 0 },
  { op: "ioapic.read", reg: lo },
];

/** Is vector v pending in this 8-word IRR/ISR/TMR bitmap? */
export function hasVector(words: readonly number[] | undefined, v: number): boolean {
  return (((words?.[v >> 5] ?? 0) >>> (v & 31)) & 1) === 1;
}

/** Remote IRR of an RTE low word (82093AA §3.2.4, bit 14). */
export function remoteIrr(rteLow: number | undefined): boolean {
  return (((rteLow ?? 0) >>> 14) & 1) === 1;
}

/** The scenarios above by name, for `irqcheck real NAME` (2-vCPU topology `small`). */
export const SCENARIOS: Readonly<Record<string, { readonly title: string; readonly commands: readonly Command[] }>> = {
  seed: {
    title: "seed bug (D1): level pin 10 routed to APIC ID 1; mask; destination := APIC ID 0; raise; unmask",
    commands: seedScenario,
  },
  "vector-change": {
    title: "D2: level pin 10, vector 0x41 unmasked; mask; vector := 0x40; raise; unmask",
    commands: vectorChangeScenario,
  },
  "ir-handle-change": {
    title: "D1 with IR: remappable RTE handle 0 (APIC ID 1) unmasked; mask; handle := 1 (APIC ID 0); raise; unmask",
    commands: irHandleChangeScenario,
  },
  "accept-eoi": {
    title: "host probe: level pin 10 to APIC ID 0; raise; accept; lower; EOI; read the RTE (Q1 on kvm_pvm split)",
    commands: acceptEoiScenario,
  },
  "ir-invalid-irte": {
    title: "D3: IRTE 0 routed; IRTE 0 := not present; IEC invalidate index 0; raise",
    commands: irInvalidIrteScenario,
  },
};
