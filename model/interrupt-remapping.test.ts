/**
 * VT-d interrupt remapping at delivery time (semantics.md §4.1-4.5, §9.3; D3, D5, D10, D11),
 * tested through `step`. IRTEs are built from the §4.3 bit map in test-support.ts.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import type { Command, MachineState, Observation, Topology } from "./index.ts";
import { step, visible } from "./index.ts";
import {
  DM,
  delivered,
  deliveries,
  faults,
  type IrteFields,
  irteHex,
  lapicOf,
  lineSet,
  msiAddrCompat,
  msiAddrRemap,
  msiData,
  msiSend,
  remoteIrrOf,
  rteHighCompat,
  rteHighRemap,
  rteLow,
  run,
  setupIr,
  topology,
  writeRte,
  xapicDst,
} from "./test-support.ts";

const T = topology("default"); // dev 0: SID 0x0008, dev 1: SID 0x0300; 8 IRTEs; one fault record
const X2 = topology("x2apic"); // APIC IDs 0, 1, 300

/** A valid xAPIC-mode IRTE: fixed, physical, edge, to `apicId`. */
const good = (vector: number, apicId: number, more: Partial<IrteFields> = {}): IrteFields => ({
  vector,
  dst: xapicDst(apicId),
  ...more,
});

/** Device `dev` vector 0 sends a remappable MSI through `handle` (SHV = 0). */
const remapFire = (dev: number, handle: number, data = 0): Command[] => msiSend(dev, 0, msiAddrRemap(handle), data);

const SID0 = 0x0008;
const SID1 = 0x0300;

function outcomes(t: Topology, s: MachineState, c: Command): (readonly Observation[])[] {
  return step(t, s, c).map((o) => o.observations);
}

describe("translation through the IRTE (semantics.md §4.2 steps 5-10, §4.3 fields)", () => {
  it("a remappable MSI is delivered with the IRTE's vector and destination, not the message's", () => {
    const r = run(T, [...setupIr({ irtes: [[3, good(0x55, 2)]] }), ...remapFire(0, 3, 0x99)]);
    expect(deliveries(r.last)).toEqual([{ apicId: 2, vector: 0x55, trigger: "edge", mode: "fixed" }]);
    expect(faults(r.all)).toEqual([]);
  });

  it("handle[15] (address bit 2) is part of the index", () => {
    const r = run(T, [
      ...setupIr({ sizeLog2: 15, irtes: [[3, good(0x55, 2)]] }),
      ...msiSend(0, 0, msiAddrRemap(0x8003), 0),
    ]);
    // IRTE 0x8003 is past the 8 entries in memory, so it reads as zero: not present.
    expect(faults(r.last)).toEqual([{ reason: 0x22, index: 0x8003, sourceId: SID0 }]);
    expect(deliveries(r.last)).toEqual([]);
  });

  it("SHV = 1: index = handle + data[15:0] (subhandle)", () => {
    const r = run(T, [...setupIr({ irtes: [[5, good(0x57, 1)]] }), ...msiSend(0, 0, msiAddrRemap(3, true), 2)]);
    expect(delivered(r.last)).toEqual([[1, 0x57]]);
  });

  it("IRTE TM = 1 delivers level-triggered (TMR set), DLM/DM/V come from the IRTE", () => {
    const r = run(T, [...setupIr({ irtes: [[1, good(0x58, 3, { tm: 1 })]] }), ...remapFire(1, 1)]);
    expect(deliveries(r.last)).toEqual([{ apicId: 3, vector: 0x58, trigger: "level", mode: "fixed" }]);
    expect(lapicOf(r.state, 3).tmr).toEqual([0x58]);
  });

  it("IRTE DLM = NMI is delivered as NMI", () => {
    const r = run(T, [...setupIr({ irtes: [[1, good(0x02, 3, { dlm: DM.nmi })]] }), ...remapFire(1, 1)]);
    expect(deliveries(r.last).map((d) => d.mode)).toEqual(["nmi"]);
  });

  it("AVAIL (11:8) and IM (15) are ignored: the entry still translates (§4.3 'Ignored')", () => {
    const r = run(T, [...setupIr({ irtes: [[1, good(0x59, 0, { avail: 0xf, im: 1 })]] }), ...remapFire(0, 1)]);
    expect(delivered(r.last)).toEqual([[0, 0x59]]);
    expect(faults(r.all)).toEqual([]);
  });

  it("with IRE = 0 nothing is translated: a compatibility MSI is delivered as it is", () => {
    const r = run(T, [
      { op: "irte.write", index: 0, irte: irteHex({ present: false, vector: 0, dst: 0 }) },
      ...msiSend(0, 0, msiAddrCompat(1), msiData(0x5a)),
    ]);
    expect(delivered(r.last)).toEqual([[1, 0x5a]]);
  });
});

