/**
 * IOAPIC rules of semantics.md §1 (82093AA datasheet §3, IOxAPIC version 0x20), tested
 * through `step`. Expected values come from the spec tables, not from the model.
 */
import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import type { Command } from "./commands.ts";
import { initialState, step } from "./machine.ts";
import {
  DELIVERY_STATUS,
  DM,
  delivered,
  deliveries,
  highReg,
  lineSet,
  lowReg,
  only,
  REMOTE_IRR,
  reads,
  remoteIrrOf,
  rteHighCompat,
  rteLow,
  rteOf,
  run,
  topology,
  writeRte,
} from "./test-support.ts";

const T = topology("default");
const T11 = topology("ioapic-0x11");

/** A level-triggered, unmasked, fixed, physical entry to APIC ID `dest`. */
const levelRte = (pin: number, vector: number, dest = 0): Command[] =>
  writeRte(pin, rteLow({ vector, trigger: "level" }), rteHighCompat(dest));
const edgeRte = (pin: number, vector: number, dest = 0, masked = false): Command[] =>
  writeRte(pin, rteLow({ vector, trigger: "edge", masked }), rteHighCompat(dest));

const read = (reg: number): Command => ({ op: "ioapic.read", reg });
const write = (reg: number, value: number): Command => ({ op: "ioapic.write", reg, value });

describe("reset values (semantics.md §1.3: every RTE 0x0000000000010000, id 0)", () => {
  it("every RTE half of all 24 pins reads its reset value through IOREGSEL/IOWIN", () => {
    const cmds: Command[] = [];
    for (let pin = 0; pin < 24; pin++) cmds.push(read(lowReg(pin)), read(highReg(pin)));
    const r = run(T, cmds);
    const expected: number[] = [];
    for (let pin = 0; pin < 24; pin++) expected.push(0x00010000, 0x00000000);
    expect(reads(r.all)).toEqual(expected);
  });

  it("ID reads 0 after reset", () => {
    expect(reads(run(T, [read(0x00)]).all)).toEqual([0]);
  });

  it("an asserted line on a reset (masked) entry delivers nothing", () => {
    const r = run(T, [lineSet(3, 1), { op: "line.pulse", pin: 4 }]);
    expect(deliveries(r.all)).toEqual([]);
  });
});

describe("ID, VER and ARB registers (semantics.md §1.2)", () => {
  it("VER reads 0x00170020 on an IOxAPIC (version 0x20)", () => {
    expect(reads(run(T, [read(0x01)]).all)).toEqual([0x00170020]);
  });

  it('VER reads 0x00170011 on an 82093AA (topology "ioapic-0x11")', () => {
    expect(reads(run(T11, [read(0x01)]).all)).toEqual([0x00170011]);
  });

  it("VER writes are ignored", () => {
    expect(reads(run(T, [write(0x01, 0xffffffff), read(0x01)]).all)).toEqual([0x00170020]);
  });

  it("ID write stores bits 27:24 only; a read returns id << 24", () => {
    const r = run(T, [write(0x00, 0xffffffff), read(0x00), write(0x00, 0x0a00ffff), read(0x00)]);
    expect(reads(r.all)).toEqual([0x0f000000, 0x0a000000]);
    expect(run(T, [write(0x00, 0x05000000)]).state.ioapic.id).toBe(5);
  });

  it("ARB reads the same value as ID, and ARB writes are ignored", () => {
    const r = run(T, [write(0x00, 0x07000000), write(0x02, 0x03000000), read(0x02), read(0x00)]);
    expect(reads(r.all)).toEqual([0x07000000, 0x07000000]);
  });

  it("register 0x03 (boot config) reads 0 and ignores writes", () => {
    expect(reads(run(T, [write(0x03, 0xffffffff), read(0x03)]).all)).toEqual([0]);
  });
});

