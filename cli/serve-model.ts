/**
 * `irqcheck serve-model`: the reference model (or a built-in variant) as an exec-protocol
 * program, a known-good peer for testing a harness: requests on stdin, answers on stdout.
 */
import { createInterface } from "node:readline";
import { modelImplementation } from "../properties/reference-implementation.ts";
import { ProtocolServer } from "../protocol/server.ts";
import { parse } from "./args.ts";
import { EXIT } from "./errors.ts";
import type { Io } from "./io.ts";
import { resolveVariants } from "./resolve.ts";

export const SERVE_MODEL_HELP = `usage: irqcheck serve-model [--variant NAME]
Answers the exec protocol (docs/protocol.md) on stdin/stdout with the reference model, or
with a built-in variant (--variant qemu-7.2: a peer that has the seed bug). Ends at EOF.
  irqcheck protocol-check 'npx irqcheck serve-model'
  irqcheck fuzz --impl "exec:npx irqcheck serve-model --variant qemu-7.2" --profile linux`;

export async function serveModel(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parse("serve-model", argv, { variant: { type: "string" }, help: { type: "boolean" } });
  if (values.help) {
    io.out(SERVE_MODEL_HELP);
    return EXIT.OK;
  }
  const [variant] = values.variant === undefined ? [] : resolveVariants([values.variant]);
  const server = new ProtocolServer(variant === undefined ? modelImplementation() : variant.create());
  const lines = createInterface({ input: process.stdin, crlfDelay: Number.POSITIVE_INFINITY });
  for await (const line of lines) {
    if (line.trim() === "") continue;
    process.stdout.write(`${server.handle(line).join("\n")}\n`);
  }
  return EXIT.OK;
}
