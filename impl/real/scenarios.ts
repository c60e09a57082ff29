/**
 * The seed-bug acceptance scenarios as command sequences (pin 10, vector 0x41), with the
 * outcome real QEMU 7.2 shows (shared/docs/real-qemu.md, semantics.md D1-D3), built with
 * the scenario library's encoders.
 */

import { get32 } from "../../model/bits.ts";
import type { Command } from "../../model/commands.ts";
import { RteLow } from "../../model/ioapic.ts";
import {
  accept,
  eoi,
  invalidate,
  invalidateAll,
  irteWrite,
  line,
  lowReg,
  pulse,
  read,
  writeHigh,
  writeLow,
} from "../../properties/scenarios/build.ts";

export const PIN = 10;
const level = (vector: number, masked = false) => writeLow(PIN, { vector, level: true, masked });
const toApic = (dest: number) => writeHigh(PIN, { vector: 0, dest });
const raise = line(PIN, 1);
const lower = line(PIN, 0);

/** Seed bug (D1): level RTE routed to APIC 1 unmasked; mask; dest := 0; raise; unmask. */
export const seedScenario: readonly Command[] = [
  toApic(1),
  level(0x41),
  level(0x41, true),
  toApic(0),
  raise,
  level(0x41),
];

/** D2: vector 0x41 unmasked; mask; vector := 0x40 while masked; raise; unmask. */
export const vectorChangeScenario: readonly Command[] = [
  toApic(0),
  level(0x41),
  level(0x41, true),
  level(0x40, true),
  raise,
  level(0x40),
];

/** IRTE `index`: present, level, fixed, physical (VT-d §9.10), to an xAPIC destination. */
const levelIrte = (index: number, dest: number, vector: number) => irteWrite(index, { dest, vector, level: true });
/** The RTE in remappable format (VT-d §5.1.5.1) with interrupt index `handle`. */
const remapped = (handle: number) => writeHigh(PIN, { vector: 0, remap: handle });

const irOn: readonly Command[] = [
  { op: "ir.table", sizeLog2: 0, eime: false },
  invalidateAll,
  { op: "ir.control", ire: true, cfi: false },
];

/** D1 with IR: RTE handle 0 (IRTE0 -> APIC 1, 0x41) unmasked; mask; handle := 1 (IRTE1 -> APIC 0, 0x42); raise; unmask. */
export const irHandleChangeScenario: readonly Command[] = [
  levelIrte(0, 1, 0x41),
  levelIrte(1, 0, 0x42),
  ...irOn,
  remapped(0),
  level(0x41),
  level(0x41, true),
  remapped(1),
  raise,
  level(0x41),
];

/** D3: IRTE0 (-> APIC 0, 0x41) routed; IRTE0 := not present; IEC invalidate index 0; raise. */
export const irInvalidIrteScenario: readonly Command[] = [
  levelIrte(0, 0, 0x41),
  ...irOn,
  remapped(0),
  level(0x41),
  irteWrite(0, { dest: 0, vector: 0, present: false }),
  invalidate(0),
  raise,
];

/**
 * Host-quirk probe (impl/real/quirks.ts Q1): level pin 10, vector 0x41 to APIC ID 0; raise;
 * accept; the device lowers the line; EOI; read the RTE. SDM: ISR holds 0x41 after the
 * accept, the EOI clears it and Remote IRR; kvm_pvm split: ISR stays empty, Remote IRR stays.
 */
export const acceptEoiScenario: readonly Command[] = [
  toApic(0),
  level(0x41),
  raise,
  accept(0),
  lower,
  eoi(0),
  read(lowReg(PIN)),
];

const PIN_B = 11;

/**
 * D8: level 0x41 on pin 10 in service on APIC 0, the line lowered; unmasked vector := 0x42
 * (the route now carries 0x42); masked vector := 0x41 (QEMU leaves a masked pin's route
 * alone); EOI. SDM: the EOI of 0x41 (TMR set) clears Remote IRR of the RTE with vector 0x41;
 * KVM: no level route carries 0x41, so the EOI never leaves the LAPIC.
 */
export const d8Scenario: readonly Command[] = [
  toApic(0),
  level(0x41),
  raise,
  accept(0),
  lower,
  level(0x42),
  level(0x41, true),
  eoi(0),
  read(lowReg(PIN)),
];