describe("IOREGSEL/IOWIN addressing of the redirection table (semantics.md §1.2)", () => {
  it("every pin's low word is at 0x10+2n and high word at 0x11+2n; a write to one half leaves the other untouched", () => {
    for (let pin = 0; pin < 24; pin++) {
      // Masked edge entries: nothing is delivered whatever the lines do.
      const low = rteLow({ vector: 0x20 + pin, masked: true, deliveryMode: pin % 2 === 0 ? DM.fixed : DM.lowest });
      const high = (((pin + 1) << 24) | (pin << 8) | 0x5a) >>> 0;
      const r1 = run(T, [write(lowReg(pin), low)]);
      expect(rteOf(r1.state, pin), `pin ${pin} after low write`).toEqual({ low, high: 0 });
      const r2 = run(T, [write(highReg(pin), high)], r1.state);
      expect(rteOf(r2.state, pin), `pin ${pin} after high write`).toEqual({ low, high });
      expect(reads(run(T, [read(lowReg(pin)), read(highReg(pin))], r2.state).all)).toEqual([low, high]);
      for (let other = 0; other < 24; other++) {
        if (other !== pin) expect(rteOf(r2.state, other), `pin ${other} untouched`).toEqual({ low: 0x10000, high: 0 });
      }
    }
  });

  test.prop([fc.integer({ min: 0, max: 23 }), fc.nat({ max: 0xffffffff }), fc.nat({ max: 0xffffffff })])(
    "high-word writes store all 32 bits; low-word writes store all bits but the RO bits 12 and 14",
    (pin, lowValue, highValue) => {
      // Keep the entry masked so the write cannot deliver (bit 16 is RW either way).
      const low = (lowValue | (1 << 16)) >>> 0;
      const r = run(T, [write(highReg(pin), highValue), write(lowReg(pin), low)]);
      expect(rteOf(r.state, pin)).toEqual({ low: (low & ~(REMOTE_IRR | DELIVERY_STATUS)) >>> 0, high: highValue });
    },
  );

  it("registers 0x40 and above are ignored: writes change nothing, reads return 0", () => {
    const before = initialState(T);
    for (const reg of [0x40, 0x41, 0x42, 0x7f, 0x80, 0xfe, 0xff]) {
      const o = only(T, before, write(reg, 0xffffffff));
      expect(o.observations).toEqual([]);
      expect(o.next.ioapic.rteLow).toEqual(before.ioapic.rteLow);
      expect(o.next.ioapic.rteHigh).toEqual(before.ioapic.rteHigh);
      expect(o.next.ioapic.id).toBe(0);
      expect(reads(only(T, o.next, read(reg)).observations)).toEqual([0]);
    }
  });
});

describe("read-only bits 12 (delivery status) and 14 (remote IRR) (semantics.md §1.3)", () => {
  it("writing 1 to bits 12 and 14 of an idle entry leaves them 0", () => {
    const r = run(T, [write(lowReg(2), rteLow({ vector: 0x40, trigger: "level", masked: true }) | 0x5000)]);
    expect(rteOf(r.state, 2).low).toBe(rteLow({ vector: 0x40, trigger: "level", masked: true }));
  });

  it("writing 0 to bit 14 of a level entry with remote IRR set leaves it set", () => {
    const r = run(T, [...levelRte(2, 0x40), lineSet(2, 1)]);
    expect(remoteIrrOf(r.state, 2)).toBe(true);
    // Rewrite the same level entry (masked now) with bit 14 clear.
    const r2 = run(T, [write(lowReg(2), rteLow({ vector: 0x41, trigger: "level", masked: true }))], r.state);
    expect(rteOf(r2.state, 2).low).toBe(rteLow({ vector: 0x41, trigger: "level", masked: true }) | REMOTE_IRR);
  });

  it("writing 1 to bit 14 of a level entry with remote IRR set keeps it set, and bit 12 still reads 0", () => {
    const r = run(T, [
      ...levelRte(2, 0x40),
      lineSet(2, 1),
      write(lowReg(2), rteLow({ vector: 0x40, trigger: "level" }) | 0x5000),
    ]);
    expect(rteOf(r.state, 2).low).toBe(rteLow({ vector: 0x40, trigger: "level" }) | REMOTE_IRR);
  });

  it("delivery status (bit 12) reads 0 after a delivery: delivery is instantaneous", () => {
    const r = run(T, [...levelRte(6, 0x46), lineSet(6, 1), read(lowReg(6))]);
    expect((reads(r.last)[0] ?? -1) & DELIVERY_STATUS).toBe(0);
  });
});

