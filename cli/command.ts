/**
 * One declarative description per command: its flags (type, value name, help, default,
 * how a value is converted and checked), positionals, pairs of flags that exclude each
 * other, and exit statuses. The parser and the help text are both generated from it, so
 * they cannot drift apart, and every flag value is checked before any work starts.
 *
 * Built on node:util parseArgs (tokenizing only). A table of our own rather than
 * commander: commander's strength is sub-command trees and option inheritance, which
 * irqcheck does not need, while what it does need (conversion with one-line errors that
 * name the flag, negative numbers as values, conflicts, generated help in our layout) is
 * the same few lines either way and this keeps the error wording and exit codes ours.
 */
import { parseArgs } from "node:util";
import { UsageError } from "./errors.ts";

/** A flag that takes a value, converted (and checked) by `convert`, which throws UsageError. */
export interface ValueFlag<T> {
  readonly kind: "value";
  /** The value's name in help (`--time T`). */
  readonly meta: string;
  readonly help: string;
  /** Shown in help as "(default: ...)". */
  readonly shownDefault?: string;
  readonly repeatable?: boolean;
  readonly convert: (text: string, flag: string) => T;
}

export interface SwitchFlag {
  readonly kind: "switch";
  readonly help: string;
}

export type Flag = ValueFlag<unknown> | SwitchFlag;

export interface CommandSpec<F extends Readonly<Record<string, Flag>>> {
  readonly name: string;
  readonly summary: string;
  /** Positional arguments as help shows them (`FILE`, `[DIR]`, `DIR...`), and how many are allowed. */
  readonly positionals?: { readonly shown: string; readonly min: number; readonly max: number };
  readonly description: readonly string[];
  readonly flags: F;
  /** Flags that cannot be given together. */
  readonly conflicts?: readonly (readonly [keyof F & string, keyof F & string])[];
  /** At least one of these must be given. */
  readonly requiresOneOf?: readonly (keyof F & string)[];
  readonly exit: string;
}

type Values<F> = {
  -readonly [K in keyof F]: F[K] extends ValueFlag<infer T>
    ? F[K] extends { readonly repeatable: true }
      ? T[] | undefined
      : T | undefined
    : boolean;
};

export interface Parsed<F> {
  readonly values: Values<F>;
  readonly positionals: string[];
  readonly help: boolean;
}

/** A number-looking token after a value flag is its value (`--seed -1`), not an option. */
function joinNegativeValues(argv: readonly string[], valueFlags: ReadonlySet<string>): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    const next = argv[i + 1];
    if (valueFlags.has(a) && next !== undefined && /^-[\d.]/.test(next)) {
      out.push(`${a}=${next}`);
      i++;
    } else out.push(a);
  }
  return out;
}

export function defineCommand<F extends Readonly<Record<string, Flag>>>(spec: CommandSpec<F>) {
  const entries = Object.entries(spec.flags) as [string, Flag][];
  const valueFlags = new Set(entries.filter(([, f]) => f.kind === "value").map(([k]) => `--${k}`));

  function help(): string {
    const flagText = (k: string, f: Flag) => (f.kind === "value" ? `--${k} ${f.meta}` : `--${k}`);
    const width = Math.max(...entries.map(([k, f]) => flagText(k, f).length), 6);
    const lines = [
      `usage: irqcheck ${spec.name}${spec.positionals === undefined ? "" : ` ${spec.positionals.shown}`} [options]`,
      spec.summary,
      ...spec.description,
      "",
      "options:",
      ...entries.map(([k, f]) => {
        const extra = [
          f.kind === "value" && f.repeatable === true ? "repeatable" : "",
          f.kind === "value" && f.shownDefault !== undefined ? `default: ${f.shownDefault}` : "",
        ].filter((x) => x !== "");
        return `  ${flagText(k, f).padEnd(width)}  ${f.help}${extra.length > 0 ? ` (${extra.join("; ")})` : ""}`;
      }),
      `  ${"--help".padEnd(width)}  this text`,
      `  ${"--debug".padEnd(width)}  print the stack of an internal error`,
      ...(spec.conflicts === undefined || spec.conflicts.length === 0
        ? []
        : [`Not together: ${spec.conflicts.map(([a, b]) => `--${a} and --${b}`).join("; ")}.`]),
      spec.exit,
    ];
    return lines.join("\n");
  }

  function parse(argv: readonly string[]): Parsed<F> {
    const fail = (message: string): never => {
      throw new UsageError(`irqcheck ${spec.name}: ${message} (see irqcheck ${spec.name} --help)`);
    };
    let tokens: ReturnType<typeof parseArgs>;
    try {
      tokens = parseArgs({
        args: joinNegativeValues(argv, valueFlags),
        options: {
          ...Object.fromEntries(
            entries.map(([k, f]) => [
              k,
              f.kind === "value"
                ? { type: "string" as const, multiple: f.repeatable === true }
                : { type: "boolean" as const },
            ]),
          ),
          help: { type: "boolean" },
          debug: { type: "boolean" },
        },
        allowPositionals: spec.positionals !== undefined,
        strict: true,
      });
    } catch (e) {
      const message = e instanceof Error ? e.message : String(e);
      return fail(message.replace(/\. To specify a positional argument.*$/s, "").replace(/\s+/g, " "));
    }
    const raw = tokens.values as Record<string, string | string[] | boolean | undefined>;
    if (raw.help === true) return { values: {} as Values<F>, positionals: [], help: true };
    for (const [a, b] of spec.conflicts ?? []) {
      if (raw[a] !== undefined && raw[b] !== undefined) fail(`use --${a} or --${b}, not both`);
    }
    const oneOf = spec.requiresOneOf ?? [];
    if (oneOf.length > 0 && oneOf.every((k) => raw[k] === undefined))
      fail(`give ${oneOf.map((k) => `--${k}`).join(" or ")}`);
    const positionals = tokens.positionals;
    const p = spec.positionals;
    if (p !== undefined && (positionals.length < p.min || positionals.length > p.max)) {
      const n = (k: number) => `${k} argument${k === 1 ? "" : "s"}`;
      const expected =
        p.min === p.max
          ? n(p.min)
          : p.max === Number.POSITIVE_INFINITY
            ? `at least ${n(p.min)}`
            : p.min === 0
              ? `at most ${n(p.max)}`
              : `${p.min} to ${p.max} arguments`;
      const got = positionals.length > 0 ? `: ${positionals.join(" ")}` : "";
      fail(`expected ${expected} (${p.shown}), got ${positionals.length}${got}`);
    }
    const values: Record<string, unknown> = {};
    for (const [k, f] of entries) {
      const v = raw[k];
      if (f.kind === "switch") values[k] = v === true;
      else if (v === undefined) values[k] = undefined;
      else if (Array.isArray(v)) values[k] = v.map((x) => f.convert(x, `--${k}`));
      else if (typeof v === "string") values[k] = f.convert(v, `--${k}`);
    }
    return { values: values as Values<F>, positionals, help: false };
  }

  return { spec, help, parse };
}

