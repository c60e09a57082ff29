/**
 * `irqcheck import-trace FILE`: replay a QEMU IOAPIC trace (issue 6) against a variant and the
 * reference, and print it the way `replay` prints a counterexample, each step labelled with
 * the trace line it came from (line 0 is the `--rte` preamble).
 *
 * Decisions:
 * - Read checks: a logged `retval` is compared with what the *reference* reads at that
 *   command, from the reference run alone over the whole trace (first outcome where it has
 *   several; IOAPIC reads never depend on the choice). The variant's reads are already
 *   checked by the refinement checker; a mismatch says the trace and the reference disagree
 *   (state before the first line not given with --rte, or a reference bug). Mismatches are
 *   reported, they do not change the exit status.
 * - The topology is the default one with the CPUs replaced; the IOAPIC version comes from
 *   --ioapic-version, else from the trace (a VER read, an EOI register that acted), else 0x20.
 */
import { readFileSync } from "node:fs";
import { explainFinding } from "../impl/manifest.ts";
import { hex } from "../model/bits.ts";
import type { Command } from "../model/commands.ts";
import { defaultTopology, type Topology } from "../model/topology.ts";
import type { Divergence } from "../properties/checker.ts";
import { buildCounterexample } from "../properties/counterexample.ts";
import { modelImplementation } from "../properties/reference-implementation.ts";
import { replayRun } from "../properties/replay.ts";
import { formatDivergence, formatStep } from "../properties/report.ts";
import { signatureOf } from "../properties/signature.ts";
import { parseTopology } from "../properties/topology-file.ts";
import {
  excerpt,
  type ImportedTrace,
  importQemuTrace,
  parseRteOptions,
  rtePreamble,
  splitLines,
  type TracedCommand,
  type TraceIssue,
} from "../trace/index.ts";
import { parse, parseCount } from "./args.ts";
import { EXIT, UsageError } from "./errors.ts";
import type { Io } from "./io.ts";
import { resolveVariants } from "./resolve.ts";
import { saveCounterexample } from "./store.ts";

export const IMPORT_TRACE_HELP = `usage: irqcheck import-trace FILE --variant NAME [--cpus N | --apic-ids 0,1,...]
       [--rte PIN=0xHEX ...] [--ioapic-version 0x11|0x20] [--save DIR] [--json] [--verbose]
Rebuilds the guest's and the devices' actions from a QEMU trace (-trace 'ioapic_*', log
backend, with or without timestamps), runs them on the variant and on the reference, and
prints every step with the trace line it came from; the diverging step is marked with '>'.
  --cpus N          vCPUs with APIC IDs 0..N-1 (default 4)
  --apic-ids LIST   vCPU APIC IDs, e.g. 0,2,4,6
  --rte PIN=0xHEX   an RTE's value before the first line (repeatable; others are at reset)
  --ioapic-version  0x11 or 0x20 (default: what the trace shows, else 0x20)
  --save DIR        write the divergence as a counterexample (irqcheck replay can re-run it)
  --verbose         list the skipped lines
A logged read value the reference does not reproduce is reported as a mismatch.
Exit 1 if the variant diverges, 0 if not, 2 for bad input.`;

const PROPERTY = "delivery-log";

/** A traced IOWIN read whose logged value the reference does not reproduce. */
export interface ReadMismatch {
  readonly line: number;
  readonly reg: number;
  readonly traced: number;
  readonly reference: number;
}

