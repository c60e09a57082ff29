/**
 * The `linux` profile: register sequences exactly as the Linux IOAPIC driver issues them
 * (arch/x86/kernel/apic/io_apic.c; semantics.md §6). Steps are driver operations
 * (set up an IRQ, change its affinity, the device raises its line, a CPU handles the
 * IRQ); a small driver with Linux's shadow RTE per pin lowers them into commands:
 *   - `__ioapic_write_entry`: high word, then low word (§6.1);
 *   - mask: low word with M = 1, then the `io_apic_sync` read; unmask: one low-word write;
 *   - level IRQ move, deferred to the next interrupt's EOI path (§6.3): mask, sync read,
 *     LAPIC EOI, ack-pending read, high word, low word (still masked), unmask;
 *   - edge IRQ move in the ack path, before the EOI (§6.4);
 *   - with interrupt remapping (§6.5): remappable RTEs whose vector field is the pin,
 *     moves that only rewrite the IRTE and flush its index, and the level EOI that also
 *     writes the pin number to the IOAPIC EOI register.
 */
import type { Command } from "../../model/commands.ts";
import { rteHighReg, rteLowReg } from "../../model/commands.ts";
import type { Topology } from "../../model/topology.ts";
import { bool, elements, type Gen, int, map, oneof, record } from "../gen.ts";
import { irteHex, linuxEnableIr, rteHighCompat, rteHighRemappable, rteLow } from "./encode.ts";
import { BUSY_PINS } from "./uniform.ts";
import { irteVectors, pinVectors } from "./vectors.ts";

export type LinuxStep =
  | { readonly k: "ir-on" }
  | { readonly k: "setup"; readonly pin: number; readonly cpu: number; readonly vec: number }
  | { readonly k: "move"; readonly pin: number; readonly cpu: number; readonly vec: number }
  | { readonly k: "raise"; readonly pin: number }
  | { readonly k: "lower"; readonly pin: number }
  | { readonly k: "handle"; readonly pin: number; readonly ack: boolean }
  | { readonly k: "disable"; readonly pin: number }
  | { readonly k: "enable"; readonly pin: number };

export function linuxSteps(topology: Topology): Gen<LinuxStep> {
  const pin = elements(BUSY_PINS);
  const cpu = int(0, topology.cpus.length - 1);
  const vec = int(0, 1);
  return oneof<LinuxStep>(
    [
      3,
      map(record({ pin, cpu, vec, level: oneof([3, elements([true])], [1, elements([false])]) }), (f) => ({
        k: "setup" as const,
        ...f,
      })),
    ],
    [3, map(record({ pin, cpu, vec }), (f) => ({ k: "move" as const, ...f }))],
    [4, map(pin, (p) => ({ k: "raise" as const, pin: p }))],
    [2, map(pin, (p) => ({ k: "lower" as const, pin: p }))],
    [5, map(record({ pin, ack: bool }), (f) => ({ k: "handle" as const, ...f }))],
    [1, map(pin, (p) => ({ k: "disable" as const, pin: p }))],
    [1, map(pin, (p) => ({ k: "enable" as const, pin: p }))],
    [1, elements<LinuxStep>([{ k: "ir-on" }])],
  );
}

/**
 * A pin's trigger mode comes from the firmware tables and never changes: the first busy
 * pin is a level (PCI INTx-like) pin, the second an edge (ISA-like) pin.
 */
export function isLevelPin(pin: number): boolean {
  return pin === BUSY_PINS[0];
}

interface PinShadow {
  level: boolean;
  cpu: number;
  vec: number;
  masked: boolean;
  pendingMove: { cpu: number; vec: number } | null;
}

