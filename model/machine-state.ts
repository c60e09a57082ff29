/**
 * The reference machine's state (IOAPIC, VT-d interrupt remapping, LAPICs, MSI-X devices),
 * what the guest can read back of it, and its canonical digest.
 *
 * A state is never changed once a step has returned it. A step writes through a
 * `StateDraft`, which copies a component (the IOAPIC, the IR registers, one LAPIC) the
 * first time the step changes it and shares the rest with the state it started from, so
 * a step's cost follows what its command touches, not the size of the machine.
 */
import * as ir from "./interrupt-remapping.ts";
import * as io from "./ioapic.ts";
import * as lapic from "./lapic.ts";
import * as msix from "./msix.ts";
import { IOAPIC_NUM_PINS, type Topology } from "./topology.ts";
import type { GuestVisible } from "./visible.ts";

export interface MachineState {
  ioapic: io.IoapicState;
  ir: ir.IrState;
  lapics: lapic.LapicState[];
  msix: msix.MsixState;
}

/** Every LAPIC of a machine starts from this one (shared: a draft copies it before a change). */
const RESET_LAPIC: lapic.LapicState = Object.freeze({
  irr: Object.freeze(new Array<number>(8).fill(0)) as number[],
  isr: Object.freeze(new Array<number>(8).fill(0)) as number[],
  tmr: Object.freeze(new Array<number>(8).fill(0)) as number[],
});

export function initialState(topology: Topology): MachineState {
  return {
    ioapic: io.ioapicReset(),
    ir: ir.irReset(topology.irtEntries, topology.faultRecords),
    lapics: topology.cpus.map(() => RESET_LAPIC),
    msix: msix.msixReset(topology),
  };
}

/** The next state being built by one run of a step over `base`, which it never changes. */
export class StateDraft {
  readonly state: MachineState;
  private ioapicCopied = false;
  private irCopied = false;
  /** Per vCPU, whether its LAPIC was copied; null until the first LAPIC write. */
  private lapicCopied: boolean[] | null = null;

  constructor(base: MachineState) {
    this.state = { ...base };
  }

  ioapic(): io.IoapicState {
    if (!this.ioapicCopied) {
      this.state.ioapic = io.cloneIoapic(this.state.ioapic);
      this.ioapicCopied = true;
    }
    return this.state.ioapic;
  }

  ir(): ir.IrState {
    if (!this.irCopied) {
      this.state.ir = ir.cloneIr(this.state.ir);
      this.irCopied = true;
    }
    return this.state.ir;
  }

  lapic(cpu: number): lapic.LapicState {
    if (this.lapicCopied === null) {
      this.state.lapics = this.state.lapics.slice();
      this.lapicCopied = new Array<boolean>(this.state.lapics.length).fill(false);
    }
    const l = this.state.lapics[cpu];
    if (l === undefined) throw new Error(`no cpu ${cpu}`);
    if (this.lapicCopied[cpu] === true) return l;
    const copy = lapic.cloneLapic(l);
    this.state.lapics[cpu] = copy;
    this.lapicCopied[cpu] = true;
    return copy;
  }

  /** MSI-X state is persistent (msix.ts): an update is a new value. */
  setMsix(next: msix.MsixState): void {
    this.state.msix = next;
  }
}

/** The RTEs as the guest reads them, per IOAPIC state (states are never changed, so this is computed once). */
const rteWords = new WeakMap<io.IoapicState, readonly number[]>();

function visibleRtes(s: io.IoapicState): readonly number[] {
  let rtes = rteWords.get(s);
  if (rtes === undefined) {
    const words: number[] = [];
    for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) words.push(s.rteLow[pin] ?? 0, s.rteHigh[pin] ?? 0);
    rtes = words;
    rteWords.set(s, rtes);
  }
  return rtes;
}

/**
 * What the guest can read back. Shares arrays with `state`: states are never changed
 * after `step` returns them, so no copy is needed, and a component a step did not change
 * is the same object in the next state's view (the checker's comparison relies on it).
 */
export function visible(state: MachineState): GuestVisible {
  return {
    ioapicId: state.ioapic.id,
    rtes: visibleRtes(state.ioapic),
    lapics: state.lapics,
    faultRecords: state.ir.faults,
    faultOverflow: state.ir.overflow,
    msiPending: state.msix.pba,
  };
}

/** Canonical encoding of the whole reference state (explorer hashing, outcome dedup). */
export function stateDigest(s: MachineState): string {
  const i = s.ioapic;
  const r = s.ir;
  const irte = (w: readonly number[]) => w.join(".");
  const byIndex = <T>(m: ReadonlyMap<number, T>, f: (v: T) => string) =>
    [...m]
      .sort(([a], [b]) => a - b)
      .map(([k, v]) => `${k}=${f(v)}`)
      .join(",");
  return [
    i.sel,
    i.id,
    i.lines,
    i.rteLow.join(","),
    i.rteHigh.join(","),
    `${r.ire ? 1 : 0}${r.cfi ? 1 : 0}${r.eime ? 1 : 0}${r.sizeLog2}`,
    byIndex(r.memory, irte),
    byIndex(r.stale, (forms) => forms.map(irte).join("/")),
    r.faults.map((f) => (f === null ? "-" : `${f.reason}:${f.index}:${f.sourceId}`)).join(","),
    `${r.nextFault}${r.overflow ? 1 : 0}`,
    s.lapics.map((l) => `${l.irr.join(",")}/${l.isr.join(",")}/${l.tmr.join(",")}`).join(";"),
    s.msix.tables
      .map((d) => d.map((e) => `${e.address}.${e.data}.${e.masked ? 1 : 0}${e.pending ? 1 : 0}`).join(","))
      .join(";"),
  ].join("|");
}
