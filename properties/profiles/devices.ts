/**
 * The `devices` profile: MSI-X vectors programmed and moved as Linux does it (compat
 * format, or remappable with SHV and one IRTE per vector when IR is on:
 * `fill_msi_msg`, semantics.md §6.5), masked and unmasked (disable_irq/enable_irq),
 * fired, handled, released, interleaved with IRTE rewrites and invalidations (D3, D5, D7).
 */
import type { Command } from "../../model/commands.ts";
import type { Topology } from "../../model/topology.ts";
import { bool, elements, type Gen, int, map, oneof, record } from "../gen.ts";
import {
  CLEARED_IRTE,
  type IrteFields,
  irteHex,
  linuxEnableIr,
  msiCompatAddress,
  msiData,
  msiRemappableAddress,
} from "./encode.ts";
import { allMsiVectors, invalidateGen, irteGen, msiOrdinal } from "./uniform.ts";
import { irteVectors, msiVectors } from "./vectors.ts";

export type DeviceStep =
  | { readonly k: "ir-on" }
  | {
      readonly k: "setup" | "move";
      readonly dev: number;
      readonly vec: number;
      readonly cpu: number;
      readonly v: number;
      readonly sid: SidForm;
      /**
       * Under IR, the message names the device's IRTE block with SHV and the vector's
       * offset as subhandle, as Linux programs a multi-vector PCI MSI (one `alloc_irte`
       * block, `fill_msi_msg` with `sub_handle`); otherwise the vector's own entry with
       * subhandle 0, as for MSI-X. Both name the same IRTE (VT-d §5.1.2.2).
       */
      readonly block?: boolean;
    }
  | { readonly k: "mask"; readonly dev: number; readonly vec: number; readonly masked: boolean }
  | { readonly k: "fire"; readonly dev: number; readonly vec: number }
  | { readonly k: "handle"; readonly cpu: number }
  | { readonly k: "release"; readonly dev: number; readonly quiesced: boolean }
  /**
   * Under IR, a set-up vector sends a request Linux never writes, then gets its message
   * back: its remappable message with data[31:16] set (`high`), with SHV (refused, fault
   * 0x20) or without (the data is ignored, VT-d §5.1.2.2); or a compatibility-format
   * message, as a device programmed before remapping was on sends, which CFI passes only
   * while EIME is clear (VT-d §5.1.2.1); or its own message through its IRTE rewritten
   * with a reserved bit set (fault 0x24). Linux's fault handler (`dmar_fault`) reads and
   * clears the fault record after each, so that a later fault of the run is recorded too;
   * the IRTE form clears it before as well, so that its own reason is recorded. A device or guest that does it is what the checks are
   * for (the ir profile).
   */
  | {
      readonly k: "stray-request";
      readonly dev: number;
      readonly vec: number;
      readonly form: "reserved-shv" | "reserved" | "compatibility" | "reserved-irte";
      readonly high: number;
    }
  | { readonly k: "raw"; readonly command: Command };

/**
 * How the IRTE's source-ID fields name the device (Linux `set_msi_sid`, `set_irte_sid`,
 * `set_irte_verify_bus`; VT-d §9.10): its requester ID with SQ = 0 (`exact`, the usual
 * case); an ID differing only in function bits that SQ ignores (`masked`: SQ = 11b ignores
 * bits 2:0, as Linux does for the HPET's SQ_13_IGNORE_3; `masked-1`: 01b ignores bit 2;
 * `masked-2`: 10b ignores bits 2:1); an ID differing in a bit SQ compares, a stale alias
 * whose check fails with fault 0x26 (`mismatch`: bit 2 with SQ = 0; `mismatch-1` and
 * `mismatch-2`: bit 0 with SQ = 01b and 10b); a bus range (SVT = 10b): the device's bus
 * alone (`bus`, aliases all on one bus, as NTB proxies), from the bus below to the
 * device's (`bridge`: Linux ranges from the alias's bus to the device's behind a
 * PCIe-to-PCI bridge; on bus 0, from the device's bus to the next), a window of buses
 * around the device's, as a bridge's secondary to subordinate range (`window`: the
 * device strictly inside it, at its start on bus 0), a range left from an alias the
 * device no longer has (`stale-bus`: the bus below alone, so the device is above the
 * range; on bus 0, bus 1, so it is below), or a start above the end (`empty-bus-range`, no
 * bus passes). SQ 01b and 10b, a window and a stale range are not what Linux writes, but
 * the remapping hardware decides on them: the forms keep each SQ's masked bits apart and
 * put the requester at every place a range check (VT-d §9.10) tells apart.
 */