describe("remote IRR lifecycle (semantics.md §1.3, §1.7, §1.9, §9.3)", () => {
  it("sending a level entry sets remote IRR (visible in the RTE read-back)", () => {
    const r = run(T, [...levelRte(1, 0x31), lineSet(1, 1), read(lowReg(1))]);
    expect(delivered(r.steps[2] ?? [])).toEqual([[0, 0x31]]);
    expect(deliveries(r.steps[2] ?? [])[0]?.trigger).toBe("level");
    expect(reads(r.last)).toEqual([rteLow({ vector: 0x31, trigger: "level" }) | REMOTE_IRR]);
  });

  it("while remote IRR is set, a new assertion is not delivered", () => {
    const r = run(T, [...levelRte(1, 0x31), lineSet(1, 1), lineSet(1, 0), lineSet(1, 1)]);
    expect(delivered(r.all)).toEqual([[0, 0x31]]);
    expect(remoteIrrOf(r.state, 1)).toBe(true);
  });

  it("dropping the line does not clear remote IRR", () => {
    const r = run(T, [...levelRte(1, 0x31), lineSet(1, 1), lineSet(1, 0)]);
    expect(remoteIrrOf(r.state, 1)).toBe(true);
  });

  it("cpu.eoi of the level vector broadcasts the EOI and clears remote IRR", () => {
    const r = run(T, [
      ...levelRte(1, 0x31),
      lineSet(1, 1),
      lineSet(1, 0),
      { op: "cpu.accept", cpu: 0 },
      { op: "cpu.eoi", cpu: 0 },
    ]);
    expect(remoteIrrOf(r.state, 1)).toBe(false);
    expect(deliveries(r.last)).toEqual([]);
  });

  it("the EOI register (version 0x20) with the entry's vector clears remote IRR", () => {
    const r = run(T, [...levelRte(1, 0x31), lineSet(1, 1), lineSet(1, 0), { op: "ioapic.eoi", vector: 0x31 }]);
    expect(remoteIrrOf(r.state, 1)).toBe(false);
  });

  it("an EOI with a different vector leaves remote IRR set (EOI register and broadcast)", () => {
    const r = run(T, [
      ...levelRte(1, 0x31),
      lineSet(1, 1),
      { op: "ioapic.eoi", vector: 0x32 },
      { op: "eoi.broadcast", vector: 0x30 },
      { op: "eoi.broadcast", vector: 0x13 },
    ]);
    expect(remoteIrrOf(r.state, 1)).toBe(true);
  });

  it("cpu.eoi of an edge-triggered vector (TMR clear) sends no EOI broadcast, even with a matching number", () => {
    // Pin 1 sends level 0x31 to APIC 0; an edge MSI with vector 0x31 goes to APIC 1, which ends it.
    const r = run(T, [
      ...levelRte(1, 0x31),
      lineSet(1, 1),
      { op: "msi.program", dev: 0, vec: 0, address: 0xfee01000, data: 0x31 },
      { op: "msi.mask", dev: 0, vec: 0, masked: false },
      { op: "msi.fire", dev: 0, vec: 0 },
      { op: "cpu.accept", cpu: 1 },
      { op: "cpu.eoi", cpu: 1 },
    ]);
    expect(delivered(r.steps[5] ?? [])).toEqual([[1, 0x31]]);
    expect(remoteIrrOf(r.state, 1)).toBe(true);
  });

  it("one EOI clears remote IRR of every level entry whose vector matches (§1.9 loops over all pins)", () => {
    const r = run(T, [
      ...levelRte(3, 0x33),
      ...levelRte(4, 0x33, 1),
      lineSet(3, 1),
      lineSet(4, 1),
      lineSet(3, 0),
      lineSet(4, 0),
      { op: "eoi.broadcast", vector: 0x33 },
    ]);
    expect(delivered(r.all)).toEqual([
      [0, 0x33],
      [1, 0x33],
    ]);
    expect(remoteIrrOf(r.state, 3)).toBe(false);
    expect(remoteIrrOf(r.state, 4)).toBe(false);
  });

  it("the EOI is compared with the RTE vector at EOI time: after a vector change only the new vector clears remote IRR", () => {
    const r = run(T, [
      ...levelRte(1, 0x31),
      lineSet(1, 1),
      lineSet(1, 0),
      write(lowReg(1), rteLow({ vector: 0x39, trigger: "level" })),
      { op: "eoi.broadcast", vector: 0x31 },
    ]);
    expect(remoteIrrOf(r.state, 1)).toBe(true);
    expect(remoteIrrOf(run(T, [{ op: "eoi.broadcast", vector: 0x39 }], r.state).state, 1)).toBe(false);
  });

  it("remote IRR is set even for a level NMI entry (§1.7 notes)", () => {
    const r = run(T, [
      ...writeRte(7, rteLow({ vector: 0, deliveryMode: DM.nmi, trigger: "level" }), rteHighCompat(0)),
      lineSet(7, 1),
    ]);
    expect(deliveries(r.last).map((d) => d.mode)).toEqual(["nmi"]);
    expect(remoteIrrOf(r.state, 7)).toBe(true);
  });
});

