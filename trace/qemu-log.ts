/**
 * Tokenizer for QEMU's `log` trace backend (scripts/tracetool/backend/log.py): one event per
 * line, `name + " " + format + "\n"`, optionally preceded by a timestamp:
 *
 *   ioapic_set_irq vector: 5 level: 1                                  (no -msg timestamp)
 *   4187@1700000000.104512:ioapic_set_irq vector: 5 level: 1          (QEMU <= 10.0, timestamp=on)
 *   2025-07-21T18:43:28.089797Z ioapic_set_irq vector: 5 level: 1     (later QEMU, timestamp=on)
 *
 * One parser per event format of hw/intc/trace-events (ioapic.c and apic.c sections). Event
 * fields keep the words of the format string, even where QEMU's word is misleading (the
 * importer, not the tokenizer, says what they mean). Only the formats are mirrored here.
 */

/** One recognised event. Integers as printed; ranges checked against the C argument types. */
export type TraceEvent =
  /** `ioapic_set_irq(int vector, int level)`: "vector: %d level: %d". `vector` is the input line. */
  | { readonly name: "ioapic_set_irq"; readonly vector: number; readonly level: number }
  /** `ioapic_mem_write(uint8_t addr, uint8_t regsel, uint8_t size, uint32_t val)`. */
  | {
      readonly name: "ioapic_mem_write";
      readonly addr: number;
      readonly regsel: number;
      readonly size: number;
      readonly val: number;
    }
  /** `ioapic_mem_read(uint8_t addr, uint8_t regsel, uint8_t size, uint32_t val)`: "... retval 0x%x". */
  | {
      readonly name: "ioapic_mem_read";
      readonly addr: number;
      readonly regsel: number;
      readonly size: number;
      readonly retval: number;
    }
  /** `ioapic_eoi_broadcast(int vector)`. */
  | { readonly name: "ioapic_eoi_broadcast"; readonly vector: number }
  /** `ioapic_set_remote_irr(int n)`: "set remote irr for pin %d". */
  | { readonly name: "ioapic_set_remote_irr"; readonly pin: number }
  /** `ioapic_clear_remote_irr(int n, int vector)`. */
  | { readonly name: "ioapic_clear_remote_irr"; readonly pin: number; readonly vector: number }
  /** `ioapic_eoi_delayed_reassert(int vector)`; ioapic_eoi_broadcast passes the pin number here. */
  | { readonly name: "ioapic_eoi_delayed_reassert"; readonly vector: number }
  /**
   * `apic_deliver_irq(uint8_t dest, uint8_t dest_mode, uint8_t delivery_mode, uint8_t vector_num,
   * uint8_t trigger_mode)`; QEMU before ~2.0 also printed `polarity %d` before trigger_mode.
   */
  | {
      readonly name: "apic_deliver_irq";
      readonly dest: number;
      readonly destMode: number;
      readonly deliveryMode: number;
      readonly vector: number;
      readonly triggerMode: number;
      readonly polarity: number | null;
    };

export type EventName = TraceEvent["name"];

const INT_MIN = -0x80000000;
const INT_MAX = 0x7fffffff;
const U8_MAX = 0xff;
const U32_MAX = 0xffffffff;

/** `%d` of an argument whose C type holds min..max; null if not a number in range. */
function dec(text: string | undefined, min: number, max: number): number | null {
  if (text === undefined || !/^-?\d{1,10}$/.test(text)) return null;
  const n = Number(text);
  return n >= min && n <= max ? n : null;
}

/** `0x%x` (PRIx8 / PRIx32) digits, without the `0x`; null if not hex or above max. */
function hexArg(text: string | undefined, max: number): number | null {
  if (text === undefined || !/^[0-9a-fA-F]{1,8}$/.test(text)) return null;
  const n = Number.parseInt(text, 16);
  return n <= max ? n : null;
}

const D = "(-?\\d+)";
const X = "0x([0-9a-fA-F]+)";

function format(name: string, fmt: string): RegExp {
  return new RegExp(`^${name} ${fmt}$`);
}

const SET_IRQ = format("ioapic_set_irq", `vector: ${D} level: ${D}`);
const MEM_WRITE = format("ioapic_mem_write", `ioapic mem write addr ${X} regsel: ${X} size ${X} val ${X}`);
const MEM_READ = format("ioapic_mem_read", `ioapic mem read addr ${X} regsel: ${X} size ${X} retval ${X}`);
const EOI_BROADCAST = format("ioapic_eoi_broadcast", `EOI broadcast for vector ${D}`);
const SET_REMOTE_IRR = format("ioapic_set_remote_irr", `set remote irr for pin ${D}`);
const CLEAR_REMOTE_IRR = format("ioapic_clear_remote_irr", `clear remote irr for pin ${D} vector ${D}`);
const DELAYED_REASSERT = format("ioapic_eoi_delayed_reassert", `delayed reassert on EOI broadcast for vector ${D}`);
const DELIVER_IRQ = format(
  "apic_deliver_irq",
  `dest ${D} dest_mode ${D} delivery_mode ${D} vector ${D}(?: polarity ${D})? trigger_mode ${D}`,
);