/** The guest driver for one run. */
export function linuxDriver(topology: Topology): (step: LinuxStep) => readonly Command[] {
  const pins = new Map<number, PinShadow>();
  let ir = false;
  const apicId = (cpu: number) => topology.cpus[cpu]?.apicId ?? 0;
  const irteIndex = (pin: number) => Math.max(0, BUSY_PINS.indexOf(pin as (typeof BUSY_PINS)[number]));
  const vector = (pin: number, s: PinShadow) =>
    (ir ? irteVectors(irteIndex(pin), s.level) : pinVectors(pin, s.level))[s.vec] ?? 0;
  const low = (pin: number, s: PinShadow, masked: boolean): Command => ({
    op: "ioapic.write",
    reg: rteLowReg(pin),
    value: rteLow({ vector: ir ? pin : vector(pin, s), level: s.level, masked }),
  });
  const high = (pin: number, s: PinShadow): Command => ({
    op: "ioapic.write",
    reg: rteHighReg(pin),
    value: ir ? rteHighRemappable(irteIndex(pin)) : rteHighCompat(apicId(s.cpu)),
  });
  const irte = (pin: number, s: PinShadow): Command[] => [
    {
      op: "irte.write",
      index: irteIndex(pin),
      irte: irteHex({
        vector: vector(pin, s),
        dest: apicId(s.cpu),
        level: s.level,
        x2apic: topology.apicMode === "x2apic",
      }),
    },
    { op: "iec.invalidate", global: false, index: irteIndex(pin), mask: 0 },
  ];
  const mask = (pin: number, s: PinShadow): Command[] => [
    low(pin, s, true),
    { op: "ioapic.read", reg: rteLowReg(pin) },
  ];
  const accept = (s: PinShadow): Command => ({ op: "cpu.accept", cpu: s.cpu });
  const eoi = (s: PinShadow): Command => ({ op: "cpu.eoi", cpu: s.cpu });

  return (step) => {
    if (step.k === "ir-on") {
      if (ir || pins.size > 0) return [];
      ir = true;
      return linuxEnableIr(topology);
    }
    if (step.k === "setup") {
      // An IRQ is activated once (mp_irqdomain_activate); later changes are moves.
      if (pins.has(step.pin)) return [];
      const s: PinShadow = {
        level: isLevelPin(step.pin),
        cpu: step.cpu,
        vec: step.vec,
        masked: true,
        pendingMove: null,
      };
      pins.set(step.pin, s);
      const out = [...(ir ? irte(step.pin, s) : []), high(step.pin, s), low(step.pin, s, true)];
      s.masked = false;
      return [...out, low(step.pin, s, false)];
    }
    const s = pins.get(step.pin);
    if (s === undefined) return [];
    switch (step.k) {
      case "move":
        if (!ir) {
          s.pendingMove = { cpu: step.cpu, vec: step.vec };
          return [];
        }
        s.cpu = step.cpu;
        s.vec = step.vec;
        return irte(step.pin, s);
      case "raise":
        return [s.level ? { op: "line.set", pin: step.pin, level: 1 } : { op: "line.pulse", pin: step.pin }];
      case "lower":
        return [{ op: "line.set", pin: step.pin, level: 0 }];
      case "disable":
        s.masked = true;
        return mask(step.pin, s);
      case "enable":
        s.masked = false;
        return [low(step.pin, s, false)];
      case "handle":
        return handle(step.pin, s, step.ack);
    }
  };

  function handle(pin: number, s: PinShadow, ack: boolean): Command[] {
    const out: Command[] = [accept(s)];
    const deviceAck: Command[] = ack && s.level ? [{ op: "line.set", pin, level: 0 }] : [];
    const move = s.pendingMove;
    const wasMasked = s.masked;
    if (move === null || ir) {
      out.push(...deviceAck, eoi(s));
      // ioapic_ir_ack_level: the RTE vector is the pin, so EOI the pin explicitly.
      if (ir && s.level && topology.ioapicVersion === 0x20) out.push({ op: "ioapic.eoi", vector: pin });
      return out;
    }
    const oldCpu = s;
    const eoiOld = eoi(oldCpu);
    s.pendingMove = null;
    if (s.level) {
      // §6.3: the move happens in the EOI path, with the entry masked across the LAPIC EOI.
      out.push(...deviceAck, ...mask(pin, s), eoiOld, { op: "ioapic.read", reg: rteLowReg(pin) });
      s.cpu = move.cpu;
      s.vec = move.vec;
      out.push(high(pin, s), low(pin, s, true));
      if (!wasMasked) out.push(low(pin, s, false));
      return out;
    }
    // §6.4: edge moves in the ack path, before the handler and the EOI.
    out.push(...mask(pin, s));
    s.cpu = move.cpu;
    s.vec = move.vec;
    out.push(high(pin, s), low(pin, s, true));
    if (!wasMasked) out.push(low(pin, s, false));
    out.push(eoiOld);
    return out;
  }
}
