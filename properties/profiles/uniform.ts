/**
 * The `uniform` profile: every command of the language, with field values drawn so that
 * commands meet each other (four busy pins, the topology's APIC IDs, IRTE indices inside
 * and just past the table). Vectors follow the ownership rule of vectors.ts.
 */
import type { Command } from "../../model/commands.ts";
import { rteHighReg, rteLowReg } from "../../model/commands.ts";
import type { Topology } from "../../model/topology.ts";
import { bool, elements, type Gen, int, map, oneof, record } from "../gen.ts";
import {
  irteHex,
  msiCompatAddress,
  msiData,
  msiRemappableAddress,
  rteHighCompat,
  rteHighRemappable,
  rteLow,
} from "./encode.ts";
import { irteVectors, msiVectors, pinVectors } from "./vectors.ts";

/** Pins most commands use, so that writes, line changes and EOIs meet on the same pin. */
export const BUSY_PINS = [5, 10] as const;

export function pinGen(): Gen<number> {
  return oneof([12, elements([BUSY_PINS[0]])], [4, elements([BUSY_PINS[1]])], [1, int(0, 23)]);
}

/** True with probability num/den; shrinks towards `shrinkTo`. */
function chance(num: number, den: number, shrinkTo = false): Gen<boolean> {
  return shrinkTo
    ? oneof([den - num, elements([false])], [num, elements([true])])
    : oneof([num, elements([true])], [den - num, elements([false])]);
}

/** A destination: an APIC ID of the topology, the physical broadcast, or a logical bitmap. */
export function destGen(topology: Topology): Gen<{ dest: number; destMode: 0 | 1 }> {
  const ids = topology.cpus.map((c) => c.apicId);
  return oneof<{ dest: number; destMode: 0 | 1 }>(
    [6, map(elements(ids), (dest) => ({ dest, destMode: 0 as const }))],
    [1, map(elements([0xff]), (dest) => ({ dest, destMode: 0 as const }))],
    [2, map(int(1, 15), (dest) => ({ dest, destMode: 1 as const }))],
  );
}

export function msiOrdinal(topology: Topology, dev: number, vec: number): number {
  let n = 0;
  for (let d = 0; d < dev; d++) n += topology.msiDevices[d]?.vectors ?? 0;
  return n + vec;
}

export function msiVectorGen(topology: Topology): Gen<{ dev: number; vec: number }> {
  const all = topology.msiDevices.flatMap((d, dev) => Array.from({ length: d.vectors }, (_, vec) => ({ dev, vec })));
  return oneof([3, elements(all.slice(0, 1))], [1, elements(all)]);
}

function rteWrite(topology: Topology): Gen<Command> {
  const low = map(
    record({
      pin: pinGen(),
      which: int(0, 1),
      deliveryMode: oneof([8, elements([0])], [2, elements([1])]),
      destMode: int(0, 1),
      polarity: int(0, 1),
      level: bool,
      masked: chance(1, 3),
      roNoise: elements([0, 1 << 12, 1 << 14]),
    }),
    (f): Command => ({
      op: "ioapic.write",
      reg: rteLowReg(f.pin),
      value:
        (rteLow({
          vector: pinVectors(f.pin, f.level)[f.which] ?? 0,
          deliveryMode: f.deliveryMode,
          destMode: f.destMode as 0 | 1,
          polarity: f.polarity as 0 | 1,
          level: f.level,
          masked: f.masked,
        }) |
          f.roNoise) >>>
        0,
    }),
  );
  const high = map(
    record({
      pin: pinGen(),
      dest: destGen(topology),
      remappable: oneof([4, elements([false])], [1, elements([true])]),
      index: int(0, topology.irtEntries),
    }),
    (f): Command => ({
      op: "ioapic.write",
      reg: rteHighReg(f.pin),
      value: f.remappable ? rteHighRemappable(f.index) : rteHighCompat(f.dest.dest),
    }),
  );
  const other = map(
    record({ reg: elements([0, 1, 2, 3, 0x40, 0xff]), value: elements([0, 0x0f000000, 0xffffffff]) }),
    (f): Command => ({ op: "ioapic.write", ...f }),
  );
  return oneof([5, low], [3, high], [1, other]);
}