export async function importTrace(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    "import-trace",
    argv,
    {
      variant: { type: "string" },
      cpus: { type: "string" },
      "apic-ids": { type: "string" },
      rte: { type: "string", multiple: true },
      "ioapic-version": { type: "string" },
      save: { type: "string" },
      json: { type: "boolean" },
      verbose: { type: "boolean" },
      help: { type: "boolean" },
    },
    true,
  );
  if (values.help) {
    io.out(IMPORT_TRACE_HELP);
    return EXIT.OK;
  }
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0)
    throw new UsageError("irqcheck import-trace: expected exactly one trace FILE");
  if (values.variant === undefined) throw new UsageError("irqcheck import-trace: --variant NAME is required");
  const [variant] = resolveVariants([values.variant]);
  if (variant === undefined) throw new UsageError("no variant");
  const givenVersion = parseVersion(values["ioapic-version"]);
  const apicIds = parseApicIds(values.cpus, values["apic-ids"]);
  const rtes = parseRteOptions(values.rte ?? []);
  if (!rtes.ok) throw issueError(rtes.issues);

  const text = readTrace(file);
  const imported = importQemuTrace(text, {
    path: file,
    ...(givenVersion === undefined ? {} : { ioapicVersion: givenVersion }),
  });
  if (!imported.ok) throw issueError(imported.issues);
  const trace = imported.value;
  const topology = traceTopology(apicIds, givenVersion ?? trace.ioapicVersion?.value ?? 0x20);
  const traced = [...rtePreamble(rtes.value), ...trace.commands];
  const commands = traced.map((t) => t.command);
  const run = replayRun(topology, variant.create(), commands, PROPERTY);
  const mismatches = readMismatches(topology, traced, trace);
  const d = run.divergence;
  const lineOf = (step: number): number => traced[step]?.line ?? 0;

  const saved =
    values.save === undefined || d === null
      ? null
      : save(values.save, variant.name, topology, commands.slice(0, d.step + 1), d, file);
  if (values.json === true) {
    io.out(
      JSON.stringify(
        {
          file,
          variant: variant.name,
          property: PROPERTY,
          diverged: d !== null,
          step: d?.step ?? null,
          line: d === null ? null : lineOf(d.step),
          command: d?.command ?? null,
          expected: d?.allowed.map((a) => ({ observations: a.observations })) ?? [],
          actual: d === null ? null : { observations: d.actual.observations },
          steps: run.steps.length,
          skippedLines: trace.skipped,
          mismatches,
          ...(saved === null ? {} : { saved: saved.file }),
        },
        null,
        2,
      ),
    );
    return d === null ? EXIT.OK : EXIT.DIVERGED;
  }

  const apicList = topology.cpus.map((c) => c.apicId);
  io.out(
    `# ${file}: ${trace.lines} lines, ${traced.length} commands (${traced.length - trace.commands.length} from --rte), ${trace.skipped.length} lines skipped${values.verbose === true ? "" : " (--verbose lists them)"}`,
  );
  io.out(
    `# variant ${variant.name}, property ${PROPERTY}, APIC IDs ${apicList.join(",")}, IOAPIC version ${hex(topology.ioapicVersion)} (${versionSource(givenVersion, trace)})`,
  );
  if (values.verbose === true)
    for (const s of trace.skipped) io.out(`# skipped line ${s.line} (${s.code}: ${s.reason}): ${s.text}`);
  for (const w of trace.warnings) io.out(`# warning: line ${w.line}: ${w.message} (${w.code})`);
  const steps =
    d === null
      ? run.steps.flatMap((s) => formatStep(s.index, s))
      : formatDivergence(d, apicList).map((l) =>
          l.startsWith("  DIVERGES") ? l.replace(/ \(/, ` (trace line ${lineOf(d.step)}, `) : l,
        );
  for (const l of labelSteps(steps, lineOf)) io.out(l);
  if (d !== null) {
    const source = splitLines(text)[lineOf(d.step) - 1];
    io.out(`    trace line ${lineOf(d.step)}: ${source === undefined ? "(--rte preamble)" : excerpt(source.text)}`);
    const last = run.steps.at(-1);
    if (last !== undefined && last.implState.length > 0)
      io.out(`    ${variant.name} state after the step: ${last.implState.join("; ")}`);
  } else {
    io.out(`no divergence: ${variant.name} refines the reference on all ${run.steps.length} steps`);
  }
  for (const m of mismatches)
    io.out(
      `mismatch: line ${m.line}: read of reg ${hex(m.reg, 2)} logged ${hex(m.traced)}, the reference reads ${hex(m.reference)}`,
    );
  if (saved !== null) io.out(`${saved.saved ? "saved" : "already saved"}: irqcheck replay ${saved.file}`);
  return d === null ? EXIT.OK : EXIT.DIVERGED;
}

