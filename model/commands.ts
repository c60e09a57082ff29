/**
 * The command language: what a guest, a device or a vCPU does, one step at a time.
 * Plain JSON values, shared by the model, every implementation, the generators, saved
 * counterexamples, the trace importer and the explorer. Validation of untrusted input
 * lives in properties/language.ts.
 *
 * Numbers are unsigned 32-bit unless said otherwise. `pin` is an IOAPIC input (a GSI,
 * 0..23), not an ISA IRQ. `cpu` is an index into topology.cpus; `dev` into
 * topology.msiDevices and `vec` into that device's MSI-X table.
 */

export type Command =
  /** Guest writes IOREGSEL := reg, then a 32-bit IOWIN write of value (82093AA §3.0). */
  | { readonly op: "ioapic.write"; readonly reg: number; readonly value: number }
  /** Guest writes IOREGSEL := reg, then a 32-bit IOWIN read; the value is an observation. */
  | { readonly op: "ioapic.read"; readonly reg: number }
  /** Guest writes `vector` to the IOxAPIC EOI register (offset 0x40; version 0x20 only). */
  | { readonly op: "ioapic.eoi"; readonly vector: number }
  /**
   * An EOI message for `vector` reached the IOAPIC from a LAPIC (what QEMU traces as
   * `ioapic_eoi_broadcast`). Only the IOAPIC side: which vCPU ended which interrupt is not
   * part of the command, so no LAPIC changes. Used by the trace importer.
   */
  | { readonly op: "eoi.broadcast"; readonly vector: number }
  /** A device drives an IOAPIC input to a level. */
  | { readonly op: "line.set"; readonly pin: number; readonly level: 0 | 1 }
  /** A device raises then lowers an IOAPIC input. */
  | { readonly op: "line.pulse"; readonly pin: number }
  /** Guest writes a 128-bit IRTE in memory (low qword, then high); no invalidation implied. */
  | { readonly op: "irte.write"; readonly index: number; readonly irte: string }
  /** Interrupt-entry-cache invalidation descriptor (VT-d §6.5.2.7), completed by a wait. */
  | { readonly op: "iec.invalidate"; readonly global: true }
  | { readonly op: "iec.invalidate"; readonly global: false; readonly index: number; readonly mask: number }
  /** Guest writes IRTA (S = sizeLog2, EIME) then GCMD.SIRTP: the table has 2^(S+1) entries. */
  | { readonly op: "ir.table"; readonly sizeLog2: number; readonly eime: boolean }
  /** Guest writes GCMD.IRE and GCMD.CFI. */
  | { readonly op: "ir.control"; readonly ire: boolean; readonly cfi: boolean }
  /** Guest clears every fault recording register's F bit and FSTS.PFO (write-1-to-clear). */
  | { readonly op: "ir.fault-clear" }
  /**
   * Guest programs an MSI-X table entry (upper address 0) the way Linux does it: mask the
   * entry if it is unmasked, write address and data, restore the mask bit.
   */
  | {
      readonly op: "msi.program";
      readonly dev: number;
      readonly vec: number;
      readonly address: number;
      readonly data: number;
    }
  /** Guest sets or clears an MSI-X entry's vector-control mask bit. */
  | { readonly op: "msi.mask"; readonly dev: number; readonly vec: number; readonly masked: boolean }
  /** The device signals an MSI-X vector. */
  | { readonly op: "msi.fire"; readonly dev: number; readonly vec: number }
  /** The vCPU takes its highest pending interrupt above its processor priority (IRR -> ISR). */
  | { readonly op: "cpu.accept"; readonly cpu: number }
  /** The vCPU writes its LAPIC EOI register: ends the highest in-service interrupt. */
  | { readonly op: "cpu.eoi"; readonly cpu: number };

export type Op = Command["op"];

export const OPS: readonly Op[] = [
  "ioapic.write",
  "ioapic.read",
  "ioapic.eoi",
  "eoi.broadcast",
  "line.set",
  "line.pulse",
  "irte.write",
  "iec.invalidate",
  "ir.table",
  "ir.control",
  "ir.fault-clear",
  "msi.program",
  "msi.mask",
  "msi.fire",
  "cpu.accept",
  "cpu.eoi",
];

/** IOREGSEL indices (82093AA §3.2). */
export const IOREGSEL = {
  ID: 0x00,
  VER: 0x01,
  ARB: 0x02,
  /** RTE n low word is 0x10 + 2n, high word 0x11 + 2n. */
  REDTBL_BASE: 0x10,
} as const;

export function rteLowReg(pin: number): number {
  return IOREGSEL.REDTBL_BASE + 2 * pin;
}

export function rteHighReg(pin: number): number {
  return IOREGSEL.REDTBL_BASE + 2 * pin + 1;
}
