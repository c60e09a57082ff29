/**
 * What the intx profile exercises on the path under test: QEMU's irqfd INTx with its
 * emulated resamplefd (qemu-8.2 on the intx topology), read from the implementation's
 * trace, and the reference's level re-delivery on EOI. A generator that stops reaching one
 * of these cases makes the D9 verdicts and the irqfd-cache campaign hollow.
 */
import { fc } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import { findVariant } from "../../impl/variants/index.ts";
import { get32 } from "../../model/bits.ts";
import type { Command } from "../../model/commands.ts";
import { RTE_RESET_LOW, RteLow } from "../../model/ioapic.ts";
import { TOPOLOGIES, type Topology } from "../../model/topology.ts";
import { sequenceArbitrary } from "../arbitraries.ts";
import { coverageLabels } from "../coverage.ts";
import { findProfile } from "./index.ts";

const topology = TOPOLOGIES.intx as Topology;

/** The INTx events of one sequence on qemu-8.2, from its trace and its guest-visible RTEs. */
function intxLabels(commands: readonly Command[]): Set<string> {
  const variant = findVariant("qemu-8.2");
  if (variant === undefined) throw new Error("no qemu-8.2");
  const impl = variant.create();
  impl.reset(topology);
  const labels = new Set<string>();
  let rtes: readonly number[] = new Array<number>(48).fill(0x10000);
  /** Per GSI: the RTE high word (destination) when the irqfd last injected. */
  const injectedWith = new Map<number, number>();
  for (const c of commands) {
    const r = impl.apply(c);
    for (const line of r.trace) {
      const inject = /^irqfd_wakeup fd=\d+ gsi=(\d+)/.exec(line);
      if (inject !== null) {
        const gsi = Number(inject[1]);
        const low = rtes[2 * gsi] ?? 0;
        if (get32(low, RteLow.mask) === 1) labels.add("irqfd inject while the RTE is masked");
        if (get32(low, RteLow.mask) === 1 && low !== RTE_RESET_LOW)
          labels.add("irqfd inject after the guest masked the RTE");
        injectedWith.set(gsi, rtes[2 * gsi + 1] ?? 0);
      }
      const resample = /^event_notifier_set resamplefd=\d+ \(gsi (\d+)\)/.exec(line);
      if (resample !== null) {
        const gsi = Number(resample[1]);
        const high = injectedWith.get(gsi);
        if (high !== undefined && high !== r.visible.rtes[2 * gsi + 1]) labels.add("resample after retarget");
      }
      if (/^vfio_pci_intx_unmask pin=\d+ \(line still asserted\)/.test(line)) {
        labels.add("resample with the line still high");
      }
    }
    rtes = r.visible.rtes;
  }
  return labels;
}

/** Share of 1000 generated sequences (≤ 40 commands, seed 7) that earn each label. */
function measure(): Map<string, number> {
  const p = findProfile("intx");
  if (p === undefined) throw new Error("no intx profile");
  const runs = 1000;
  const counts = new Map<string, number>();
  for (const commands of fc.sample(sequenceArbitrary(p, topology, 40), { numRuns: runs, seed: 7 })) {
    const labels = [...intxLabels(commands), ...coverageLabels(topology, commands)];
    for (const l of labels) counts.set(l, (counts.get(l) ?? 0) + 1);
  }
  return new Map([...counts].map(([k, v]) => [k, v / runs]));
}

/**
 * Floors a little under what the profile measured when it was written (1000 sequences,
 * seed 7; seeds 11 and 12 within 2 points): irqfd inject while the RTE is masked 40.1%
 * (after the guest masked it, not from reset, 9.5%), resample with the line still high
 * 15.6%, resample after retarget 6.2%, re-delivery on EOI 14.7%, delivery 47.8%.
 */
const FLOORS: readonly (readonly [string, number])[] = [
  ["irqfd inject while the RTE is masked", 0.3],
  ["irqfd inject after the guest masked the RTE", 0.07],
  ["resample with the line still high", 0.12],
  ["resample after retarget", 0.045],
  ["re-delivery on EOI", 0.11],
  ["delivery", 0.36],
];

describe("generator coverage of the intx profile on the intx topology (fixed seed)", () => {
  const share = measure();
  const table = [...share].map(([k, v]) => `${k.padEnd(44)} ${(100 * v).toFixed(1)}%`).join("\n");
  it.each(FLOORS)("reaches %s in at least %f of sequences", (label, min) => {
    expect(share.get(label) ?? 0, table).toBeGreaterThanOrEqual(min);
  });
});
