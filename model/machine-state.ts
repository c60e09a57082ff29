/**
 * The reference machine's state (IOAPIC, VT-d interrupt remapping, LAPICs, MSI-X devices),
 * what the guest can read back of it, and its canonical digest.
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

export function initialState(topology: Topology): MachineState {
  return {
    ioapic: io.ioapicReset(),
    ir: ir.irReset(topology.irtEntries, topology.faultRecords),
    lapics: topology.cpus.map(() => lapic.lapicReset()),
    msix: msix.msixReset(topology),
  };
}

export function cloneState(s: MachineState): MachineState {
  return {
    ioapic: io.cloneIoapic(s.ioapic),
    ir: ir.cloneIr(s.ir),
    lapics: s.lapics.map(lapic.cloneLapic),
    msix: msix.cloneMsix(s.msix),
  };
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
