/**
 * The interface every system under test implements: the TypeScript variants in impl/,
 * the reference model wrapped as an implementation, and the real QEMU runner.
 */
import type { Command } from "../model/commands.ts";
import type { Observation } from "../model/observations.ts";
import type { Topology } from "../model/topology.ts";
import type { GuestVisible } from "../model/visible.ts";

export interface StepResult {
  /** What the guest saw happen during the step, in the order it happened. */
  readonly observations: readonly Observation[];
  /** What the guest could read back after the step. */
  readonly visible: GuestVisible;
  /**
   * The implementation's own record of the step, in QEMU trace-event style
   * (`ioapic_mem_write …`, `kvm_set_irq gsi=5 level=1`, `kvm_irqchip_commit_routes`, …).
   */
  readonly trace: readonly string[];
}

/** A system under test that runs one command at a time. */
export interface Implementation {
  readonly name: string;
  /** Power on with this topology; every register at its reset value. */
  reset(topology: Topology): void;
  apply(command: Command): StepResult;
  /**
   * Optional: the whole sequence about to be applied, given right after `reset`. An
   * implementation in another process runs it ahead in one batch; `apply` is still called
   * for each command in order, and may stop early.
   */
  prepare?(commands: readonly Command[]): void;
  /**
   * Optional: flags of the internal state after the last step that the guest cannot see
   * (a cached translation gone stale, an EOI that will not reach the IOAPIC), as bits of
   * a small number. Feedback-guided campaigns count each flag's changes as features, as
   * syzkaller counts the kernel's own coverage: runs that reach such states are kept.
   */
  coverage?(): number;
  /** A compact description of internal state (routes, irqfds) for counterexample reports. */
  describe(): readonly string[];
  /**
   * Canonical encoding of the whole internal state: equal digests mean equal futures.
   * Optional; the explorer needs it to hash (reference, implementation) state pairs.
   */
  digest?(): string;
}

/** Builds a fresh implementation; what `--impl PATH` modules export. */
export type ImplementationFactory = () => Implementation;
