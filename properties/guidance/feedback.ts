/**
 * What a run reached, as a set of feature numbers (AFL's edge coverage, for interrupt
 * routing). A run that earns a feature no earlier run earned is kept in the corpus.
 *
 * A feature is an abstract state a component reaches under a command (counted when the
 * component's state changes), or a trace line's shape under a command. It names no pin,
 * CPU or vector (so pin 5 and pin 10 doing the same thing is one feature); abstract
 * states are coarse and flags of the whole machine count one by one, so the corpus keeps
 * runs that reach something new rather than new combinations of unrelated flags:
 * - an IOAPIC pin's abstract state reached under a command: trigger, mask, Remote IRR,
 *   input level, lowest-priority delivery, remappable format, and where the RTE's
 *   current vector is in the LAPICs (pending in an IRR, in service in an ISR). The last
 *   two make the difference-relevant states visible: Remote IRR set while the vector in
 *   service is not the RTE's vector is where KVM's EOI-exit bitmap and the SDM part
 *   (semantics.md §5.4, D8, D20);
 * - a LAPIC's (IRR, ISR, level interrupt in service) changing (from, to);
 * - an MSI-X entry's (mask, pending, remappable address) changing (from, to);
 * - one flag of the machine changing: IRE, CFI, a fault recorded, fault overflow, more
 *   than one reference state allowed, a level interrupt in service whose vector no level
 *   RTE with Remote IRR set carries;
 * - every implementation trace line under the command, with its numbers taken out
 *   (`kvm_set_irq gsi=# level=# via route (dest # phys vector # level)`): which paths of
 *   QEMU and KVM the command went through;
 * - one of the implementation's own coverage flags changing (`Implementation.coverage`,
 *   impl/machine.ts): internal states the guest cannot see yet, such as a level interrupt
 *   in service that its vCPU's EOI-exit bitmap lacks (D8) or a route that still carries
 *   an RTE's old vector (D20).
 */

import { get32 } from "../../model/bits.ts";
import type { Command, Op } from "../../model/commands.ts";
import { OPS } from "../../model/commands.ts";
import { isEdge, isMasked, lineLevel, RteHigh, RteLow, remoteIrr } from "../../model/ioapic.ts";
import { highestVector, type LapicState, testVector } from "../../model/lapic.ts";
import type { MachineState } from "../../model/machine.ts";
import { isRemappable } from "../../model/msi.ts";
import type { MsixEntry } from "../../model/msix.ts";
import { IOAPIC_NUM_PINS, type Topology } from "../../model/topology.ts";
import { type CheckResult, check, type Property } from "../checker.ts";
import { guard } from "../fault.ts";
import type { Implementation } from "../implementation.ts";

/** Component classes of a feature. */
const PIN = 1;
const LAPIC = 2;
const MSIX = 3;
const MACHINE = 4;
const TRACE = 5;
const IMPL = 6;

const opIndex = new Map<Op, number>(OPS.map((op, i) => [op, i]));

/** A feature number from small fields (kept below 2^31: class 3 bits, op 5, from/to 11 each). */
function feature(cls: number, op: number, from: number, to: number): number {
  return (((cls * 32 + op) * 2048 + (from & 0x7ff)) * 2048 + (to & 0x7ff)) >>> 0;
}

/**
 * Per vector, how many LAPICs have its bit set in one register (IRR, ISR, or a level
 * interrupt in service: ISR and TMR), kept up to date from the LAPICs a step changed.
 */
class VectorCounts {
  private readonly count = new Uint16Array(256);

  /** Count (+1) or uncount (-1) the set bits of one LAPIC's eight words. */
  add(words: (w: number) => number, sign: 1 | -1): void {
    for (let w = 0; w < 8; w++) {
      let bits = words(w) >>> 0;
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits);
        bits = (bits & ~(1 << b)) >>> 0;
        const v = w * 32 + b;
        this.count[v] = (this.count[v] ?? 0) + sign;
      }
    }
  }

  has(vector: number): boolean {
    return (this.count[vector] ?? 0) > 0;
  }
}

/** The LAPIC registers the pin and machine codes read, over every LAPIC. */
class LapicUnion {
  readonly irr = new VectorCounts();
  readonly isr = new VectorCounts();
  readonly levelInService = new VectorCounts();

