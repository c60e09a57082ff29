/** The irqcheck command: dispatch, help, and the one place errors become exit codes. */
import { EXIT, InputError, UsageError } from "./errors.ts";
import { explore } from "./explore.ts";
import { fuzz } from "./fuzz.ts";
import { importTrace } from "./import-trace.ts";
import { type Io, processIo } from "./io.ts";
import { matrix } from "./matrix.ts";
import { merge } from "./merge.ts";
import { protocolCheck } from "./protocol-check.ts";
import { real } from "./real.ts";
import { regress } from "./regress.ts";
import { replay } from "./replay.ts";
import { scenarios } from "./scenarios.ts";
import { serveModel } from "./serve-model.ts";
import { variants } from "./variants.ts";

type Subcommand = (argv: readonly string[], io: Io) => Promise<number>;

const COMMANDS: Readonly<Record<string, { run: Subcommand; summary: string }>> = {
  fuzz: { run: fuzz, summary: "run a fuzz campaign against variants; shrink and save every new divergence" },
  explore: {
    run: explore,
    summary: "exhaustive bounded BFS: a shortest counterexample, or no divergence up to depth D",
  },
  replay: { run: replay, summary: "re-run a saved counterexample step by step (trace text, --json, --html)" },
  regress: {
    run: regress,
    summary: "replay every saved counterexample against its variant and the variants that fix it",
  },
  variants: { run: variants, summary: "list the built-in variants, what they mirror and their expected verdicts" },
  matrix: { run: matrix, summary: "every variant x profile: verdicts and time to first divergence" },
  merge: { run: merge, summary: "merge the counterexample folders of several shards, one file per signature" },
  "import-trace": {
    run: importTrace,
    summary: "replay a QEMU IOAPIC trace (-trace 'ioapic_*') against a variant and the reference",
  },
  real: { run: real, summary: "run counterexamples, scenarios or a campaign in the real QEMU + KVM and compare" },
  scenarios: { run: scenarios, summary: "the scenario library on the reference and every variant (delivery-log)" },
  "protocol-check": {
    run: protocolCheck,
    summary: "does a program speak the exec protocol? shape, determinism, batching (docs/protocol.md)",
  },
  "serve-model": {
    run: serveModel,
    summary: "the reference model (or a variant) as an exec-protocol program on stdin/stdout",
  },
};

export const HELP = `irqcheck: refinement checking of x86 interrupt routing (QEMU IOAPIC, VT-d IR, KVM split irqchip)
against translate-at-delivery semantics.

usage: irqcheck <command> [options]   (irqcheck <command> --help for its options)

${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(10)} ${c.summary}`)
  .join("\n")}

Exit status: 0 no divergence, 1 divergence found, 2 bad usage or bad input.`;

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  const debug = argv.includes("--debug");
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(HELP);
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    io.err(`irqcheck: unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(", ")})`);
    return EXIT.USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError || e instanceof InputError) {
      io.err(e.message);
      if (debug && e.stack !== undefined) io.err(e.stack);
      return EXIT.USAGE;
    }
    io.err(
      `irqcheck ${name}: internal error: ${e instanceof Error ? e.message : String(e)}${debug ? "" : " (--debug for the stack)"}`,
    );
    if (debug && e instanceof Error && e.stack !== undefined) io.err(e.stack);
    return 3;
  }
}
