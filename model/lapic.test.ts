/**
 * Local APIC acceptance, dispatch, EOI and destination decoding (semantics.md §7.3, §5.3;
 * SDM vol. 3 §10.6.2, §10.8), tested through `step`.
 */
import { describe, expect, it } from "vitest";
import type { Command, MachineState, Observation, Topology } from "./index.ts";
import { step } from "./index.ts";
import { dispatch, lapicReset, latchInterrupt } from "./lapic.ts";
import {
  DM,
  delivered,
  deliveries,
  lapicOf,
  lineSet,
  msiAddrCompat,
  msiData,
  msiSend,
  remoteIrrOf,
  rteHighCompat,
  rteLow,
  run,
  topology,
  writeRte,
} from "./test-support.ts";

const T = topology("default"); // xAPIC flat, APIC IDs 0..3, logical ID of CPU i = 1 << i
const CLUSTER: Topology = {
  ...T,
  name: "cluster",
  apicMode: "xapic-cluster",
  cpus: [0, 1, 2, 3, 4, 5].map((apicId) => ({ apicId })),
};

/** An MSI from device 0 vector 0 to `dest` with `vector`. */
const send = (
  dest: number,
  vector: number,
  opts: { logical?: boolean; rh?: boolean; level?: boolean; deliveryMode?: number } = {},
): Command[] => msiSend(0, 0, msiAddrCompat(dest, opts), msiData(vector, opts));

const accept = (cpu: number): Command => ({ op: "cpu.accept", cpu });
const eoi = (cpu: number): Command => ({ op: "cpu.eoi", cpu });

function outcomesOf(t: Topology, s: MachineState, c: Command): (readonly Observation[])[] {
  return step(t, s, c).map((o) => o.observations);
}

describe("acceptance: IRR, TMR and coalescing (semantics.md §5.3, §7.3)", () => {
  it("a fixed interrupt sets the IRR bit of its vector", () => {
    const r = run(T, send(1, 0x50));
    expect(lapicOf(r.state, 1)).toEqual({ irr: [0x50], isr: [], tmr: [] });
    expect(lapicOf(r.state, 0)).toEqual({ irr: [], isr: [], tmr: [] });
  });

  it("a second delivery of a vector already pending in IRR coalesces: one IRR bit, one accept", () => {
    const r = run(T, [...send(1, 0x50), { op: "msi.fire", dev: 0, vec: 0 }]);
    expect(lapicOf(r.state, 1).irr).toEqual([0x50]);
    const a = run(T, [accept(1), accept(1)], r.state);
    expect(lapicOf(a.state, 1)).toEqual({ irr: [], isr: [0x50], tmr: [] });
  });

  it("at most one pending plus one in service per vector", () => {
    const r = run(T, [
      ...send(1, 0x50),
      accept(1),
      { op: "msi.fire", dev: 0, vec: 0 },
      { op: "msi.fire", dev: 0, vec: 0 },
    ]);
    expect(lapicOf(r.state, 1)).toEqual({ irr: [0x50], isr: [0x50], tmr: [] });
  });

  it("TMR is set for a level acceptance and cleared by a later edge acceptance of the same vector", () => {
    const r = run(T, send(1, 0x50, { level: true }));
    expect(lapicOf(r.state, 1).tmr).toEqual([0x50]);
    const e = run(T, [accept(1), ...send(1, 0x50)], r.state);
    expect(lapicOf(e.state, 1)).toEqual({ irr: [0x50], isr: [0x50], tmr: [] });
  });

  it("vectors 0x00-0x0F are illegal and rejected: no IRR or TMR bit; 0x10 is accepted (SDM §10.5.2)", () => {
    for (const vector of [0x00, 0x01, 0x0f]) {
      const r = run(T, send(1, vector, { level: true }));
      expect(deliveries(r.last)).toHaveLength(1);
      expect(lapicOf(r.state, 1)).toEqual({ irr: [], isr: [], tmr: [] });
    }
    expect(lapicOf(run(T, send(1, 0x10)).state, 1).irr).toEqual([0x10]);
  });

  it("NMI, SMI and INIT do not enter IRR (only fixed and lowest priority do)", () => {
    for (const dm of [DM.nmi, DM.smi, DM.init]) {
      const r = run(T, send(1, 0x50, { deliveryMode: dm }));
      expect(deliveries(r.last)).toHaveLength(1);
      expect(lapicOf(r.state, 1).irr).toEqual([]);
    }
  });
});

