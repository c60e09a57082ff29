/**
 * The devices profile's driver lowers a release the way Linux tears a device down, or as
 * the bare block invalidation a device that is not quiesced meets; both end in one IEC
 * invalidation whose index mask covers the device's IRTE block (semantics.md §4.5).
 */
import { fc } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import type { Command } from "../../model/commands.ts";
import { defaultTopology, TOPOLOGIES, type Topology } from "../../model/topology.ts";
import { sequenceArbitrary } from "../arbitraries.ts";
import { sourceIdCase } from "../source-id-case.ts";
import { type DeviceStep, deviceDriver, deviceIrteBlock, type SidForm, sourceIdFields } from "./devices.ts";
import { CLEARED_IRTE, irteWords } from "./encode.ts";
import { PROFILES } from "./index.ts";

const topology = defaultTopology();

function lower(steps: readonly DeviceStep[], on: Topology = topology): Command[][] {
  const driver = deviceDriver(on);
  return steps.map((s) => [...driver(s)]);
}

const setup = (vec: number): DeviceStep => ({ k: "setup", dev: 0, vec, cpu: 1, v: 0, sid: "exact" });
const cleared = (index: number): Command => ({ op: "irte.write", index, irte: CLEARED_IRTE });

describe("device IRTE blocks", () => {
  it("each two-vector device of the default topology owns an aligned pair", () => {
    expect(deviceIrteBlock(topology, 0)).toEqual({ index: 2, mask: 1, entries: [2, 3] });
    expect(deviceIrteBlock(topology, 1)).toEqual({ index: 4, mask: 1, entries: [4, 5] });
  });

  it("a one-vector device's block is its entry alone", () => {
    const small = TOPOLOGIES.small as Topology;
    expect(deviceIrteBlock(small, 0)).toEqual({ index: 0, mask: 0, entries: [0] });
  });
});

describe("source-ID forms", () => {
  const caseOf = (requesterId: number, form: SidForm) =>
    sourceIdCase(irteWords({ vector: 0x40, dest: 0, ...sourceIdFields(requesterId, form) }), requesterId);

  it.each([
    [0x0300, "bus", "bus is the range's only bus"],
    [0x0300, "bridge", "bus at the range's end"],
    [0x0300, "empty-bus-range", "empty bus range"],
    [0x0300, "window", "bus inside the range"],
    [0x0300, "stale-bus", "bus above the range"],
    [0x0008, "window", "bus at the range's start"],
    [0x0008, "stale-bus", "bus below the range"],
    [0xff00, "window", "bus at the range's end"],
    [0xff00, "stale-bus", "bus above the range"],
    [0x0008, "bus", "bus is the range's only bus"],
    [0x0008, "bridge", "bus at the range's start"],
    [0x0008, "empty-bus-range", "empty bus range"],
    [0xff00, "empty-bus-range", "empty bus range"],
    [0x0300, "exact", "requester ID equal"],
    [0x0300, "masked-2", "requester ID equal under SQ"],
    [0x0300, "mismatch-1", "requester ID differs"],
  ] as const)("requester %i, form %s: %s", (requesterId, form, expected) => {
    expect(caseOf(requesterId, form)).toBe(expected);
  });
});

describe("release", () => {
  it("not quiesced: the block cleared and invalidated by one descriptor, the vectors left unmasked", () => {
    const [, , out] = lower([{ k: "ir-on" }, setup(1), { k: "release", dev: 0, quiesced: false }]);
    expect(out).toEqual([cleared(2), cleared(3), { op: "iec.invalidate", global: false, index: 2, mask: 1 }]);
  });

  it("quiesced: each held vector masked, its message zeroed, its entry cleared and invalidated, then the block", () => {
    const [, , out] = lower([{ k: "ir-on" }, setup(1), { k: "release", dev: 0, quiesced: true }]);
    expect(out).toEqual([
      { op: "msi.mask", dev: 0, vec: 1, masked: true },
      { op: "msi.program", dev: 0, vec: 1, address: 0, data: 0 },
      cleared(3),
      { op: "iec.invalidate", global: false, index: 3, mask: 0 },
      cleared(2),
      cleared(3),
      { op: "iec.invalidate", global: false, index: 2, mask: 1 },
    ]);
  });

  it("lets go of the vectors: a second release, a move or a mask of them issues nothing", () => {
    const out = lower([
      { k: "ir-on" },
      setup(0),
      { k: "release", dev: 0, quiesced: false },
      { k: "release", dev: 0, quiesced: false },
      { k: "move", dev: 0, vec: 0, cpu: 2, v: 1, sid: "exact" },
      { k: "mask", dev: 0, vec: 0, masked: true },
    ]);
    expect(out.slice(3)).toEqual([[], [], []]);
  });

  it("issues nothing without interrupt remapping or before any vector of the device is set up", () => {
    expect(lower([setup(0), { k: "release", dev: 0, quiesced: true }])[1]).toEqual([]);
    expect(lower([{ k: "ir-on" }, { k: "release", dev: 0, quiesced: false }])[1]).toEqual([]);
  });
});

describe("vector choice on every built-in topology", () => {
  it.each(Object.keys(TOPOLOGIES))("the devices profile's MSI-X commands name a device of %s", (name) => {
    const topology = TOPOLOGIES[name] as Topology;
    const profile = PROFILES.devices;
    if (profile === undefined) throw new Error("no devices profile");
    const sequences = fc.sample(sequenceArbitrary(profile, topology, 40), { numRuns: 200, seed: 7 });
    const msi = sequences.flat().filter((c) => c.op === "msi.program" || c.op === "msi.mask" || c.op === "msi.fire");
    expect(msi.length).toBeGreaterThan(100);
    for (const c of msi) expect(c.dev).toBeLessThan(topology.msiDevices.length);
  });
});
