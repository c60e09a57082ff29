/** compareRuns: equal streams agree; the first differing step is reported with its diff. */
import { describe, expect, it } from "vitest";
import { seedScenario, vectorChangeScenario } from "../impl/real/scenarios.ts";
import { findVariant } from "../impl/variants/index.ts";
import { TOPOLOGIES } from "../model/topology.ts";
import { compareRuns, runImplementation } from "./agreement.ts";
import { modelImplementation } from "./reference-implementation.ts";

const topology = TOPOLOGIES.small;
if (topology === undefined) throw new Error("topology small missing");
const qemu72 = findVariant("qemu-7.2");
if (qemu72 === undefined) throw new Error("variant qemu-7.2 missing");

describe("compareRuns", () => {
  it("a run agrees with itself on every step", () => {
    const results = runImplementation(topology, qemu72.create(), seedScenario);
    expect(compareRuns(topology, seedScenario, results, results)).toEqual({ agree: true, steps: seedScenario.length });
  });

  it("reference vs qemu-7.2 on the seed scenario: first difference at the unmask, IRR on the wrong CPU", () => {
    const ref = runImplementation(topology, modelImplementation(), seedScenario);
    const v = runImplementation(topology, qemu72.create(), seedScenario);
    const a = compareRuns(topology, seedScenario, ref, v);
    expect(a.agree).toBe(false);
    if (a.agree) return;
    expect(a.step).toBe(5);
    expect(a.diff).toContain("APIC ID 0 IRR: expected {0x41}, actual {}");
    expect(a.diff).toContain("APIC ID 1 IRR: expected {}, actual {0x41}");
  });

  it("reports differing reads", () => {
    const cmds = [...vectorChangeScenario, { op: "ioapic.read" as const, reg: 0x24 }];
    const ref = runImplementation(topology, modelImplementation(), cmds);
    const other = ref.map((r, i) =>
      i === cmds.length - 1 ? { ...r, observations: [{ kind: "read" as const, reg: 0x24, value: 0 }] } : r,
    );
    const a = compareRuns(topology, cmds, ref, other);
    expect(a.agree).toBe(false);
    if (!a.agree) expect(a.diff.at(-1)).toMatch(/^reads: expected \[0x24=0x[0-9a-f]+\], actual \[0x24=0x0\]$/);
  });
});