describe("IRTE destination in xAPIC and x2APIC mode (semantics.md §4.3, EIME latched on SIRTP §4.1)", () => {
  it("EIME = 1 uses all 32 DST bits: DST = 300 reaches APIC ID 300", () => {
    const r = run(X2, [...setupIr({ eime: true, irtes: [[2, { vector: 0x60, dst: 300 }]] }), ...remapFire(0, 2)]);
    expect(delivered(r.last)).toEqual([[300, 0x60]]);
  });

  it("EIME = 0 uses DST bits 15:8 (IRTE 47:40) only: DST = 0x12c means APIC ID 1", () => {
    const r = run(X2, [...setupIr({ eime: false, irtes: [[2, { vector: 0x60, dst: 0x12c }]] }), ...remapFire(0, 2)]);
    expect(delivered(r.last)).toEqual([[1, 0x60]]);
  });

  it("EIME = 0 ignores DST bits 31:16 and 7:0 (no reserved-bit fault for them)", () => {
    const r = run(T, [...setupIr({ irtes: [[2, { vector: 0x61, dst: 0xabcd02ef }]] }), ...remapFire(0, 2)]);
    expect(delivered(r.last)).toEqual([[2, 0x61]]);
    expect(faults(r.all)).toEqual([]);
  });

  it("EIME = 1, logical: x2APIC cluster 0x12 bit 12 selects APIC ID 300 (0x12c)", () => {
    const r = run(X2, [
      ...setupIr({ eime: true, cfi: false, irtes: [[2, { vector: 0x62, dst: 0x00121000, dm: 1 }]] }),
      ...remapFire(0, 2),
    ]);
    expect(delivered(r.last)).toEqual([[300, 0x62]]);
  });

  it("EIME = 1, physical 0xffffffff is the x2APIC broadcast: every CPU", () => {
    const r = run(X2, [
      ...setupIr({ eime: true, irtes: [[2, { vector: 0x63, dst: 0xffffffff }]] }),
      ...remapFire(0, 2),
    ]);
    expect(delivered(r.last)).toEqual([
      [0, 0x63],
      [1, 0x63],
      [300, 0x63],
    ]);
  });
});

