/**
 * What the guest must have done for a known divergence to be the cause of a finding,
 * judged on the reference run of the finding's commands. A known divergence is claimed by
 * applying its fix (impl/triage.ts); where that fix replaces a whole path (KVM's EOI
 * forwarding, QEMU's input latching, virtio-pci's unmask), it also removes any other bug
 * on that path, so the claim needs the divergence's own trigger in the run as well. Each
 * test below is the trigger in the divergence's title, read on reference states.
 */
import { get32, getField } from "../model/bits.ts";
import type { Command } from "../model/commands.ts";
import { type IrState, Irte, type IrteWords, irteAt, remapIndex, Svt } from "../model/interrupt-remapping.ts";
import { isEdge, RteHigh, RteLow, rteMessage } from "../model/ioapic.ts";
import { testVector } from "../model/lapic.ts";
import { initialState, type MachineState, step } from "../model/machine.ts";
import { isInterruptWindow } from "../model/msi.ts";
import type { Observation } from "../model/observations.ts";
import { IOAPIC_NUM_PINS, type Topology } from "../model/topology.ts";

/** One step of the reference run: the state before, the command, what it did, the state after. */
export interface RunStep {
  readonly before: MachineState;
  readonly command: Command;
  readonly observations: readonly Observation[];
  readonly after: MachineState;
}

/** The reference run of `commands` (the first allowed outcome of each step). */
export function referenceRun(topology: Topology, commands: readonly Command[]): RunStep[] {
  const run: RunStep[] = [];
  let state = initialState(topology);
  for (const command of commands) {
    const o = step(topology, state, command)[0];
    if (o === undefined) break;
    run.push({ before: state, command, observations: o.observations, after: o.next });
    state = o.next;
  }
  return run;
}

export interface Mechanism {
  readonly holds: (topology: Topology, run: readonly RunStep[]) => boolean;
}

function lineAsserted(s: MachineState, pin: number): boolean {
  return ((s.ioapic.lines >>> pin) & 1) === 1;
}

/**
 * What a level-triggered pin's interrupts carry, as "vector:destination mode:destination":
 * the RTE's fields, or with a remappable RTE under remapping the present IRTE's it names
 * (VT-d §5.1.5); null for an edge pin or an entry that names no usable IRTE.
 */
function levelPinMessage(s: MachineState, pin: number): { key: string; vector: number } | null {
  if (isEdge(s.ioapic, pin)) return null;
  const low = s.ioapic.rteLow[pin] ?? 0;
  const high = s.ioapic.rteHigh[pin] ?? 0;
  if (get32(high, RteHigh.format) === 0 || !s.ir.ire) {
    const vector = get32(low, RteLow.vector);
    return { key: `${vector}:${get32(low, RteLow.destMode)}:${get32(high, RteHigh.dest)}`, vector };
  }
  const r = remapIndex(s.ir, rteMessage(low, high));
  if (r.kind !== "index") return null;
  const irte = irteAt(s.ir, r.index);
  if (getField(irte, Irte.present) === 0) return null;
  const vector = getField(irte, Irte.vector);
  return { key: `${vector}:${getField(irte, Irte.destMode)}:${getField(irte, Irte.dest)}`, vector };
}

/** Per reference state (states are never changed), computed once: a step's "after" is the next one's "before". */
const levelMessagesOf = new WeakMap<MachineState, Map<string, number>>();

function levelMessages(s: MachineState): Map<string, number> {
  let out = levelMessagesOf.get(s);
  if (out !== undefined) return out;
  out = new Map<string, number>();
  for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
    const m = levelPinMessage(s, pin);
    if (m !== null) out.set(m.key, m.vector);
  }
  levelMessagesOf.set(s, out);
  return out;
}

function pendingAnywhere(s: MachineState, vector: number): boolean {
  return s.lapics.some((l) => testVector(l.irr, vector) || testVector(l.isr, vector));
}

/**
 * D8: a level pin's message (vector or, where KVM lacks the pending-EOI clause,
 * destination) rewritten in its RTE or IRTE while its vector was pending or in service.
 */
export const levelVectorChangedInService: Mechanism = {
  holds: (_topology, run) =>
    run.some(({ before, after }) => {
      const now = levelMessages(after);
      return [...levelMessages(before)].some(([key, v]) => !now.has(key) && pendingAnywhere(before, v));
    }),
};

/** D17: an edge-triggered interrupt delivered with a vector a level pin also carries. */
export const edgeInterruptOnLevelVector: Mechanism = {
  holds: (_topology, run) =>
    run.some(({ before, after, observations }) => {
      const carried = [...levelMessages(before).values(), ...levelMessages(after).values()];
      return observations.some((o) => o.kind === "deliver" && o.trigger === "edge" && carried.includes(o.vector));
    }),
};

/** D2e: an RTE write switches a pin from level to edge while its input is asserted. */
export const levelToEdgeWhileAsserted: Mechanism = {
  holds: (_topology, run) =>
    run.some(({ before, after }) => {
      for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        if (!isEdge(before.ioapic, pin) && isEdge(after.ioapic, pin) && lineAsserted(before, pin)) return true;
      }
      return false;
    }),
};

