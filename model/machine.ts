/**
 * The reference machine: IOAPIC, VT-d interrupt remapping, LAPICs and MSI-X devices,
 * with every interrupt message translated at the moment it is delivered
 * (semantics.md §9.3). `step` returns every outcome the architecture allows.
 */
import { parseHexWords } from "./bits.ts";
import { type Choose, enumerate } from "./choice.ts";
import type { Command } from "./commands.ts";
import * as ir from "./interrupt-remapping.ts";
import * as io from "./ioapic.ts";
import * as lapic from "./lapic.ts";
import { type CompatInterrupt, decodeCompat, isInterruptWindow, type MsiMessage } from "./msi.ts";
import * as msix from "./msix.ts";
import { DELIVERY_MODES, type Observation } from "./observations.ts";
import { IOAPIC_NUM_PINS, type Topology } from "./topology.ts";
import type { GuestVisible } from "./visible.ts";

export interface MachineState {
  ioapic: io.IoapicState;
  ir: ir.IrState;
  lapics: lapic.LapicState[];
  msix: msix.MsixState;
}

export interface Outcome {
  readonly observations: readonly Observation[];
  readonly next: MachineState;
}

export function initialState(topology: Topology): MachineState {
  return {
    ioapic: io.ioapicReset(),
    ir: ir.irReset(topology.irtEntries, topology.faultRecords),
    lapics: topology.cpus.map(() => lapic.lapicReset()),
    msix: msix.msixReset(topology),
  };
}

function cloneState(s: MachineState): MachineState {
  return {
    ioapic: io.cloneIoapic(s.ioapic),
    ir: ir.cloneIr(s.ir),
    lapics: s.lapics.map(lapic.cloneLapic),
    msix: msix.cloneMsix(s.msix),
  };
}

/** One run of a step: the state being changed, the observations, the choice oracle. */
interface Ctx {
  readonly topology: Topology;
  readonly s: MachineState;
  readonly out: Observation[];
  readonly choose: Choose;
}