describe("remappable IOAPIC entries (semantics.md §1.4, §1.10, D8b)", () => {
  it("RTE 63:49 is the index; the IRTE's vector and destination are delivered", () => {
    const r = run(T, [
      ...setupIr({ irtes: [[5, good(0x66, 1)]] }),
      ...writeRte(6, rteLow({ vector: 6 }), rteHighRemap(5)),
      { op: "line.pulse", pin: 6 },
    ]);
    expect(deliveries(r.last)).toEqual([{ apicId: 1, vector: 0x66, trigger: "edge", mode: "fixed" }]);
  });

  it("RTE bit 11 is index[15]", () => {
    const r = run(T, [
      ...setupIr({ sizeLog2: 15, irtes: [[5, good(0x66, 1)]] }),
      ...writeRte(6, rteLow({ vector: 6, destMode: 1 }), rteHighRemap(5)),
      { op: "line.pulse", pin: 6 },
    ]);
    expect(faults(r.last)).toEqual([{ reason: 0x22, index: 0x8005, sourceId: 0xffff }]);
  });

  it("a level remappable entry: remote IRR is cleared by an EOI of the RTE vector (the pin), not of the IRTE vector", () => {
    const setup = run(T, [
      ...setupIr({ irtes: [[5, good(0x66, 1, { tm: 1 })]] }),
      ...writeRte(6, rteLow({ vector: 6, trigger: "level" }), rteHighRemap(5)),
      lineSet(6, 1),
      lineSet(6, 0),
    ]);
    expect(deliveries(setup.steps[setup.steps.length - 2] ?? [])).toEqual([
      { apicId: 1, vector: 0x66, trigger: "level", mode: "fixed" },
    ]);
    expect(remoteIrrOf(setup.state, 6)).toBe(true);
    const viaLapic = run(
      T,
      [
        { op: "cpu.accept", cpu: 1 },
        { op: "cpu.eoi", cpu: 1 },
      ],
      setup.state,
    );
    expect(remoteIrrOf(viaLapic.state, 6)).toBe(true);
    const viaRegister = run(T, [{ op: "ioapic.eoi", vector: 6 }], viaLapic.state);
    expect(remoteIrrOf(viaRegister.state, 6)).toBe(false);
  });

  it("a level entry sets remote IRR when it sends, even if remapping then blocks it (§1.7 step 4 before step 5)", () => {
    const r = run(T, [
      ...setupIr({ irtes: [[5, good(0x66, 1, { present: false })]] }),
      ...writeRte(6, rteLow({ vector: 6, trigger: "level" }), rteHighRemap(5)),
      lineSet(6, 1),
    ]);
    expect(faults(r.last)).toEqual([{ reason: 0x22, index: 5, sourceId: 0xffff }]);
    expect(remoteIrrOf(r.state, 6)).toBe(true);
  });

  it("IOAPIC requests carry no source ID: SVT = 11 does not block them, and faults record SID 0xffff", () => {
    const r = run(T, [
      ...setupIr({ irtes: [[5, good(0x66, 1, { svt: 3, sid: 0x1234 })]] }),
      ...writeRte(6, rteLow({ vector: 6 }), rteHighRemap(5)),
      { op: "line.pulse", pin: 6 },
    ]);
    expect(delivered(r.last)).toEqual([[1, 0x66]]);
  });
});

describe("fault 0x20: reserved field in the request (semantics.md §4.2 step 8)", () => {
  it("SHV = 1 with data bits 31:16 non-zero faults 0x20 and is blocked", () => {
    const r = run(T, [
      ...setupIr({ irtes: [[3, good(0x55, 2)]] }),
      ...msiSend(0, 0, msiAddrRemap(3, true), 0x00010000),
    ]);
    expect(faults(r.last).map((f) => [f.reason, f.sourceId])).toEqual([[0x20, SID0]]);
    expect(deliveries(r.last)).toEqual([]);
  });

  it("0x20 is not qualified: FPD = 1 in the IRTE does not suppress it", () => {
    const r = run(T, [
      ...setupIr({ irtes: [[3, good(0x55, 2, { fpd: true })]] }),
      ...msiSend(0, 0, msiAddrRemap(3, true), 0x80000000),
    ]);
    expect(faults(r.last).map((f) => f.reason)).toEqual([0x20]);
  });

  it("SHV = 0: data bits 31:16 are not checked", () => {
    const r = run(T, [...setupIr({ irtes: [[3, good(0x55, 2)]] }), ...msiSend(0, 0, msiAddrRemap(3), 0xffff0000)]);
    expect(delivered(r.last)).toEqual([[2, 0x55]]);
  });

  // semantics.md §4.2 step 8: "If SHV and data bits 31:16 ≠ 0 → fault 0x20 → -EINVAL. This
  // check happens after the IRTE fetch." The fetch (§4.3) includes the source-ID check 5.
  it("the SHV data check comes after the IRTE fetch: a source-ID failure reports 0x26, not 0x20 (§4.2 step 8)", () => {
    const r = run(T, [
      ...setupIr({ irtes: [[3, good(0x55, 2, { svt: 3 })]] }),
      ...msiSend(0, 0, msiAddrRemap(3, true), 0x00010000),
    ]);
    expect(faults(r.last).map((f) => f.reason)).toEqual([0x26]);
  });

  it("the SHV data check comes after the IRTE fetch: FPD = 1 with a source-ID failure blocks silently (§4.2 step 8, §4.3)", () => {
    const r = run(T, [
      ...setupIr({ irtes: [[3, good(0x55, 2, { svt: 3, fpd: true })]] }),
      ...msiSend(0, 0, msiAddrRemap(3, true), 0x00010000),
    ]);
    expect(r.last).toEqual([]);
    expect(visible(r.state).faultRecords).toEqual([null]);
  });
});

