/**
 * The `intx` profile: level-triggered PCI INTx as a driver and an assigned device live it.
 * The device asserts its line (rarely before the driver set the IRQ up); the driver's
 * handler accepts the interrupt, services the device (the line drops) or not, and EOIs
 * (with interrupt remapping, Linux also writes the pin to the IOAPIC EOI register:
 * `ioapic_ir_ack_level`); the device asserts again. Interleaved: disable_irq/enable_irq
 * (RTE mask and unmask), retargeting at any time (a masked rewrite of the destination,
 * or under IR an IRTE rewrite and its invalidation), vector and destination moves in the
 * handler's EOI path as Linux does them for level IRQs (semantics.md §6.3: the vector
 * never changes while it is in service, D8), and IRTE churn (any IRTE, any invalidation).
 *
 * Why the reference needs nothing new for this: an INTx device drives a level input of the
 * IOAPIC, and everything a guest may see follows from the IOAPIC's level semantics
 * (semantics.md §1.6-1.9, 82093AA §3.2.4): delivered while the input is asserted, the entry
 * unmasked and Remote IRR clear; Remote IRR set until the EOI of the entry's vector; on that
 * EOI re-delivered if the input is still asserted; a masked entry delivers nothing and
 * delivers on unmask if the input is still asserted. irqfd, resamplefd and VFIO's host mask
 * are how an implementation gets there; `line.set 1` is "the device asserts" and
 * `line.set 0` "the device was serviced". The pins are the topology's `intxPins`, or 16 and
 * 17 (plain level inputs) on a topology without assigned devices.
 */
import type { Command } from "../../model/commands.ts";
import { rteHighReg, rteLowReg } from "../../model/commands.ts";
import type { Topology } from "../../model/topology.ts";
import { bool, elements, type Gen, int, map, oneof, record } from "../gen.ts";
import { irteHex, linuxEnableIr, rteHighCompat, rteHighRemappable, rteLow } from "./encode.ts";
import { invalidateGen, irteGen } from "./uniform.ts";
import { irteVectors, pinVectors } from "./vectors.ts";

export type IntxStep =
  | { readonly k: "ir-on" }
  | { readonly k: "setup" | "retarget" | "move"; readonly pin: number; readonly cpu: number; readonly vec: number }
  | { readonly k: "assert" | "stray" | "service"; readonly pin: number }
  | { readonly k: "handle"; readonly pin: number; readonly service: boolean }
  | { readonly k: "mask"; readonly pin: number; readonly masked: boolean }
  | { readonly k: "raw"; readonly command: Command };

/** The pins the profile drives: the topology's INTx pins, or PCI INTA/INTB's GSIs 16 and 17. */
export function intxPins(topology: Topology): readonly number[] {
  return topology.intxPins !== undefined && topology.intxPins.length > 0 ? topology.intxPins : [16, 17];
}

export function intxSteps(topology: Topology): Gen<IntxStep> {
  const pin = elements(intxPins(topology));
  const cpu = int(0, topology.cpus.length - 1);
  const vec = int(0, 1);
  return oneof<IntxStep>(
    [2, map(record({ pin, cpu, vec }), (f) => ({ k: "setup" as const, ...f }))],
    [6, map(pin, (p) => ({ k: "assert" as const, pin: p }))],
    [1, map(pin, (p) => ({ k: "stray" as const, pin: p }))],
    [3, map(pin, (p) => ({ k: "service" as const, pin: p }))],
    [6, map(record({ pin, service: bool }), (f) => ({ k: "handle" as const, ...f }))],
    [3, map(record({ pin, masked: bool }), (f) => ({ k: "mask" as const, ...f }))],
    [3, map(record({ pin, cpu, vec }), (f) => ({ k: "retarget" as const, ...f }))],
    [2, map(record({ pin, cpu, vec }), (f) => ({ k: "move" as const, ...f }))],
    [1, elements<IntxStep>([{ k: "ir-on" }])],
    [1, map(irteGen(topology), (c) => ({ k: "raw" as const, command: c }))],
    [1, map(invalidateGen(topology), (c) => ({ k: "raw" as const, command: c }))],
  );
}

/** IRTE index of an INTx pin under IR: after the linux profile's (0, 1) and the MSI-X vectors'. */
export function intxIrteIndex(topology: Topology, pin: number): number {
  return (6 + Math.max(0, intxPins(topology).indexOf(pin))) % topology.irtEntries;
}

interface PinShadow {
  cpu: number;
  vec: number;
  masked: boolean;
  /** Where the handler runs: the CPU the entry pointed to when the device last asserted. */
  takenOn: number;
  /** A move waiting for the next interrupt's EOI path (`irq_move_masked_irq`). */
  pendingMove: { readonly cpu: number; readonly vec: number } | null;
}