describe("dispatch in priority order (semantics.md §7.3 'Dispatch')", () => {
  it("a class-0 vector in IRR (as KVM latches one) is never taken, even with nothing in service (SDM §10.8.3.1)", () => {
    const l = lapicReset();
    latchInterrupt(l, 0x05, false);
    expect(dispatch(l)).toBeNull();
    latchInterrupt(l, 0x10, false);
    expect(dispatch(l)).toBe(0x10);
    expect(dispatch(l)).toBeNull();
  });

  it("cpu.accept takes the highest pending vector", () => {
    const r = run(T, [...send(2, 0x35), ...send(2, 0x62), ...send(2, 0x41), accept(2)]);
    expect(lapicOf(r.state, 2)).toEqual({ irr: [0x35, 0x41], isr: [0x62], tmr: [] });
  });

  it("a vector in a lower priority class than the in-service one is not taken", () => {
    const r = run(T, [...send(2, 0x35), ...send(2, 0x62), accept(2), accept(2)]);
    expect(lapicOf(r.state, 2)).toEqual({ irr: [0x35], isr: [0x62], tmr: [] });
  });

  it("a higher vector in the same priority class as the in-service one is not taken until EOI", () => {
    const r = run(T, [...send(2, 0x62), accept(2), ...send(2, 0x6a), accept(2)]);
    expect(lapicOf(r.state, 2)).toEqual({ irr: [0x6a], isr: [0x62], tmr: [] });
    const e = run(T, [eoi(2), accept(2)], r.state);
    expect(lapicOf(e.state, 2)).toEqual({ irr: [], isr: [0x6a], tmr: [] });
  });

  it("a vector in a higher priority class nests above the in-service one", () => {
    const r = run(T, [...send(2, 0x62), accept(2), ...send(2, 0x71), accept(2)]);
    expect(lapicOf(r.state, 2)).toEqual({ irr: [], isr: [0x62, 0x71], tmr: [] });
  });

  it("cpu.accept with nothing pending changes nothing", () => {
    const r = run(T, [accept(0)]);
    expect(lapicOf(r.state, 0)).toEqual({ irr: [], isr: [], tmr: [] });
    expect(r.all).toEqual([]);
  });
});

describe("EOI (semantics.md §7.3 'EOI')", () => {
  it("clears the highest in-service vector only", () => {
    const r = run(T, [...send(2, 0x62), accept(2), ...send(2, 0x71), accept(2), eoi(2)]);
    expect(lapicOf(r.state, 2).isr).toEqual([0x62]);
  });

  it("with nothing in service, cpu.eoi changes nothing", () => {
    const r = run(T, [...send(2, 0x62), eoi(2)]);
    expect(lapicOf(r.state, 2)).toEqual({ irr: [0x62], isr: [], tmr: [] });
  });

  it("ending a level vector broadcasts the EOI to the IOAPIC (remote IRR cleared); ending an edge vector does not", () => {
    const base = run(T, [
      ...writeRte(8, rteLow({ vector: 0x48, trigger: "level" }), rteHighCompat(1)),
      lineSet(8, 1),
      lineSet(8, 0),
    ]).state;
    expect(remoteIrrOf(base, 8)).toBe(true);
    expect(remoteIrrOf(run(T, [accept(1), eoi(1)], base).state, 8)).toBe(false);
    // An edge 0x48 accepted on APIC 1 after the level one clears TMR: its EOI is not broadcast.
    const edge = run(T, [accept(1), ...send(1, 0x48), eoi(1), accept(1), eoi(1)], base).state;
    expect(remoteIrrOf(edge, 8)).toBe(true);
  });
});

describe("physical and logical destinations (semantics.md §7.3; SDM §10.6.2)", () => {
  it("physical: the CPU whose APIC ID equals the destination", () => {
    expect(delivered(run(T, send(3, 0x40)).last)).toEqual([[3, 0x40]]);
  });

  it("physical 0xff is the xAPIC broadcast: every CPU", () => {
    expect(delivered(run(T, send(0xff, 0x40)).last)).toEqual([
      [0, 0x40],
      [1, 0x40],
      [2, 0x40],
      [3, 0x40],
    ]);
  });

  it("in x2APIC mode physical 0xff is an ordinary APIC ID, not a broadcast (§5.3: 0xffffffff is)", () => {
    expect(deliveries(run(topology("x2apic"), send(0xff, 0x40)).last)).toEqual([]);
  });

  it("logical flat: every CPU whose logical ID shares a bit with the 8-bit destination", () => {
    expect(delivered(run(T, send(0x06, 0x40, { logical: true })).last)).toEqual([
      [1, 0x40],
      [2, 0x40],
    ]);
    expect(delivered(run(T, send(0x09, 0x40, { logical: true })).last)).toEqual([
      [0, 0x40],
      [3, 0x40],
    ]);
    expect(deliveries(run(T, send(0xf0, 0x40, { logical: true })).last)).toEqual([]);
  });

  it("logical cluster: destination 7:4 selects the cluster, 3:0 the CPUs in it", () => {
    // CPU i: cluster i >> 2, bit 1 << (i & 3): CPUs 0-3 in cluster 0, CPUs 4-5 in cluster 1.
    expect(delivered(run(CLUSTER, send(0x03, 0x40, { logical: true })).last)).toEqual([
      [0, 0x40],
      [1, 0x40],
    ]);
    expect(delivered(run(CLUSTER, send(0x13, 0x40, { logical: true })).last)).toEqual([
      [4, 0x40],
      [5, 0x40],
    ]);
    expect(delivered(run(CLUSTER, send(0x12, 0x40, { logical: true })).last)).toEqual([[5, 0x40]]);
    expect(deliveries(run(CLUSTER, send(0x23, 0x40, { logical: true })).last)).toEqual([]);
  });

  it("an IOAPIC logical entry (RTE bit 11) uses the same decoding", () => {
    const r = run(T, [
      ...writeRte(3, rteLow({ vector: 0x43, destMode: 1 }), rteHighCompat(0x0c)),
      { op: "line.pulse", pin: 3 },
    ]);
    expect(delivered(r.last)).toEqual([
      [2, 0x43],
      [3, 0x43],
    ]);
  });
});