describe("fault 0x21: index beyond the IRTA size (semantics.md §4.1 2^(S+1) entries, §4.3 check 1)", () => {
  it("index 2 with S = 0 (two entries) faults 0x21 and records the index and requester ID", () => {
    const r = run(T, [...setupIr({ sizeLog2: 0, irtes: [[2, good(0x55, 2)]] }), ...remapFire(0, 2)]);
    expect(faults(r.last)).toEqual([{ reason: 0x21, index: 2, sourceId: SID0 }]);
    expect(deliveries(r.last)).toEqual([]);
    expect(visible(r.state).faultRecords).toEqual([{ reason: 0x21, index: 2, sourceId: SID0 }]);
  });

  it("the last index inside 2^(S+1) is translated", () => {
    const r = run(T, [...setupIr({ sizeLog2: 0, irtes: [[1, good(0x55, 2)]] }), ...remapFire(0, 1)]);
    expect(delivered(r.last)).toEqual([[2, 0x55]]);
  });

  it("0x21 is not suppressible: FPD = 1 in the entry at that index is never read", () => {
    const r = run(T, [...setupIr({ sizeLog2: 1, irtes: [[4, good(0x55, 2, { fpd: true })]] }), ...remapFire(1, 4)]);
    expect(faults(r.last)).toEqual([{ reason: 0x21, index: 4, sourceId: SID1 }]);
  });

  it("handle + subhandle beyond the size faults 0x21 with the summed index", () => {
    const r = run(T, [...setupIr({ sizeLog2: 0 }), ...msiSend(0, 0, msiAddrRemap(1, true), 1)]);
    expect(faults(r.last)).toEqual([{ reason: 0x21, index: 2, sourceId: SID0 }]);
  });

  it("the size is the one latched by the last SIRTP (ir.table)", () => {
    const r = run(T, [
      ...setupIr({ sizeLog2: 2, irtes: [[6, good(0x55, 2)]] }),
      ...remapFire(0, 6),
      { op: "ir.table", sizeLog2: 1, eime: false },
      { op: "msi.fire", dev: 0, vec: 0 },
    ]);
    expect(delivered(r.steps[r.steps.length - 3] ?? [])).toEqual([[2, 0x55]]);
    expect(faults(r.last)).toEqual([{ reason: 0x21, index: 6, sourceId: SID0 }]);
  });

  it("a remappable IOAPIC entry beyond the size faults 0x21 with source ID 0xffff", () => {
    const r = run(T, [
      ...setupIr({ sizeLog2: 0 }),
      ...writeRte(6, rteLow({ vector: 6 }), rteHighRemap(3)),
      { op: "line.pulse", pin: 6 },
    ]);
    expect(faults(r.last)).toEqual([{ reason: 0x21, index: 3, sourceId: 0xffff }]);
  });
});

describe("fault 0x22: IRTE not present (semantics.md §4.3 check 3)", () => {
  it("P = 0 faults 0x22 with the index and requester ID, and blocks", () => {
    const r = run(T, [...setupIr({ irtes: [[3, good(0x55, 2, { present: false })]] }), ...remapFire(1, 3)]);
    expect(faults(r.last)).toEqual([{ reason: 0x22, index: 3, sourceId: SID1 }]);
    expect(deliveries(r.last)).toEqual([]);
    expect(lapicOf(r.state, 2).irr).toEqual([]);
  });

  it("P = 0 with FPD = 1 is blocked and not recorded", () => {
    const r = run(T, [...setupIr({ irtes: [[3, good(0x55, 2, { present: false, fpd: true })]] }), ...remapFire(1, 3)]);
    expect(r.last).toEqual([]);
    expect(visible(r.state).faultRecords).toEqual([null]);
    expect(visible(r.state).faultOverflow).toBe(false);
  });

  it("an IOAPIC pin through a cleared IRTE is blocked with 0x22 and SID 0xffff after the invalidation (D3 REF)", () => {
    const r = run(T, [
      ...setupIr({ irtes: [[5, good(0x66, 1)]] }),
      ...writeRte(6, rteLow({ vector: 6 }), rteHighRemap(5)),
      { op: "irte.write", index: 5, irte: irteHex(good(0x66, 1, { present: false })) },
      { op: "iec.invalidate", global: false, index: 5, mask: 0 },
      { op: "line.pulse", pin: 6 },
    ]);
    expect(r.last).toEqual([{ kind: "fault", reason: 0x22, index: 5, sourceId: 0xffff }]);
  });
});