/** The guest driver for one run: Linux's shadow RTE per pin (`mp_chip_data.entry`). */
export function intxDriver(topology: Topology): (step: IntxStep) => readonly Command[] {
  const pins = new Map<number, PinShadow>();
  let ir = false;
  const apicId = (cpu: number) => topology.cpus[cpu]?.apicId ?? 0;
  const vector = (pin: number, s: PinShadow) =>
    (ir ? irteVectors(intxIrteIndex(topology, pin), true) : pinVectors(pin, true))[s.vec] ?? 0;
  const low = (pin: number, s: PinShadow): Command => ({
    op: "ioapic.write",
    reg: rteLowReg(pin),
    value: rteLow({ vector: ir ? pin : vector(pin, s), level: true, masked: s.masked }),
  });
  const high = (pin: number, s: PinShadow): Command => ({
    op: "ioapic.write",
    reg: rteHighReg(pin),
    value: ir ? rteHighRemappable(intxIrteIndex(topology, pin)) : rteHighCompat(apicId(s.cpu)),
  });
  const irte = (pin: number, s: PinShadow): Command[] => {
    const index = intxIrteIndex(topology, pin);
    const fields = { vector: vector(pin, s), dest: apicId(s.cpu), level: true, x2apic: topology.apicMode === "x2apic" };
    return [
      { op: "irte.write", index, irte: irteHex(fields) },
      { op: "iec.invalidate", global: false, index, mask: 0 },
    ];
  };

  return (step) => {
    switch (step.k) {
      case "ir-on":
        if (ir || pins.size > 0) return [];
        ir = true;
        return linuxEnableIr(topology);
      case "setup": {
        if (pins.has(step.pin)) return [];
        const s: PinShadow = { cpu: step.cpu, vec: step.vec, masked: true, takenOn: step.cpu, pendingMove: null };
        pins.set(step.pin, s);
        const out = [...(ir ? irte(step.pin, s) : []), high(step.pin, s), low(step.pin, s)];
        s.masked = false;
        return [...out, low(step.pin, s)];
      }
      case "assert": {
        // A device asserts once its driver has enabled it; `stray` is one the firmware left enabled.
        const s = pins.get(step.pin);
        if (s === undefined) return [];
        if (!s.masked) s.takenOn = s.cpu;
        return [{ op: "line.set", pin: step.pin, level: 1 }];
      }
      case "stray":
        return [{ op: "line.set", pin: step.pin, level: 1 }];
      case "service":
        return [{ op: "line.set", pin: step.pin, level: 0 }];
      case "raw":
        return [step.command];
    }
    const s = pins.get(step.pin);
    if (s === undefined) return [];
    switch (step.k) {
      case "handle":
        return handle(step.pin, s, step.service);
      case "mask":
        s.masked = step.masked;
        return step.masked ? [low(step.pin, s), syncRead(step.pin)] : [low(step.pin, s)];
      case "retarget":
        s.cpu = step.cpu;
        if (!ir) return rewriteMasked(step.pin, s, [low(step.pin, { ...s, masked: true }), syncRead(step.pin)]);
        s.vec = step.vec;
        return irte(step.pin, s);
      case "move":
        s.pendingMove = { cpu: step.cpu, vec: step.vec };
        return [];
    }
  };

  /** `io_apic_sync` after a mask, and `io_apic_level_ack_pending`'s Remote IRR check: a read of the low word. */
  function syncRead(pin: number): Command {
    return { op: "ioapic.read", reg: rteLowReg(pin) };
  }

  /** A masked rewrite of the entry: mask (the entry as it was), sync, high word, low word, unmask if it was. */
  function rewriteMasked(pin: number, s: PinShadow, before: readonly Command[]): Command[] {
    const masked = { ...s, masked: true };
    const out: Command[] = [...before, high(pin, masked), low(pin, masked)];
    if (!s.masked) out.push(low(pin, s));
    return out;
  }

  /** The handler: accept, service the device or not, EOI; a pending move in the EOI path (§6.3). */
  function handle(pin: number, s: PinShadow, service: boolean): Command[] {
    const cpu = s.takenOn;
    s.takenOn = s.cpu;
    const out: Command[] = [{ op: "cpu.accept", cpu }];
    if (service) out.push({ op: "line.set", pin, level: 0 });
    const move = s.pendingMove;
    s.pendingMove = null;
    if (move === null || ir) {
      out.push({ op: "cpu.eoi", cpu });
      // ioapic_ir_ack_level: the RTE's vector field is the pin, so EOI the pin explicitly.
      if (ir && topology.ioapicVersion === 0x20) out.push({ op: "ioapic.eoi", vector: pin });
      return out;
    }
    const maskOld: Command[] = [low(pin, { ...s, masked: true }), { op: "ioapic.read", reg: rteLowReg(pin) }];
    const eoi: Command[] = [
      { op: "cpu.eoi", cpu },
      { op: "ioapic.read", reg: rteLowReg(pin) },
    ];
    s.cpu = move.cpu;
    s.vec = move.vec;
    s.takenOn = s.cpu;
    return rewriteMasked(pin, s, [...out, ...maskOld, ...eoi]);
  }
}
