/** `irqcheck protocol-check CMD`: does a program speak the exec protocol (docs/protocol.md)? */
import { PROFILES } from "../properties/profiles/index.ts";
import { runConformance } from "../protocol/conformance.ts";
import { DEFAULT_TIMEOUT_MS } from "../protocol/exec-implementation.ts";
import { protocolJsonSchema } from "../protocol/schema.ts";
import { parse, parseCount } from "./args.ts";
import { durationMs } from "./command.ts";
import { EXIT, UsageError } from "./errors.ts";
import type { Io } from "./io.ts";
import { resolveProfile, resolveTopology } from "./resolve.ts";

export const PROTOCOL_CHECK_HELP = `usage: irqcheck protocol-check CMD [--profile NAME ...] [--sequences N] [--topology NAME|FILE]
                               [--timeout 10s]
       irqcheck protocol-check --print-schema
Starts CMD (through /bin/sh) and checks that it speaks the exec protocol: the hello, a
well-formed step for every command of a fixed set of sequences (--sequences seeded runs of
each profile, default all), the same answers twice, the same answers batched, an error
answer to a bad command, describe and digest when announced. One line per check.
--print-schema prints the JSON Schema of every message (docs/protocol.schema.json).
Exit 0: every check passed; 1: a check failed; 2: bad usage.`;

export async function protocolCheck(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    "protocol-check",
    argv,
    {
      profile: { type: "string", multiple: true },
      sequences: { type: "string" },
      topology: { type: "string" },
      timeout: { type: "string" },
      "print-schema": { type: "boolean" },
      help: { type: "boolean" },
    },
    true,
  );
  if (values.help) {
    io.out(PROTOCOL_CHECK_HELP);
    return EXIT.OK;
  }
  if (values["print-schema"]) {
    io.out(JSON.stringify(protocolJsonSchema(), null, 2));
    return EXIT.OK;
  }
  if (positionals.length !== 1)
    throw new UsageError(
      `irqcheck protocol-check: expected one program (quote a command with arguments), got ${positionals.length}`,
    );
  const program = positionals[0] ?? "";
  const profiles = (values.profile ?? Object.keys(PROFILES)).map(resolveProfile);
  const results = runConformance({
    program,
    topology: resolveTopology(values.topology ?? "default"),
    profiles,
    sequences: values.sequences === undefined ? 5 : parseCount("--sequences", values.sequences, 1, 1000),
    maxCommands: 40,
    timeoutMs: values.timeout === undefined ? DEFAULT_TIMEOUT_MS : durationMs(values.timeout, "--timeout"),
  });
  for (const r of results) io.out(`${r.ok ? "ok  " : "FAIL"} ${r.name.padEnd(12)} ${r.detail}`);
  const failed = results.filter((r) => !r.ok).length;
  io.out(
    failed === 0
      ? `protocol-check: ${program} speaks the protocol (${results.length} checks passed)`
      : `protocol-check: ${program}: ${failed} of ${results.length} checks failed`,
  );
  return failed === 0 ? EXIT.OK : EXIT.DIVERGED;
}