/**
 * D17: level 0x41 on pin 10 in service on APIC 0, the line lowered; an edge on pin 11 with
 * the same vector 0x41 is accepted into IRR (TMR := 0, SDM §10.8.4); EOI. SDM: TMR clear, no
 * EOI broadcast, Remote IRR stays; KVM split: 0x41 is in the EOI-exit bitmap (pin 10's level
 * route targets APIC 0), so the EOI is forwarded and clears it.
 */
export const d17Scenario: readonly Command[] = [
  toApic(0),
  level(0x41),
  raise,
  accept(0),
  lower,
  writeHigh(PIN_B, { vector: 0, dest: 0 }),
  writeLow(PIN_B, { vector: 0x41 }),
  pulse(PIN_B),
  eoi(0),
  read(lowReg(PIN)),
];

/**
 * M2 (D8a by kernel): level 0x41 on pin 10 to APIC 1, accepted there, the line lowered; RTE
 * retargeted to APIC 0; APIC 1 EOIs. SDM: Remote IRR cleared. KVM with the split-mode
 * pending-EOI clause (kvm_scan_ioapic_irq: the vector is in APIC 1's ISR) forwards the EOI;
 * without it APIC 1's EOI-exit bitmap lost 0x41 at the retarget and Remote IRR stays.
 */
export const eoiRetargetScenario: readonly Command[] = [
  toApic(1),
  level(0x41),
  raise,
  accept(1),
  lower,
  toApic(0),
  eoi(1),
  read(lowReg(PIN)),
];

/**
 * M1: edge 0x41 on pin 10 to APIC 0; raise; accept; EOI; raise again with the line already
 * high. 82093AA: no new edge, nothing delivered; QEMU's ioapic_set_irq treats every
 * assertion of an edge pin as an edge and delivers 0x41 again.
 */
export const lineReassertScenario: readonly Command[] = [
  toApic(0),
  writeLow(PIN, { vector: 0x41 }),
  raise,
  accept(0),
  eoi(0),
  raise,
];

/**
 * D23 (was M3): edge vector 0x00 on pin 10 to APIC 0; raise; accept. SDM: an illegal
 * vector, never accepted; KVM sets its IRR bit and never dispatches it.
 */
export const vectorZeroScenario: readonly Command[] = [toApic(0), writeLow(PIN, { vector: 0x00 }), raise, accept(0)];

/**
 * D2e: a level RTE (unmasked first, so that every QEMU builds its route), masked; the line
 * asserted (QEMU's irr holds it); the pin switched to edge and unmasked. 82093AA: the input
 * did not transition, no edge, nothing sent; QEMU's ioapic_service finds the irr bit on an
 * edge pin and delivers 0x41 (7.2 through the level route it has not refreshed yet, D1).
 */
export const levelToEdgeScenario: readonly Command[] = [
  toApic(0),
  level(0x41),
  level(0x41, true),
  raise,
  writeLow(PIN, { vector: 0x41 }),
];

/**
 * D18: a masked edge RTE; the line asserted; the pin switched to level and unmasked.
 * 82093AA: a level input that is asserted is sent once unmasked; QEMU's ioapic_set_irq
 * ignored the assert of the masked edge pin, so its irr is clear and nothing is sent.
 */
export const edgeToLevelScenario: readonly Command[] = [
  toApic(0),
  writeLow(PIN, { vector: 0x41, masked: true }),
  raise,
  level(0x41),
];

/**
 * D10b: remapping on with CFI clear (Linux's order); a compatibility-format RTE to APIC 0,
 * raised. VT-d: blocked, fault 0x25 recorded; QEMU passes compatibility format through.
 */
export const compatBlockedScenario: readonly Command[] = [...irOn, toApic(0), writeLow(PIN, { vector: 0x41 }), raise];

/**
 * D10a: the table set up (SIRTP: QEMU refreshes every route, remapping still off) and IRTE 0
 * written (-> APIC 1, 0x42); a remappable RTE with handle 0 routed while remapping is off
 * (QEMU passes the message through untranslated); IRE set; raise. VT-d: translated through
 * IRTE 0 (0x42 to APIC 1); QEMU sends no IEC notify on IRE, so KVM keeps the pass-through
 * route (vector 0x41 to the APIC ID the handle bits decode as, 0).
 */
