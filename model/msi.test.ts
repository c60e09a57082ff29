/**
 * MSI address/data formats (semantics.md §7.1-7.2, §1.10, §3.3/§6.6 extended destination ID)
 * and MSI-X per-vector mask and pending bits (PCI 3.0 §6.8.2).
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import type { Topology } from "./index.ts";
import { decodeCompat, decodeRemappable, encodeCompat, encodeRemappable, rteMessage, visible } from "./index.ts";
import {
  delivered,
  deliveries,
  lapicOf,
  lineSet,
  msiAddrCompat,
  msiAddrRemap,
  msiData,
  rteHighCompat,
  rteHighRemap,
  rteLow,
  run,
  topology,
  writeRte,
} from "./test-support.ts";

const T = topology("default");
const X2 = topology("x2apic");
const X2_NO_EXT: Topology = { ...X2, name: "x2apic-no-ext-dest", extDestId: false };

const compatInterrupt = (maxDest: number) =>
  fc.record({
    dest: fc.integer({ min: 0, max: maxDest }),
    destMode: fc.constantFrom(0 as const, 1 as const),
    redirectionHint: fc.constantFrom(0 as const, 1 as const),
    deliveryMode: fc.integer({ min: 0, max: 7 }),
    vector: fc.integer({ min: 0, max: 0xff }),
    trigger: fc.constantFrom(0 as const, 1 as const),
  });

describe("compatibility format encode/decode (semantics.md §7.1, §7.2)", () => {
  test.prop([compatInterrupt(0x7fff)])(
    "decodeCompat(encodeCompat(x), extDestId on) = x for 15-bit destinations",
    (irq) => {
      expect(decodeCompat(encodeCompat(irq), true)).toEqual(irq);
    },
  );

  test.prop([compatInterrupt(0xff)])(
    "decodeCompat(encodeCompat(x), extDestId off) = x for 8-bit destinations",
    (irq) => {
      expect(decodeCompat(encodeCompat(irq), false)).toEqual(irq);
    },
  );

  test.prop([compatInterrupt(0x7fff)])(
    "encodeCompat lays the fields where §7.1/§7.2 put them (0xFEE, dest 19:12, ext 11:5, RH 3, DM 2; data 7:0, 10:8, 14, 15)",
    (irq) => {
      const m = encodeCompat(irq);
      expect(m.address).toBe(msiAddrCompat(irq.dest, { logical: irq.destMode === 1, rh: irq.redirectionHint === 1 }));
      expect(m.data).toBe(msiData(irq.vector, { deliveryMode: irq.deliveryMode, level: irq.trigger === 1 }));
      expect(m.address & 0x10).toBe(0); // bit 4 = 0: compatibility format
    },
  );

  test.prop([fc.nat({ max: 0xfffff }), fc.nat({ max: 0xffff })])(
    "decodeCompat reads dest[7:0] from 19:12 and, with extDestId and format bit 4 = 0, dest[14:8] from 11:5 (§3.3); otherwise 11:5 are ignored",
    (low20, data) => {
      const address = (0xfee00000 | low20) >>> 0;
      const d8 = (address >>> 12) & 0xff;
      const ext = (address >>> 5) & 0x7f;
      const compatFormat = (address & 0x10) === 0;
      expect(decodeCompat({ address, data }, true).dest).toBe(compatFormat ? d8 | (ext << 8) : d8);
      expect(decodeCompat({ address, data }, false).dest).toBe(d8);
      const x = decodeCompat({ address, data }, true);
      expect([x.destMode, x.redirectionHint]).toEqual([(address >>> 2) & 1, (address >>> 3) & 1]);
      expect([x.vector, x.deliveryMode, x.trigger]).toEqual([data & 0xff, (data >>> 8) & 7, (data >>> 15) & 1]);
    },
  );
});

describe("remappable format encode/decode (semantics.md §7.1, VT-d §5.1.2)", () => {
  test.prop([fc.integer({ min: 0, max: 0xffff }), fc.boolean()])(
    "decodeRemappable(encodeRemappable(h)) = h for every 16-bit handle and SHV",
    (handle, subhandleValid) => {
      expect(decodeRemappable(encodeRemappable({ handle, subhandleValid }))).toEqual({ handle, subhandleValid });
    },
  );

  test.prop([fc.integer({ min: 0, max: 0xffff }), fc.boolean()])(
    "encodeRemappable: handle[14:0] in 19:5, format bit 4 = 1, SHV bit 3, handle[15] bit 2",
    (handle, shv) => {
      expect(encodeRemappable({ handle, subhandleValid: shv })).toBe(msiAddrRemap(handle, shv));
    },
  );

  test.prop([fc.nat({ max: 0xfffff })])(
    "encodeRemappable(decodeRemappable(a)) = a for every remappable address with bits 1:0 clear",
    (low20) => {
      const address = ((0xfee00000 | low20 | 0x10) & ~3) >>> 0;
      expect(encodeRemappable(decodeRemappable(address))).toBe(address);
    },
  );
});

describe("RTE to MSI message (semantics.md §1.10)", () => {
  const rteLowArb = fc.nat({ max: 0x1ffff });

  test.prop([rteLowArb, fc.integer({ min: 0, max: 0x7fff })])(
    "compatibility RTE: 63:56 -> address 19:12, 55:49 -> 11:5, bit 11 -> address bit 2; data = vector | DM << 8 | trigger << 15",
    (low, dest) => {
      const m = rteMessage(low, rteHighCompat(dest));
      expect(m.address).toBe(
        (0xfee00000 | ((dest & 0xff) << 12) | ((dest >>> 8) << 5) | (((low >>> 11) & 1) << 2)) >>> 0,
      );
      expect(m.data).toBe((low & 0xff) | (low & 0x700) | (low & 0x8000));
      expect(decodeCompat(m, true).dest).toBe(dest);
    },
  );

  test.prop([rteLowArb, fc.integer({ min: 0, max: 0x7fff })])(
    "remappable RTE: index[14:0] from RTE 63:49 and index[15] from bit 11 form the handle; bit 48 -> address bit 4; SHV 0",
    (low, index15) => {
      const m = rteMessage(low, rteHighRemap(index15));
      const handle = (((low >>> 11) & 1) << 15) | index15;
      expect(m.address).toBe(msiAddrRemap(handle, false));
      expect(decodeRemappable(m.address)).toEqual({ handle, subhandleValid: false });
    },
  );

  it("data bit 14 (assert) is not set by the IOAPIC (§1.10)", () => {
    expect(rteMessage(rteLow({ vector: 0x33, trigger: "level" }), 0).data & (1 << 14)).toBe(0);
  });
});

describe("extended destination ID for APIC ID 300 (semantics.md §3.3, §6.6)", () => {
  // 300 = 0x12c: dest[7:0] = 0x2c, dest[14:8] = 0x01.
  it("an IOAPIC entry with dest 0x2c in 63:56 and 0x01 in 55:49 reaches APIC ID 300", () => {
    expect(rteHighCompat(300)).toBe(0x2c020000);
    const r = run(X2, [...writeRte(4, rteLow({ vector: 0x44 }), 0x2c020000), lineSet(4, 1)]);
    expect(delivered(r.last)).toEqual([[300, 0x44]]);
    expect(lapicOf(r.state, 2).irr).toEqual([0x44]);
  });

  it("an MSI with 0x2c in address 19:12 and 0x01 in 11:5 reaches APIC ID 300", () => {
    expect(msiAddrCompat(300)).toBe(0xfee2c020);
    const r = run(X2, [
      { op: "msi.program", dev: 1, vec: 1, address: 0xfee2c020, data: 0x45 },
      { op: "msi.mask", dev: 1, vec: 1, masked: false },
      { op: "msi.fire", dev: 1, vec: 1 },
    ]);
    expect(delivered(r.last)).toEqual([[300, 0x45]]);
  });

  it("without the feature, address 11:5 is ignored: the same MSI goes to APIC ID 0x2c (nobody here)", () => {
    const r = run(X2_NO_EXT, [
      { op: "msi.program", dev: 1, vec: 1, address: 0xfee2c020, data: 0x45 },
      { op: "msi.mask", dev: 1, vec: 1, masked: false },
      { op: "msi.fire", dev: 1, vec: 1 },
    ]);
    expect(deliveries(r.last)).toEqual([]);
  });

  it("without the feature, an RTE with ext-dest bits for 300 does not reach APIC ID 300", () => {
    const r = run(X2_NO_EXT, [...writeRte(4, rteLow({ vector: 0x44 }), 0x2c020000), lineSet(4, 1)]);
    expect(deliveries(r.last)).toEqual([]);
  });
});

describe("MSI-X mask and pending bits (PCI 3.0 §6.8.2)", () => {
  const program = { op: "msi.program", dev: 0, vec: 1, address: msiAddrCompat(2), data: msiData(0x61) } as const;

  it("vectors reset masked: a fire after programming is held pending, not delivered", () => {
    const r = run(T, [program, { op: "msi.fire", dev: 0, vec: 1 }]);
    expect(deliveries(r.all)).toEqual([]);
    expect(visible(r.state).msiPending).toEqual([0b10, 0]);
  });

  it("a fire while masked sets the pending bit; unmask delivers and clears it", () => {
    const r = run(T, [
      program,
      { op: "msi.mask", dev: 0, vec: 1, masked: false },
      { op: "msi.mask", dev: 0, vec: 1, masked: true },
      { op: "msi.fire", dev: 0, vec: 1 },
    ]);
    expect(deliveries(r.all)).toEqual([]);
    expect(visible(r.state).msiPending).toEqual([0b10, 0]);
    const u = run(T, [{ op: "msi.mask", dev: 0, vec: 1, masked: false }], r.state);
    expect(delivered(u.last)).toEqual([[2, 0x61]]);
    expect(visible(u.state).msiPending).toEqual([0, 0]);
  });

  it("two fires while masked leave one pending bit and deliver once on unmask", () => {
    const r = run(T, [
      program,
      { op: "msi.fire", dev: 0, vec: 1 },
      { op: "msi.fire", dev: 0, vec: 1 },
      { op: "msi.mask", dev: 0, vec: 1, masked: false },
      { op: "msi.mask", dev: 0, vec: 1, masked: true },
      { op: "msi.mask", dev: 0, vec: 1, masked: false },
    ]);
    expect(delivered(r.all)).toEqual([[2, 0x61]]);
  });

  it("unmask delivers the message programmed at unmask time, not at fire time", () => {
    const r = run(T, [
      program,
      { op: "msi.fire", dev: 0, vec: 1 },
      { op: "msi.program", dev: 0, vec: 1, address: msiAddrCompat(3), data: msiData(0x62) },
      { op: "msi.mask", dev: 0, vec: 1, masked: false },
    ]);
    expect(delivered(r.last)).toEqual([[3, 0x62]]);
  });

  it("an unmasked fire delivers at once and leaves no pending bit", () => {
    const r = run(T, [program, { op: "msi.mask", dev: 0, vec: 1, masked: false }, { op: "msi.fire", dev: 0, vec: 1 }]);
    expect(delivered(r.last)).toEqual([[2, 0x61]]);
    expect(visible(r.state).msiPending).toEqual([0, 0]);
  });

  it("unmasking a vector with no pending bit delivers nothing", () => {
    const r = run(T, [program, { op: "msi.mask", dev: 0, vec: 1, masked: false }]);
    expect(deliveries(r.all)).toEqual([]);
  });

  it("pending bits are per device and per vector", () => {
    const r = run(T, [
      { op: "msi.fire", dev: 1, vec: 0 },
      { op: "msi.fire", dev: 0, vec: 0 },
      { op: "msi.fire", dev: 1, vec: 1 },
    ]);
    expect(visible(r.state).msiPending).toEqual([0b01, 0b11]);
  });

  it("a level-trigger MSI sets TMR; an edge one leaves it clear (data bit 15)", () => {
    const r = run(T, [
      { op: "msi.program", dev: 0, vec: 0, address: msiAddrCompat(1), data: msiData(0x70, { level: true }) },
      { op: "msi.mask", dev: 0, vec: 0, masked: false },
      { op: "msi.fire", dev: 0, vec: 0 },
      { op: "msi.program", dev: 0, vec: 0, address: msiAddrCompat(1), data: msiData(0x71) },
      { op: "msi.fire", dev: 0, vec: 0 },
    ]);
    expect(lapicOf(r.state, 1)).toEqual({ irr: [0x70, 0x71], isr: [], tmr: [0x70] });
  });

  it("a write outside the 0xFEExxxxx window is not an interrupt", () => {
    const r = run(T, [
      { op: "msi.program", dev: 0, vec: 0, address: 0xfed00000, data: 0x70 },
      { op: "msi.mask", dev: 0, vec: 0, masked: false },
      { op: "msi.fire", dev: 0, vec: 0 },
    ]);
    expect(r.all).toEqual([]);
  });
});
