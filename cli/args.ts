/**
 * Flag parsing for commands not (yet) described with cli/command.ts (`irqcheck real`):
 * node:util parseArgs with errors a user can act on.
 */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { wholeNumber } from "./command.ts";
import { UsageError } from "./errors.ts";

export type Options = NonNullable<ParseArgsConfig["options"]>;

export function parse<T extends Options>(command: string, argv: readonly string[], options: T, positionals = false) {
  try {
    return parseArgs({
      args: [...argv],
      options: { ...options, debug: { type: "boolean" as const } },
      allowPositionals: positionals,
      strict: true,
    });
  } catch (e) {
    const message = e instanceof Error ? e.message.replace(/\. To specify a positional argument.*$/s, "") : String(e);
    throw new UsageError(`irqcheck ${command}: ${message.replace(/\s+/g, " ")} (see irqcheck ${command} --help)`);
  }
}

export function parseCount(flag: string, text: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  return wholeNumber(text, flag, min, max);
}
