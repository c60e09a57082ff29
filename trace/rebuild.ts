/**
 * Event -> command, one QEMU function at a time (hw/intc/ioapic.c; semantics.md §1.6-1.9):
 *
 * - ioapic_mem_write, offset IOREGSEL: the selector := val & 0xFF (the field is uint8_t); no
 *   command, the next IOWIN access carries it.
 * - ioapic_mem_write, IOWIN, size 4: `ioapic.write {reg, value}`. Other sizes: QEMU ignores.
 * - ioapic_mem_write, EOI (0x40), size 4: `ioapic.eoi {vector: val}` (the full 32 bits, as QEMU
 *   passes them). The `ioapic_eoi_broadcast` it traces next is its consequence, not a command.
 * - ioapic_mem_read, IOWIN, size 4: `ioapic.read {reg}` plus a check of the logged value.
 * - ioapic_set_irq: `line.set` (input 0 drives pin 2; inputs >= 24 are ignored by QEMU).
 * - ioapic_eoi_broadcast: `eoi.broadcast {vector}` (a LAPIC EOI reaching the IOAPIC).
 * - ioapic_set_remote_irr, ioapic_clear_remote_irr, ioapic_eoi_delayed_reassert,
 *   apic_deliver_irq: expectations attached to the last command.
 *
 * The selector an access used is the `regsel` QEMU logged with it (s->ioregsel at that
 * moment). It is also tracked from IOREGSEL writes; a disagreement means lines are missing.
 */
import { hex } from "../model/bits.ts";
import type { Command } from "../model/commands.ts";
import type { TraceEvent } from "./qemu-events.ts";
import type { SkipCode } from "./qemu-log.ts";
import type {
  Expectation,
  ExpectationBody,
  ReadCheck,
  TracedCommand,
  TraceWarning,
  TraceWarningCode,
  VersionEvidence,
} from "./types.ts";

/** MMIO offsets within the 256-byte block (ioapic_internal.h IOAPIC_IOREGSEL/IOWIN/EOI). */
const IOREGSEL = 0x00;
const IOWIN = 0x10;
const EOI = 0x40;
/** IOREGSEL index of the version register (82093AA §3.2.2). */
const REG_VER = 0x01;
const IOAPIC_NUM_PINS = 24;

export interface Rebuild {
  readonly commands: TracedCommand[];
  readonly checks: ReadCheck[];
  readonly expectations: Expectation[];
  readonly warnings: TraceWarning[];
  /** IOREGSEL as the trace last showed it; null until the first access. */
  selector: number | null;
  /** An EOI-register write waiting for the `ioapic_eoi_broadcast` it runs. */
  pendingEoi: { readonly vector: number; readonly line: number } | null;
  version: VersionEvidence | null;
}

export function newRebuild(): Rebuild {
  return { commands: [], checks: [], expectations: [], warnings: [], selector: null, pendingEoi: null, version: null };
}

/** Why an event rebuilt nothing; undefined when it was used. */
export type Unused = { readonly code: SkipCode; readonly reason: string } | undefined;

export function onEvent(r: Rebuild, e: TraceEvent, line: number): Unused {
  if (r.pendingEoi !== null) {
    const pending = r.pendingEoi;
    r.pendingEoi = null;
    // ioapic_eoi_broadcast(int vector) is called with the 32-bit val: compare as C would print it.
    if (e.name === "ioapic_eoi_broadcast" && e.vector === (pending.vector | 0)) {
      r.version ??= { value: 0x20, line: pending.line, from: "eoi-register" };
      return expect(r, line, { kind: "eoi-broadcast", vector: pending.vector });
    }
    warnNoBroadcast(r, pending.line);
  }
  switch (e.name) {
    case "ioapic_mem_write":
      return onMemWrite(r, e, line);
    case "ioapic_mem_read":
      return onMemRead(r, e, line);
    case "ioapic_set_irq":
      return onSetIrq(r, e, line);
    case "ioapic_eoi_broadcast":
      return command(r, line, { op: "eoi.broadcast", vector: e.vector >>> 0 });
    case "ioapic_set_remote_irr":
      return pinInRange(e.pin) ?? expect(r, line, { kind: "remote-irr-set", pin: e.pin });
    case "ioapic_clear_remote_irr":
      return pinInRange(e.pin) ?? expect(r, line, { kind: "remote-irr-clear", pin: e.pin, vector: e.vector });
    case "ioapic_eoi_delayed_reassert":
      // ioapic_eoi_broadcast passes the pin n, although the format says "vector".
      return pinInRange(e.vector) ?? expect(r, line, { kind: "delayed-reassert", pin: e.vector });
    case "apic_deliver_irq": {
      const { dest, destMode, deliveryMode, vector, triggerMode } = e;
      return expect(r, line, { kind: "apic-deliver", dest, destMode, deliveryMode, vector, triggerMode });
    }
  }
}

