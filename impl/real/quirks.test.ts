/** The Q1 classifier on the two shapes seen in campaigns (real QEMU output, hand-made). */
import { describe, expect, it } from "vitest";
import { TOPOLOGIES } from "../../model/topology.ts";
import type { GuestVisible } from "../../model/visible.ts";
import { compareRuns, runImplementation } from "../../properties/agreement.ts";
import type { StepResult } from "../../properties/implementation.ts";
import { modelImplementation } from "../../properties/reference-implementation.ts";
import { hostQuirk } from "./quirks.ts";
import { acceptEoiScenario } from "./scenarios.ts";

const topology = TOPOLOGIES.small;
if (topology === undefined) throw new Error("topology small missing");
const accept = acceptEoiScenario.slice(0, 4); // ... raise; cpu.accept cpu=0 (level vector 0x41)
const ref = runImplementation(topology, modelImplementation(), accept);

/** The reference's results with the accept step's LAPIC 0 changed as `f` says. */
function realWith(f: (l: GuestVisible["lapics"][number]) => GuestVisible["lapics"][number]): StepResult[] {
  return ref.map((r, i) =>
    i === 3
      ? {
          ...r,
          trace: ["A 0 41"],
          visible: { ...r.visible, lapics: r.visible.lapics.map((l, c) => (c === 0 ? f(l) : l)) },
        }
      : r,
  );
}
const none = [0, 0, 0, 0, 0, 0, 0, 0];
const v41 = [0, 0, 2, 0, 0, 0, 0, 0];

describe("hostQuirk Q1", () => {
  const classify = (actual: StepResult[], irqchip: "split" | "off" = "split") => {
    const a = compareRuns(topology, accept, ref, actual);
    return a.agree ? "agree" : (hostQuirk({ irqchip, iommu: false }, a)?.id ?? null);
  };
  it("ISR left empty by the accept", () => expect(classify(realWith((l) => ({ ...l, isr: none })))).toBe("Q1"));
  it("ISR empty and the level vector already back in IRR", () =>
    expect(classify(realWith((l) => ({ ...l, isr: none, irr: v41 })))).toBe("Q1"));
  it("not under kernel-irqchip=off, and not another difference", () => {
    expect(
      classify(
        realWith((l) => ({ ...l, isr: none })),
        "off",
      ),
    ).toBeNull();
    expect(classify(realWith((l) => ({ ...l, isr: none, tmr: none })))).toBeNull();
  });
});
