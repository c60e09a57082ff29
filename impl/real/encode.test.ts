/** The scenario encoding, the one-line rejections and the serial parser, without QEMU. */
import { describe, expect, it } from "vitest";
import { TOPOLOGIES } from "../../model/topology.ts";
import { BootCollector } from "./boots.ts";
import { asRealMachine, commandProblem, encodeScenario, OPCODE, sequenceProblem, topologyProblem } from "./encode.ts";
import { msixFireScenario, seedScenario } from "./scenarios.ts";
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
    expect(commandProblem({ op: "msi.fire", dev: 0, vec: 0 }, small, split)).toMatch(/ivshmem-doorbell/);
    expect(commandProblem({ op: "ioapic.write", reg: 0x14, value: 0x400 }, small, split)).toMatch(/NMI/);
    expect(commandProblem({ op: "ir.control", ire: true, cfi: false }, small, split)).toMatch(/intel-iommu/);
    expect(sequenceProblem(seedScenario, small, split)).toBeNull();
  });

  it("MSI-X: one ivshmem-doorbell per device at its requester ID's slot, and the msi.* records", () => {
    const msix = { ...split, msix: true };
    const bin = encodeScenario(small, [msixFireScenario.slice(0, 3)], msix);
    expect([...bin.subarray(4, 8)]).toEqual([1, 2, 0, 1]); // one MSI-X device
    expect([...bin.subarray(16, 18)]).toEqual([0x08, 1]); // devfn 00:01.0, 1 vector
    const body = [...bin.subarray(20)];
    expect(body.slice(0, 11)).toEqual([OPCODE["msi.program"], 0, 0, 0, 0, 0xe0, 0xfe, 0x51, 0, 0, 0]);
    expect(body.slice(11)).toEqual([OPCODE["msi.mask"], 0, 0, 0, OPCODE["msi.fire"], 0, 0]);
    expect(sequenceProblem(msixFireScenario, small, msix)).toBeNull();
    expect(topologyProblem({ ...def, cpus: def.cpus.slice(0, 2) }, msix)).toMatch(/requester ID 0x300/);
    const program = { op: "msi.program", dev: 0, vec: 0 } as const;
    expect(commandProblem({ ...program, address: 0x1000, data: 0x41 }, small, msix)).toMatch(/guest memory/);
    expect(commandProblem({ ...program, address: 0xfee00000, data: 0x441 }, small, msix)).toMatch(/NMI/);
    expect(commandProblem({ op: "msi.fire", dev: 0, vec: 1 }, small, msix)).toMatch(/not in the topology/);
    expect(asRealMachine(small).msiDevices.map((d) => d.qemuModel)).toEqual(["vfio-pci"]);
  });
});

describe("boots", () => {
  it("a QEMU that dies inside a sequence ends that sequence there; the next boot starts after it", () => {
    const seqs = [seedScenario, msixFireScenario, seedScenario];
    const c = new BootCollector(small, seqs);
    const done = ["S 0", ...seedScenario.map(() => "."), "S 1", ".", "."].join("\n");
    const stderr = "msix.c:119: msix_fire_vector_notifier: Assertion `ret >= 0' failed.";
    expect(c.absorb({ first: 0, code: null, serial: done, stderr, seconds: 1 })).toBe(2);
    expect(c.aborts).toEqual([{ sequence: 1, step: 2, code: null, stderr }]);
    const rest = ["S 2", ...seedScenario.map(() => "."), "Z"].join("\n");
    expect(c.absorb({ first: 2, code: 1, serial: rest, stderr: "", seconds: 1 })).toBeNull();
    expect(c.finish().map((r) => r.length)).toEqual([seedScenario.length, 2, seedScenario.length]);
  });

  it("a QEMU killed inside a sequence (hung, or out of time) is a finding there too; between sequences it is an error", () => {
    const c = new BootCollector(small, [seedScenario, seedScenario]);
    expect(c.absorb({ first: 0, code: 124, serial: "S 0\n.", stderr: "", seconds: 130 })).toBe(1);
    expect(c.aborts).toEqual([
      {
        sequence: 0,
        step: 1,
        code: 124,
        stderr: "QEMU killed after 130 s: no guest output for too long, or out of time",
      },
    ]);
    const between = new BootCollector(small, [seedScenario, seedScenario]);
    const first = ["S 0", ...seedScenario.map(() => ".")].join("\n");
    expect(() => between.absorb({ first: 0, code: 137, serial: first, stderr: "", seconds: 1 })).toThrow(/timeout/);
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

  it("reads the PBA of MSI-X devices (M lines) into msiPending", () => {
    const p = parseSerial(["S 0", ".", "M 0 1", ".", "M 0 0", ".", "Z"].join("\n"), small);
    expect((p.results.get(0) ?? []).map((s) => s.visible.msiPending)).toEqual([[0], [1], [0]]);
    expect(() => parseSerial("S 0\nM 1 1\n.", small)).toThrow(/MSI-X device the topology lacks/);
  });
});
