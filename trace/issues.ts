/**
 * Harness-input errors as data (style.md "Errors"): a trace file or a command-line option
 * that cannot be used is described by issues, never thrown. The CLI prints one line per
 * issue and exits 2.
 */

export type TraceIssueCode =
  /** The file holds no lines, or only blank ones. */
  | "empty"
  /** The file looks like binary data (NUL bytes, control characters, invalid UTF-8). */
  | "binary"
  /** Text, but no line is an IOAPIC event that rebuilds a command. */
  | "no-ioapic-events"
  /** `--rte` value not of the form `PIN=0xHEX`. */
  | "rte-syntax"
  /** `--rte` pin outside 0..23 (IOAPIC_NUM_PINS). */
  | "rte-pin-range"
  /** `--rte` value wider than 64 bits. */
  | "rte-value-range"
  /** `--rte` value sets bit 12 (delivery status) or bit 14 (remote IRR). */
  | "rte-read-only-bit"
  /** The same pin given twice. */
  | "rte-duplicate-pin";

export interface TraceIssue {
  /** What the issue is about: a file name, or an option with its position (`--rte[1]`). */
  readonly path: string;
  readonly code: TraceIssueCode;
  readonly message: string;
}

export type Result<T> =
  | { readonly ok: true; readonly value: T }
  | { readonly ok: false; readonly issues: readonly TraceIssue[] };
