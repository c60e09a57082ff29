/**
 * The seed-bug acceptance cases in a real QEMU + KVM guest, one boot per machine
 * configuration: real QEMU 7.2 against the reference (checker, guest-visible) and against
 * the qemu-7.2 variant (agreement, step by step). Expected outcomes: shared/docs/real-qemu.md
 * and semantics.md D1-D3; the host quirk Q1: quirks.ts.
 */
import { describe, expect, it } from "vitest";
import { TOPOLOGIES } from "../../model/topology.ts";
import { compareRuns, runImplementation } from "../../properties/agreement.ts";
import { check, checkResults } from "../../properties/checker.ts";
import type { StepResult } from "../../properties/implementation.ts";
import { modelImplementation } from "../../properties/reference-implementation.ts";
import { findVariant } from "../variants/index.ts";
import { IVSHMEM_UNMASK_ASSERT, knownAbort } from "./aborts.ts";
import { asRealMachine, type MachineOptions } from "./encode.ts";
import { resolveSystem, runOnRealQemu } from "./qemu.ts";
import { hostQuirk } from "./quirks.ts";
import {
  acceptEoiScenario,
  irHandleChangeScenario,
  irInvalidIrteScenario,
  msixFireScenario,
  msixUnmaskAbortScenario,
  seedScenario,
  vectorChangeScenario,
} from "./scenarios.ts";

const avail = resolveSystem({ kvm: "host" });
const title = avail.ok ? "real QEMU + host KVM" : `real QEMU + host KVM (skipped: ${avail.why})`;
const small = TOPOLOGIES.small;
if (small === undefined) throw new Error("topology 'small' missing");
const topology = small;
const qemu72 = findVariant("qemu-7.2");
if (qemu72 === undefined) throw new Error("variant qemu-7.2 missing");
const variant = (commands: (typeof seedScenario)[]) =>
  commands.map((c) => runImplementation(topology, qemu72.create(), c));

/** The step at which a run diverges from the reference (guest-visible), or null. */
function referenceStep(commands: typeof seedScenario, results: readonly StepResult[]): number | null {
  const r = checkResults(topology, commands, results, "guest-visible");
  return r.ok ? null : r.divergence.step;
}

describe.skipIf(!avail.ok)(title, () => {
  const system = () => {
    if (!avail.ok) throw new Error(avail.why);
    return avail.system;
  };
  const split: MachineOptions = { irqchip: "split", iommu: false };

  it("kernel-irqchip=split: seed and vector change diverge from the reference exactly as qemu-7.2 does", async () => {
    const seqs = [seedScenario, vectorChangeScenario, acceptEoiScenario];
    const run = await runOnRealQemu(system(), topology, seqs, split);
    const expected = variant(seqs);
    for (const i of [0, 1]) {
      const seq = seqs[i] ?? [];
      const real = run.results[i] ?? [];
      expect(compareRuns(topology, seq, expected[i] ?? [], real)).toEqual({ agree: true, steps: seq.length });
      const v = check(topology, qemu72.create(), seq, "guest-visible");
      expect(v.ok).toBe(false);
      expect(referenceStep(seq, real)).toBe(v.ok ? null : v.divergence.step);
      expect(referenceStep(seq, real)).toBe(5); // the unmasking write
    }
    // accept/EOI: agrees with the variant, or differs exactly as the host quirk Q1 says.
    const a = compareRuns(topology, acceptEoiScenario, expected[2] ?? [], run.results[2] ?? []);
    if (!a.agree) expect(hostQuirk(split, a)?.id).toBe("Q1");
  });

  it("kernel-irqchip=off: seed, vector change and accept/EOI agree with the reference", async () => {
    const seqs = [seedScenario, vectorChangeScenario, acceptEoiScenario];
    const run = await runOnRealQemu(system(), topology, seqs, { irqchip: "off", iommu: false });
    seqs.forEach((seq, i) => {
      const real = run.results[i] ?? [];
      expect(referenceStep(seq, real)).toBeNull();
      const ref = runImplementation(topology, modelImplementation(), seq);
      expect(compareRuns(topology, seq, ref, real)).toEqual({ agree: true, steps: seq.length });
    });
  });

  it("intel-iommu,intremap=on (split): IR handle change and invalidated P=0 IRTE agree with qemu-7.2", async () => {
    const seqs = [irHandleChangeScenario, irInvalidIrteScenario];
    const run = await runOnRealQemu(system(), topology, seqs, { irqchip: "split", iommu: true });
    const expected = variant(seqs);
    seqs.forEach((seq, i) => {
      const real = run.results[i] ?? [];
      expect(compareRuns(topology, seq, expected[i] ?? [], real)).toEqual({ agree: true, steps: seq.length });
      expect(referenceStep(seq, real)).not.toBeNull(); // both are D1/D3: the reference disagrees
    });
  });

  it("MSI-X through ivshmem-doorbell: an unmasked vector fired by the doorbell reaches IRR, a masked one sets its PBA bit", async () => {
    const run = await runOnRealQemu(system(), topology, [msixFireScenario], { ...split, msix: true });
    const real = run.results[0] ?? [];
    const irr = (step: number, cpu: number) => real[step]?.visible.lapics[cpu]?.irr[2];
    expect(irr(1, 0)).toBe(0); // programmed and unmasked: nothing yet
    expect(irr(2, 0)).toBe(1 << (0x51 - 0x40)); // fired through the irqfd: 0x51 on APIC 0
    expect(real[5]?.visible.msiPending).toEqual([1]); // fired while masked: pending
    expect(irr(5, 1)).toBe(0);
    expect(real[6]?.visible.msiPending).toEqual([0]); // unmasked: the pending message goes out
    expect(irr(6, 1)).toBe(1 << (0x52 - 0x40));
    expect(referenceStep(msixFireScenario, real)).toBeNull();
    const expected = runImplementation(asRealMachine(topology), qemu72.create(), msixFireScenario);
    expect(compareRuns(topology, msixFireScenario, expected, real)).toEqual({
      agree: true,
      steps: msixFireScenario.length,
    });
  });

  it("A1: unmasking a vector the vIOMMU rejects aborts QEMU; the next sequence runs in a fresh QEMU", async () => {
    const seqs = [msixUnmaskAbortScenario, msixFireScenario];
    const run = await runOnRealQemu(system(), topology, seqs, { irqchip: "split", iommu: true, msix: true });
    const [abort] = run.aborts;
    expect(run.aborts).toHaveLength(1);
    expect(abort?.sequence).toBe(0);
    expect(abort?.step).toBe(msixUnmaskAbortScenario.length - 1);
    if (abort === undefined) return;
    expect(knownAbort(abort, msixUnmaskAbortScenario[abort.step])).toBe(IVSHMEM_UNMASK_ASSERT);
    expect(run.boots).toBe(2);
    expect(run.results[1]?.[2]?.visible.lapics[0]?.irr[2]).toBe(1 << (0x51 - 0x40));
  });

  it("runs many sequences per boot with identical results", async () => {
    const seqs = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? seedScenario : vectorChangeScenario));
    const run = await runOnRealQemu(system(), topology, seqs, split);
    expect(run.boots).toBe(1);
    const digests = new Set(run.results.map((r, i) => `${i % 2}:${JSON.stringify(r.map((s) => s.visible))}`));
    expect(digests.size).toBe(2);
  });
});
