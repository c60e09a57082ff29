import { describe, expect, it } from "vitest";
import type { Command } from "../model/commands.ts";
import { type StillFails, shrink } from "./shrink.ts";

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

  it("clears register-value bits the failure does not need", () => {
    const r = shrink(
      [w(0x10, 0x1c031), line(3)],
      failsWhen((c) => c.length === 2 && c[0]?.op === "ioapic.write" && (c[0].value & 0x8000) !== 0),
    );
    expect(r).toEqual([w(0x10, 0x8000), line(3)]);
  });
});
