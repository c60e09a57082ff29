/**
 * `irqcheck replay FILE`: re-run a saved counterexample against its own variant (or
 * another, to check a fix) and print it step by step in QEMU trace-event style. The
 * implementation runs in a sandbox worker: a crash or hang is reported at its step.
 */
import { formatDivergence, formatStep } from "../properties/report.ts";
import { defineCommand, text, value } from "./command.ts";
import { EXIT } from "./errors.ts";
import { checkOutputFile, writeReportFile } from "./files.ts";
import { exitStatus, impl, json, property, runTimeout } from "./flags.ts";
import { renderTimeline } from "./html.ts";
import type { Io } from "./io.ts";
import { failureLines, isolatedReplay, withSandbox } from "./isolated.ts";
import { chooseVariant, displayPath } from "./resolve.ts";
import { DEFAULT_RUN_TIMEOUT_MS } from "./sandbox.ts";
import { readCounterexample } from "./store.ts";

export const REPLAY = defineCommand({
  name: "replay",
  summary: "Re-runs a saved counterexample against its own variant (or another one, to check a fix).",
  positionals: { shown: "FILE", min: 1, max: 1 },
  description: [
    "Prints every step: the guest command, what QEMU/KVM did (ioapic_mem_write, route updates,",
    "kvm_set_irq, irqfd events), what the guest saw; the diverging step is marked with '>'.",
  ],
  flags: {
    variant: text("NAME", "run against this built-in variant", "the one the file names"),
    impl,
    property: { ...property, shownDefault: "the file's" },
    json,
    html: value("FILE", "also write a self-contained timeline page", (t) => t),
    "run-timeout": runTimeout,
  },
  conflicts: [["variant", "impl"]],
  exit: exitStatus("it refines the reference", "it diverges, or the implementation crashed or hung"),
});

export async function replay(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals, help } = REPLAY.parse(argv);
  if (help) {
    io.out(REPLAY.help());
    return EXIT.OK;
  }
  const file = positionals[0] ?? "";
  const c = readCounterexample(file);
  const variant = await chooseVariant(values, { file, variant: c.variant, impl: c.provenance.impl });
  const prop = values.property ?? c.property;
  if (values.html !== undefined) checkOutputFile("--html", values.html);
  const { replay: run, failure } = await withSandbox(values["run-timeout"] ?? DEFAULT_RUN_TIMEOUT_MS, (s) =>
    isolatedReplay(s, variant.spec, c.topology, c.commands, prop),
  );
  const d = run.divergence;
  if (values.html !== undefined) {
    writeReportFile(
      values.html,
      renderTimeline({ counterexample: c, file, variant: variant.name, property: prop, replay: run }),
      "timeline page",
    );
    io.err(`timeline page: ${displayPath(values.html)}`);
  }
  const diverged = d !== null || failure !== null;
  if (values.json === true) {
    io.out(
      JSON.stringify(
        {
          file,
          variant: variant.name,
          property: prop,
          diverged,
          step: failure?.step ?? d?.step ?? null,
          command: failure === null ? (d?.command ?? null) : (c.commands[failure.step] ?? null),
          expected: d?.allowed.map((a) => ({ observations: a.observations })) ?? [],
          actual: d === null ? null : { observations: d.actual.observations },
          steps: run.steps.length,
          ...(failure === null ? {} : { failure }),
        },
        null,
        2,
      ),
    );
    return diverged ? EXIT.DIVERGED : EXIT.OK;
  }
  io.out(`# ${c.title}`);
  io.out(
    `# ${file}: ${c.commands.length} commands, variant ${variant.name}, property ${prop}, topology ${c.topology.name} (APIC IDs ${c.topology.cpus.map((x) => x.apicId).join(",")})`,
  );
  if (c.known.length > 0) io.out(`# known divergence: ${c.known.join(", ")}`);
  if (c.classification !== undefined) io.out(`# triage: ${c.classification}`);
  if (failure !== null) {
    for (const s of run.steps) for (const line of formatStep(s.index, s)) io.out(line);
    for (const line of failureLines(failure, c.commands[failure.step])) io.out(line);
    return EXIT.DIVERGED;
  }
  if (d === null) {
    for (const s of run.steps) for (const line of formatStep(s.index, s)) io.out(line);
    io.out(`no divergence: ${variant.name} refines the reference on all ${run.steps.length} steps`);
    return EXIT.OK;
  }
  for (const line of formatDivergence(
    d,
    c.topology.cpus.map((x) => x.apicId),
  ))
    io.out(line);
  const last = run.steps.at(-1);
  if (last !== undefined && last.implState.length > 0)
    io.out(`    ${variant.name} state after the step: ${last.implState.join("; ")}`);
  return EXIT.DIVERGED;
}
