/** The irqcheck command: dispatch, help, and the one place errors become exit codes. */
import { EXIT, UsageError } from "./errors.ts";
import { EXPLORE, explore } from "./explore.ts";
import { FUZZ, fuzz } from "./fuzz.ts";
import { IMPORT_TRACE, importTrace } from "./import-trace.ts";
import { type Io, processIo } from "./io.ts";
import { MATRIX, matrix } from "./matrix.ts";
import { MERGE, merge } from "./merge.ts";
import { protocolCheck } from "./protocol-check.ts";
import { real } from "./real.ts";
import { REGRESS, regress } from "./regress.ts";
import { REPLAY, replay } from "./replay.ts";
import { SCENARIOS_COMMAND, scenarios } from "./scenarios.ts";
import { serveModel } from "./serve-model.ts";
import { VARIANTS_COMMAND, variants } from "./variants.ts";
import { TOOL } from "./version.ts";

type Subcommand = (argv: readonly string[], io: Io) => Promise<number>;

const COMMANDS: Readonly<Record<string, { run: Subcommand; summary: string }>> = {
  fuzz: { run: fuzz, summary: FUZZ.spec.summary },
  explore: { run: explore, summary: EXPLORE.spec.summary },
  replay: { run: replay, summary: REPLAY.spec.summary },
  regress: { run: regress, summary: REGRESS.spec.summary },
  variants: { run: variants, summary: VARIANTS_COMMAND.spec.summary },
  matrix: { run: matrix, summary: MATRIX.spec.summary },
  merge: { run: merge, summary: MERGE.spec.summary },
  "import-trace": { run: importTrace, summary: IMPORT_TRACE.spec.summary },
  real: { run: real, summary: "Runs counterexamples, scenarios or a campaign in the real QEMU + KVM and compares." },
  scenarios: { run: scenarios, summary: SCENARIOS_COMMAND.spec.summary },
  "protocol-check": {
    run: protocolCheck,
    summary: "Checks that a program speaks the exec protocol: shape, determinism, batching (docs/protocol.md).",
  },
  "serve-model": {
    run: serveModel,
    summary: "Serves the reference model (or a variant) as an exec-protocol program on stdin/stdout.",
  },
};

export const HELP = `irqcheck: refinement checking of x86 interrupt routing (QEMU IOAPIC, VT-d IR, KVM split irqchip)
against translate-at-delivery semantics.

usage: irqcheck <command> [options]   (irqcheck <command> --help for its options)
       irqcheck --version

${Object.entries(COMMANDS)
  .map(([name, c]) => `  ${name.padEnd(12)} ${c.summary}`)
  .join("\n")}

Exit status: 0 no divergence; 1 divergence found (an implementation's crash or hang included);
2 bad usage or bad input (one line naming the flag, file or field); 3 an internal error of
irqcheck itself (a bug: please report it, with the output of --debug).`;

export async function main(argv: readonly string[], io: Io = processIo): Promise<number> {
  const [name, ...rest] = argv;
  const debug = argv.includes("--debug");
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    io.out(HELP);
    return name === undefined ? EXIT.USAGE : EXIT.OK;
  }
  if (name === "--version" || name === "-V" || name === "version") {
    io.out(TOOL);
    return EXIT.OK;
  }
  const command = Object.hasOwn(COMMANDS, name) ? COMMANDS[name] : undefined;
  if (command === undefined) {
    io.err(`irqcheck: unknown command "${name}" (commands: ${Object.keys(COMMANDS).join(", ")})`);
    return EXIT.USAGE;
  }
  try {
    return await command.run(rest, io);
  } catch (e) {
    if (e instanceof UsageError) {
      io.err(e.message);
      if (debug && e.stack !== undefined) io.err(e.stack);
      return EXIT.USAGE;
    }
    io.err(
      `irqcheck ${name}: internal error: ${e instanceof Error ? e.message : String(e)}${debug ? "" : " (--debug for the stack)"}`,
    );
    if (debug && e instanceof Error && e.stack !== undefined) io.err(e.stack);
    return EXIT.INTERNAL;
  }
}
