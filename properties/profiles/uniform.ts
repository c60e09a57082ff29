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
import { illegalVectors, irteVectors, msiVectors, pinVectors } from "./vectors.ts";

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

/**
 * Which vector of a source's pool a field takes: 0 or 1 (the two owned vectors), or, about
 * once in 50 draws, 2..9 for an illegal vector (vectors.ts).
 */
const vectorChoice: Gen<number> = oneof([49, int(0, 1)], [1, int(2, 9)]);

/**
 * SMI, NMI and ExtINT (010b, 100b, 111b): delivered without entering IRR, and ExtINT
 * dropped by KVM when it comes through a route (semantics.md §5.3, D14). Not drawn: INIT
 * (101b), which resets the receiving LAPIC (SDM vol. 3 §10.4.7.3) where both the reference
 * and the variants only show the delivery, and the reserved encodings (011b, 110b).
 */
const SPECIAL_DELIVERY_MODES = [2, 4, 7];

/**
 * The delivery mode of an RTE, an IRTE or a compatibility MSI: mostly fixed, often lowest
 * priority, about once in 60 draws SMI, NMI or ExtINT.
 */
const deliveryModeGen: Gen<number> = oneof(
  [48, elements([0])],
  [12, elements([1])],
  [1, elements(SPECIAL_DELIVERY_MODES)],
);

function pick(pool: readonly [number, number], choice: number, level: boolean): number {
  return (choice < 2 ? pool[choice] : illegalVectors(level)[choice - 2]) ?? 0;
}

/**
 * A destination: an APIC ID of the topology, the physical broadcast, or a logical bitmap;
 * with KVM's extended destination ID (semantics.md §3.3, §6.6), now and then an APIC ID
 * with bit 8 set, carried in a compatibility-format address's bits 11:5. Where every APIC
 * ID is below 256 it names no vCPU, so a swizzle that moves those bits wrong shows as a
 * delivery to a vCPU that exists, or as a route KVM refuses.
 */
export function destGen(topology: Topology): Gen<{ dest: number; destMode: 0 | 1 }> {
  const ids = topology.cpus.map((c) => c.apicId);
  return oneof<{ dest: number; destMode: 0 | 1 }>(
    [6, map(elements(ids), (dest) => ({ dest, destMode: 0 as const }))],
    [1, map(elements([0xff]), (dest) => ({ dest, destMode: 0 as const }))],
    [2, map(int(1, 15), (dest) => ({ dest, destMode: 1 as const }))],
    ...(topology.extDestId
      ? [[1, map(elements(ids), (id) => ({ dest: (id | 0x100) >>> 0, destMode: 0 as const }))] as const]
      : []),
  );
}

export function msiOrdinal(topology: Topology, dev: number, vec: number): number {
  let n = 0;
  for (let d = 0; d < dev; d++) n += topology.msiDevices[d]?.vectors ?? 0;
  return n + vec;
}

/** Every MSI-X vector of the topology, device by device. */
export function allMsiVectors(topology: Topology): { dev: number; vec: number }[] {
  return topology.msiDevices.flatMap((d, dev) => Array.from({ length: d.vectors }, (_, vec) => ({ dev, vec })));
}

export function msiVectorGen(topology: Topology): Gen<{ dev: number; vec: number }> {
  const all = allMsiVectors(topology);
  return oneof([3, elements(all.slice(0, 1))], [1, elements(all)]);
}

