/**
 * QEMU ending in the middle of a sequence (boots.ts QemuAbort): the run is compared up to
 * the step during which QEMU died, and that step is a disagreement no variant predicts
 * (the implementation under test crashing is a finding). Known aborts are named here.
 */
import type { Command } from "../../model/commands.ts";
import type { Topology } from "../../model/topology.ts";
import { type Agreement, compareRuns } from "../../properties/agreement.ts";
import type { StepResult } from "../../properties/implementation.ts";
import type { QemuAbort } from "./boots.ts";

export interface KnownAbort {
  readonly id: string;
  readonly summary: string;
}

/**
 * A1: unmasking an ivshmem-doorbell vector whose message the vIOMMU rejects (non-present
 * IRTE, SID mismatch, IR on without CFI for a compatibility-format message) aborts QEMU:
 * ivshmem_vector_unmask returns the error of kvm_irqchip_update_msi_route (its
 * kvm_arch_fixup_msi_route failed) and msix_fire_vector_notifier asserts `ret >= 0`. The
 * guest controls both, so a guest can kill its QEMU. Seen on QEMU 7.2.22 (hw/pci/msix.c:119) and
 * 10.0.2 (hw/pci/msix.c:122), host KVM: `irqcheck real msix-unmask-abort`.
 */
export const IVSHMEM_UNMASK_ASSERT: KnownAbort = {
  id: "A1",
  summary:
    "QEMU aborted: msix_fire_vector_notifier asserts that ivshmem_vector_unmask succeeded, but its route update failed (the vIOMMU rejects the message)",
};

const unmasks = (c: Command): boolean => (c.op === "msi.mask" && !c.masked) || c.op === "msi.program";

/** The known abort this is, or null. */
export function knownAbort(abort: QemuAbort, command: Command | undefined): KnownAbort | null {
  if (command === undefined || !unmasks(command)) return null;
  return /msix_fire_vector_notifier: Assertion `ret >= 0' failed/.test(abort.stderr) ? IVSHMEM_UNMASK_ASSERT : null;
}

/**
 * Real results against an implementation's: as compareRuns, except that a run QEMU died in
 * is compared up to that step and then disagrees there ("real QEMU ended").
 */
export function compareWithAbort(
  topology: Topology,
  commands: readonly Command[],
  expected: readonly StepResult[],
  real: readonly StepResult[],
  abort: QemuAbort | undefined,
): Agreement {
  if (abort === undefined) return compareRuns(topology, commands, expected, real);
  const before = compareRuns(topology, commands.slice(0, abort.step), expected, real);
  const command = commands[abort.step];
  const e = expected[abort.step];
  if (!before.agree || command === undefined || e === undefined) return before;
  const ended = `real QEMU ended (exit ${abort.code}) during this step: ${abort.stderr}`;
  return {
    agree: false,
    step: abort.step,
    command,
    expected: e,
    actual: { observations: [], visible: real[abort.step - 1]?.visible ?? e.visible, trace: [ended] },
    diff: [ended],
  };
}
