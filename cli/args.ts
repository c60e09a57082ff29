/** Flag parsing on node:util parseArgs, with errors a user can act on. */
import { type ParseArgsConfig, parseArgs } from "node:util";
import { PROPERTIES, type Property } from "../properties/checker.ts";
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
    const message = e instanceof Error ? e.message.replace(/\. To specify a positional argument.*$/, "") : String(e);
    throw new UsageError(`irqcheck ${command}: ${message} (see irqcheck ${command} --help)`);
  }
}

/** `--time 60s`, `90`, `5m`, `1h`, `500ms` in milliseconds. */
export function parseDuration(flag: string, text: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) throw new UsageError(`${flag}: expected a duration like 20s, 5m or 500ms, got "${text}"`);
  const n = Number(m[1]);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[m[2] ?? "s"] ?? 1000;
  return n * unit;
}

export function parseCount(flag: string, text: string, min = 1, max = Number.MAX_SAFE_INTEGER): number {
  if (!/^\d+$/.test(text)) throw new UsageError(`${flag}: expected a whole number, got "${text}"`);
  const n = Number(text);
  if (n < min || n > max) throw new UsageError(`${flag}: expected ${min}..${max}, got ${n}`);
  return n;
}

/** `--shard K/N`: 0 <= K < N. */
export function parseShard(text: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(text);
  const index = Number(m?.[1]);
  const count = Number(m?.[2]);
  if (m === null || count < 1 || index >= count)
    throw new UsageError(`--shard: expected K/N with 0 <= K < N, got "${text}"`);
  return { index, count };
}

/** `--property NAME`: one of the checker's properties. */
export function parseProperty(text: string): Property {
  const p = PROPERTIES.find((x) => x === text);
  if (p === undefined) throw new UsageError(`--property: expected ${PROPERTIES.join(" or ")}, got "${text}"`);
  return p;
}