export type SidForm =
  | "exact"
  | "masked"
  | "masked-1"
  | "masked-2"
  | "mismatch"
  | "mismatch-1"
  | "mismatch-2"
  | "bus"
  | "bridge"
  | "window"
  | "stale-bus"
  | "empty-bus-range";

/** SVT = 01b forms: the SQ value and the requester-ID bits the IRTE's SID differs in. */
type BusRangeForm = "bus" | "bridge" | "window" | "stale-bus" | "empty-bus-range";
const BUS_RANGE_FORMS: ReadonlySet<SidForm> = new Set<BusRangeForm>([
  "bus",
  "bridge",
  "window",
  "stale-bus",
  "empty-bus-range",
]);
const isBusRangeForm = (form: SidForm): form is BusRangeForm => BUS_RANGE_FORMS.has(form);

const VERIFY_SID_FORMS: Readonly<
  Record<Exclude<SidForm, BusRangeForm>, { readonly sq: number; readonly flip: number }>
> = {
  exact: { sq: 0, flip: 0 },
  masked: { sq: 3, flip: 0b101 },
  "masked-1": { sq: 1, flip: 0b100 },
  "masked-2": { sq: 2, flip: 0b110 },
  mismatch: { sq: 0, flip: 0b100 },
  "mismatch-1": { sq: 1, flip: 0b001 },
  "mismatch-2": { sq: 2, flip: 0b001 },
};

/** SVT = 10b forms: the start and end bus of the range (source-id-case.ts). */
function busRange(bus: number, form: BusRangeForm): { start: number; end: number } {
  if (form === "bus") return { start: bus, end: bus };
  if (form === "empty-bus-range") return bus < 0xff ? { start: bus + 1, end: bus } : { start: bus, end: 0 };
  if (form === "window") return { start: Math.max(bus - 1, 0), end: Math.min(bus + 1, 0xff) };
  if (form === "stale-bus") return bus > 0 ? { start: bus - 1, end: bus - 1 } : { start: 1, end: 1 };
  return bus > 0 ? { start: bus - 1, end: bus } : { start: 0, end: 1 };
}

export function sourceIdFields(requesterId: number, form: SidForm): { svt: number; sq: number; sid: number } {
  if (isBusRangeForm(form)) {
    const { start, end } = busRange(requesterId >>> 8, form);
    return { svt: 2, sq: 0, sid: (start << 8) | end };
  }
  const { sq, flip } = VERIFY_SID_FORMS[form];
  return { svt: 1, sq, sid: requesterId ^ flip };
}

/**
 * The vector a step acts on: mostly the first device's, any of its vectors (so that a
 * run keeps coming back to one device, and a release of its IRTE block meets the entries
 * past the block's first), often the second's, sometimes any vector of any device. On the
 * default topology the second device is the one on a bus above 0 (03:00.0), where a bus
 * range can hold the requester strictly inside or lie below it (`window`, `stale-bus`).
 */
function deviceVectorGen(topology: Topology): Gen<{ dev: number; vec: number }> {
  const all = allMsiVectors(topology);
  const first = elements(all.filter((v) => v.dev === 0));
  const second = all.filter((v) => v.dev === 1);
  // A topology with one device (small) keeps the first device's share.
  if (second.length === 0) return oneof([6, first], [1, elements(all)]);
  return oneof([4, first], [2, elements(second)], [1, elements(all)]);
}