export const ireWithoutNotifyScenario: readonly Command[] = [
  { op: "ir.table", sizeLog2: 0, eime: false },
  levelIrte(0, 1, 0x42),
  invalidateAll,
  remapped(0),
  level(0x41),
  { op: "ir.control", ire: true, cfi: false },
  raise,
];

/** MSI-X entry 0 of device 0 (the ivshmem-doorbell at 00:01.0 on the real machine). */
const msi = { dev: 0, vec: 0 } as const;

/**
 * An irqfd-backed MSI-X vector: programmed (compatibility format, fixed, edge, physical)
 * to APIC 0 with 0x51 and unmasked, fired (QEMU assigned the irqfd at the unmask: 0x51 in
 * IRR); masked, reprogrammed to APIC 1 with 0x52 and fired while masked (no irqfd: the
 * PBA bit, SDM/PCI 3.0 §6.8.2.9); unmasked (the pending message goes out: 0x52 on APIC 1,
 * the PBA bit clear).
 */
export const msixFireScenario: readonly Command[] = [
  { op: "msi.program", ...msi, address: 0xfee00000, data: 0x51 },
  { op: "msi.mask", ...msi, masked: false },
  { op: "msi.fire", ...msi },
  { op: "msi.mask", ...msi, masked: true },
  { op: "msi.program", ...msi, address: 0xfee01000, data: 0x52 },
  { op: "msi.fire", ...msi },
  { op: "msi.mask", ...msi, masked: false },
];

/**
 * A1: remapping on, the vector programmed in remappable format with handle 0 (IRTE 0 not
 * present) and unmasked. The vIOMMU rejects the message, so ivshmem_vector_unmask's route
 * update fails and QEMU aborts in msix_fire_vector_notifier (impl/real/aborts.ts).
 */
export const msixUnmaskAbortScenario: readonly Command[] = [
  ...irOn,
  { op: "msi.program", ...msi, address: 0xfee00010, data: 0 },
  { op: "msi.mask", ...msi, masked: false },
];

/** Remote IRR of an RTE low word (82093AA §3.2.4). */
export function remoteIrr(rteLow: number | undefined): boolean {
  return get32(rteLow ?? 0, RteLow.remoteIrr) === 1;
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
  d8: {
    title: "D8: level 0x41 in service; vector := 0x42 unmasked, then 0x41 masked (route keeps 0x42); EOI",
    commands: d8Scenario,
  },
  d17: {
    title: "D17: level 0x41 (pin 10) in service; edge 0x41 (pin 11) accepted into IRR, TMR cleared; EOI",
    commands: d17Scenario,
  },
  "eoi-retarget": {
    title: "M2: level 0x41 in service on APIC 1; RTE retargeted to APIC 0; APIC 1 EOIs (pending-EOI clause)",
    commands: eoiRetargetScenario,
  },
  "line-reassert": {
    title: "M1: edge 0x41 raised, accepted, EOI'd; line.set 1 again with the line already high",
    commands: lineReassertScenario,
  },
  "level-to-edge": {
    title: "D2e: level pin 10 routed, masked, raised; switched to edge and unmasked (no transition)",
    commands: levelToEdgeScenario,
  },
  "edge-to-level": {
    title: "D18: masked edge pin 10 raised; switched to level and unmasked (the line is high)",
    commands: edgeToLevelScenario,
  },
  "compat-blocked": {
    title: "D10b: IR on with CFI clear; compatibility-format RTE to APIC ID 0; raise (VT-d: fault 0x25)",
    commands: compatBlockedScenario,
  },
  "ire-without-notify": {
    title: "D10a: remappable RTE routed with remapping off; IRE set (no IEC notify); raise",
    commands: ireWithoutNotifyScenario,
  },
  "msix-fire": {
    title:
      "MSI-X (ivshmem-doorbell): vector to APIC ID 0 unmasked and fired; masked, to APIC ID 1, fired (PBA); unmasked",
    commands: msixFireScenario,
  },
  "msix-unmask-abort": {
    title: "A1: IR on; MSI-X vector in remappable format to a non-present IRTE; unmask (QEMU aborts)",
    commands: msixUnmaskAbortScenario,
  },
  "vector-0": {
    title: "D23: edge RTE with vector 0x00; raise; accept (illegal for the LAPIC; KVM latches it in IRR)",
    commands: vectorZeroScenario,
  },
};
