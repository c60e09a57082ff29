/**
 * `importQemuTrace`: a QEMU `log`-backend trace of the IOAPIC (`-trace 'ioapic_*'`, optionally
 * `-trace apic_deliver_irq`) -> the command sequence that reproduces the guest's and the
 * devices' actions, the reads to check, and the consequences QEMU traced.
 *
 * Lines that are not IOAPIC events (guest console, other subsystems, debug prints, a last line
 * cut short, binary data) are skipped with their line number and a reason, never fatal. Only
 * a file from which no command can be rebuilt is an error, returned as issues.
 */
import { hex } from "../model/bits.ts";
import type { Result, TraceIssue } from "./issues.ts";
import { excerpt, splitLines, tokenizeLine } from "./qemu-log.ts";
import { finish, newRebuild, onEvent } from "./rebuild.ts";
import type { ImportedTrace, SkippedLine, TraceWarning, VersionEvidence } from "./types.ts";

export interface ImportOptions {
  /** Name of the file, for issues. */
  readonly path?: string;
  /** `--ioapic-version`, if given: the trace is checked against it (a warning, not an error). */
  readonly ioapicVersion?: number;
}

export function importQemuTrace(file: string, options: ImportOptions = {}): Result<ImportedTrace> {
  const path = options.path ?? "<trace>";
  const lines = splitLines(file);
  const r = newRebuild();
  const skipped: SkippedLine[] = [];
  const extraWarnings: TraceWarning[] = [];
  let nonBlank = 0;
  let events = 0;
  const lastLine = lines.findLast((l) => l.text.trim() !== "")?.line;
  for (const l of lines) {
    const token = tokenizeLine(l.text, { terminated: l.terminated, last: l.line === lastLine });
    if (token.kind === "blank") continue;
    nonBlank++;
    if (token.kind === "skip") {
      skipped.push({ line: l.line, code: token.code, reason: token.reason, text: excerpt(l.text) });
      continue;
    }
    events++;
    const unused = onEvent(r, token.event, l.line);
    if (unused !== undefined) skipped.push({ line: l.line, ...unused, text: excerpt(l.text) });
    if (!l.terminated) {
      extraWarnings.push({
        line: l.line,
        code: "unterminated-last-line",
        message: "last line has no newline; it parsed, but if it was cut inside a number that number is wrong",
      });
    }
  }
  finish(r);

  if (r.commands.length === 0) return { ok: false, issues: [noCommands(path, nonBlank, events, skipped)] };
  const mismatch = versionMismatch(r.version, options.ioapicVersion);
  return {
    ok: true,
    value: {
      commands: r.commands,
      checks: r.checks,
      expectations: r.expectations,
      skipped,
      warnings: [...r.warnings, ...extraWarnings, ...(mismatch === null ? [] : [mismatch])].sort(
        (a, b) => a.line - b.line,
      ),
      lines: lines.length,
      ioapicVersion: r.version,
    },
  };
}

/** The one-line error for a file that rebuilds nothing: empty, binary, or no IOAPIC events. */
function noCommands(path: string, nonBlank: number, events: number, skipped: readonly SkippedLine[]): TraceIssue {
  if (nonBlank === 0) return { path, code: "empty", message: "the trace is empty" };
  const binary = skipped.filter((s) => s.code === "binary").length;
  if (binary * 2 > nonBlank) {
    return {
      path,
      code: "binary",
      message: `the file looks binary (${binary} of ${nonBlank} lines hold control characters or invalid UTF-8), not a QEMU log trace`,
    };
  }
  const seen = events === 0 ? "no IOAPIC events" : `${events} IOAPIC events but none that rebuilds a command`;
  return {
    path,
    code: "no-ioapic-events",
    message: `${seen} in ${nonBlank} lines; record with -trace 'ioapic_*' (log backend)`,
  };
}

function versionMismatch(seen: VersionEvidence | null, given: number | undefined): TraceWarning | null {
  if (seen === null || given === undefined || seen.value === given) return null;
  const how = seen.from === "ver-read" ? "a VER read returns" : "an EOI-register write acted, so the version is";
  return {
    line: seen.line,
    code: "version-mismatch",
    message: `${how} ${hex(seen.value)} but --ioapic-version is ${hex(given)}`,
  };
}
