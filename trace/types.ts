/**
 * What the trace importer produces: commands to replay, what the trace says the replay should
 * observe, and what it could not use. Plain JSON values. Every `line` is the 1-based number of
 * the trace line it comes from; 0 means the `--rte` preamble.
 */
import type { Command } from "../model/commands.ts";
import type { SkipCode } from "./qemu-log.ts";

export interface TracedCommand {
  readonly command: Command;
  readonly line: number;
}

/** An IOWIN read in the trace: replaying `ioapic.read {reg}` on `line` should return `value`. */
export interface ReadCheck {
  readonly line: number;
  readonly reg: number;
  readonly value: number;
}

/**
 * A consequence QEMU traced (not a command): what the reference should also do. `afterLine` is
 * the line of the last command before it (null if none yet); the consequence followed that
 * command in the trace, which is not proof that the command caused it (see README).
 */
export type Expectation = ExpectationBody & { readonly line: number; readonly afterLine: number | null };

/** The fields of each expectation kind. */
export type ExpectationBody =
  /** `ioapic_set_remote_irr`: ioapic_service found the level pin pending and unmasked. It is
   * traced before the coalesce test, so it also appears when remote IRR was already set and
   * nothing was delivered. */
  | { readonly kind: "remote-irr-set"; readonly pin: number }
  /** `ioapic_clear_remote_irr`: an EOI for `vector` cleared the pin's remote IRR. */
  | { readonly kind: "remote-irr-clear"; readonly pin: number; readonly vector: number }
  /** `ioapic_eoi_delayed_reassert`: the 10000th successive EOI; re-service after 10 ms. */
  | { readonly kind: "delayed-reassert"; readonly pin: number }
  /** `ioapic_eoi_broadcast` run by an EOI-register write (already the `ioapic.eoi` command). */
  | { readonly kind: "eoi-broadcast"; readonly vector: number }
  /** `apic_deliver_irq` (userspace LAPIC only, never with a KVM irqchip): an MSI reached the APIC bus. */
  | {
      readonly kind: "apic-deliver";
      /** Truncated to 8 bits by the event's uint8_t argument, even for x2APIC destinations. */
      readonly dest: number;
      readonly destMode: number;
      readonly deliveryMode: number;
      readonly vector: number;
      readonly triggerMode: number;
    };

export type ExpectationKind = Expectation["kind"];

export interface SkippedLine {
  readonly line: number;
  readonly code: SkipCode;
  readonly reason: string;
  /** Printable excerpt of the line. */
  readonly text: string;
}

export type TraceWarningCode =
  /** An access logged a selector other than the one the last IOREGSEL write set. */
  | "selector-mismatch"
  /** An EOI-register write not followed by its `ioapic_eoi_broadcast`. */
  | "eoi-register-without-broadcast"
  /** The trace shows a different IOAPIC version than the one given. */
  | "version-mismatch"
  /** A last line without a newline was used; if it was cut inside a number, that number is wrong. */
  | "unterminated-last-line";

/** Something the importer used but the user should know about. Never fatal. */
export interface TraceWarning {
  readonly line: number;
  readonly code: TraceWarningCode;
  readonly message: string;
}

/** Where the trace shows the IOAPIC version: a VER read, or an EOI register that acted. */
export interface VersionEvidence {
  readonly value: number;
  readonly line: number;
  readonly from: "ver-read" | "eoi-register";
}

export interface ImportedTrace {
  readonly commands: readonly TracedCommand[];
  readonly checks: readonly ReadCheck[];
  readonly expectations: readonly Expectation[];
  readonly skipped: readonly SkippedLine[];
  readonly warnings: readonly TraceWarning[];
  /** Number of lines in the file (blank lines included). */
  readonly lines: number;
  readonly ioapicVersion: VersionEvidence | null;
}