/**
 * D18: an input asserted while its pin is edge-triggered, still asserted when the pin
 * becomes level. The divergence was found with the pin masked (the assert is dropped);
 * unmasked, `ioapic_service` clears an edge pin's irr after sending, and QEMU keeps no
 * other input level, so the switch to level forgets it just the same.
 */
export const assertedWhileEdgeThenLevel: Mechanism = {
  holds: (_topology, run) => {
    const armed = new Set<number>();
    for (const { before, command, after } of run) {
      if (command.op === "line.set" && command.level === 1 && isEdge(before.ioapic, command.pin)) {
        armed.add(command.pin);
      }
      for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
        if (!lineAsserted(after, pin)) armed.delete(pin);
        if (armed.has(pin) && isEdge(before.ioapic, pin) && !isEdge(after.ioapic, pin)) return true;
      }
    }
    return false;
  },
};

/**
 * D7: an IEC invalidation (or SIRTP's global one) with remapping on, while a virtio-pci
 * MSI-X vector is masked: `kvm_update_msi_routes_all` skips it, and its route keeps a
 * translation made before. Its message at that moment does not matter (Linux zeroes it
 * on teardown): what the unmask compares is the message the route was built from.
 */
export const invalidationWhileVirtioVectorMasked: Mechanism = {
  holds: (topology, run) =>
    run.some(
      ({ before, command }) =>
        (command.op === "iec.invalidate" || command.op === "ir.table") &&
        before.ir.ire &&
        topology.msiDevices.some(
          (d, dev) => d.qemuModel === "virtio-pci" && (before.msix.tables[dev] ?? []).some((e) => e.masked),
        ),
    ),
};

/** D22: a device asserts a line that is already asserted. */
export const assertedLineReasserted: Mechanism = {
  holds: (_topology, run) =>
    run.some(
      ({ before, command }) =>
        (command.op === "line.pulse" || (command.op === "line.set" && command.level === 1)) &&
        lineAsserted(before, command.pin),
    ),
};

/**
 * D3, D10b, D11, D21: anything an IRTE or the remapping setup decides needs remapping on
 * at some point. D3's fix also gives the IOAPIC a faulting path, which other findings need
 * with it ("D3+D10b"), so its trigger cannot ask for more than that.
 */
export const remappingOn: Mechanism = {
  holds: (_topology, run) => run.some(({ after }) => after.ir.ire),
};

/**
 * D11: remapping on with a present IRTE whose SVT is 10b (the requester's bus checked
 * against a range, VT-d §9.10), in memory or as a stale form hardware may still use: only
 * such an entry reads QEMU's inverted range.
 */
export const busRangeIrteInUse: Mechanism = {
  holds: (_topology, run) => run.some(({ after }) => after.ir.ire && hasBusRangeIrte(after.ir)),
};

function hasBusRangeIrte(ir: IrState): boolean {
  const busRange = (irte: IrteWords) =>
    getField(irte, Irte.present) === 1 && getField(irte, Irte.svt) === Svt.BUS_RANGE;
  for (const irte of ir.memory.values()) if (busRange(irte)) return true;
  for (const forms of ir.stale.values()) if (forms.some(busRange)) return true;
  return false;
}

/**
 * D14: the reference delivered an ExtINT message. Its fix removes no other bug, but its
 * signatures (a missing delivery after any delivering command) are every other lost
 * interrupt's too, so without its trigger it would be claimed as the primary of a set
 * whose other fixes do the work.
 */
export const extintDelivered: Mechanism = {
  holds: (_topology, run) =>
    run.some(({ observations }) => observations.some((o) => o.kind === "deliver" && o.mode === "extint")),
};

/**
 * Something QEMU has built a KVM route for: an unmasked RTE (ioapic_update_kvm_routes) or
 * an unmasked MSI-X vector (msix_vector_unmask's kvm_irqchip_update_msi_route). A route
 * outlives the mask, so once built it counts for the rest of the run.
 */
function routeBuilt(s: MachineState): boolean {
  for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) if (get32(s.ioapic.rteLow[pin] ?? 0, RteLow.mask) === 0) return true;
  return s.msix.tables.some((table) => table.some((e) => !e.masked));
}

/**
 * D10a: remapping switched on or off (GCMD.IRE), or compatibility-format interrupts allowed
 * or blocked (GCMD.CFI), after a route was built.
 */
export const remappingSwitched: Mechanism = {
  holds: (_topology, run) => {
    let built = false;
    for (const { before, after } of run) {
      built ||= routeBuilt(before);
      if (built && (before.ir.ire !== after.ir.ire || before.ir.cfi !== after.ir.cfi)) return true;
    }
    return false;
  },
};

/** D19: an MSI-X vector fired or unmasked while its message is outside the interrupt window (a memory write, not an interrupt). */
export const messageOutsideInterruptWindow: Mechanism = {
  holds: (_topology, run) =>
    run.some(
      ({ before, command }) =>
        (command.op === "msi.fire" || command.op === "msi.mask") &&
        !isInterruptWindow(before.msix.tables[command.dev]?.[command.vec]?.address ?? 0),
    ),
};
