/**
 * `irqcheck replay FILE`: re-run a saved counterexample against its own variant (or
 * another, to check a fix) and print it step by step in QEMU trace-event style.
 */
import { writeFileSync } from "node:fs";
import { replayRun } from "../properties/replay.ts";
import { formatDivergence, formatStep } from "../properties/report.ts";
import { parse, parseProperty } from "./args.ts";
import { EXIT, UsageError } from "./errors.ts";
import { renderTimeline } from "./html.ts";
import type { Io } from "./io.ts";
import { loadImplementation, resolveVariants } from "./resolve.ts";
import { readCounterexample } from "./store.ts";

export const REPLAY_HELP = `usage: irqcheck replay FILE [--variant NAME | --impl PATH] [--property NAME] [--json] [--html FILE]
Re-runs a saved counterexample against its own variant (or another one, to check a fix) and
prints every step: the guest command, what QEMU/KVM did (ioapic_mem_write, route updates,
kvm_set_irq, irqfd events), what the guest saw; the diverging step is marked with '>'.
Exit 1 if it diverges.`;

export async function replay(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    "replay",
    argv,
    {
      variant: { type: "string" },
      impl: { type: "string" },
      property: { type: "string" },
      json: { type: "boolean" },
      html: { type: "string" },
      help: { type: "boolean" },
    },
    true,
  );
  if (values.help) {
    io.out(REPLAY_HELP);
    return EXIT.OK;
  }
  const [file, ...extra] = positionals;
  if (file === undefined || extra.length > 0)
    throw new UsageError("irqcheck replay: expected exactly one counterexample FILE");
  const c = readCounterexample(file);
  const variant =
    values.impl !== undefined
      ? await loadImplementation(values.impl)
      : resolveVariants([values.variant ?? c.variant])[0];
  if (variant === undefined) throw new UsageError("no variant");
  const property = values.property === undefined ? c.property : parseProperty(values.property);
  const run = replayRun(c.topology, variant.create(), c.commands, property);
  const d = run.divergence;
  if (values.html !== undefined) {
    writeFileSync(
      values.html,
      renderTimeline({ counterexample: c, file, variant: variant.name, property, replay: run }),
    );
  }
  if (values.json === true) {
    io.out(
      JSON.stringify(
        {
          file,
          variant: variant.name,
          property,
          diverged: d !== null,
          step: d?.step ?? null,
          command: d?.command ?? null,
          expected: d?.allowed.map((a) => ({ observations: a.observations })) ?? [],
          actual: d === null ? null : { observations: d.actual.observations },
          steps: run.steps.length,
        },
        null,
        2,
      ),
    );
    return d === null ? EXIT.OK : EXIT.DIVERGED;
  }
  io.out(`# ${c.title}`);
  io.out(
    `# ${file}: ${c.commands.length} commands, variant ${variant.name}, property ${property}, topology ${c.topology.name} (APIC IDs ${c.topology.cpus.map((x) => x.apicId).join(",")})`,
  );
  if (c.known.length > 0) io.out(`# known divergence: ${c.known.join(", ")}`);
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