  add(l: LapicState, sign: 1 | -1): void {
    this.irr.add((w) => l.irr[w] ?? 0, sign);
    this.isr.add((w) => l.isr[w] ?? 0, sign);
    this.levelInService.add((w) => (l.isr[w] ?? 0) & (l.tmr[w] ?? 0), sign);
  }
}

function pinCode(state: MachineState, pin: number, lapics: LapicUnion): number {
  const io = state.ioapic;
  const low = io.rteLow[pin] ?? 0;
  const vector = get32(low, RteLow.vector);
  return (
    (isEdge(io, pin) ? 0 : 1) |
    (isMasked(io, pin) ? 2 : 0) |
    (remoteIrr(io, pin) ? 4 : 0) |
    (lineLevel(io, pin) ? 8 : 0) |
    (lapics.irr.has(vector) ? 16 : 0) |
    (lapics.isr.has(vector) ? 32 : 0) |
    (get32(low, RteLow.deliveryMode) === 1 ? 64 : 0) |
    (get32(io.rteHigh[pin] ?? 0, RteHigh.format) === 1 ? 128 : 0)
  );
}

/** A level interrupt is in service whose vector no level RTE with Remote IRR set carries. */
function orphanLevelInService(state: MachineState, lapics: LapicUnion): boolean {
  const io = state.ioapic;
  for (let vector = 0; vector < 256; vector++) {
    if (!lapics.levelInService.has(vector)) continue;
    let carried = false;
    for (let pin = 0; pin < IOAPIC_NUM_PINS && !carried; pin++) {
      carried = remoteIrr(io, pin) && get32(io.rteLow[pin] ?? 0, RteLow.vector) === vector;
    }
    if (!carried) return true;
  }
  return false;
}

function lapicCode(l: LapicState): number {
  const irr = highestVector(l.irr);
  const isr = highestVector(l.isr);
  return (
    (irr >= 0 ? 1 : 0) |
    (isr >= 0 ? 2 : 0) |
    (isr >= 0 && testVector(l.tmr, isr) ? 4 : 0) |
    (irr >= 0 && (isr < 0 || irr >>> 4 > isr >>> 4) ? 8 : 0)
  );
}

function machineCode(state: MachineState, states: number, lapics: LapicUnion): number {
  const ir = state.ir;
  return (
    (ir.ire ? 1 : 0) |
    (ir.cfi ? 2 : 0) |
    (ir.faults.some((f) => f !== null) ? 4 : 0) |
    (ir.overflow ? 8 : 0) |
    (states > 1 ? 16 : 0) |
    (orphanLevelInService(state, lapics) ? 32 : 0)
  );
}

const msixCode = (e: MsixEntry) => (e.masked ? 1 : 0) | (e.pending ? 2 : 0) | (isRemappable(e.address) ? 4 : 0);

/**
 * Follows one run step by step, collecting its features. Abstract codes of the previous
 * step are kept per component so only transitions are counted. Reference states share
 * the components a step did not change (model/machine-state.ts), so only LAPICs and MSI-X
 * tables that are new objects are looked at: a step's cost does not follow the machine's size.
 */
class RunFeatures {
  readonly features = new Set<number>();
  private readonly pins: number[];
  private readonly lapics: number[];
  private readonly msix: number[];
  private machine = 0;
  private impl = 0;
  /** The LAPIC list, each LAPIC and each MSI-X table as last looked at. */
  private seenLapicList: readonly LapicState[] | null = null;
  private readonly seenLapics: (LapicState | undefined)[];
  private readonly seenTables: (readonly MsixEntry[] | undefined)[];
  /** Where each device's vectors start in `msix`. */
  private readonly msixBase: number[];
  private readonly union = new LapicUnion();

  constructor(
    topology: Topology,
    private readonly shapes: TraceShapes,
  ) {
    this.pins = new Array<number>(IOAPIC_NUM_PINS).fill(-1);
    this.lapics = topology.cpus.map(() => 0);
    this.msix = topology.msiDevices.flatMap((d) => new Array<number>(d.vectors).fill(-1));
    this.seenLapics = topology.cpus.map(() => undefined);
    this.seenTables = topology.msiDevices.map(() => undefined);
    let base = 0;
    this.msixBase = topology.msiDevices.map((d) => {
      const b = base;
      base += d.vectors;
      return b;
    });
  }