describe("EOI register only on version 0x20 (semantics.md §1.1, §1.8)", () => {
  it("on version 0x11 an ioapic.eoi write does nothing; remote IRR stays set", () => {
    const r = run(T11, [...levelRte(1, 0x31), lineSet(1, 1), lineSet(1, 0), { op: "ioapic.eoi", vector: 0x31 }]);
    expect(remoteIrrOf(r.state, 1)).toBe(true);
    expect(r.last).toEqual([]);
  });

  it("on version 0x11 the LAPIC EOI broadcast still clears remote IRR", () => {
    const r = run(T11, [...levelRte(1, 0x31), lineSet(1, 1), lineSet(1, 0), { op: "eoi.broadcast", vector: 0x31 }]);
    expect(remoteIrrOf(r.state, 1)).toBe(false);
  });

  it("on version 0x11 with the line still high, ioapic.eoi does not re-deliver", () => {
    const r = run(T11, [...levelRte(1, 0x31), lineSet(1, 1), { op: "ioapic.eoi", vector: 0x31 }]);
    expect(delivered(r.all)).toEqual([[0, 0x31]]);
  });
});

describe("EOI re-delivery while the line is still high (semantics.md §1.9 step 4)", () => {
  it("an EOI broadcast with the line asserted re-delivers at once and sets remote IRR again", () => {
    const r = run(T, [...levelRte(1, 0x31), lineSet(1, 1), { op: "cpu.accept", cpu: 0 }, { op: "cpu.eoi", cpu: 0 }]);
    expect(delivered(r.last)).toEqual([[0, 0x31]]);
    expect(remoteIrrOf(r.state, 1)).toBe(true);
  });

  it("the EOI register with the line asserted re-delivers too", () => {
    const r = run(T, [...levelRte(1, 0x31), lineSet(1, 1), { op: "ioapic.eoi", vector: 0x31 }]);
    expect(delivered(r.last)).toEqual([[0, 0x31]]);
    expect(remoteIrrOf(r.state, 1)).toBe(true);
  });

  it("an EOI message from the LAPIC side (eoi.broadcast) with the line asserted re-delivers too", () => {
    const r = run(T, [...levelRte(1, 0x31), lineSet(1, 1), { op: "eoi.broadcast", vector: 0x31 }]);
    expect(delivered(r.last)).toEqual([[0, 0x31]]);
    expect(remoteIrrOf(r.state, 1)).toBe(true);
  });

  it("an EOI with the line deasserted does not re-deliver", () => {
    const r = run(T, [...levelRte(1, 0x31), lineSet(1, 1), lineSet(1, 0), { op: "ioapic.eoi", vector: 0x31 }]);
    expect(deliveries(r.last)).toEqual([]);
  });

  it("an EOI on a masked entry with the line asserted clears remote IRR without re-delivery", () => {
    const r = run(T, [
      ...levelRte(1, 0x31),
      lineSet(1, 1),
      write(lowReg(1), rteLow({ vector: 0x31, trigger: "level", masked: true })),
      { op: "eoi.broadcast", vector: 0x31 },
    ]);
    expect(deliveries(r.last)).toEqual([]);
    expect(remoteIrrOf(r.state, 1)).toBe(false);
  });
});

