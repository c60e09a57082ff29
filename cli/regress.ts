/**
 * `irqcheck regress [DIR]`: every saved counterexample must still diverge on its own
 * variant (a known bug must keep being caught) and must pass on every variant that
 * claims to fix it (the manifest's `fixedBy` of each of its known divergences). The
 * variants run in a sandbox worker: a crash or hang counts as diverging, with its text.
 */
import { relative } from "node:path";
import { KNOWN_DIVERGENCES } from "../impl/manifest.ts";
import { defaultBaseline } from "../impl/triage.ts";
import { findVariant, VARIANTS } from "../impl/variants/index.ts";
import type { Counterexample } from "../properties/counterexample.ts";
import { defineCommand } from "./command.ts";
import { EXIT } from "./errors.ts";
import { baseline, exitStatus, impl, json, runTimeout } from "./flags.ts";
import type { Io } from "./io.ts";
import { isolatedCheck, withSandbox } from "./isolated.ts";
import { defaultStore, displayPath, loadImplementation } from "./resolve.ts";
import { DEFAULT_RUN_TIMEOUT_MS, type Sandbox } from "./sandbox.ts";
import { listCounterexamples, readCounterexample } from "./store.ts";

export const REGRESS = defineCommand({
  name: "regress",
  summary: "Replays every saved counterexample against its variant and the variants that fix it.",
  positionals: { shown: "[DIR]", min: 0, max: 1 },
  description: [
    "DIR (a folder, searched recursively, or one file) defaults to the counterexamples/ folder of",
    "the irqcheck checkout, wherever irqcheck is run from. Files a killed campaign left are whole:",
    "saving is atomic. With --impl, every counterexample runs on your implementation and on its",
    "baseline (--baseline, default the variant it extends): FIXED where only the baseline diverges,",
    "inherited where both do, NEW where only yours does.",
  ],
  flags: { impl, baseline, json, "run-timeout": runTimeout },
  exit: exitStatus(
    "every check as expected (with --impl: nothing NEW)",
    "a counterexample no longer diverges, or a fix no longer fixes it (with --impl: one diverges on it and not on the baseline)",
  ),
});

export interface RegressRow {
  readonly file: string;
  readonly variant: string;
  readonly expect: "diverge" | "pass";
  readonly diverged: boolean;
  readonly ok: boolean;
  /** The implementation crashed or hung on it (counted as diverging). */
  readonly failure: string | null;
}

/** The variants that should pass a counterexample: those that claim to fix every one of its known divergences. */
export function fixingVariants(c: Counterexample): string[] {
  const known = KNOWN_DIVERGENCES.filter((d) => c.known.includes(d.id));
  if (known.length === 0) return [];
  return VARIANTS.map((v) => v.name).filter((n) => n !== c.variant && known.every((d) => d.fixedBy.includes(n)));
}

export async function regressFile(sandbox: Sandbox, file: string, c: Counterexample): Promise<RegressRow[]> {
  const own = VARIANTS.some((v) => v.name === c.variant);
  const plan: [string, "diverge" | "pass"][] = [
    ...(own ? [[c.variant, "diverge"] as [string, "diverge"]] : []),
    ...fixingVariants(c).map((n) => [n, "pass"] as [string, "pass"]),
  ];
  const rows: RegressRow[] = [];
  for (const [name, expect] of plan) {
    const r = await isolatedCheck(sandbox, { name }, c.topology, c.commands, c.property);
    rows.push({ file, variant: name, expect, ...r, ok: r.diverged === (expect === "diverge") });
  }
  return rows;
}