describe("fault 0x24: reserved IRTE bits 14:12, 31:24, 127:84 (semantics.md §4.3 check 4)", () => {
  /** [word, bit] of single reserved bits, one or more from each range. */
  const reservedBits: [number, number][] = [
    [0, 12],
    [0, 13],
    [0, 14],
    [0, 24],
    [0, 31],
    [2, 20], // IRTE bit 84
    [2, 31], // IRTE bit 95
    [3, 0], // IRTE bit 96
    [3, 31], // IRTE bit 127
  ];

  for (const [word, b] of reservedBits) {
    const irteBit = word * 32 + b;
    it(`IRTE bit ${irteBit} set faults 0x24; with FPD = 1 it is blocked silently`, () => {
      const extra: [number, number, number, number] = [0, 0, 0, 0];
      extra[word] = (1 << b) >>> 0;
      const r = run(T, [...setupIr({ irtes: [[2, good(0x55, 2, { extra })]] }), ...remapFire(0, 2)]);
      expect(faults(r.last)).toEqual([{ reason: 0x24, index: 2, sourceId: SID0 }]);
      expect(deliveries(r.last)).toEqual([]);
      const q = run(T, [...setupIr({ irtes: [[2, good(0x55, 2, { extra, fpd: true })]] }), ...remapFire(0, 2)]);
      expect(q.last).toEqual([]);
      expect(visible(q.state).faultRecords).toEqual([null]);
    });
  }

  const reservedMask = [0xff007000, 0, 0xfff00000, 0xffffffff] as const;
  test.prop(
    [
      fc
        .tuple(fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff }))
        .map(([a, b, c]) => [(a & reservedMask[0]) >>> 0, 0, (b & reservedMask[2]) >>> 0, c >>> 0] as const)
        .filter(([a, , b, c]) => (a | b | c) !== 0),
    ],
    { numRuns: 200 },
  )("any non-zero combination of reserved bits faults 0x24", (extra) => {
    const r = run(T, [
      ...setupIr({ irtes: [[2, good(0x55, 2, { extra: [...extra] as [number, number, number, number] })]] }),
      ...remapFire(0, 2),
    ]);
    expect(faults(r.last).map((f) => f.reason)).toEqual([0x24]);
  });
});

describe("fault 0x25: compatibility format under IR (semantics.md §9.3)", () => {
  const compat = msiSend(0, 0, msiAddrCompat(1), msiData(0x70));

  it("CFI = 0: a compatibility-format MSI faults 0x25 and is blocked", () => {
    const r = run(T, [...setupIr({ cfi: false }), ...compat]);
    expect(faults(r.last).map((f) => [f.reason, f.sourceId])).toEqual([[0x25, SID0]]);
    expect(deliveries(r.last)).toEqual([]);
  });

  it("CFI = 1 and EIME = 0: a compatibility-format MSI passes through untranslated", () => {
    const r = run(T, [...setupIr({ cfi: true, eime: false }), ...compat]);
    expect(delivered(r.last)).toEqual([[1, 0x70]]);
  });

  it("CFI = 1 but EIME = 1: a compatibility-format MSI faults 0x25", () => {
    const r = run(T, [...setupIr({ cfi: true, eime: true }), ...compat]);
    expect(faults(r.last).map((f) => f.reason)).toEqual([0x25]);
    expect(deliveries(r.last)).toEqual([]);
  });

  it("0x25 is not suppressible: recorded even if every IRTE has FPD = 1", () => {
    const irtes: [number, IrteFields][] = [0, 1, 2, 3, 4, 5, 6, 7].map((i) => [i, good(0x70, 1, { fpd: true })]);
    const r = run(T, [...setupIr({ cfi: false, irtes }), ...compat]);
    expect(faults(r.last).map((f) => f.reason)).toEqual([0x25]);
  });

  it("a compatibility IOAPIC entry under IR with CFI = 0 faults 0x25 with source ID 0xffff", () => {
    const r = run(T, [
      ...setupIr({ cfi: false }),
      ...writeRte(2, rteLow({ vector: 0x42 }), rteHighCompat(1)),
      lineSet(2, 1),
    ]);
    expect(faults(r.last).map((f) => [f.reason, f.sourceId])).toEqual([[0x25, 0xffff]]);
    expect(deliveries(r.last)).toEqual([]);
  });
});