describe("masking (semantics.md §1.6, §1.12)", () => {
  it("a masked level input stays pending and is delivered on unmask", () => {
    const r = run(T, [
      ...writeRte(9, rteLow({ vector: 0x49, trigger: "level", masked: true }), rteHighCompat(2)),
      lineSet(9, 1),
    ]);
    expect(deliveries(r.all)).toEqual([]);
    expect(remoteIrrOf(r.state, 9)).toBe(false);
    const u = run(T, [write(lowReg(9), rteLow({ vector: 0x49, trigger: "level" }))], r.state);
    expect(delivered(u.last)).toEqual([[2, 0x49]]);
    expect(remoteIrrOf(u.state, 9)).toBe(true);
  });

  it("unmasking a level entry whose remote IRR is still set does not deliver until the EOI", () => {
    const r = run(T, [
      ...levelRte(9, 0x49, 2),
      lineSet(9, 1),
      write(lowReg(9), rteLow({ vector: 0x49, trigger: "level", masked: true })),
      write(lowReg(9), rteLow({ vector: 0x49, trigger: "level" })),
    ]);
    expect(delivered(r.all)).toEqual([[2, 0x49]]);
    expect(delivered(run(T, [{ op: "ioapic.eoi", vector: 0x49 }], r.state).last)).toEqual([[2, 0x49]]);
  });

  it("a masked level input that dropped before the unmask is not delivered", () => {
    const r = run(T, [
      ...writeRte(9, rteLow({ vector: 0x49, trigger: "level", masked: true }), rteHighCompat(2)),
      lineSet(9, 1),
      lineSet(9, 0),
      write(lowReg(9), rteLow({ vector: 0x49, trigger: "level" })),
    ]);
    expect(deliveries(r.all)).toEqual([]);
  });

  it("the unmasking write delivers with the vector written in that same write (D2)", () => {
    const r = run(T, [
      ...writeRte(9, rteLow({ vector: 0x49, trigger: "level", masked: true }), rteHighCompat(2)),
      lineSet(9, 1),
      write(lowReg(9), rteLow({ vector: 0x4a, trigger: "level" })),
    ]);
    expect(delivered(r.last)).toEqual([[2, 0x4a]]);
  });

  it("an edge on a masked pin is lost: unmasking does not deliver it", () => {
    const r = run(T, [...edgeRte(10, 0x50, 1, true), lineSet(10, 1), write(lowReg(10), rteLow({ vector: 0x50 }))]);
    expect(deliveries(r.all)).toEqual([]);
  });

  it("after a lost edge, the next rising transition on the unmasked pin is delivered", () => {
    const r = run(T, [
      ...edgeRte(10, 0x50, 1, true),
      { op: "line.pulse", pin: 10 },
      write(lowReg(10), rteLow({ vector: 0x50 })),
      { op: "line.pulse", pin: 10 },
    ]);
    expect(delivered(r.all)).toEqual([[1, 0x50]]);
    expect(delivered(r.last)).toEqual([[1, 0x50]]);
  });
});

describe("edge inputs deliver on a rising transition only (semantics.md D2, D15: REF detects transitions)", () => {
  it("line.set 1 twice delivers once", () => {
    const r = run(T, [...edgeRte(5, 0x45, 3), lineSet(5, 1), lineSet(5, 1)]);
    expect(delivered(r.all)).toEqual([[3, 0x45]]);
    expect(deliveries(r.all)[0]?.trigger).toBe("edge");
  });

  it("line.set 1, 0, 1 delivers twice; the falling edge delivers nothing", () => {
    const r = run(T, [...edgeRte(5, 0x45, 3), lineSet(5, 1), lineSet(5, 0), lineSet(5, 1)]);
    expect(r.steps.map((s) => delivered(s).length)).toEqual([0, 0, 1, 0, 1]);
  });

  it("each line.pulse delivers once; edge entries never set remote IRR", () => {
    const r = run(T, [...edgeRte(5, 0x45, 3), { op: "line.pulse", pin: 5 }, { op: "line.pulse", pin: 5 }]);
    expect(delivered(r.all)).toEqual([
      [3, 0x45],
      [3, 0x45],
    ]);
    expect(remoteIrrOf(r.state, 5)).toBe(false);
  });

  it("writing an edge entry while its line is already high delivers nothing (no transition)", () => {
    const r = run(T, [lineSet(5, 1), ...edgeRte(5, 0x45, 3)]);
    expect(deliveries(r.all)).toEqual([]);
  });

  it("polarity (bit 13) is not consulted: an active-low entry delivers on an asserted input (§1.5)", () => {
    const r = run(T, [...writeRte(5, rteLow({ vector: 0x45, polarity: 1 }), rteHighCompat(3)), lineSet(5, 1)]);
    expect(delivered(r.last)).toEqual([[3, 0x45]]);
  });
});