// Value kinds shared by the commands.

/** A value converted by `convert` (which throws UsageError naming the flag); never empty. */
export function value<T>(
  meta: string,
  help: string,
  convert: (text: string, flag: string) => T,
  shownDefault?: string,
): ValueFlag<T> {
  return {
    kind: "value",
    meta,
    help,
    ...(shownDefault === undefined ? {} : { shownDefault }),
    convert: (t, flag) => {
      if (t.trim() === "") throw new UsageError(`${flag}: expected ${meta}, got an empty value`);
      return convert(t, flag);
    },
  };
}

export const text = (meta: string, help: string, shownDefault?: string): ValueFlag<string> =>
  value(meta, help, (t) => t, shownDefault);

export const repeatable = (meta: string, help: string, shownDefault?: string) =>
  ({ ...text(meta, help, shownDefault), repeatable: true }) as const;

export const switchFlag = (help: string): SwitchFlag => ({ kind: "switch", help });

/** A whole number in [min, max]: 0 and negatives are rejected unless min allows them. */
export function wholeNumber(text: string, flag: string, min: number, max: number): number {
  const t = text.trim();
  if (!/^[+-]?\d+$/.test(t))
    throw new UsageError(`${flag}: expected a whole number from ${min} to ${max}, got "${text}"`);
  const n = Number(t);
  if (!Number.isSafeInteger(n) || n < min || n > max)
    throw new UsageError(`${flag}: expected a whole number from ${min} to ${max}, got ${t}`);
  return n;
}

export const count = (
  meta: string,
  help: string,
  range: { min?: number; max?: number; shownDefault?: string } = {},
): ValueFlag<number> => ({
  kind: "value",
  meta,
  help,
  ...(range.shownDefault === undefined ? {} : { shownDefault: range.shownDefault }),
  convert: (t, flag) => wholeNumber(t, flag, range.min ?? 1, range.max ?? Number.MAX_SAFE_INTEGER),
});

const UNITS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };
/** setTimeout's limit, about 24.8 days. */
const MAX_DURATION_MS = 2 ** 31 - 1;

/** `60s`, `90` (seconds), `5m`, `1h`, `500ms`: milliseconds, more than 0. */
export function durationMs(text: string, flag: string): number {
  const m = /^(\d+(?:\.\d+)?)(ms|s|m|h)?$/.exec(text.trim());
  if (m === null) throw new UsageError(`${flag}: expected a duration like 20s, 5m or 500ms, got "${text}"`);
  const ms = Number(m[1]) * (UNITS[m[2] ?? "s"] ?? 1000);
  if (!(ms >= 1)) throw new UsageError(`${flag}: expected a duration of at least 1ms, got "${text}"`);
  if (ms > MAX_DURATION_MS) throw new UsageError(`${flag}: expected at most 24 days, got "${text}"`);
  return ms;
}

export const duration = (help: string, shownDefault?: string): ValueFlag<number> => ({
  kind: "value",
  meta: "T",
  help,
  ...(shownDefault === undefined ? {} : { shownDefault }),
  convert: durationMs,
});

export function oneOf<T extends string>(
  meta: string,
  help: string,
  choices: readonly T[],
  shownDefault?: string,
): ValueFlag<T> {
  return {
    kind: "value",
    meta,
    help: `${help}: ${choices.join(", ")}`,
    ...(shownDefault === undefined ? {} : { shownDefault }),
    convert: (t, flag) => {
      const c = choices.find((x) => x === t);
      if (c === undefined) throw new UsageError(`${flag}: expected ${choices.join(" or ")}, got "${t}"`);
      return c;
    },
  };
}