describe("fault 0x26: source-ID validation (semantics.md §4.3 check 5, D11)", () => {
  /** Fire from a device with requester ID `rid` through IRTE 1 with the given SVT/SQ/SID. */
  function viaSid(rid: number, svt: number, sq: number, sid: number, fpd = false): readonly Observation[] {
    const t: Topology = { ...T, name: "sid", msiDevices: [{ requesterId: rid, vectors: 1 }] };
    return run(t, [...setupIr({ irtes: [[1, good(0x77, 2, { svt, sq, sid, fpd })]] }), ...remapFire(0, 1)]).last;
  }
  const ok = (obs: readonly Observation[]) => expect(delivered(obs)).toEqual([[2, 0x77]]);
  const sidFault = (obs: readonly Observation[], rid: number) =>
    expect(obs).toEqual([{ kind: "fault", reason: 0x26, index: 1, sourceId: rid }]);

  it("SVT = 00: no check", () => ok(viaSid(0x1234, 0, 0, 0x0000)));

  it("SVT = 01, SQ = 0: all 16 bits must match", () => {
    ok(viaSid(0x0008, 1, 0, 0x0008));
    sidFault(viaSid(0x0009, 1, 0, 0x0008), 0x0009);
    sidFault(viaSid(0x0108, 1, 0, 0x0008), 0x0108);
  });

  it("SVT = 01, SQ = 1 ignores bit 2 only", () => {
    ok(viaSid(0x000c, 1, 1, 0x0008));
    sidFault(viaSid(0x000a, 1, 1, 0x0008), 0x000a);
  });

  it("SVT = 01, SQ = 2 ignores bits 2:1 only", () => {
    ok(viaSid(0x000e, 1, 2, 0x0008));
    sidFault(viaSid(0x0009, 1, 2, 0x0008), 0x0009);
  });

  it("SVT = 01, SQ = 3 ignores bits 2:0, not the device or bus", () => {
    ok(viaSid(0x000f, 1, 3, 0x0008));
    sidFault(viaSid(0x0010, 1, 3, 0x0008), 0x0010);
    sidFault(viaSid(0x0208, 1, 3, 0x0008), 0x0208);
  });

  test.prop([fc.nat({ max: 0xffff }), fc.nat({ max: 0xffff }), fc.integer({ min: 0, max: 3 })], { numRuns: 100 })(
    "SVT = 01: accepted iff SID and requester agree outside the SQ-ignored function bits",
    (rid, sid, sq) => {
      const ignore = [0, 0b100, 0b110, 0b111][sq] ?? 0;
      const obs = viaSid(rid, 1, sq, sid);
      if (((rid ^ sid) & ~ignore & 0xffff) === 0) ok(obs);
      else sidFault(obs, rid);
    },
  );

  it("SVT = 10: bus range with SID[15:8] = start bus, SID[7:0] = end bus (Linux set_irte_verify_bus)", () => {
    ok(viaSid(0x0300, 2, 0, 0x0204)); // bus 3 in [2, 4]
    ok(viaSid(0x0300, 2, 0, 0x0303)); // bus 3 in [3, 3]
    ok(viaSid(0x04ff, 2, 0, 0x0204)); // bus 4 in [2, 4], devfn ignored
    sidFault(viaSid(0x0500, 2, 0, 0x0204), 0x0500); // bus 5 above the end
    sidFault(viaSid(0x0100, 2, 0, 0x0204), 0x0100); // bus 1 below the start
  });

  test.prop([fc.nat({ max: 0xff }), fc.nat({ max: 0xff }), fc.nat({ max: 0xffff })], { numRuns: 100 })(
    "SVT = 10: accepted iff start <= requester bus <= end",
    (start, end, rid) => {
      const obs = viaSid(rid, 2, 0, (start << 8) | end);
      const bus = rid >>> 8;
      if (start <= bus && bus <= end) ok(obs);
      else sidFault(obs, rid);
    },
  );

  it("SVT = 11: always fails", () => {
    sidFault(viaSid(0x0008, 3, 0, 0x0008), 0x0008);
    sidFault(viaSid(0x0000, 3, 3, 0x0000), 0x0000);
  });

  it("a source-ID failure with FPD = 1 is blocked and not recorded", () => {
    expect(viaSid(0x0009, 1, 0, 0x0008, true)).toEqual([]);
    expect(viaSid(0x0500, 2, 0, 0x0204, true)).toEqual([]);
    expect(viaSid(0x0008, 3, 0, 0x0008, true)).toEqual([]);
  });
});