export function parseIoapicSetIrq(body: string): TraceEvent | null {
  const m = SET_IRQ.exec(body);
  const vector = dec(m?.[1], INT_MIN, INT_MAX);
  const level = dec(m?.[2], INT_MIN, INT_MAX);
  return vector === null || level === null ? null : { name: "ioapic_set_irq", vector, level };
}

/**
 * ioapic_mem_write masks the offset with 0xFF before tracing, and the uint8_t argument could
 * not print more; a wider `addr` (a hand-edited trace) is accepted here and masked the same way.
 */
export function parseIoapicMemWrite(body: string): TraceEvent | null {
  const m = MEM_WRITE.exec(body);
  const addr = hexArg(m?.[1], U32_MAX);
  const regsel = hexArg(m?.[2], U8_MAX);
  const size = hexArg(m?.[3], U8_MAX);
  const val = hexArg(m?.[4], U32_MAX);
  if (addr === null || regsel === null || size === null || val === null) return null;
  return { name: "ioapic_mem_write", addr: addr & 0xff, regsel, size, val };
}

export function parseIoapicMemRead(body: string): TraceEvent | null {
  const m = MEM_READ.exec(body);
  const addr = hexArg(m?.[1], U32_MAX);
  const regsel = hexArg(m?.[2], U8_MAX);
  const size = hexArg(m?.[3], U8_MAX);
  const retval = hexArg(m?.[4], U32_MAX);
  if (addr === null || regsel === null || size === null || retval === null) return null;
  return { name: "ioapic_mem_read", addr: addr & 0xff, regsel, size, retval };
}

export function parseIoapicEoiBroadcast(body: string): TraceEvent | null {
  const vector = dec(EOI_BROADCAST.exec(body)?.[1], INT_MIN, INT_MAX);
  return vector === null ? null : { name: "ioapic_eoi_broadcast", vector };
}

export function parseIoapicSetRemoteIrr(body: string): TraceEvent | null {
  const pin = dec(SET_REMOTE_IRR.exec(body)?.[1], INT_MIN, INT_MAX);
  return pin === null ? null : { name: "ioapic_set_remote_irr", pin };
}

export function parseIoapicClearRemoteIrr(body: string): TraceEvent | null {
  const m = CLEAR_REMOTE_IRR.exec(body);
  const pin = dec(m?.[1], INT_MIN, INT_MAX);
  const vector = dec(m?.[2], INT_MIN, INT_MAX);
  return pin === null || vector === null ? null : { name: "ioapic_clear_remote_irr", pin, vector };
}

export function parseIoapicEoiDelayedReassert(body: string): TraceEvent | null {
  const vector = dec(DELAYED_REASSERT.exec(body)?.[1], INT_MIN, INT_MAX);
  return vector === null ? null : { name: "ioapic_eoi_delayed_reassert", vector };
}

export function parseApicDeliverIrq(body: string): TraceEvent | null {
  const m = DELIVER_IRQ.exec(body);
  const dest = dec(m?.[1], 0, U8_MAX);
  const destMode = dec(m?.[2], 0, U8_MAX);
  const deliveryMode = dec(m?.[3], 0, U8_MAX);
  const vector = dec(m?.[4], 0, U8_MAX);
  const polarity = m?.[5] === undefined ? null : dec(m[5], 0, U8_MAX);
  const triggerMode = dec(m?.[6], 0, U8_MAX);
  if (dest === null || destMode === null || deliveryMode === null || vector === null) return null;
  if (triggerMode === null || (m?.[5] !== undefined && polarity === null)) return null;
  return { name: "apic_deliver_irq", dest, destMode, deliveryMode, vector, triggerMode, polarity };
}

/** The parser for each recognised event name, and the format it expects (for messages). */
export const EVENT_FORMATS: Readonly<
  Record<EventName, { readonly parse: (body: string) => TraceEvent | null; readonly format: string }>
> = {
  ioapic_set_irq: { parse: parseIoapicSetIrq, format: "vector: %d level: %d" },
  ioapic_mem_write: {
    parse: parseIoapicMemWrite,
    format: "ioapic mem write addr 0x%x regsel: 0x%x size 0x%x val 0x%x",
  },
  ioapic_mem_read: {
    parse: parseIoapicMemRead,
    format: "ioapic mem read addr 0x%x regsel: 0x%x size 0x%x retval 0x%x",
  },
  ioapic_eoi_broadcast: { parse: parseIoapicEoiBroadcast, format: "EOI broadcast for vector %d" },
  ioapic_set_remote_irr: { parse: parseIoapicSetRemoteIrr, format: "set remote irr for pin %d" },
  ioapic_clear_remote_irr: {
    parse: parseIoapicClearRemoteIrr,
    format: "clear remote irr for pin %d vector %d",
  },
  ioapic_eoi_delayed_reassert: {
    parse: parseIoapicEoiDelayedReassert,
    format: "delayed reassert on EOI broadcast for vector %d",
  },
  apic_deliver_irq: {
    parse: parseApicDeliverIrq,
    format: "dest %d dest_mode %d delivery_mode %d vector %d trigger_mode %d",
  },
};

function isEventName(name: string): name is EventName {
  return Object.hasOwn(EVENT_FORMATS, name);
}

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
