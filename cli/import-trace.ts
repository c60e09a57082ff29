/**
 * `irqcheck import-trace FILE`: replay a QEMU IOAPIC trace against a variant and the
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
import { hex } from "../model/bits.ts";
import { defaultTopology, type Topology } from "../model/topology.ts";
import { faultDivergence } from "../properties/checker.ts";
import { modelImplementation } from "../properties/reference-implementation.ts";
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
import { count, defineCommand, repeatable, switchFlag, text, wholeNumber } from "./command.ts";
import { EXIT, UsageError } from "./errors.ts";
import { prepareOutputDirectory, readInputText } from "./files.ts";
import { FindingRecorder } from "./finding.ts";
import { exitStatus, json, runTimeout } from "./flags.ts";
import type { Io } from "./io.ts";
import { failureLines, isolatedReplay, isolatedTriage, withSandbox } from "./isolated.ts";
import { chooseVariant } from "./resolve.ts";
import { DEFAULT_RUN_TIMEOUT_MS } from "./sandbox.ts";

export const IMPORT_TRACE = defineCommand({
  name: "import-trace",
  summary: "Replays a QEMU IOAPIC trace against a variant and the reference.",
  positionals: { shown: "FILE", min: 1, max: 1 },
  description: [
    "Rebuilds the guest's and the devices' actions from a QEMU trace (-trace 'ioapic_*', log",
    "backend, with or without timestamps), runs them on the variant and on the reference, and",
    "prints every step with the trace line it came from; the diverging step is marked with '>'.",
    "A logged read value the reference does not reproduce is reported as a mismatch.",
  ],
  flags: {
    variant: text("NAME", "the built-in variant to run (required)"),
    cpus: count("N", "vCPUs with APIC IDs 0..N-1", { max: 32, shownDefault: "4" }),
    "apic-ids": text("LIST", "vCPU APIC IDs, e.g. 0,2,4,6"),
    rte: repeatable("PIN=0xHEX", "an RTE's value before the first line (others are at reset)"),
    "ioapic-version": text("0x11|0x20", "the IOAPIC version", "what the trace shows, else 0x20"),
    save: text("DIR", "write the divergence as a counterexample (irqcheck replay can re-run it)"),
    json,
    verbose: switchFlag("list the skipped lines"),
    "run-timeout": runTimeout,
  },
  conflicts: [["cpus", "apic-ids"]],
  requiresOneOf: ["variant"],
  exit: exitStatus(
    "no divergence",
    "the variant diverges (or crashes or hangs); 2 also for an empty, binary or IOAPIC-free trace",
  ),
});

/** Traces of a few minutes of guest activity are a few MiB. */
const TRACE_MAX_BYTES = 256 * 2 ** 20;

const PROPERTY = "delivery-log";

/** A traced IOWIN read whose logged value the reference does not reproduce. */
export interface ReadMismatch {
  readonly line: number;
  readonly reg: number;
  readonly traced: number;
  readonly reference: number;
}

