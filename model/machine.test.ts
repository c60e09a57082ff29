/**
 * The whole reference machine (semantics.md §9.3 reference oracle; design.md "The reference
 * model"): reset state, the step contract, and the REF column of the divergence scenarios
 * D1-D10 of semantics.md §8, each expected value taken from the "REF:" line of its scenario.
 */
import { describe, expect, it } from "vitest";
import { runGenerator, runSeed } from "../properties/campaign.ts";
import { PROFILES } from "../properties/profiles/index.ts";
import type { Command, MachineState, Topology } from "./index.ts";
import { initialState, stateDigest, step, visible } from "./index.ts";
import {
  DM,
  delivered,
  faults,
  irteHex,
  lineSet,
  lowReg,
  msiAddrRemap,
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

const T = topology("default");

describe("reset state (semantics.md §1.3, §4.4, §7.3; MSI-X entries reset masked)", () => {
  for (const name of ["default", "small", "x2apic", "ioapic-0x11"] as const) {
    it(`${name}: RTEs 0x10000/0, id 0, LAPICs empty, no faults, no PFO, no pending MSI-X`, () => {
      const t = topology(name);
      const v = visible(initialState(t));
      expect(v.ioapicId).toBe(0);
      expect(v.rtes).toEqual(Array.from({ length: 48 }, (_, i) => (i % 2 === 0 ? 0x10000 : 0)));
      expect(v.lapics).toHaveLength(t.cpus.length);
      for (const l of v.lapics) expect([...l.irr, ...l.isr, ...l.tmr].every((w) => w === 0)).toBe(true);
      expect(v.faultRecords).toEqual(new Array(t.faultRecords).fill(null));
      expect(v.faultOverflow).toBe(false);
      expect(v.msiPending).toEqual(t.msiDevices.map(() => 0));
    });
  }
});

describe("the step contract (design.md: step returns every allowed outcome)", () => {
  it("step leaves its input state unchanged, also when it has several outcomes", () => {
    const s = run(T, [
      ...setupIr({ irtes: [[2, { vector: 0x40, dst: xapicDst(0) }]] }),
      { op: "msi.program", dev: 0, vec: 0, address: msiAddrRemap(2), data: 0 },
      { op: "msi.mask", dev: 0, vec: 0, masked: false },
      { op: "irte.write", index: 2, irte: irteHex({ vector: 0x41, dst: xapicDst(1) }) },
    ]).state;
    const copy = structuredClone(s);
    const os = step(T, s, { op: "msi.fire", dev: 0, vec: 0 });
    expect(os).toHaveLength(2);
    expect(s).toEqual(copy);
    // Outcomes do not share mutable state with each other either.
    expect(os[0]?.next.lapics).not.toBe(os[1]?.next.lapics);
  });

  it("a step copies what it changes and shares the rest: frozen states, every profile's sequences (200 each)", () => {
    // Frozen input states make a write that skipped the copy throw; the maps of the IR
    // state cannot be frozen, so their digest is compared instead.
    const deepFreeze = (x: unknown): void => {
      if (typeof x !== "object" || x === null || Object.isFrozen(x) || x instanceof Map) return;
      Object.freeze(x);
      for (const v of Object.values(x)) deepFreeze(v);
    };
    let steps = 0;
    let shared = 0;
    for (const profile of Object.values(PROFILES)) {
      const generate = runGenerator(profile, T, 40);
      for (let r = 0; r < 200; r++) {
        let states = [initialState(T)];
        for (const c of generate(runSeed(3, r))) {
          const next: MachineState[] = [];
          for (const s of states) {
            deepFreeze(s);
            const before = stateDigest(s);
            for (const o of step(T, s, c)) {
              next.push(o.next);
              if (o.next.lapics[1] === s.lapics[1]) shared++;
            }
            expect(stateDigest(s)).toBe(before);
            steps++;
          }
          states = next.slice(0, 4);
        }
      }
    }
    expect(steps).toBeGreaterThan(5000);
    // A command touches one LAPIC at most (or a broadcast's set): most steps share APIC 1's.
    expect(shared / steps).toBeGreaterThan(0.5);
  });

  it("choices compose: a stale lowest-priority form and a new physical form give the union of their outcomes", () => {
    const s = run(T, [
      ...setupIr({ irtes: [[2, { vector: 0x40, dst: xapicDst(0x03), dm: 1, dlm: DM.lowest }]] }),
      { op: "msi.program", dev: 0, vec: 0, address: msiAddrRemap(2), data: 0 },
      { op: "msi.mask", dev: 0, vec: 0, masked: false },
      { op: "irte.write", index: 2, irte: irteHex({ vector: 0x41, dst: xapicDst(3) }) },
    ]).state;
    const os = step(T, s, { op: "msi.fire", dev: 0, vec: 0 }).map((o) => delivered(o.observations));
    expect(os.sort()).toEqual([[[0, 0x40]], [[1, 0x40]], [[3, 0x41]]]);
  });
});

describe("REF column of the known divergences (semantics.md §8)", () => {
  it("D1: unmask of a pending level IRQ after a retarget delivers to the new destination with the new vector", () => {
    const r = run(T, [
      ...writeRte(5, rteLow({ vector: 0x50, trigger: "level" }), rteHighCompat(0)), // 1. to CPU A = 0, V
      lineSet(5, 1), // 2. delivered (A, V), remote IRR set
      { op: "ioapic.write", reg: lowReg(5), value: rteLow({ vector: 0x50, trigger: "level", masked: true }) }, // 3.
      { op: "cpu.accept", cpu: 0 },
      { op: "cpu.eoi", cpu: 0 }, // 5. EOI clears remote IRR; masked: no re-service
      { op: "ioapic.write", reg: lowReg(5) + 1, value: rteHighCompat(2) }, // 6. dest B = 2
      { op: "ioapic.write", reg: lowReg(5), value: rteLow({ vector: 0x58, trigger: "level", masked: true }) }, // 7. V'
      { op: "ioapic.write", reg: lowReg(5), value: rteLow({ vector: 0x58, trigger: "level" }) }, // 8. unmask
    ]);
    expect(r.steps.map(delivered)).toEqual([[], [], [[0, 0x50]], [], [], [], [], [], [[2, 0x58]]]);
    expect(remoteIrrOf(r.state, 5)).toBe(true);
  });

  it("D3: an MSI through a cleared and invalidated IRTE is blocked with fault 0x22, never delivered stale", () => {
    const r = run(T, [
      ...setupIr({ irtes: [[4, { vector: 0x44, dst: xapicDst(1) }]] }),
      { op: "msi.program", dev: 1, vec: 0, address: msiAddrRemap(4), data: 0 },
      { op: "msi.mask", dev: 1, vec: 0, masked: false },
      { op: "msi.fire", dev: 1, vec: 0 },
      { op: "irte.write", index: 4, irte: irteHex({ present: false, vector: 0x44, dst: xapicDst(1) }) },
      { op: "iec.invalidate", global: false, index: 4, mask: 0 },
      { op: "msi.fire", dev: 1, vec: 0 },
    ]);
    expect(delivered(r.steps[r.steps.length - 4] ?? [])).toEqual([[1, 0x44]]);
    expect(r.last).toEqual([{ kind: "fault", reason: 0x22, index: 4, sourceId: 0x0300 }]);
  });

  it("D3: a remappable IOAPIC pin whose IRTE index falls outside a shrunk table faults 0x21", () => {
    const r = run(T, [
      ...setupIr({ sizeLog2: 2, irtes: [[6, { vector: 0x66, dst: xapicDst(1) }]] }),
      ...writeRte(6, rteLow({ vector: 6 }), rteHighRemap(6)),
      { op: "ir.table", sizeLog2: 1, eime: false },
      { op: "iec.invalidate", global: true },
      { op: "line.pulse", pin: 6 },
    ]);
    expect(faults(r.last)).toEqual([{ reason: 0x21, index: 6, sourceId: 0xffff }]);
    expect(delivered(r.last)).toEqual([]);
  });

  it("D6: a masked pin, retargeted through its IRTE and invalidated, delivers to the new destination on unmask", () => {
    const low = (masked: boolean) => rteLow({ vector: 6, trigger: "level", masked });
    const r = run(T, [
      ...setupIr({ irtes: [[5, { vector: 0x66, dst: xapicDst(0), tm: 1 }]] }),
      ...writeRte(6, low(true), rteHighRemap(5)),
      { op: "irte.write", index: 5, irte: irteHex({ vector: 0x67, dst: xapicDst(3), tm: 1 }) },
      { op: "iec.invalidate", global: false, index: 5, mask: 0 },
      lineSet(6, 1),
      { op: "ioapic.write", reg: lowReg(6), value: low(false) },
    ]);
    expect(r.steps.flatMap(delivered)).toEqual([[3, 0x67]]);
    expect(delivered(r.last)).toEqual([[3, 0x67]]);
  });

  it("D7: an MSI-X vector masked across an IRTE change and invalidation delivers the new translation on unmask", () => {
    const r = run(T, [
      ...setupIr({ irtes: [[3, { vector: 0x53, dst: xapicDst(0) }]] }),
      { op: "msi.program", dev: 0, vec: 1, address: msiAddrRemap(3), data: 0 },
      { op: "msi.mask", dev: 0, vec: 1, masked: false },
      { op: "msi.mask", dev: 0, vec: 1, masked: true },
      { op: "irte.write", index: 3, irte: irteHex({ vector: 0x54, dst: xapicDst(2) }) },
      { op: "iec.invalidate", global: true },
      { op: "msi.fire", dev: 0, vec: 1 },
      { op: "msi.mask", dev: 0, vec: 1, masked: false },
    ]);
    expect(r.steps.flatMap(delivered)).toEqual([[2, 0x54]]);
    expect(delivered(r.last)).toEqual([[2, 0x54]]);
  });

  it("D10a: messages are translated by the IRE state at delivery, not at programming time", () => {
    const t: Topology = T;
    const programmed: Command[] = [
      { op: "ir.table", sizeLog2: 2, eime: false },
      { op: "irte.write", index: 1, irte: irteHex({ vector: 0x71, dst: xapicDst(3) }) },
      { op: "iec.invalidate", global: true },
      { op: "msi.program", dev: 0, vec: 0, address: msiAddrRemap(1), data: 0 },
      { op: "msi.mask", dev: 0, vec: 0, masked: false },
    ];
    const r = run(t, [...programmed, { op: "ir.control", ire: true, cfi: false }, { op: "msi.fire", dev: 0, vec: 0 }]);
    expect(delivered(r.last)).toEqual([[3, 0x71]]);
  });

  it("D10b: with IR on, EIME = 1 blocks a compatibility-format IOAPIC entry with 0x25 even when CFI = 1", () => {
    const r = run(topology("x2apic"), [
      ...setupIr({ eime: true, cfi: true }),
      ...writeRte(2, rteLow({ vector: 0x42 }), rteHighCompat(1)),
      { op: "line.pulse", pin: 2 },
    ]);
    expect(faults(r.last).map((f) => [f.reason, f.sourceId])).toEqual([[0x25, 0xffff]]);
    expect(delivered(r.last)).toEqual([]);
  });

  it("D11: SVT = 10 with SID = (start << 8) | end accepts a requester bus inside [start, end]", () => {
    const t: Topology = { ...T, name: "bridge", msiDevices: [{ requesterId: 0x0310, vectors: 1 }] };
    const r = run(t, [
      ...setupIr({ irtes: [[1, { vector: 0x61, dst: xapicDst(2), svt: 2, sid: 0x0205 }]] }),
      { op: "msi.program", dev: 0, vec: 0, address: msiAddrRemap(1), data: 0 },
      { op: "msi.mask", dev: 0, vec: 0, masked: false },
      { op: "msi.fire", dev: 0, vec: 0 },
    ]);
    expect(delivered(r.last)).toEqual([[2, 0x61]]);
  });

  it("D8b: a level IRTE vector differing from the RTE vector leaves remote IRR set after the LAPIC EOI", () => {
    const r = run(T, [
      ...setupIr({ irtes: [[5, { vector: 0x66, dst: xapicDst(1), tm: 1 }]] }),
      ...writeRte(6, rteLow({ vector: 0x65, trigger: "level" }), rteHighRemap(5)),
      lineSet(6, 1),
      lineSet(6, 0),
      { op: "cpu.accept", cpu: 1 },
      { op: "cpu.eoi", cpu: 1 },
    ]);
    expect(remoteIrrOf(r.state, 6)).toBe(true);
  });
});

describe("determinism where the architecture allows no choice", () => {
  it("a long deterministic scenario has exactly one outcome at every step", () => {
    // run() asserts one outcome per step; this mixes every command kind without IR choices.
    const cmds: Command[] = [
      { op: "ioapic.write", reg: 0x00, value: 0x03000000 },
      ...writeRte(1, rteLow({ vector: 0x31, trigger: "level" }), rteHighCompat(0)),
      ...writeRte(2, rteLow({ vector: 0x32 }), rteHighCompat(1)),
      lineSet(1, 1),
      { op: "line.pulse", pin: 2 },
      { op: "ioapic.read", reg: 0x12 },
      { op: "cpu.accept", cpu: 0 },
      { op: "cpu.eoi", cpu: 0 },
      { op: "eoi.broadcast", vector: 0x31 },
      { op: "ioapic.eoi", vector: 0x31 },
      { op: "msi.program", dev: 0, vec: 0, address: 0xfee03000, data: 0x40 },
      { op: "msi.fire", dev: 0, vec: 0 },
      { op: "msi.mask", dev: 0, vec: 0, masked: false },
      { op: "ir.fault-clear" },
    ];
    const r = run(T, cmds);
    expect(r.steps).toHaveLength(cmds.length);
    const state: MachineState = r.state;
    expect(visible(state).ioapicId).toBe(3);
  });
});
