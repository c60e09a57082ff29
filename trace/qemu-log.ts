/**
 * Tokenizer for QEMU's `log` trace backend (scripts/tracetool/backend/log.py): one event per
 * line, `name + " " + format + "\n"`, optionally preceded by a timestamp:
 *
 *   ioapic_set_irq vector: 5 level: 1                                  (no -msg timestamp)
 *   4187@1700000000.104512:ioapic_set_irq vector: 5 level: 1          (QEMU <= 10.0, timestamp=on)
 *   2025-07-21T18:43:28.089797Z ioapic_set_irq vector: 5 level: 1     (later QEMU, timestamp=on)
 *
 * The per-event parsers are in qemu-events.ts; this file finds the event in a line and says
 * why a line that is not one was skipped.
 */
import type { TraceEvent } from "./qemu-events.ts";
import { EVENT_FORMATS, isEventName } from "./qemu-events.ts";

/** `pid@sec.usec:` (QEMU <= 10.0) or an ISO 8601 UTC time and a space (later QEMU). */
const PREFIX = /^(?:\d+@\d+\.\d+:|\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z )/;

/** Splits off the timestamp prefix, if any. */
export function stripPrefix(text: string): { readonly prefix: string | null; readonly body: string } {
  const m = PREFIX.exec(text);
  return m === null ? { prefix: null, body: text } : { prefix: m[0], body: text.slice(m[0].length) };
}

export type SkipCode =
  | "binary"
  | "console"
  | "other-event"
  | "malformed"
  | "cut-short"
  | "unrecognised"
  /** Recognised event that QEMU itself ignores or that rebuilds no command (set by the importer). */
  | "no-effect"
  /** Recognised event whose numbers are outside what the model takes (set by the importer). */
  | "out-of-range";

export type LineToken =
  | { readonly kind: "blank" }
  | { readonly kind: "event"; readonly event: TraceEvent; readonly prefix: string | null }
  | { readonly kind: "skip"; readonly code: SkipCode; readonly reason: string };

// biome-ignore lint/suspicious/noControlCharactersInRegex: detecting control characters is the point
const BINARY = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f\ufffd]/;
const CONSOLE = /^\[\s*\d+\.\d+\]/;
const EVENT_WORD = /^([A-Za-z_][A-Za-z0-9_]*)(?: |$)/;

/** Where a line sits in its file, for telling a cut-short last line from a bad one. */
export interface LinePosition {
  /** False for a last line with no line terminator after it. */
  readonly terminated: boolean;
  /** True for the last non-blank line of the file. */
  readonly last: boolean;
}

/**
 * Tokenizes one line (without its line terminator). The last line of a pasted trace is often
 * cut short: if it does not parse, it is reported as such rather than as a bad line.
 */
export function tokenizeLine(raw: string, at: LinePosition = { terminated: true, last: false }): LineToken {
  const text = raw.trim();
  if (text === "") return { kind: "blank" };
  if (BINARY.test(text)) return { kind: "skip", code: "binary", reason: "binary data" };
  const { prefix, body } = stripPrefix(text);
  const word = EVENT_WORD.exec(body)?.[1];
  let other: { readonly kind: "skip"; readonly code: SkipCode; readonly reason: string };
  if (word !== undefined && isEventName(word)) {
    const event = EVENT_FORMATS[word].parse(body);
    if (event !== null) return { kind: "event", event, prefix };
    other = {
      kind: "skip",
      code: "malformed",
      reason: `${word} line does not match its format "${EVENT_FORMATS[word].format}"`,
    };
  } else {
    other = describeOther(body, prefix !== null, word);
  }
  const incomplete = other.code === "malformed" || other.code === "unrecognised";
  if (!at.terminated || (at.last && incomplete)) {
    const why = at.terminated ? "last line" : "last line, no newline at end of file";
    return { kind: "skip", code: "cut-short", reason: `probably cut short (${why}): ${other.reason}` };
  }
  return other;
}

function describeOther(
  body: string,
  prefixed: boolean,
  word: string | undefined,
): { readonly kind: "skip"; readonly code: SkipCode; readonly reason: string } {
  if (CONSOLE.test(body)) return { kind: "skip", code: "console", reason: "guest console line" };
  if (word !== undefined && (prefixed || word.includes("_"))) {
    return { kind: "skip", code: "other-event", reason: `not an IOAPIC event: ${word}` };
  }
  return { kind: "skip", code: "unrecognised", reason: "not a trace event line" };
}

export interface TraceLine {
  /** 1-based line number. */
  readonly line: number;
  readonly text: string;
  /** False only for a last line with no line terminator after it. */
  readonly terminated: boolean;
}

/** Splits a file into lines: LF, CRLF or lone CR endings; a leading byte-order mark is dropped. */
export function splitLines(file: string): TraceLine[] {
  const text = file.startsWith("\ufeff") ? file.slice(1) : file;
  if (text === "") return [];
  const parts = text.split(/\r\n|\r|\n/);
  const endsWithNewline = /[\r\n]$/.test(text);
  if (endsWithNewline) parts.pop();
  return parts.map((t, i) => ({
    line: i + 1,
    text: t,
    terminated: endsWithNewline || i < parts.length - 1,
  }));
}

/** A printable excerpt of a skipped line for reports: control characters as '.', at most 120. */
export function excerpt(text: string, max = 120): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: replacing control characters is the point
  const clean = text.replace(/[\u0000-\u001f\u007f\ufffd]/g, ".");
  return clean.length > max ? `${clean.slice(0, max - 1)}…` : clean;
}
