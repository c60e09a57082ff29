import { describe, expect, it } from "vitest";
import { findVariant } from "../impl/variants/index.ts";
import type { Command } from "../model/commands.ts";
import { defaultTopology } from "../model/topology.ts";
import { check } from "./checker.ts";
import { type StillFails, shrink } from "./shrink.ts";
import { signatureOf } from "./signature.ts";

const w = (reg: number, value: number): Command => ({ op: "ioapic.write", reg, value });
const line = (pin: number): Command => ({ op: "line.set", pin, level: 1 });

/** A synthetic failure: true when `pred` holds; the failing step is the last command. */
const failsWhen =
  (pred: (c: readonly Command[]) => boolean): StillFails =>
  (c) => ({ fails: pred(c), step: c.length - 1 });

const has = (c: readonly Command[], x: Command) => c.some((y) => JSON.stringify(y) === JSON.stringify(x));

describe("the greedy shrinker", () => {
  it("deletes every command the failure does not need, and the tail after the divergence", () => {
    const seq = [line(1), w(0x10, 1), line(2), w(0x12, 2), line(3)];
    const r = shrink(seq, (c) => ({
      fails: has(c, w(0x10, 1)) && has(c, w(0x12, 2)),
      step: c.findIndex((x) => JSON.stringify(x) === JSON.stringify(w(0x12, 2))),
    }));
    expect(r).toEqual([w(0x10, 1), w(0x12, 2)]);
  });

  it("removes two commands that only matter together (pair pass)", () => {
    // Removing either of the pair alone makes it pass; removing both keeps it failing.
    const a = w(0x14, 1);
    const b = w(0x16, 1);
    const last = line(9);
    const r = shrink(
      [a, b, last],
      failsWhen((c) => has(c, last) && has(c, a) === has(c, b)),
    );
    expect(r).toEqual([last]);
  });

  it("moves a command to let another go (reorder pass)", () => {
    // The long form fails in its order; the short form needs b before a, which no deletion gives.
    const [a, b, c, last] = [w(0x10, 1), w(0x12, 2), line(3), line(9)];
    const same = (x: readonly Command[], y: readonly Command[]) => JSON.stringify(x) === JSON.stringify(y);
    const r = shrink(
      [a, b, c, last],
      failsWhen((s) => same(s, [a, b, c, last]) || same(s, [b, a, last])),
    );
    expect(r).toEqual([b, a, last]);
  });

  it("changes a field to let another command go (value-change pass): D2 on route-masked to the explorer's 3", () => {
    // A campaign's D2 (seed 1 of the time-to-find bench) stopped at 4: the level RTE
    // programmed unmasked, then masked by a second write. Masking the first write makes
    // the second unnecessary - a bit set, which no deletion or bit clear finds.
    const v = findVariant("route-masked");
    if (v === undefined) throw new Error("route-masked missing");
    const t = defaultTopology();
    const wanted = { op: "ioapic.write", difference: "wrong-vector" };
    const stillFails: StillFails = (c) => {
      const r = check(t, v.create(), c, "delivery-log");
      if (r.ok) return { fails: false, step: 0 };
      const s = signatureOf(v.name, r.divergence);
      return { fails: s.op === wanted.op && s.difference === wanted.difference, step: r.divergence.step };
    };
    const found = [w(0x1a, 0x8010), line(5), w(0x1a, 0x10000), w(0x1a, 0x8001)];
    expect(stillFails(found).fails).toBe(true);
    const r = shrink(found, stillFails);
    expect(r).toHaveLength(3);
    expect(stillFails(r).fails).toBe(true);
  });

  it("changes the same field of every command on the same thing (every write to a register, every EOI of a vCPU)", () => {
    // Only the short form with both writes physical fails; each write alone made physical does not.
    const [hi, a, b, last] = [w(0x11, 0x1000000), w(0x10, 0x18800), line(0), w(0x10, 0x8801)];
    const same = (x: readonly Command[], y: readonly Command[]) => JSON.stringify(x) === JSON.stringify(y);
    const r = shrink(
      [hi, a, b, last],
      failsWhen((s) => same(s, [hi, a, b, last]) || same(s, [w(0x10, 0x18000), b, w(0x10, 0x8001)])),
    );
    expect(r).toEqual([w(0x10, 0x18000), b, w(0x10, 0x8001)]);
  });

  it("moves one vCPU's part to vCPU 0 (D8 on irqfd-cache: 7 commands on vCPU 1 to the explorer's 6)", () => {
    // A guided campaign's D8 (seed 10 of the time-to-find bench) stopped at 7: the level RTE
    // sent to vCPU 1 in logical mode, accepted and EOI'd there. On vCPU 0, the reset
    // destination, the high-word write goes, but only with the accept, the EOI and the logical
    // mode bit changed together.
    const v = findVariant("irqfd-cache");
    if (v === undefined) throw new Error("irqfd-cache missing");
    const t = defaultTopology();
    const stillFails: StillFails = (c) => {
      const r = check(t, v.create(), c, "delivery-log");
      if (r.ok) return { fails: false, step: 0 };
      const s = signatureOf(v.name, r.divergence);
      const d8 = s.op === "cpu.eoi" && (s.difference === "rte-state" || s.difference === "missing-delivery");
      return { fails: d8, step: r.divergence.step };
    };
    const found: Command[] = [
      w(0x1b, 0x2000000),
      w(0x1a, 0x8834),
      { op: "line.pulse", pin: 5 },
      w(0x1a, 0x8000),
      w(0x1a, 0x18034),
      { op: "cpu.accept", cpu: 1 },
      { op: "cpu.eoi", cpu: 1 },
    ];
    expect(stillFails(found).fails).toBe(true);
    const r = shrink(found, stillFails);
    expect(r).toHaveLength(6);
    expect(r.filter((c) => c.op === "cpu.accept" || c.op === "cpu.eoi").map((c) => ("cpu" in c ? c.cpu : -1))).toEqual([
      0, 0,
    ]);
  });

  it("clears register-value bits the failure does not need", () => {
    const r = shrink(
      [w(0x10, 0x1c031), line(3)],
      failsWhen((c) => c.length === 2 && c[0]?.op === "ioapic.write" && (c[0].value & 0x8000) !== 0),
    );
    expect(r).toEqual([w(0x10, 0x8000), line(3)]);
  });
});