export function deviceSteps(topology: Topology, mv = deviceVectorGen(topology)): Gen<DeviceStep> {
  const cpu = int(0, topology.cpus.length - 1);
  const v = int(0, 1);
  const sid = oneof<SidForm>(
    [4, elements<SidForm>(["exact"])],
    [2, elements<SidForm>(["bus", "bridge", "window", "stale-bus", "empty-bus-range"])],
    [2, elements<SidForm>(["masked", "masked-1", "masked-2", "mismatch", "mismatch-1", "mismatch-2"])],
  );
  return oneof<DeviceStep>(
    [
      3,
      map(record({ mv, cpu, v, sid, block: oneof([3, elements([false])], [1, elements([true])]) }), (f) => ({
        k: "setup" as const,
        ...f.mv,
        cpu: f.cpu,
        v: f.v,
        sid: f.sid,
        block: f.block,
      })),
    ],
    [3, map(record({ mv, cpu, v, sid }), (f) => ({ k: "move" as const, ...f.mv, cpu: f.cpu, v: f.v, sid: f.sid }))],
    [3, map(record({ mv, masked: bool }), (f) => ({ k: "mask" as const, ...f.mv, masked: f.masked }))],
    [5, map(mv, (f) => ({ k: "fire" as const, ...f }))],
    [3, map(cpu, (c) => ({ k: "handle" as const, cpu: c }))],
    [1, elements<DeviceStep>([{ k: "ir-on" }])],
    [
      1,
      map(
        record({ dev: oneof([3, elements([0])], [1, int(0, topology.msiDevices.length - 1)]), quiesced: bool }),
        (f) => ({
          k: "release" as const,
          ...f,
        }),
      ),
    ],
    [1, map(irteGen(topology), (c) => ({ k: "raw" as const, command: c }))],
    [1, map(invalidateGen(topology), (c) => ({ k: "raw" as const, command: c }))],
  );
}

/** IRTE index of an MSI-X vector under IR (indices 0 and 1 belong to the linux profile's pins). */
export function msiIrteIndex(topology: Topology, ordinal: number): number {
  return (2 + ordinal) % topology.irtEntries;
}

/**
 * A device's IRTEs as one block, the way Linux allocates a multi-vector block
 * (`alloc_irte` with `irte_mask`): the aligned 2^mask entries at `index` that hold all of
 * its vectors' entries (on the default topology each 2-vector device owns an aligned pair).
 */
export function deviceIrteBlock(topology: Topology, dev: number): { index: number; mask: number; entries: number[] } {
  const first = msiOrdinal(topology, dev, 0);
  const entries = Array.from({ length: topology.msiDevices[dev]?.vectors ?? 0 }, (_, vec) =>
    msiIrteIndex(topology, first + vec),
  );
  let mask = 0;
  while (entries.some((i) => i >>> mask !== (entries[0] ?? 0) >>> mask)) mask++;
  return { index: ((entries[0] ?? 0) >>> mask) << mask, mask, entries };
}

/** IRTE bit 24, in reserved bits 31:24 (VT-d §9.10): an entry with it set faults with 0x24. */
const RESERVED_IRTE_BIT = 1 << 24;