  step(command: Command, states: readonly MachineState[], trace: readonly string[], impl: number): void {
    const op = opIndex.get(command.op) ?? 31;
    const state = states[0];
    if (state === undefined) return;
    const lapicFeatures = state.lapics === this.seenLapicList ? [] : this.lapicSteps(op, state.lapics);
    for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
      const code = pinCode(state, pin, this.union);
      const prev = this.pins[pin] ?? -1;
      if (prev !== code) this.features.add(feature(PIN, op, 0, code));
      this.pins[pin] = code;
    }
    for (const f of lapicFeatures) this.features.add(f);
    state.msix.tables.forEach((table, dev) => {
      if (table !== this.seenTables[dev]) this.msixSteps(op, dev, table);
    });
    const machine = machineCode(state, states.length, this.union);
    for (let changed = machine ^ this.machine, b = 0; changed !== 0; changed >>>= 1, b++) {
      if ((changed & 1) === 1) this.features.add(feature(MACHINE, op, b, (machine >>> b) & 1));
    }
    this.machine = machine;
    for (let changed = impl ^ this.impl, b = 0; changed !== 0; changed >>>= 1, b++) {
      if ((changed & 1) === 1) this.features.add(feature(IMPL, op, b, (impl >>> b) & 1));
    }
    this.impl = impl;
    for (const line of trace) this.features.add(feature(TRACE, op, 0, this.shapes.of(line)));
  }

  /** Brings the LAPIC union up to date; returns the LAPIC features of the step. */
  private lapicSteps(op: number, list: readonly LapicState[]): number[] {
    const features: number[] = [];
    for (let cpu = 0; cpu < this.lapics.length; cpu++) {
      const l = list[cpu];
      const seen = this.seenLapics[cpu];
      if (l === seen || l === undefined) continue;
      if (seen !== undefined) this.union.add(seen, -1);
      this.union.add(l, 1);
      this.seenLapics[cpu] = l;
      const code = lapicCode(l);
      if (code !== this.lapics[cpu]) features.push(feature(LAPIC, op, this.lapics[cpu] ?? 0, code));
      this.lapics[cpu] = code;
    }
    this.seenLapicList = list;
    return features;
  }

  private msixSteps(op: number, dev: number, table: readonly MsixEntry[]): void {
    const base = this.msixBase[dev] ?? 0;
    table.forEach((e, vec) => {
      const i = base + vec;
      const code = msixCode(e);
      if (code !== this.msix[i]) this.features.add(feature(MSIX, op, (this.msix[i] ?? 0) & 0x7ff, code));
      this.msix[i] = code;
    });
    this.seenTables[dev] = table;
  }
}

/** Numbers trace lines by their shape (digits taken out); an id per distinct shape. */
export class TraceShapes {
  private readonly byLine = new Map<string, number>();
  private readonly byShape = new Map<string, number>();

  of(line: string): number {
    const known = this.byLine.get(line);
    if (known !== undefined) return known;
    const shape = line.replace(/(0x)?[0-9a-f]+\b/g, "#");
    let id = this.byShape.get(shape);
    if (id === undefined) {
      id = this.byShape.size;
      this.byShape.set(shape, id);
    }
    // Lines repeat (the same GSI, the same vector); a bounded cache of the exact strings.
    if (this.byLine.size < 100_000) this.byLine.set(line, id);
    return id;
  }
}

/**
 * `check` (properties/checker.ts) that also collects the run's features: the same
 * verdict, the reference states and the implementation trace read after every step.
 */
export function checkWithFeedback(
  topology: Topology,
  impl: Implementation,
  commands: readonly Command[],
  property: Property,
  shapes: TraceShapes,
): { readonly result: CheckResult; readonly features: ReadonlySet<number> } {
  const run = new RunFeatures(topology, shapes);
  // Guarded, so a coverage() that throws or answers nonsense is the implementation's crash.
  const guarded = guard(impl);
  const result = check(topology, guarded, commands, property, (command, cursor, actual) =>
    run.step(command, cursor.states, actual.trace, guarded.coverage?.() ?? 0),
  );
  return { result, features: run.features };
}