/** All outcomes of `command` from `state`, duplicates removed. `state` is not changed. */
export function step(topology: Topology, state: MachineState, command: Command): Outcome[] {
  const outcomes = enumerate((choose) => {
    const ctx: Ctx = { topology, s: cloneState(state), out: [], choose };
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

function apply(ctx: Ctx, c: Command): void {
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

function cpuLapic(ctx: Ctx, cpu: number): lapic.LapicState {
  const l = ctx.s.lapics[cpu];
  if (l === undefined) throw new Error(`no cpu ${cpu}`);
  return l;
}

/** An input changes: an unmasked edge entry sends on a rising transition (82093AA §3.2.4). */
function setLine(ctx: Ctx, pin: number, level: boolean): void {
  const s = ctx.s.ioapic;
  const rising = io.setLine(s, pin, level);
  if (rising && io.isEdge(s, pin) && !io.isMasked(s, pin)) {
    send(ctx, io.rteMessage(s.rteLow[pin] ?? 0, s.rteHigh[pin] ?? 0), null);
  }
  serviceLevelPins(ctx);
}

/** Every level entry that can send does, in pin order, and sets its Remote IRR. */
function serviceLevelPins(ctx: Ctx): void {
  const s = ctx.s.ioapic;
  for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
    if (!io.levelWantsToSend(s, pin)) continue;
    io.setRemoteIrr(s, pin, true);
    send(ctx, io.rteMessage(s.rteLow[pin] ?? 0, s.rteHigh[pin] ?? 0), null);
  }
}

function sendFromDevice(ctx: Ctx, dev: number, msg: MsiMessage | null): void {
  if (msg === null) return;
  const d = ctx.topology.msiDevices[dev];
  if (d === undefined) throw new Error(`no MSI device ${dev}`);
  send(ctx, msg, d.requesterId);
}

/**
 * An interrupt message is written to the interrupt window: translate it now through
 * interrupt remapping (when enabled), then deliver it to the LAPICs.
 * A write outside 0xFEExxxxx is an ordinary memory write, not an interrupt.
 */
function send(ctx: Ctx, msg: MsiMessage, sourceId: number | null): void {
  if (!isInterruptWindow(msg.address)) return;
  const r = ctx.s.ir;
  if (!r.ire) return deliver(ctx, decodeCompat(msg, ctx.topology.extDestId));
  const first = ir.remapIndex(r, msg);
  if (first.kind === "fault") return fault(ctx, first.reason, first.index, sourceId, false);
  if (first.kind === "compat") return deliver(ctx, decodeCompat(msg, ctx.topology.extDestId));
  const forms = ir.irteForms(r, first.index);
  const form = forms[ctx.choose(forms.length)] ?? forms[0];
  if (form === undefined) throw new Error("no IRTE form");
  const result = ir.remapThrough(form, first.index, msg, first.subhandleValid, sourceId, r.eime);
  if (result.kind === "fault") return fault(ctx, result.reason, result.index, sourceId, result.suppressed);
  deliver(ctx, result.irq);
}

function fault(ctx: Ctx, reason: number, index: number, sourceId: number | null, suppressed: boolean): void {
  if (suppressed) return;
  const record = { reason, index, sourceId: sourceId ?? ir.SOURCE_ID_NONE };
  if (ir.recordFault(ctx.s.ir, record)) ctx.out.push({ kind: "fault", ...record });
}

/**
 * Deliver to the destination set (SDM §10.6.2). Lowest priority, or RH = 1, picks any one
 * CPU of the set; a physical broadcast is delivered to all (semantics.md §5.3). Fixed and
 * lowest-priority interrupts enter IRR; other delivery modes are observed only.
 */
function deliver(ctx: Ctx, irq: CompatInterrupt): void {
  const mode = DELIVERY_MODES[irq.deliveryMode] ?? "reserved";
  const targets = lapic.deliveryTargets(ctx.topology, irq, mode === "lowest", (n) => ctx.choose(n));
  const trigger = irq.trigger === 1 ? "level" : "edge";
  for (const cpu of targets) {
    if (mode === "fixed" || mode === "lowest") lapic.acceptInterrupt(cpuLapic(ctx, cpu), irq.vector, irq.trigger === 1);
    const apicId = ctx.topology.cpus[cpu]?.apicId ?? -1;
    ctx.out.push({ kind: "deliver", apicId, vector: irq.vector, trigger, mode });
  }
}

/**
 * What the guest can read back. Shares arrays with `state`: states are never changed
 * after `step` returns them (it changes a clone), so no copy is needed.
 */
export function visible(state: MachineState): GuestVisible {
  const rtes: number[] = [];
  for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
    rtes.push(state.ioapic.rteLow[pin] ?? 0, state.ioapic.rteHigh[pin] ?? 0);
  }
  return {
    ioapicId: state.ioapic.id,
    rtes,
    lapics: state.lapics,
    faultRecords: state.ir.faults,
    faultOverflow: state.ir.overflow,
    msiPending: state.msix.map(msix.pendingBits),
  };
}

/** Canonical encoding of the whole reference state (explorer hashing, outcome dedup). */
export function stateDigest(s: MachineState): string {
  const i = s.ioapic;
  const r = s.ir;
  const irte = (w: readonly number[]) => w.join(".");
  return [
    i.sel,
    i.id,
    i.lines,
    i.rteLow.join(","),
    i.rteHigh.join(","),
    `${r.ire ? 1 : 0}${r.cfi ? 1 : 0}${r.eime ? 1 : 0}${r.sizeLog2}`,
    r.memory.map(irte).join(","),
    r.stale.map((forms) => forms.map(irte).join("/")).join(","),
    r.faults.map((f) => (f === null ? "-" : `${f.reason}:${f.index}:${f.sourceId}`)).join(","),
    `${r.nextFault}${r.overflow ? 1 : 0}`,
    s.lapics.map((l) => `${l.irr.join(",")}/${l.isr.join(",")}/${l.tmr.join(",")}`).join(";"),
    s.msix
      .map((d) => d.map((e) => `${e.address}.${e.data}.${e.masked ? 1 : 0}${e.pending ? 1 : 0}`).join(","))
      .join(";"),
  ].join("|");
}