/** One UsageError line per issue, naming the file or flag. */
function issueError(issues: readonly TraceIssue[]): UsageError {
  return new UsageError(issues.map((i) => `irqcheck import-trace: ${i.path}: ${i.message} (${i.code})`).join("\n"));
}

function readTrace(file: string): string {
  try {
    return readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(
      `irqcheck import-trace: ${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`,
    );
  }
}

function parseVersion(text: string | undefined): 0x11 | 0x20 | undefined {
  if (text === undefined) return undefined;
  const v = Number.parseInt(text, 16);
  if (/^0x(11|20)$/i.test(text.trim()) && (v === 0x11 || v === 0x20)) return v;
  throw new UsageError(`--ioapic-version: expected 0x11 (82093AA) or 0x20 (IOxAPIC), got "${text}"`);
}

/** `--cpus N` -> 0..N-1; `--apic-ids 0,2` as given; neither -> the default topology's. */
function parseApicIds(cpus: string | undefined, list: string | undefined): readonly number[] | undefined {
  if (cpus !== undefined && list !== undefined) throw new UsageError("--cpus and --apic-ids: give one, not both");
  if (cpus !== undefined) return Array.from({ length: parseCount("--cpus", cpus, 1, 32) }, (_, i) => i);
  if (list === undefined) return undefined;
  return list.split(",").map((x) => parseCount("--apic-ids", x.trim(), 0, 254));
}

function traceTopology(apicIds: readonly number[] | undefined, version: number): Topology {
  const base = defaultTopology();
  const candidate = {
    ...base,
    name: "import-trace",
    cpus: apicIds === undefined ? base.cpus : apicIds.map((apicId) => ({ apicId })),
    ioapicVersion: version,
  };
  const r = parseTopology(candidate);
  if (!r.ok) throw new UsageError(`--apic-ids: ${r.issues.map((i) => i.message).join("; ")}`);
  return r.value;
}

function versionSource(given: number | undefined, trace: ImportedTrace): string {
  if (given !== undefined) return "--ioapic-version";
  const seen = trace.ioapicVersion;
  if (seen === null) return "default; the trace does not show it";
  return `${seen.from === "ver-read" ? "VER read" : "EOI register"} on line ${seen.line}`;
}

/** Prefixes each `#N` step header that formatStep writes with its trace line. */
function labelSteps(lines: readonly string[], lineOf: (step: number) => number): string[] {
  return lines.map((l) =>
    l.replace(/^([ >])#(\d+) /, (_, marker: string, n: string) => `${marker}#${n} line ${lineOf(Number(n))}: `),
  );
}

/** The traced reads whose logged value the reference, run alone over the trace, does not read. */
export function readMismatches(
  topology: Topology,
  traced: readonly TracedCommand[],
  trace: Pick<ImportedTrace, "checks">,
): ReadMismatch[] {
  const reference = modelImplementation();
  reference.reset(topology);
  const readAt = new Map<number, number>();
  for (const t of traced) {
    const read = reference.apply(t.command).observations.find((o) => o.kind === "read");
    if (read?.kind === "read" && t.line > 0) readAt.set(t.line, read.value);
  }
  return trace.checks.flatMap((c) => {
    const value = readAt.get(c.line);
    return value === undefined || value === c.value
      ? []
      : [{ line: c.line, reg: c.reg, traced: c.value, reference: value }];
  });
}

function save(
  dir: string,
  variant: string,
  topology: Topology,
  commands: readonly Command[],
  d: Divergence,
  traceFile: string,
): { file: string; saved: boolean } {
  const signature = signatureOf(variant, d);
  return saveCounterexample(
    dir,
    buildCounterexample({
      variant,
      signature,
      known: explainFinding(variant, `${signature.op}/${signature.difference}`).map((k) => k.id),
      topology,
      commands,
      divergence: d,
      provenance: { tool: "irqcheck 0.1.0", date: new Date().toISOString(), source: "import-trace", traceFile },
    }),
  );
}