export async function regress(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals, help } = REGRESS.parse(argv);
  if (help) {
    io.out(REGRESS.help());
    return EXIT.OK;
  }
  const dir = positionals[0] ?? defaultStore();
  const files = listCounterexamples(dir);
  // Every file is read (and checked) before any variant runs.
  const counterexamples = files.map((file) => ({ file, c: readCounterexample(file) }));
  io.err(`irqcheck regress: ${files.length} counterexamples under ${displayPath(dir)}`);
  const timeout = values["run-timeout"] ?? DEFAULT_RUN_TIMEOUT_MS;
  if (values.impl !== undefined) {
    const mine = await loadImplementation(values.impl);
    const base = values.baseline === undefined ? defaultBaseline(mine) : (findVariant(values.baseline) ?? null);
    const rows = await withSandbox(timeout, (sandbox) =>
      regressImplementation(sandbox, values.impl ?? "", base?.name ?? null, counterexamples),
    );
    return reportImplementation(
      rows,
      mine.name,
      base?.name ?? null,
      values.json === true,
      (f) => relative(dir, f) || f,
      io,
    );
  }
  const rows = await withSandbox(timeout, async (sandbox) => {
    const out: RegressRow[] = [];
    for (const { file, c } of counterexamples) out.push(...(await regressFile(sandbox, file, c)));
    return out;
  });
  const bad = rows.filter((r) => !r.ok);
  if (values.json === true) {
    io.out(JSON.stringify({ files: files.length, checks: rows.length, failures: bad, rows }, null, 2));
    return bad.length === 0 ? EXIT.OK : EXIT.DIVERGED;
  }
  const names = VARIANTS.map((v) => v.name);
  // Paths relative to DIR, in full: the variant folder and the signature both matter.
  const shown = (file: string) => relative(dir, file) || file;
  const width = Math.max("counterexample".length, ...files.map((f) => shown(f).length));
  const widths = names.map((n) => Math.max(n.length, "diverges!".length));
  const line = (first: string, cells: readonly string[]) =>
    `${first.padEnd(width)}  ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ")}`.trimEnd();
  io.out(line("counterexample", names));
  for (const file of files) {
    const cells = names.map((n) => {
      const r = rows.find((x) => x.file === file && x.variant === n);
      if (r === undefined) return "-";
      return `${r.diverged ? "diverges" : "passes"}${r.ok ? "" : "!"}`;
    });
    io.out(line(shown(file), cells));
  }
  io.out(`${files.length} counterexamples, ${rows.length} checks, ${bad.length} unexpected`);
  for (const r of bad) {
    io.out(
      `UNEXPECTED: ${r.file} on ${r.variant}: expected to ${r.expect}, but it ${r.diverged ? "diverges" : "passes"}${r.failure === null ? "" : ` (${r.failure})`}`,
    );
  }
  return bad.length === 0 ? EXIT.OK : EXIT.DIVERGED;
}

export type ImplementationVerdict = "fixed" | "inherited" | "new" | "passes";

export interface ImplementationRow {
  readonly file: string;
  readonly verdict: ImplementationVerdict;
  /** The implementation crashed or hung on it. */
  readonly failure: string | null;
}

/**
 * `regress --impl`: every saved counterexample, whoever found it, on the user's
 * implementation and on its baseline (without one, every divergence counts as NEW).
 */
async function regressImplementation(
  sandbox: Sandbox,
  implPath: string,
  baseline: string | null,
  counterexamples: readonly { readonly file: string; readonly c: Counterexample }[],
): Promise<ImplementationRow[]> {
  const rows: ImplementationRow[] = [];
  for (const { file, c } of counterexamples) {
    const mine = await isolatedCheck(sandbox, { implPath }, c.topology, c.commands, c.property);
    const theirs =
      baseline === null
        ? { diverged: false }
        : await isolatedCheck(sandbox, { name: baseline }, c.topology, c.commands, c.property);
    const verdict: ImplementationVerdict = mine.diverged
      ? theirs.diverged
        ? "inherited"
        : "new"
      : theirs.diverged
        ? "fixed"
        : "passes";
    rows.push({ file, verdict, failure: mine.failure });
  }
  return rows;
}

function reportImplementation(
  rows: readonly ImplementationRow[],
  name: string,
  baseline: string | null,
  json: boolean,
  shown: (file: string) => string,
  io: Io,
): number {
  const count = (v: ImplementationVerdict) => rows.filter((r) => r.verdict === v).length;
  const news = rows.filter((r) => r.verdict === "new");
  if (json) {
    io.out(JSON.stringify({ implementation: name, baseline, rows }, null, 2));
  } else {
    const width = Math.max(...rows.map((r) => shown(r.file).length), "counterexample".length);
    io.out(`${"counterexample".padEnd(width)}  ${name} against ${baseline ?? "the reference"}`);
    for (const r of rows)
      io.out(
        `${shown(r.file).padEnd(width)}  ${r.verdict.toUpperCase()}${r.failure === null ? "" : ` (${r.failure})`}`,
      );
    io.out(
      `${rows.length} counterexamples on ${name}: ${count("fixed")} FIXED, ${count("inherited")} inherited, ${news.length} NEW, ${count("passes")} pass on both`,
    );
  }
  return news.length === 0 ? EXIT.OK : EXIT.DIVERGED;
}