export function irteGen(topology: Topology): Gen<Command> {
  const ids = topology.cpus.map((c) => c.apicId);
  const sids = [...topology.msiDevices.map((d) => d.requesterId), 0x1234];
  return map(
    record({
      index: int(0, topology.irtEntries - 1),
      which: int(0, 1),
      present: oneof([6, elements([true])], [1, elements([false])]),
      fpd: oneof([4, elements([false])], [1, elements([true])]),
      destMode: int(0, 1),
      level: bool,
      deliveryMode: oneof([8, elements([0])], [2, elements([1])]),
      dest: elements(ids),
      svt: oneof([6, elements([0])], [3, elements([1])], [1, elements([2, 3])]),
      sq: oneof([6, elements([0])], [1, int(1, 3)]),
      sid: elements(sids),
      reservedLow: oneof([12, elements([0])], [1, elements([1 << 12, 1 << 24])]),
    }),
    (f): Command => ({
      op: "irte.write",
      index: f.index,
      irte: irteHex({
        ...f,
        destMode: f.destMode as 0 | 1,
        vector: irteVectors(f.index, f.level)[f.which] ?? 0,
        x2apic: topology.apicMode === "x2apic",
        sid: f.svt === 2 ? 0x00ff : f.sid,
      }),
    }),
  );
}

export function invalidateGen(topology: Topology): Gen<Command> {
  return oneof<Command>(
    [1, elements<Command>([{ op: "iec.invalidate", global: true }])],
    [
      2,
      map(
        record({ index: int(0, topology.irtEntries - 1), mask: int(0, 2) }),
        (f): Command => ({ op: "iec.invalidate", global: false, ...f }),
      ),
    ],
  );
}

export function msiProgramGen(topology: Topology): Gen<Command> {
  return map(
    record({
      v: msiVectorGen(topology),
      which: int(0, 1),
      dest: destGen(topology),
      level: oneof([5, elements([false])], [1, elements([true])]),
      remappable: bool,
      handle: int(0, topology.irtEntries),
    }),
    (f): Command => ({
      op: "msi.program",
      dev: f.v.dev,
      vec: f.v.vec,
      address: f.remappable ? msiRemappableAddress(f.handle, true) : msiCompatAddress(f.dest.dest, f.dest.destMode),
      data: f.remappable
        ? 0
        : msiData(msiVectors(msiOrdinal(topology, f.v.dev, f.v.vec), f.level)[f.which] ?? 0, f.level),
    }),
  );
}

export function cpuGen(topology: Topology): Gen<number> {
  return int(0, topology.cpus.length - 1);
}

export function uniform(topology: Topology): Gen<Command> {
  const cpu = cpuGen(topology);
  const msiVec = msiVectorGen(topology);
  return oneof<Command>(
    [7, rteWrite(topology)],
    [
      1,
      map(
        record({ pin: pinGen(), high: bool }),
        (f): Command => ({ op: "ioapic.read", reg: f.high ? rteHighReg(f.pin) : rteLowReg(f.pin) }),
      ),
    ],
    [
      1,
      map(
        record({ pin: pinGen(), which: int(0, 2) }),
        (f): Command => ({ op: "ioapic.eoi", vector: f.which === 2 ? f.pin : (pinVectors(f.pin, true)[f.which] ?? 0) }),
      ),
    ],
    [
      4,
      map(
        record({ pin: pinGen(), level: int(0, 1) }),
        (f): Command => ({ op: "line.set", pin: f.pin, level: f.level as 0 | 1 }),
      ),
    ],
    [4, map(pinGen(), (pin): Command => ({ op: "line.pulse", pin }))],
    [2, irteGen(topology)],
    [1, invalidateGen(topology)],
    [
      1,
      map(
        record({ sizeLog2: int(0, 3), eime: oneof([4, elements([topology.apicMode === "x2apic"])], [1, bool]) }),
        (f): Command => ({ op: "ir.table", ...f }),
      ),
    ],
    [1, map(record({ ire: bool, cfi: bool }), (f): Command => ({ op: "ir.control", ...f }))],
    [1, elements<Command>([{ op: "ir.fault-clear" }])],
    [2, msiProgramGen(topology)],
    [
      2,
      map(record({ v: msiVec, masked: chance(1, 3) }), (f): Command => ({ op: "msi.mask", ...f.v, masked: f.masked })),
    ],
    [3, map(msiVec, (v): Command => ({ op: "msi.fire", ...v }))],
    [3, map(cpu, (c): Command => ({ op: "cpu.accept", cpu: c }))],
    [3, map(cpu, (c): Command => ({ op: "cpu.eoi", cpu: c }))],
  );
}
