import { fc } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { getField, parseHexWords } from "../model/bits.ts";
import type { Command } from "../model/commands.ts";
import { Irte } from "../model/interrupt-remapping.ts";
import { defaultTopology, TOPOLOGIES, type Topology } from "../model/topology.ts";
import { sequenceArbitrary } from "./arbitraries.ts";
import { coverageLabels } from "./coverage.ts";
import { findProfile } from "./profiles/index.ts";

const topology = defaultTopology();

function sample(profile: string, runs: number, on: Topology = topology, seed = 7): Command[][] {
  const p = findProfile(profile);
  if (p === undefined) throw new Error(profile);
  return fc.sample(sequenceArbitrary(p, on, 40), { numRuns: runs, seed });
}

/** Share of `runs` generated sequences (≤ 40 commands) that earn each label, on fixed seeds. */
function measure(profile: string, runs: number, on: Topology = topology, seeds = [7]): Map<string, number> {
  const counts = new Map<string, number>();
  for (const commands of seeds.flatMap((seed) => sample(profile, runs / seeds.length, on, seed))) {
    for (const l of coverageLabels(on, commands)) counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  return new Map([...counts].map(([k, v]) => [k, v / runs]));
}

/**
 * Floors a little under what each profile measured when it was written (1000 sequences,
 * seed 7; the first closing notes give the full tables; the source-ID, RH and
 * lowest-priority rows measured: uniform compatibility RH=1 6.4% (2.0% once remappable
 * messages mostly went without SHV: fired with remapping off, SHV had read as RH),
 * lowest-priority MSI 0.9%, lowest-priority delivery 6.4%; ir SQ decides 1.4%, bus range
 * 0.9%, fault 0x26 1.4%, remapped RH=1 0.3%, remapped lowest priority 0.6%; devices SQ
 * decides 2.6%, bus range 0.9%, fault 0x26 2.2%). With SQ 01b and 10b added to the device
 * forms (bit 2, bits 2:1 ignored; and bit 0 compared): ir SQ decides 2.8%, SQ 01b or 10b 1.6%,
 * bus range 1.1%, fault 0x26 2.9%; devices 6.4%, 4.6%, 3.1%, 4.5%. With device releases
 * (an IRTE block cleared and invalidated by one range) and the devices profile's vectors
 * spread over the first device's: devices 2.9%, 1.8%, 2.3%, 3.3% (3000 sequences, seeds
 * 7-9: SQ 01b or 10b 2.3-3.1%), a range invalidation at another index 0.7%. Reads of ID,
 * version and arbitration registers (uniform, seeds 7-9): 9.1-11.0%; compatibility MSIs
 * with an extended destination ID on the default topology: 0.3-0.6%; devices' subhandles
 * (multi-vector MSI blocks): 1.5-1.8%. Remappable messages with data[31:16] set reach the
 * remapping unit in only 0-0.2% of uniform sequences (IR is rarely on there): no floor
 * there; the ir profile's stray requests, kept to about 1 step in 60 (more drew a guided
 * campaign's mutations to them: planted IRTE RH, DM and FPD bugs went from 30 to 21-23
 * of 36 campaigns killed), seeds 7-9: data[31:16] with SHV=1 1.1-1.6%, with SHV=0
 * 1.0-1.6%, fault 0x20 0.6-1.2%; through an IRTE with a reserved bit, fault 0x24 0.8-1.4%
 * (0.3-0.4% on 2 of 9 profile-seed pairs before, none on the rest). Remapped
 * lowest-priority MSIs then measured 0.1-0.9% (0.4% each before): noise at this rate.
 * A generator change that stops reaching a case fails here.
 */
const FLOORS: Readonly<Record<string, readonly (readonly [string, number])[]>> = {
  uniform: [
    ["delivery", 0.3],
    ["delivery on RTE low-word write", 0.03],
    ["re-delivery on EOI", 0.003],
    // About 0.25% with the generators before and after the SID/RH/illegal-vector fields were
    // added (2000 sequences, seeds 7-9: 0.35/0.1/0.4% before, 0.2/0.35/0.15% after): 1000
    // sequences resolve no more than "reached".
    ["EOI broadcast cleared remote IRR", 0.001],
    ["delivery with IR on", 0.02],
    ["fault 0x22", 0.004],
    ["fault 0x25", 0.03],
    ["pending MSI-X released on unmask", 0.04],
    ["MSI-X delivery", 0.08],
    ["nondeterministic step", 0.005],
    // 1.3-2.6% over seeds 7-9 since the ID register is written more often (1.6-2.4% before).
    ["compatibility MSI with RH=1", 0.01],
    ["compatibility lowest-priority MSI", 0.005],
    ["lowest-priority delivery", 0.04],
    ["read of a register other than an RTE", 0.05],
    ["compatibility MSI with an extended destination ID", 0.002],
    // SMI, NMI and ExtINT in about 1 of 60 delivery-mode fields (RTE, IRTE, MSI data),
    // seeds 7-9: 0.2-0.8% (none before); ExtINT is pooled below.
    ["SMI or NMI delivery", 0.004],
  ],
  linux: [
    ["delivery", 0.5],
    ["delivery on RTE low-word write", 0.03],
    ["re-delivery on EOI", 0.08],
    ["EOI broadcast cleared remote IRR", 0.1],
    ["delivery with IR on", 0.1],
  ],
  ir: [
    ["delivery with IR on", 0.25],
    ["fault 0x21", 0.02],
    // 2.4-3.3% over seeds 7-9 (2.5-3.2% before the stray requests): 2.5% was within noise.
    ["nondeterministic step", 0.02],
    // Seeds 7-9: 7.7-9.2%, then 7.2-8.9% once bus ranges came in every case (an empty
    // range faults where the device's bus alone passed), 6.8-7.2% with a stale range too.
    ["MSI-X delivery", 0.065],
    ["SQ decides a source-ID check", 0.008],
    ["SQ 01b or 10b decides a source-ID check", 0.01],
    ["bus-range source-ID check", 0.005],
    // Bus ranges in every case (source-id-case.ts), seeds 7-9: the range starting at the
    // device's bus 0.6-0.9%, an empty range 0.4-0.6%; the range ending at it 0-0.1% (the
    // second device's, whose messages are rarely remapped here).
    ["source-ID check: bus at the range's start", 0.005],
    ["source-ID check: empty bus range", 0.003],
    ["fault 0x26", 0.008],
    ["remapped MSI with RH=1", 0.002],
    ["remapped lowest-priority MSI", 0.001],
    ["remapped MSI with data[31:16] set, SHV=1", 0.008],
    ["remapped MSI with data[31:16] set, SHV=0", 0.008],
    ["fault 0x20", 0.004],
    ["fault 0x24", 0.005],
    // EIME set against the default topology's xAPIC mode, with CFI set (VT-d §5.1.2.1: then
    // EIME alone blocks compatibility-format requests): seeds 7-9 6.4-6.5% since the profile
    // switches the two together (0 before: its IRTA writes set EIME only on x2APIC). A
    // compatibility-format request in that state is rarer still (uniform 0-0.2%, ir none in
    // 1000): guidance keeps runs that reach the state and adds the request.
    ["IR on with CFI and EIME both set", 0.04],
  ],
  devices: [
    // Seeds 7-9: 53.9-55.7%, then 47.9-52.1% once a third of the vector steps went to the
    // second device (a vector is programmed and fired less often on one device).
    ["MSI-X delivery", 0.45],
    ["pending MSI-X released on unmask", 0.45],
    ["delivery with IR on", 0.12],
    ["SQ decides a source-ID check", 0.015],
    ["SQ 01b or 10b decides a source-ID check", 0.015],
    ["bus-range source-ID check", 0.005],
    // Seeds 7-9: 0.7-1.3% and 0.2-0.5%.
    ["source-ID check: bus at the range's start", 0.006],
    ["source-ID check: empty bus range", 0.002],
    ["fault 0x26", 0.012],
    ["MSI-X through an IRTE that a range invalidation at another index retired", 0.004],
    ["remapped MSI with a subhandle", 0.008],
  ],
};

describe.each(Object.keys(FLOORS))("generator coverage of the %s profile (fixed seed)", (profile) => {
  const share = measure(profile, 1000);
  const table = [...share].map(([k, v]) => `${k.padEnd(40)} ${(100 * v).toFixed(1)}%`).join("\n");
  it.each(FLOORS[profile] ?? [])("reaches %s in at least %f of sequences", (label, min) => {
    expect(share.get(label) ?? 0, table).toBeGreaterThanOrEqual(min);
  });
});

/**
 * Cases too rare for one seed's floor, over seeds 7-9 pooled (1000 sequences each). The
 * devices profile's range cases that only the second device (03:00.0) reaches, its bus
 * being above 0: the requester at the range's end (Linux's bridge alias range), strictly
 * inside it (a bridge's bus window) and above it (a range left from a stale alias),
 * measured 0-0.3%, 0-0.5% and 0.1-0.3% (none above and inside before the window and stale
 * forms, 0-0.1% at the end); each is where a range check that drops or shifts one bound
 * passes a request it must fault (bench/mutants: svt-bus-range-no-end). The uniform
 * profile's ExtINT deliveries (D14): 0.1-0.3%.
 */
const POOLED_FLOORS: Readonly<Record<string, readonly (readonly [string, number])[]>> = {
  devices: [
    ["source-ID check: bus at the range's end", 0.001],
    ["source-ID check: bus inside the range", 0.001],
    ["source-ID check: bus above the range", 0.001],
  ],
  uniform: [["ExtINT delivery", 0.001]],
};

describe.each(Object.keys(POOLED_FLOORS))("rare cases of the %s profile (seeds 7-9 pooled)", (profile) => {
  const share = measure(profile, 3000, topology, [7, 8, 9]);
  it.each(POOLED_FLOORS[profile] ?? [])("reaches %s in at least %f of sequences", (label, min) => {
    expect(share.get(label) ?? 0).toBeGreaterThanOrEqual(min);
  });
});

/**
 * The default topology's APIC IDs are 0-3 (xAPIC IDs are 8 bits); the x2apic topology
 * (APIC ID 300) is where destinations above 255 and KVM's extended destination ID are
 * exercised: 1000 sequences, seed 7, measured 4.5% (uniform), 26.8% (linux), 11.2% (ir),
 * 41.0% (devices).
 */
describe("destinations above APIC ID 255 on the x2apic topology (fixed seed)", () => {
  const x2apic = TOPOLOGIES.x2apic as Topology;
  it.each([
    ["uniform", 0.03],
    ["linux", 0.2],
    ["ir", 0.08],
    ["devices", 0.3],
  ] as const)("the %s profile delivers to APIC ID 300 in at least %f of sequences", (profile, min) => {
    expect(measure(profile, 1000, x2apic).get("delivery to an APIC ID above 255") ?? 0).toBeGreaterThanOrEqual(min);
  });
});

/** The vector fields the uniform profile writes: RTE low words, IRTEs, compatibility MSI data. */
function vectorFields(commands: readonly Command[]): number[] {
  const out: number[] = [];
  for (const c of commands) {
    if (c.op === "ioapic.write" && c.reg >= 0x10 && c.reg < 0x40 && (c.reg & 1) === 0) out.push(c.value & 0xff);
    if (c.op === "irte.write") out.push(getField(parseHexWords(c.irte, 4) ?? [], Irte.vector));
    if (c.op === "msi.program" && c.data !== 0) out.push(c.data & 0xff);
  }
  return out;
}

describe("illegal vectors (0x00-0x0f, SDM §10.5.2)", () => {
  it("are rare but present in the uniform profile's vector fields (0.5%-5%)", () => {
    const vectors = sample("uniform", 1000).flatMap(vectorFields);
    const share = vectors.filter((v) => v < 0x10).length / vectors.length;
    expect(vectors.length).toBeGreaterThan(2000);
    expect(share).toBeGreaterThanOrEqual(0.005);
    expect(share).toBeLessThanOrEqual(0.05);
  });
});