/** Call after the last line. */
export function finish(r: Rebuild): void {
  if (r.pendingEoi !== null) warnNoBroadcast(r, r.pendingEoi.line);
  r.pendingEoi = null;
}

type MemWrite = Extract<TraceEvent, { name: "ioapic_mem_write" }>;
type MemRead = Extract<TraceEvent, { name: "ioapic_mem_read" }>;
type SetIrq = Extract<TraceEvent, { name: "ioapic_set_irq" }>;

/** ioapic_mem_write: switch on the (already masked) offset. */
function onMemWrite(r: Rebuild, e: MemWrite, line: number): Unused {
  switch (e.addr) {
    case IOREGSEL:
      selectorUsed(r, e.regsel, line);
      r.selector = e.val & 0xff;
      return undefined;
    case IOWIN:
      if (e.size !== 4) return noEffect(`QEMU ignores IOWIN writes of size ${e.size} (only 4 acts)`);
      return command(r, line, { op: "ioapic.write", reg: selectorUsed(r, e.regsel, line), value: e.val });
    case EOI:
      if (e.size !== 4) return noEffect(`QEMU ignores EOI-register writes of size ${e.size} (only 4 acts)`);
      r.pendingEoi = { vector: e.val, line };
      return command(r, line, { op: "ioapic.eoi", vector: e.val });
    default:
      return noEffect(`QEMU ignores writes to offset ${hex(e.addr)} (only 0x0, 0x10 and 0x40 act)`);
  }
}

/** ioapic_mem_read: only a 32-bit IOWIN read observes a register. */
function onMemRead(r: Rebuild, e: MemRead, line: number): Unused {
  if (e.addr === IOREGSEL) {
    selectorUsed(r, e.regsel, line);
    return noEffect("IOREGSEL read: no command reads the selector");
  }
  if (e.addr !== IOWIN) return noEffect(`reads of offset ${hex(e.addr)} return 0 in QEMU`);
  if (e.size !== 4) return noEffect(`QEMU returns 0 for IOWIN reads of size ${e.size}`);
  const reg = selectorUsed(r, e.regsel, line);
  r.checks.push({ line, reg, value: e.retval });
  if (reg === REG_VER) r.version ??= { value: e.retval & 0xff, line, from: "ver-read" };
  return command(r, line, { op: "ioapic.read", reg });
}

/** ioapic_set_irq: ISA IRQ0 drives GSI 2; `if (level)` is the only test of the level. */
function onSetIrq(r: Rebuild, e: SetIrq, line: number): Unused {
  const pin = e.vector === 0 ? 2 : e.vector;
  if (pin < 0 || pin >= IOAPIC_NUM_PINS) {
    return { code: "out-of-range", reason: `input ${e.vector} is not an IOAPIC pin (0..23): QEMU ignores it` };
  }
  return command(r, line, { op: "line.set", pin, level: e.level !== 0 ? 1 : 0 });
}

/** The selector an access used: the logged one, checked against the tracked one. */
function selectorUsed(r: Rebuild, logged: number, line: number): number {
  if (r.selector !== null && r.selector !== logged) {
    warn(
      r,
      line,
      "selector-mismatch",
      `regsel ${hex(logged)} logged, but the trace last selected ${hex(r.selector)}: lines are missing; using ${hex(logged)}`,
    );
  }
  r.selector = logged;
  return logged;
}

function pinInRange(pin: number): Unused {
  return pin >= 0 && pin < IOAPIC_NUM_PINS
    ? undefined
    : { code: "out-of-range", reason: `pin ${pin} is not an IOAPIC pin (0..23)` };
}

function command(r: Rebuild, line: number, c: Command): Unused {
  r.commands.push({ command: c, line });
  return undefined;
}

function expect(r: Rebuild, line: number, body: ExpectationBody): Unused {
  const afterLine = r.commands.at(-1)?.line ?? null;
  r.expectations.push({ line, afterLine, ...body });
  return undefined;
}

function noEffect(reason: string): Unused {
  return { code: "no-effect", reason };
}

function warnNoBroadcast(r: Rebuild, line: number): void {
  warn(
    r,
    line,
    "eoi-register-without-broadcast",
    "EOI-register write not followed by ioapic_eoi_broadcast: a version 0x11 IOAPIC (QEMU ignores the write) or the event was not traced",
  );
}

function warn(r: Rebuild, line: number, code: TraceWarningCode, message: string): void {
  r.warnings.push({ line, code, message });
}