export async function importTrace(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals, help } = IMPORT_TRACE.parse(argv);
  if (help) {
    io.out(IMPORT_TRACE.help());
    return EXIT.OK;
  }
  const file = positionals[0] ?? "";
  const variant = await chooseVariant({ variant: values.variant });
  const givenVersion = parseVersion(values["ioapic-version"]);
  const apicIds = parseApicIds(values.cpus, values["apic-ids"]);
  const rtes = parseRteOptions(values.rte ?? []);
  if (!rtes.ok) throw issueError(rtes.issues);

  if (values.save !== undefined) prepareOutputDirectory("--save", values.save);
  const text = readInputText(file, "trace", TRACE_MAX_BYTES);
  const imported = importQemuTrace(text, {
    path: file,
    ...(givenVersion === undefined ? {} : { ioapicVersion: givenVersion }),
  });
  if (!imported.ok) throw issueError(imported.issues);
  const trace = imported.value;
  const topology = traceTopology(apicIds, givenVersion ?? trace.ioapicVersion?.value ?? 0x20);
  const traced = [...rtePreamble(rtes.value), ...trace.commands];
  const commands = traced.map((t) => t.command);
  const { replay: run, failure } = await withSandbox(values["run-timeout"] ?? DEFAULT_RUN_TIMEOUT_MS, (sandbox) =>
    isolatedReplay(sandbox, variant.spec, topology, commands, PROPERTY),
  );
  const mismatches = readMismatches(topology, traced, trace);
  const d = run.divergence;
  const lineOf = (step: number): number => traced[step]?.line ?? 0;

  const failed =
    failure === null
      ? d
      : faultDivergence(topology, PROPERTY, commands.slice(0, failure.step + 1), {
          kind: failure.kind,
          message: failure.message,
        });
  const savedCommands = commands.slice(0, (failed?.step ?? 0) + 1);
  const signature = failed === null ? null : signatureOf(variant.name, failed);
  const classification =
    values.save === undefined || signature === null || failure !== null
      ? null
      : await withSandbox(values["run-timeout"] ?? DEFAULT_RUN_TIMEOUT_MS, (sandbox) =>
          isolatedTriage(
            sandbox,
            variant.spec,
            { topology, commands: savedCommands, property: PROPERTY },
            signature,
            undefined,
          ),
        );
  const saved =
    values.save === undefined || failed === null || signature === null
      ? null
      : new FindingRecorder({ out: values.save, topology, source: "import-trace", io, human: false }).record({
          signature,
          classification,
          commands: savedCommands,
          divergence: failed,
          provenance: { traceFile: file },
        });
  if (values.json === true) {
    io.out(
      JSON.stringify(
        {
          file,
          variant: variant.name,
          property: PROPERTY,
          diverged: failed !== null,
          step: failed?.step ?? null,
          line: failed === null ? null : lineOf(failed.step),
          command: failed?.command ?? null,
          expected: d?.allowed.map((a) => ({ observations: a.observations })) ?? [],
          actual: d === null ? null : { observations: d.actual.observations },
          steps: run.steps.length,
          skippedLines: trace.skipped,
          mismatches,
          ...(failure === null ? {} : { failure }),
          ...(saved === null ? {} : { saved: saved.file }),
        },
        null,
        2,
      ),
    );
    return failed === null ? EXIT.OK : EXIT.DIVERGED;
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
    failure !== null
      ? [...run.steps.flatMap((s) => formatStep(s.index, s)), ...failureLines(failure, commands[failure.step])]
      : d === null
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
  } else if (failure === null) {
    io.out(`no divergence: ${variant.name} refines the reference on all ${run.steps.length} steps`);
  }
  for (const m of mismatches)
    io.out(
      `mismatch: line ${m.line}: read of reg ${hex(m.reg, 2)} logged ${hex(m.traced)}, the reference reads ${hex(m.reference)}`,
    );
  if (saved !== null) io.out(`${saved.saved ? "saved" : "already saved"}: irqcheck replay ${saved.file}`);
  return failed === null ? EXIT.OK : EXIT.DIVERGED;
}

/** One UsageError line per issue, naming the file or flag. */
function issueError(issues: readonly TraceIssue[]): UsageError {
  return new UsageError(issues.map((i) => `irqcheck import-trace: ${i.path}: ${i.message} (${i.code})`).join("\n"));
}

function parseVersion(text: string | undefined): 0x11 | 0x20 | undefined {
  if (text === undefined) return undefined;
  const v = Number.parseInt(text, 16);
  if (/^0x(11|20)$/i.test(text.trim()) && (v === 0x11 || v === 0x20)) return v;
  throw new UsageError(`--ioapic-version: expected 0x11 (82093AA) or 0x20 (IOxAPIC), got "${text}"`);
}

/** `--cpus N` -> 0..N-1; `--apic-ids 0,2` as given; neither -> the default topology's. */
function parseApicIds(cpus: number | undefined, list: string | undefined): readonly number[] | undefined {
  if (cpus !== undefined) return Array.from({ length: cpus }, (_, i) => i);
  if (list === undefined) return undefined;
  return list.split(",").map((x) => wholeNumber(x, "--apic-ids", 0, 254));
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