describe("fault recording (semantics.md §4.4)", () => {
  const notPresent = setupIr({
    irtes: [
      [1, good(0x55, 2, { present: false })],
      [2, good(0x55, 2, { extra: [1 << 12, 0, 0, 0] })],
    ],
  });

  it("a record holds the reason, the interrupt index and the requester ID; PFO stays clear", () => {
    const r = run(T, [...notPresent, ...remapFire(1, 1)]);
    expect(visible(r.state).faultRecords).toEqual([{ reason: 0x22, index: 1, sourceId: SID1 }]);
    expect(visible(r.state).faultOverflow).toBe(false);
    expect(r.last).toEqual([{ kind: "fault", reason: 0x22, index: 1, sourceId: SID1 }]);
  });

  it("a second fault from the same source while the record is pending is compressed: dropped, no PFO", () => {
    const r = run(T, [...notPresent, ...remapFire(1, 1), ...remapFire(1, 2)]);
    expect(r.last).toEqual([]);
    expect(visible(r.state).faultRecords).toEqual([{ reason: 0x22, index: 1, sourceId: SID1 }]);
    expect(visible(r.state).faultOverflow).toBe(false);
  });

  it("a fault from another source when the single record is full sets PFO and is dropped", () => {
    const r = run(T, [...notPresent, ...remapFire(1, 1), ...remapFire(0, 2)]);
    expect(r.last).toEqual([]);
    expect(visible(r.state).faultRecords).toEqual([{ reason: 0x22, index: 1, sourceId: SID1 }]);
    expect(visible(r.state).faultOverflow).toBe(true);
  });

  it("while PFO is set every fault is dropped, even after the only source's record would allow it", () => {
    const r = run(T, [
      ...notPresent,
      ...remapFire(1, 1),
      ...remapFire(0, 2),
      { op: "msi.fire", dev: 1, vec: 0 },
      { op: "msi.fire", dev: 0, vec: 0 },
    ]);
    expect(r.last).toEqual([]);
    expect(visible(r.state).faultRecords).toEqual([{ reason: 0x22, index: 1, sourceId: SID1 }]);
  });

  it("ir.fault-clear empties the record and PFO; the next fault is recorded", () => {
    const r = run(T, [...notPresent, ...remapFire(1, 1), ...remapFire(0, 2), { op: "ir.fault-clear" }]);
    expect(visible(r.state).faultRecords).toEqual([null]);
    expect(visible(r.state).faultOverflow).toBe(false);
    const n = run(T, [{ op: "msi.fire", dev: 0, vec: 0 }], r.state);
    expect(n.last).toEqual([{ kind: "fault", reason: 0x24, index: 2, sourceId: SID0 }]);
    expect(visible(n.state).faultRecords).toEqual([{ reason: 0x24, index: 2, sourceId: SID0 }]);
  });

  it("faults from the IOAPIC record source ID 0xffff", () => {
    const r = run(T, [
      ...notPresent,
      ...writeRte(6, rteLow({ vector: 6 }), rteHighRemap(1)),
      { op: "line.pulse", pin: 6 },
    ]);
    expect(visible(r.state).faultRecords).toEqual([{ reason: 0x22, index: 1, sourceId: 0xffff }]);
  });

  it("with two recording registers, faults from two sources both fit; a third source overflows", () => {
    const t2: Topology = {
      ...T,
      name: "two-records",
      faultRecords: 2,
      msiDevices: [...T.msiDevices, { requesterId: 0x0500, vectors: 1 }],
    };
    const r = run(t2, [...notPresent, ...remapFire(1, 1), ...remapFire(0, 2), ...remapFire(2, 1)]);
    expect(visible(r.state).faultRecords).toEqual([
      { reason: 0x22, index: 1, sourceId: SID1 },
      { reason: 0x24, index: 2, sourceId: SID0 },
    ]);
    expect(visible(r.state).faultOverflow).toBe(true);
  });
});

