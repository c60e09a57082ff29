/**
 * `--rte PIN=0xHEX`: the IOAPIC state before a trace's first line, which the trace itself
 * cannot show. It becomes a preamble of guest writes (line 0), so that the reference and
 * every implementation reach that state the way they would reach it from a guest, and an
 * implementation builds its KVM routes from it exactly as its variant would.
 *
 * Decisions:
 * - PIN is decimal 0..23 (IOAPIC_NUM_PINS); the value is `0x` hex of at most 64 bits. Pins
 *   not given keep their reset value, 0x0000000000010000 (ioapic_reset_common).
 * - Bits 12 (delivery status) and 14 (remote IRR) are read-only: ioapic_mem_write keeps their
 *   old values whatever is written, so a preamble of writes could not produce a value that
 *   sets them. Such a value is rejected rather than silently changed. (QEMU never sets
 *   delivery status; a remote IRR left set by an interrupt before the trace began cannot be
 *   reproduced without that interrupt: start the trace earlier.)
 * - Each RTE is written high word first, then low, as Linux's `__ioapic_write_entry` does,
 *   so the entry is complete before a low-word unmask takes effect (semantics.md §6.1).
 * - Pins are written in ascending order.
 */
import { parseHexWords } from "../model/bits.ts";
import { rteHighReg, rteLowReg } from "../model/commands.ts";
import type { Result, TraceIssue } from "./issues.ts";
import type { TracedCommand } from "./types.ts";

export const IOAPIC_NUM_PINS = 24;

/** RTE bit 12, delivery status (RO). */
const DELIVERY_STATUS = 1 << 12;
/** RTE bit 14, remote IRR (RO). */
const REMOTE_IRR = 1 << 14;

export interface InitialRte {
  readonly pin: number;
  /** RTE bits 31:0. */
  readonly low: number;
  /** RTE bits 63:32. */
  readonly high: number;
}

const SYNTAX = /^(\d{1,3})=(0x[0-9a-fA-F]+)$/;

/** Parses one `PIN=0xHEX`; `path` names it in issues (e.g. `--rte[0]`). */
export function parseRteOption(text: string, path = "--rte"): Result<InitialRte> {
  const fail = (code: TraceIssue["code"], message: string): Result<InitialRte> => ({
    ok: false,
    issues: [{ path, code, message }],
  });
  const m = SYNTAX.exec(text.trim());
  if (m === null) return fail("rte-syntax", `"${text}" is not PIN=0xHEX (e.g. 5=0x0100000000008031)`);
  const pin = Number(m[1]);
  if (pin >= IOAPIC_NUM_PINS) return fail("rte-pin-range", `pin ${pin} is not an IOAPIC pin (0..23)`);
  const words = parseHexWords(m[2] ?? "", 2);
  if (words === null) return fail("rte-value-range", `${m[2]} does not fit in a 64-bit RTE`);
  const [low = 0, high = 0] = words;
  if (low & REMOTE_IRR) {
    return fail(
      "rte-read-only-bit",
      `pin ${pin}: bit 14 (remote IRR) is read-only; no write can set it, so the replay could not start in that state`,
    );
  }
  if (low & DELIVERY_STATUS) {
    return fail("rte-read-only-bit", `pin ${pin}: bit 12 (delivery status) is read-only and always 0 in QEMU`);
  }
  return { ok: true, value: { pin, low, high } };
}

/** Parses every `--rte` value; all issues are reported, not only the first. */
export function parseRteOptions(texts: readonly string[]): Result<readonly InitialRte[]> {
  const issues: TraceIssue[] = [];
  const rtes: InitialRte[] = [];
  const seen = new Map<number, number>();
  texts.forEach((text, i) => {
    const path = `--rte[${i}]`;
    const r = parseRteOption(text, path);
    if (!r.ok) {
      issues.push(...r.issues);
      return;
    }
    const first = seen.get(r.value.pin);
    if (first !== undefined) {
      issues.push({
        path,
        code: "rte-duplicate-pin",
        message: `pin ${r.value.pin} is already given by --rte[${first}]`,
      });
      return;
    }
    seen.set(r.value.pin, i);
    rtes.push(r.value);
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: rtes };
}

/** The guest writes that program `rtes` from reset, each on line 0. */
export function rtePreamble(rtes: readonly InitialRte[]): TracedCommand[] {
  return [...rtes]
    .sort((a, b) => a.pin - b.pin)
    .flatMap((r): TracedCommand[] => [
      { command: { op: "ioapic.write", reg: rteHighReg(r.pin), value: r.high }, line: 0 },
      { command: { op: "ioapic.write", reg: rteLowReg(r.pin), value: r.low }, line: 0 },
    ]);
}