describe("switching an entry to edge clears remote IRR (semantics.md §1.8 step 5, §9.3)", () => {
  it("a low-word write that sets trigger = edge clears remote IRR", () => {
    const r = run(T, [
      ...levelRte(1, 0x31),
      lineSet(1, 1),
      lineSet(1, 0),
      write(lowReg(1), rteLow({ vector: 0x31, trigger: "edge", masked: true })),
    ]);
    expect(rteOf(r.state, 1).low).toBe(rteLow({ vector: 0x31, trigger: "edge", masked: true }));
  });

  it("the Linux 0x11 dance (mask+edge, then restore level) re-arms the pin", () => {
    const level = rteLow({ vector: 0x31, trigger: "level" });
    const r = run(T11, [
      ...levelRte(1, 0x31),
      lineSet(1, 1),
      lineSet(1, 0),
      write(lowReg(1), rteLow({ vector: 0x31, trigger: "edge", masked: true })),
      write(lowReg(1), level),
      lineSet(1, 1),
    ]);
    expect(delivered(r.all)).toEqual([
      [0, 0x31],
      [0, 0x31],
    ]);
  });

  it("switching a pending level entry to edge while the line is high delivers nothing (D2 variant, REF)", () => {
    const r = run(T, [
      ...writeRte(1, rteLow({ vector: 0x31, trigger: "level", masked: true })),
      lineSet(1, 1),
      write(lowReg(1), rteLow({ vector: 0x31, trigger: "edge" })),
    ]);
    expect(deliveries(r.all)).toEqual([]);
  });

  it("a level entry keeps remote IRR across a rewrite that stays level", () => {
    const r = run(T, [...levelRte(1, 0x31), lineSet(1, 1), write(highReg(1), rteHighCompat(2))]);
    expect(remoteIrrOf(r.state, 1)).toBe(true);
  });
});

describe("the message an entry sends (semantics.md §1.10)", () => {
  it("fixed physical entry: destination from RTE 63:56, vector 7:0, trigger bit 15", () => {
    for (const [pin, dest] of [
      [0, 0],
      [12, 1],
      [23, 3],
    ] as const) {
      const r = run(T, [...levelRte(pin, 0x60 + pin, dest), lineSet(pin, 1)]);
      expect(deliveries(r.last)).toEqual([{ apicId: dest, vector: 0x60 + pin, trigger: "level", mode: "fixed" }]);
    }
  });

  it("a level fixed delivery sets IRR and TMR of the destination LAPIC", () => {
    const r = run(T, [...levelRte(2, 0x52, 1), lineSet(2, 1)]);
    const l = r.state.lapics[1];
    expect(l?.irr[0x52 >>> 5]).toBe(1 << (0x52 & 31));
    expect(l?.tmr[0x52 >>> 5]).toBe(1 << (0x52 & 31));
  });

  it("a compatibility entry with an unknown destination delivers to nobody but still sets remote IRR", () => {
    const r = run(T, [...levelRte(2, 0x52, 9), lineSet(2, 1)]);
    expect(deliveries(r.last)).toEqual([]);
    expect(remoteIrrOf(r.state, 2)).toBe(true);
  });

  it("step does not change the state it is given", () => {
    const s = run(T, levelRte(2, 0x52)).state;
    const copy = structuredClone(s);
    step(T, s, lineSet(2, 1));
    expect(s).toEqual(copy);
  });
});
