/** The scenario encoding, the one-line rejections and the serial parser, without QEMU. */
import { describe, expect, it } from "vitest";
import { TOPOLOGIES } from "../../model/topology.ts";
import { commandProblem, encodeScenario, sequenceProblem, topologyProblem } from "./encode.ts";
import { seedScenario } from "./scenarios.ts";
import { PERTURBED_NOTE, parseSerial } from "./serial.ts";

const small = TOPOLOGIES.small;
const def = TOPOLOGIES.default;
if (small === undefined || def === undefined) throw new Error("topologies missing");
const split = { irqchip: "split", iommu: false } as const;

describe("scenario encoding", () => {
  it("writes the header and one record per command", () => {
    const bin = encodeScenario(small, [seedScenario], split);
    expect(String.fromCharCode(...bin.subarray(0, 4))).toBe("IRQS");
    expect([...bin.subarray(4, 8)]).toEqual([1, 2, 0, 0]);
    expect(bin.length).toBe(16 + 2 + 5 * 6 + 1 * 3);
  });

  it("rejects what the real guest cannot run, in one line", () => {
    expect(topologyProblem(def, split)).toMatch(/1 or 2 vCPUs/);
    expect(commandProblem({ op: "line.set", pin: 4, level: 1 }, small, split)).toMatch(/pc-testdev/);
    expect(commandProblem({ op: "msi.fire", dev: 0, vec: 0 }, small, split)).toMatch(/not supported/);
    expect(commandProblem({ op: "ioapic.write", reg: 0x14, value: 0x400 }, small, split)).toMatch(/NMI/);
    expect(commandProblem({ op: "ir.control", ire: true, cfi: false }, small, split)).toMatch(/intel-iommu/);
    expect(sequenceProblem(seedScenario, small, split)).toBeNull();
  });
});

describe("serial parser", () => {
  it("starts each sequence from reset and applies only the changes", () => {
    const text = [
      "H 1 2 0 170020",
      "S 0",
      "T a 8041,1000000",
      ".",
      "R 24 c041",
      "T a c041,1000000",
      "L 1 0,0,2,0,0,0,0,0 0,0,0,0,0,0,0,0 0,0,2,0,0,0,0,0",
      ".!",
      "Z",
    ].join("\n");
    const p = parseSerial(text, small);
    expect(p.complete).toBe(true);
    const steps = p.results.get(0) ?? [];
    expect(steps).toHaveLength(2);
    expect(steps[0]?.visible.rtes[20]).toBe(0x8041);
    expect(steps[0]?.visible.rtes[0]).toBe(0x10000);
    expect(steps[1]?.observations).toEqual([{ kind: "read", reg: 0x24, value: 0xc041 }]);
    expect(steps[1]?.visible.lapics[1]?.irr[2]).toBe(2);
    expect(steps[1]?.visible.faultRecords).toEqual([null]);
    expect(steps[1]?.trace).toContain(PERTURBED_NOTE);
  });
});
