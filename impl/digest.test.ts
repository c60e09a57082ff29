/**
 * `Implementation.digest()`'s contract (properties/implementation.ts): equal digests mean
 * equal futures. Every sequence of up to two commands of the explorer's full alphabet on the
 * small topology is grouped by the digest it leaves; within a group, every next command must
 * give the same step result. A digest that leaves out a field the future depends on merges
 * states that then step differently. Checked by hand: leaving out the IOAPIC's IRR or RTE
 * high words, or an MSI-X vector's pending bit, fails it; leaving out the IOMMU's CFI does
 * not (it shows only two steps later, when a compatibility message arrives with IR on).
 */
import { describe, expect, it } from "vitest";
import type { Command } from "../model/commands.ts";
import { TOPOLOGIES, type Topology } from "../model/topology.ts";
import { alphabet } from "../properties/alphabet.ts";
import { findVariant } from "./variants/index.ts";

const small = TOPOLOGIES.small as Topology;

describe.each(["qemu-7.2", "qemu-8.2", "irqfd-cache"])("%s: equal digests, equal next steps", (name) => {
  it("over every sequence of at most two commands of the full alphabet", () => {
    const v = findVariant(name);
    if (v === undefined) throw new Error(name);
    const commands = alphabet("full", small);
    const run = (seq: readonly Command[]) => {
      const impl = v.create();
      impl.reset(small);
      for (const c of seq) impl.apply(c);
      return impl;
    };
    const prefixes: Command[][] = [[]];
    for (const a of commands) {
      prefixes.push([a]);
      for (const b of commands) prefixes.push([a, b]);
    }
    const groups = new Map<string, Command[][]>();
    for (const p of prefixes) {
      const d = run(p).digest?.() ?? "";
      groups.set(d, [...(groups.get(d) ?? []), p]);
    }
    let compared = 0;
    for (const [, members] of groups) {
      if (members.length < 2) continue;
      const [first, ...rest] = members as [Command[], ...Command[][]];
      const other = rest[rest.length - 1] as Command[];
      for (const c of commands) {
        const step = (p: Command[]) => {
          const r = run(p).apply(c);
          return JSON.stringify({ observations: r.observations, visible: r.visible });
        };
        expect({ prefix: other, command: c, result: step(other) }).toEqual({
          prefix: other,
          command: c,
          result: step(first),
        });
        compared++;
      }
    }
    // Many short sequences converge (a line already low, an EOI with nothing in service).
    expect(compared).toBeGreaterThan(1000);
  });
});