export function deviceDriver(topology: Topology): (step: DeviceStep) => readonly Command[] {
  let ir = false;
  const setUp = new Set<number>();
  /** Under IR, the handle and data each set-up vector's message carries. */
  const named = new Map<number, { readonly handle: number; readonly data: number }>();
  /** Under IR, each programmed vector's IRTE. */
  const entries = new Map<number, { readonly index: number; readonly fields: IrteFields }>();
  const apicId = (cpu: number) => topology.cpus[cpu]?.apicId ?? 0;
  return (step) => {
    switch (step.k) {
      case "ir-on": {
        if (ir || setUp.size > 0) return [];
        ir = true;
        return linuxEnableIr(topology);
      }
      case "setup":
      case "move": {
        const ordinal = msiOrdinal(topology, step.dev, step.vec);
        if (step.k === "move" && !setUp.has(ordinal)) return [];
        const out = program(step, ordinal);
        if (step.k === "setup") {
          setUp.add(ordinal);
          out.push({ op: "msi.mask", dev: step.dev, vec: step.vec, masked: false });
        }
        return out;
      }
      case "mask":
        // Linux never unmasks a vector it has not programmed.
        if (!setUp.has(msiOrdinal(topology, step.dev, step.vec))) return [];
        return [{ op: "msi.mask", dev: step.dev, vec: step.vec, masked: step.masked }];
      case "fire":
        return [{ op: "msi.fire", dev: step.dev, vec: step.vec }];
      case "handle":
        return [
          { op: "cpu.accept", cpu: step.cpu },
          { op: "cpu.eoi", cpu: step.cpu },
        ];
      case "release":
        return release(step.dev, step.quiesced);
      case "stray-request": {
        const ordinal = msiOrdinal(topology, step.dev, step.vec);
        const message = named.get(ordinal);
        const entry = entries.get(ordinal);
        if (!ir || message === undefined || entry === undefined || !setUp.has(ordinal)) return [];
        const { dev, vec } = step;
        if (step.form === "reserved-irte") {
          const { index, fields } = entry;
          return [
            { op: "ir.fault-clear" },
            { op: "irte.write", index, irte: irteHex({ ...fields, reservedLow: RESERVED_IRTE_BIT }) },
            { op: "iec.invalidate", global: false, index, mask: 0 },
            { op: "msi.fire", dev, vec },
            { op: "irte.write", index, irte: irteHex(fields) },
            { op: "iec.invalidate", global: false, index, mask: 0 },
            { op: "ir.fault-clear" },
          ];
        }
        const stray =
          step.form === "compatibility"
            ? { address: msiCompatAddress(apicId(0)), data: msiData(msiVectors(ordinal, false)[0] ?? 0) }
            : {
                address: msiRemappableAddress(message.handle, step.form === "reserved-shv"),
                data: (message.data | (step.high << 16)) >>> 0,
              };
        return [
          { op: "msi.program", dev, vec, ...stray },
          { op: "msi.fire", dev, vec },
          { op: "msi.program", dev, vec, address: msiRemappableAddress(message.handle, true), data: message.data },
          { op: "ir.fault-clear" },
        ];
      }
      case "raw":
        return [step.command];
    }
  };

  /**
   * The driver lets go of a device's vectors under IR. Quiesced, as Linux's teardown
   * (free_irq, then pci_free_irq_vectors): each vector masked (irq_shutdown), its message
   * zeroed (`msi_domain_deactivate`), its IRTE cleared with its own invalidation
   * (`intel_irq_remapping_deactivate` → `modify_irte`); then `free_irte` clears the whole
   * block and invalidates it with one descriptor whose index mask covers it
   * (`clear_entries`, semantics.md §4.5). Not quiesced: only that last step, while the
   * device stays unmasked and may still signal: the stray interrupts remapping exists to
   * block (they must fault, VT-d §9.10), and the one invalidation is all VT-d §6.5.2.7
   * asks for, so a cached translation of any entry in the block must go with it.
   */
  function release(dev: number, quiesced: boolean): Command[] {
    const block = deviceIrteBlock(topology, dev);
    const first = msiOrdinal(topology, dev, 0);
    const held = block.entries.map((_, vec) => vec).filter((vec) => setUp.has(first + vec));
    if (!ir || held.length === 0) return [];
    const out: Command[] = [];
    for (const vec of held) {
      setUp.delete(first + vec);
      if (!quiesced) continue;
      const index = block.entries[vec] ?? 0;
      out.push(
        { op: "msi.mask", dev, vec, masked: true },
        { op: "msi.program", dev, vec, address: 0, data: 0 },
        { op: "irte.write", index, irte: CLEARED_IRTE },
        { op: "iec.invalidate", global: false, index, mask: 0 },
      );
    }
    for (const index of block.entries) out.push({ op: "irte.write", index, irte: CLEARED_IRTE });
    out.push({ op: "iec.invalidate", global: false, index: block.index, mask: block.mask });
    return out;
  }

  /** Program a vector; with IR only the IRTE changes after setup (a move never rewrites the MSI-X entry). */
  function program(step: Extract<DeviceStep, { k: "setup" | "move" }>, ordinal: number): Command[] {
    const { dev, vec, cpu, v } = step;
    const setup = step.k === "setup";
    if (!ir) {
      const vector = msiVectors(ordinal, false)[v] ?? 0;
      return [{ op: "msi.program", dev, vec, address: msiCompatAddress(apicId(cpu)), data: msiData(vector) }];
    }
    const index = msiIrteIndex(topology, ordinal);
    const requesterId = topology.msiDevices[dev]?.requesterId ?? 0;
    const fields: IrteFields = {
      vector: irteVectors(index, false)[v] ?? 0,
      dest: apicId(cpu),
      x2apic: topology.apicMode === "x2apic",
      ...sourceIdFields(requesterId, step.sid),
    };
    entries.set(ordinal, { index, fields });
    const out: Command[] = [
      { op: "irte.write", index, irte: irteHex(fields) },
      { op: "iec.invalidate", global: false, index, mask: 0 },
    ];
    if (setup) {
      const base = deviceIrteBlock(topology, dev).index;
      const sub = index - base;
      const message = step.block === true && sub >= 0 ? { handle: base, data: sub } : { handle: index, data: 0 };
      named.set(ordinal, message);
      out.push({
        op: "msi.program",
        dev,
        vec,
        address: msiRemappableAddress(message.handle, true),
        data: message.data,
      });
    }
    return out;
  }
}
