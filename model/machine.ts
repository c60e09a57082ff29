/**
 * The reference machine: `step` applies one guest or device command and returns every
 * outcome the architecture allows (semantics.md §9.3). Its state lives in
 * machine-state.ts, the path of an interrupt message in interrupt-delivery.ts.
 */
import { parseHexWords } from "./bits.ts";
import { enumerate } from "./choice.ts";
import type { Command } from "./commands.ts";
import { type StepContext, send } from "./interrupt-delivery.ts";
import * as ir from "./interrupt-remapping.ts";
import * as io from "./ioapic.ts";
import * as lapic from "./lapic.ts";
import { type MachineState, StateDraft, stateDigest } from "./machine-state.ts";
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
    const draft = new StateDraft(state);
    const ctx: StepContext = { topology, s: draft.state, draft, out: [], choose };
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
  const { s, draft, topology } = ctx;
  switch (c.op) {
    case "ioapic.write": {
      const ioapic = draft.ioapic();
      ioapic.sel = c.reg & 0xff;
      io.writeRegister(ioapic, ioapic.sel, c.value);
      return serviceLevelPins(ctx);
    }
    case "ioapic.read": {
      const ioapic = draft.ioapic();
      ioapic.sel = c.reg & 0xff;
      ctx.out.push({
        kind: "read",
        reg: ioapic.sel,
        value: io.readRegister(ioapic, topology.ioapicVersion, ioapic.sel),
      });
      return;
    }
    case "ioapic.eoi":
      // The EOI register exists only on version 0x20 IOxAPICs (semantics.md §1.1).
      if (topology.ioapicVersion !== 0x20) return;
      io.eoi(draft.ioapic(), c.vector);
      return serviceLevelPins(ctx);
    case "eoi.broadcast":
      io.eoi(draft.ioapic(), c.vector);
      return serviceLevelPins(ctx);
    case "line.set":
      return setLine(ctx, c.pin, c.level === 1);
    case "line.pulse":
      setLine(ctx, c.pin, true);
      return setLine(ctx, c.pin, false);
    case "irte.write": {
      const words = parseHexWords(c.irte, 4);
      if (words === null) throw new Error(`irte.write: bad IRTE ${c.irte}`);
      return ir.writeIrte(draft.ir(), c.index, words);
    }
    case "iec.invalidate":
      return ir.invalidateIec(draft.ir(), c.global ? null : { index: c.index, mask: c.mask });
    case "ir.table": {
      const r = draft.ir();
      r.sizeLog2 = c.sizeLog2;
      r.eime = c.eime;
      return;
    }
    case "ir.control": {
      const r = draft.ir();
      r.ire = c.ire;
      r.cfi = c.cfi;
      return;
    }
    case "ir.fault-clear":
      return ir.clearFaults(draft.ir());
    case "msi.program":
      return draft.setMsix(msix.program(s.msix, c.dev, c.vec, c.address, c.data));
    case "msi.mask":
      return sendFromDevice(ctx, c.dev, msix.setMask(s.msix, c.dev, c.vec, c.masked));
    case "msi.fire":
      return sendFromDevice(ctx, c.dev, msix.fire(s.msix, c.dev, c.vec));
    case "cpu.accept":
      lapic.dispatch(draft.lapic(c.cpu));
      return;
    case "cpu.eoi": {
      const ended = lapic.endOfInterrupt(draft.lapic(c.cpu));
      // A level-triggered vector (TMR set) is broadcast to the IOAPIC (SDM §10.8.5).
      if (ended?.level !== true) return;
      io.eoi(draft.ioapic(), ended.vector);
      return serviceLevelPins(ctx);
    }
  }
}

/** An input changes: an unmasked edge entry sends on a rising transition (82093AA §3.2.4). */
function setLine(ctx: StepContext, pin: number, level: boolean): void {
  const s = ctx.draft.ioapic();
  const rising = io.setLine(s, pin, level);
  if (rising && io.isEdge(s, pin) && !io.isMasked(s, pin)) {
    send(ctx, io.rteMessage(s.rteLow[pin] ?? 0, s.rteHigh[pin] ?? 0), null);
  }
  serviceLevelPins(ctx);
}

/** Every level entry that can send does, in pin order, and sets its Remote IRR. */
function serviceLevelPins(ctx: StepContext): void {
  for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
    if (!io.levelWantsToSend(ctx.s.ioapic, pin)) continue;
    const s = ctx.draft.ioapic();
    io.setRemoteIrr(s, pin, true);
    send(ctx, io.rteMessage(s.rteLow[pin] ?? 0, s.rteHigh[pin] ?? 0), null);
  }
}

/** An MSI-X update: keep the device's new state, send the message it releases. */
function sendFromDevice(ctx: StepContext, dev: number, update: msix.MsixUpdate): void {
  ctx.draft.setMsix(update.state);
  const msg = update.message;
  if (msg === null) return;
  const d = ctx.topology.msiDevices[dev];
  if (d === undefined) throw new Error(`no MSI device ${dev}`);
  send(ctx, msg, d.requesterId);
}