describe("IRTE changed without invalidation: old or new form (semantics.md D5, §4.5)", () => {
  /** IRTE 2 goes from (cpu 0, 0x40) to (cpu 1, 0x41) without an invalidation; dev 0 is ready to fire. */
  const changed = (): MachineState =>
    run(T, [
      ...setupIr({ irtes: [[2, good(0x40, 0)]] }),
      { op: "msi.program", dev: 0, vec: 0, address: msiAddrRemap(2), data: 0 },
      { op: "msi.mask", dev: 0, vec: 0, masked: false },
      { op: "irte.write", index: 2, irte: irteHex(good(0x41, 1)) },
    ]).state;
  const fire: Command = { op: "msi.fire", dev: 0, vec: 0 };
  const sorted = (os: (readonly Observation[])[]) =>
    os.map(delivered).sort((a, b) => (a[0]?.[1] ?? 0) - (b[0]?.[1] ?? 0));

  it("before any invalidation the interrupt may use the old or the new form: two outcomes", () => {
    expect(sorted(outcomes(T, changed(), fire))).toEqual([[[0, 0x40]], [[1, 0x41]]]);
  });

  const covering: Command[] = [
    { op: "iec.invalidate", global: true },
    { op: "iec.invalidate", global: false, index: 2, mask: 0 },
    { op: "iec.invalidate", global: false, index: 3, mask: 1 }, // {2, 3}
    { op: "iec.invalidate", global: false, index: 0, mask: 2 }, // {0..3}
    { op: "iec.invalidate", global: false, index: 7, mask: 3 }, // {0..7}
  ];
  for (const inv of covering) {
    it(`a covering invalidation ${JSON.stringify(inv)} leaves only the new form`, () => {
      const s = run(T, [inv], changed()).state;
      expect(outcomes(T, s, fire).map(delivered)).toEqual([[[1, 0x41]]]);
    });
  }

  const notCovering: Command[] = [
    { op: "iec.invalidate", global: false, index: 3, mask: 0 },
    { op: "iec.invalidate", global: false, index: 0, mask: 1 }, // {0, 1}
    { op: "iec.invalidate", global: false, index: 4, mask: 2 }, // {4..7}
  ];
  for (const inv of notCovering) {
    it(`a non-covering invalidation ${JSON.stringify(inv)} keeps both forms`, () => {
      const s = run(T, [inv], changed()).state;
      expect(sorted(outcomes(T, s, fire))).toEqual([[[0, 0x40]], [[1, 0x41]]]);
    });
  }

  it("a newly written entry that replaced a not-present one may still fault 0x22 until invalidated", () => {
    const s = run(T, [
      ...setupIr({}),
      { op: "msi.program", dev: 0, vec: 0, address: msiAddrRemap(4), data: 0 },
      { op: "msi.mask", dev: 0, vec: 0, masked: false },
      { op: "irte.write", index: 4, irte: irteHex(good(0x44, 3)) },
    ]).state;
    const os = outcomes(T, s, fire);
    expect(os).toHaveLength(2);
    expect(os.flatMap(faults)).toEqual([{ reason: 0x22, index: 4, sourceId: SID0 }]);
    expect(os.flatMap(delivered)).toEqual([[3, 0x44]]);
  });

  it("rewriting an entry with identical contents gives one outcome", () => {
    const s = run(T, [
      ...setupIr({ irtes: [[2, good(0x40, 0)]] }),
      { op: "msi.program", dev: 0, vec: 0, address: msiAddrRemap(2), data: 0 },
      { op: "msi.mask", dev: 0, vec: 0, masked: false },
      { op: "irte.write", index: 2, irte: irteHex(good(0x40, 0)) },
    ]).state;
    expect(outcomes(T, s, fire).map(delivered)).toEqual([[[0, 0x40]]]);
  });
});