describe("lowest priority: any one CPU of the destination set (semantics.md §7.3, design.md)", () => {
  const ready = (): MachineState =>
    run(T, [
      { op: "msi.program", dev: 0, vec: 0, address: 0, data: 0 },
      { op: "msi.mask", dev: 0, vec: 0, masked: false },
    ]).state;
  const lowest = (dest: number, logical: boolean, extra: { rh?: boolean; deliveryMode?: number } = {}): Command[] => [
    {
      op: "msi.program",
      dev: 0,
      vec: 0,
      address: msiAddrCompat(dest, { logical, ...(extra.rh === true ? { rh: true } : {}) }),
      data: msiData(0x4c, { deliveryMode: extra.deliveryMode ?? DM.lowest }),
    },
  ];
  const fireOutcomes = (cmds: Command[]) =>
    outcomesOf(T, run(T, cmds, ready()).state, { op: "msi.fire", dev: 0, vec: 0 })
      .map(delivered)
      .sort((a, b) => (a[0]?.[0] ?? 0) - (b[0]?.[0] ?? 0));

  it("logical 0x0f: four outcomes, one per CPU, each delivering to exactly that CPU", () => {
    expect(fireOutcomes(lowest(0x0f, true))).toEqual([[[0, 0x4c]], [[1, 0x4c]], [[2, 0x4c]], [[3, 0x4c]]]);
  });

  it("logical 0x05: the outcomes are exactly CPUs 0 and 2", () => {
    expect(fireOutcomes(lowest(0x05, true))).toEqual([[[0, 0x4c]], [[2, 0x4c]]]);
  });

  it("each outcome sets IRR only on the CPU it picked", () => {
    const s = run(T, lowest(0x05, true), ready()).state;
    for (const o of step(T, s, { op: "msi.fire", dev: 0, vec: 0 })) {
      const picked = deliveries(o.observations)[0]?.apicId;
      for (let cpu = 0; cpu < 4; cpu++) {
        const irr = o.next.lapics[cpu]?.irr[0x4c >>> 5] ?? 0;
        expect(irr !== 0, `cpu ${cpu}, picked ${picked}`).toBe(cpu === picked);
      }
    }
  });

  it("physical destination: one outcome", () => {
    expect(fireOutcomes(lowest(2, false))).toEqual([[[2, 0x4c]]]);
  });

  it("physical broadcast with lowest priority is demoted to fixed: one outcome, every CPU (§5.3)", () => {
    const os = fireOutcomes(lowest(0xff, false));
    expect(os).toHaveLength(1);
    expect(os[0]?.map(([apic]) => apic)).toEqual([0, 1, 2, 3]);
  });

  it("fixed logical delivery is deterministic: one outcome with every CPU of the set", () => {
    expect(fireOutcomes(lowest(0x0f, true, { deliveryMode: DM.fixed }))).toEqual([
      [
        [0, 0x4c],
        [1, 0x4c],
        [2, 0x4c],
        [3, 0x4c],
      ],
    ]);
  });

  it("RH = 1 is treated as lowest priority (KVM, §5.3): logical 0x03 gives CPUs 0 or 1", () => {
    expect(fireOutcomes(lowest(0x03, true, { rh: true, deliveryMode: DM.fixed }))).toEqual([[[0, 0x4c]], [[1, 0x4c]]]);
  });

  it("an IOAPIC lowest-priority logical entry: one outcome per CPU of the set", () => {
    const s = run(
      T,
      writeRte(3, rteLow({ vector: 0x43, destMode: 1, deliveryMode: DM.lowest }), rteHighCompat(0x0e)),
    ).state;
    const os = outcomesOf(T, s, { op: "line.pulse", pin: 3 }).map(delivered);
    expect(os.map((o) => o.map(([apic]) => apic)).sort()).toEqual([[1], [2], [3]]);
  });

  it("logical cluster lowest priority: one outcome per CPU of the cluster's set", () => {
    const s = run(CLUSTER, [
      {
        op: "msi.program",
        dev: 0,
        vec: 0,
        address: msiAddrCompat(0x13, { logical: true }),
        data: msiData(0x4c, { deliveryMode: DM.lowest }),
      },
      { op: "msi.mask", dev: 0, vec: 0, masked: false },
    ]).state;
    const os = outcomesOf(CLUSTER, s, { op: "msi.fire", dev: 0, vec: 0 }).map(delivered);
    expect(os.map((o) => o.map(([apic]) => apic)).sort()).toEqual([[4], [5]]);
  });
});