function rteWrite(topology: Topology): Gen<Command> {
  const low = map(
    record({
      pin: pinGen(),
      which: vectorChoice,
      deliveryMode: deliveryModeGen,
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
          vector: pick(pinVectors(f.pin, f.level), f.which, f.level),
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
    // The ID register first: it is the one writable register here, and what ARB reads back.
    record({
      reg: oneof([2, elements([0])], [1, elements([1, 2, 3, 0x40, 0xff])]),
      value: elements([0, 0x0f000000, 0xffffffff]),
    }),
    (f): Command => ({ op: "ioapic.write", ...f }),
  );
  return oneof([5, low], [3, high], [1, other]);
}

/**
 * SVT = 10b SIDs (start bus in bits 15:8, end bus in 7:0) that put a requester on `bus` in
 * each bus-range case of source-id-case.ts: the range's only bus, inside a wider range, at
 * its start, at its end, below it, above it, and an empty range (start above end).
 */
export function busRanges(bus: number): number[] {
  const range = (start: number, end: number) => (start << 8) | end;
  const out = [range(bus, bus), bus < 0xff ? range(bus + 1, bus) : range(0xff, 0)];
  if (bus > 0) out.push(range(0, bus), range(0, bus - 1));
  if (bus < 0xff) out.push(range(bus, 0xff), range(bus + 1, 0xff));
  if (bus > 0 && bus < 0xff) out.push(range(bus - 1, bus + 1));
  return out;
}

/**
 * An IRTA write: table size, and EIME mostly as Linux sets it for the topology's APIC mode
 * (x2APIC only), else the other way (VT-d §5.1.2.1: with EIME set, compatibility-format
 * requests are blocked whatever CFI says).
 */
export function irTableGen(topology: Topology): Gen<Command> {
  return map(
    record({ sizeLog2: int(0, 3), eime: oneof([4, elements([topology.apicMode === "x2apic"])], [1, bool]) }),
    (f): Command => ({ op: "ir.table", ...f }),
  );
}

/**
 * Source-ID fields that make the SID check decide (VT-d §9.10): with SVT = 01b a device's
 * requester ID, or one that differs from it only in the function bits SQ may mask (bit 2,
 * bits 2:1, bit 0), or an unrelated ID; with SVT = 10b a bus range in each case around a
 * device's bus (busRanges).
 */
function sourceIdGen(topology: Topology): Gen<{ svt: number; sq: number; sid: number }> {
  const ids = [...topology.msiDevices.map((d) => d.requesterId), 0x1234];
  const buses = [...new Set(topology.msiDevices.map((d) => d.requesterId >>> 8))];
  const ranges = [...new Set([0x00ff, ...buses.flatMap(busRanges)])];
  const sq = oneof([1, elements([0])], [1, int(1, 3)]);
  return oneof(
    [6, map(record({ sq }), (f) => ({ svt: 0, sq: f.sq, sid: 0 }))],
    [
      3,
      map(record({ sq, id: elements(ids), flip: oneof([3, elements([0])], [2, elements([4, 2, 1, 6])]) }), (f) => ({
        svt: 1,
        sq: f.sq,
        sid: f.id ^ f.flip,
      })),
    ],
    [1, map(record({ sq, sid: elements(ranges) }), (f) => ({ svt: 2, sq: f.sq, sid: f.sid }))],
    [1, map(record({ sq, sid: elements(ids) }), (f) => ({ svt: 3, sq: f.sq, sid: f.sid }))],
  );
}

export function irteGen(topology: Topology): Gen<Command> {
  return map(
    record({
      index: int(0, topology.irtEntries - 1),
      which: vectorChoice,
      present: oneof([6, elements([true])], [1, elements([false])]),
      fpd: oneof([4, elements([false])], [1, elements([true])]),
      d: destGen(topology),
      redirectionHint: oneof([3, elements([0 as const])], [1, elements([1 as const])]),
      level: bool,
      deliveryMode: deliveryModeGen,
      source: sourceIdGen(topology),
      reservedLow: oneof([12, elements([0])], [1, elements([1 << 12, 1 << 24])]),
    }),
    (f): Command => ({
      op: "irte.write",
      index: f.index,
      irte: irteHex({
        ...f,
        ...f.source,
        dest: f.d.dest,
        destMode: f.d.destMode,
        vector: pick(irteVectors(f.index, f.level), f.which, f.level),
        x2apic: topology.apicMode === "x2apic",
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
      which: vectorChoice,
      dest: destGen(topology),
      redirectionHint: oneof([3, elements([0 as const])], [1, elements([1 as const])]),
      deliveryMode: deliveryModeGen,
      level: oneof([5, elements([false])], [1, elements([true])]),
      remappable: bool,
      handle: int(0, topology.irtEntries),
      subhandleValid: oneof([7, elements([false])], [1, elements([true])]),
      subhandle: oneof([4, elements([0])], [3, int(1, 3)]),
      reservedData: oneof([7, elements([0])], [1, elements([0x10000, 0xffff0000])]),
    }),
    (f): Command => {
      const data = msiData(
        pick(msiVectors(msiOrdinal(topology, f.v.dev, f.v.vec), f.level), f.which, f.level),
        f.level,
        f.deliveryMode,
      );
      return {
        op: "msi.program",
        dev: f.v.dev,
        vec: f.v.vec,
        address: f.remappable
          ? msiRemappableAddress(f.handle, f.subhandleValid)
          : msiCompatAddress(f.dest.dest, f.dest.destMode, f.redirectionHint),
        // A remappable message's data is its subhandle with SHV (VT-d §5.1.2.2): 0 as Linux
        // writes it for MSI-X, 1-3 for a multi-vector MSI block; data[31:16] must be zero
        // with SHV and is ignored without, so now and then it is not. Fired with remapping
        // off, the data is read as a compatibility message's, whose vectors 0-3 are illegal
        // (SDM §10.5.2), so most messages without SHV carry a usable vector.
        data: f.remappable ? ((f.subhandleValid ? f.subhandle : data) | f.reservedData) >>> 0 : data,
      };
    },
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
        record({ pin: pinGen(), high: bool, other: oneof([2, elements([null])], [1, elements([0, 1, 2, 3])]) }),
        // Mostly RTE halves; now and then ID, version, arbitration or an unimplemented register.
        (f): Command => ({ op: "ioapic.read", reg: f.other ?? (f.high ? rteHighReg(f.pin) : rteLowReg(f.pin)) }),
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
    [1, irTableGen(topology)],
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
