/**
 * The reference machine: `step` applies one guest or device command and returns every
 * outcome the architecture allows (semantics.md §9.3). Its state lives in
 * machine-state.ts, the path of an interrupt message in interrupt-delivery.ts.
 */
import { parseHexWords } from "./bits.ts";
import { enumerate } from "./choice.ts";
import type { Command } from "./commands.ts";
import { cpuLapic, type StepContext, send } from "./interrupt-delivery.ts";
import * as ir from "./interrupt-remapping.ts";
import * as io from "./ioapic.ts";
import * as lapic from "./lapic.ts";
import { cloneState, type MachineState, stateDigest } from "./machine-state.ts";
import type { MsiMessage } from "./msi.ts";
import * as msix from "./msix.ts";
import type { Observation } from "./observations.ts";
import { IOAPIC_NUM_PINS, type Topology } from "./topology.ts";

export { initialState, type MachineState, stateDigest, visible } from "./machine-state.ts";

export interface Outcome {
  readonly observations: readonly Observation[];
  readonly next: MachineState;
}

/** All outcomes of `command` from `state`, duplicates removed. `state` is not changed. */
export function step(topology: Topology, state: MachineState, command: Command): Outcome[] {
  const outcomes = enumerate((choose) => {
    const ctx: StepContext = { topology, s: cloneState(state), out: [], choose };
    apply(ctx, command);
    return { observations: ctx.out, next: ctx.s };
  });
  if (outcomes.length === 1) return outcomes;
  const seen = new Set<string>();
  return outcomes.filter((o) => {
    const key = `${stateDigest(o.next)}#${o.observations.map((x) => JSON.stringify(x)).join()}`;
    if (seen.has(key)) return false;
    seen.add(key);
    return true;
  });
}

function apply(ctx: StepContext, c: Command): void {
  const { s, topology } = ctx;
  switch (c.op) {
    case "ioapic.write":
      s.ioapic.sel = c.reg & 0xff;
      io.writeRegister(s.ioapic, s.ioapic.sel, c.value);
      return serviceLevelPins(ctx);
    case "ioapic.read":
      s.ioapic.sel = c.reg & 0xff;
      ctx.out.push({
        kind: "read",
        reg: s.ioapic.sel,
        value: io.readRegister(s.ioapic, topology.ioapicVersion, s.ioapic.sel),
      });
      return;
    case "ioapic.eoi":
      // The EOI register exists only on version 0x20 IOxAPICs (semantics.md §1.1).
      if (topology.ioapicVersion !== 0x20) return;
      io.eoi(s.ioapic, c.vector);
      return serviceLevelPins(ctx);
    case "eoi.broadcast":
      io.eoi(s.ioapic, c.vector);
      return serviceLevelPins(ctx);
    case "line.set":
      return setLine(ctx, c.pin, c.level === 1);
    case "line.pulse":
      setLine(ctx, c.pin, true);
      return setLine(ctx, c.pin, false);
    case "irte.write": {
      const words = parseHexWords(c.irte, 4);
      if (words === null) throw new Error(`irte.write: bad IRTE ${c.irte}`);
      return ir.writeIrte(s.ir, c.index, words);
    }
    case "iec.invalidate":
      return ir.invalidateIec(s.ir, c.global ? null : { index: c.index, mask: c.mask });
    case "ir.table":
      s.ir.sizeLog2 = c.sizeLog2;
      s.ir.eime = c.eime;
      return;
    case "ir.control":
      s.ir.ire = c.ire;
      s.ir.cfi = c.cfi;
      return;
    case "ir.fault-clear":
      return ir.clearFaults(s.ir);
    case "msi.program": {
      const e = msix.entry(s.msix, c.dev, c.vec);
      e.address = c.address >>> 0;
      e.data = c.data >>> 0;
      return;
    }
    case "msi.mask":
      return sendFromDevice(ctx, c.dev, msix.setMask(msix.entry(s.msix, c.dev, c.vec), c.masked));
    case "msi.fire":
      return sendFromDevice(ctx, c.dev, msix.fire(msix.entry(s.msix, c.dev, c.vec)));
    case "cpu.accept":
      lapic.dispatch(cpuLapic(ctx, c.cpu));
      return;
    case "cpu.eoi": {
      const ended = lapic.endOfInterrupt(cpuLapic(ctx, c.cpu));
      // A level-triggered vector (TMR set) is broadcast to the IOAPIC (SDM §10.8.5).
      if (ended?.level !== true) return;
      io.eoi(s.ioapic, ended.vector);
      return serviceLevelPins(ctx);
    }
  }
}

/** An input changes: an unmasked edge entry sends on a rising transition (82093AA §3.2.4). */
function setLine(ctx: StepContext, pin: number, level: boolean): void {
  const s = ctx.s.ioapic;
  const rising = io.setLine(s, pin, level);
  if (rising && io.isEdge(s, pin) && !io.isMasked(s, pin)) {
    send(ctx, io.rteMessage(s.rteLow[pin] ?? 0, s.rteHigh[pin] ?? 0), null);
  }
  serviceLevelPins(ctx);
}

/** Every level entry that can send does, in pin order, and sets its Remote IRR. */
function serviceLevelPins(ctx: StepContext): void {
  const s = ctx.s.ioapic;
  for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
    if (!io.levelWantsToSend(s, pin)) continue;
    io.setRemoteIrr(s, pin, true);
    send(ctx, io.rteMessage(s.rteLow[pin] ?? 0, s.rteHigh[pin] ?? 0), null);
  }
}

function sendFromDevice(ctx: StepContext, dev: number, msg: MsiMessage | null): void {
  if (msg === null) return;
  const d = ctx.topology.msiDevices[dev];
  if (d === undefined) throw new Error(`no MSI device ${dev}`);
  send(ctx, msg, d.requesterId);
}
