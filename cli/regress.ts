/**
 * `irqcheck regress [DIR]`: every saved counterexample must still diverge on its own
 * variant (a known bug must keep being caught) and must pass on every variant that
 * claims to fix it (the manifest's `fixedBy` of each of its known divergences).
 */
import { KNOWN_DIVERGENCES } from "../impl/manifest.ts";
import { VARIANTS, type Variant } from "../impl/variants/index.ts";
import { check } from "../properties/checker.ts";
import type { Counterexample } from "../properties/counterexample.ts";
import { parse } from "./args.ts";
import { EXIT, UsageError } from "./errors.ts";
import type { Io } from "./io.ts";
import { loadImplementation, resolveVariants } from "./resolve.ts";
import { listCounterexamples, readCounterexample } from "./store.ts";

export interface RegressRow {
  readonly file: string;
  readonly variant: string;
  readonly expect: "diverge" | "pass";
  readonly diverged: boolean;
  readonly ok: boolean;
}

/** The variants that should pass a counterexample: those that claim to fix every one of its known divergences. */
export function fixingVariants(c: Counterexample): string[] {
  const known = KNOWN_DIVERGENCES.filter((d) => c.known.includes(d.id));
  if (known.length === 0) return [];
  return VARIANTS.map((v) => v.name).filter((n) => n !== c.variant && known.every((d) => d.fixedBy.includes(n)));
}

export function regressFile(file: string, c: Counterexample): RegressRow[] {
  const rows: RegressRow[] = [];
  const own = VARIANTS.find((v) => v.name === c.variant);
  const plan: [string, "diverge" | "pass"][] = [
    ...(own === undefined ? [] : [[c.variant, "diverge"] as [string, "diverge"]]),
    ...fixingVariants(c).map((n) => [n, "pass"] as [string, "pass"]),
  ];
  for (const [name, expect] of plan) {
    const [v] = resolveVariants([name]);
    if (v === undefined) continue;
    const diverged = !check(c.topology, v.create(), c.commands, c.property).ok;
    rows.push({ file, variant: name, expect, diverged, ok: diverged === (expect === "diverge") });
  }
  return rows;
}

export async function regress(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    "regress",
    argv,
    { json: { type: "boolean" }, impl: { type: "string" }, help: { type: "boolean" } },
    true,
  );
  if (values.help) {
    io.out(
      "usage: irqcheck regress [DIR] [--impl PATH|exec:CMD] [--json]\nReplays every counterexample under DIR (default counterexamples/).\nWith --impl: every one against that implementation, which should pass them all.",
    );
    return EXIT.OK;
  }
  if (positionals.length > 1) throw new UsageError("irqcheck regress: expected at most one DIR");
  const dir = positionals[0] ?? "counterexamples";
  const files = listCounterexamples(dir);
  if (values.impl !== undefined) return regressImplementation(await loadImplementation(values.impl), files, io);
  const rows = files.flatMap((file) => regressFile(file, readCounterexample(file)));
  const bad = rows.filter((r) => !r.ok);
  if (values.json === true) {
    io.out(JSON.stringify({ files: files.length, checks: rows.length, failures: bad, rows }, null, 2));
    return bad.length === 0 ? EXIT.OK : EXIT.DIVERGED;
  }
  const names = VARIANTS.map((v) => v.name);
  io.out(`${"counterexample".padEnd(64)} ${names.map((n) => n.padEnd(12)).join(" ")}`);
  for (const file of files) {
    const cells = names.map((n) => {
      const r = rows.find((x) => x.file === file && x.variant === n);
      if (r === undefined) return "-".padEnd(12);
      const mark = r.diverged ? "diverges" : "passes";
      return `${mark}${r.ok ? "" : "!"}`.padEnd(12);
    });
    io.out(`${file.slice(-64).padEnd(64)} ${cells.join(" ")}`);
  }
  io.out(`${files.length} counterexamples, ${rows.length} checks, ${bad.length} unexpected`);
  for (const r of bad) {
    io.out(
      `UNEXPECTED: ${r.file} on ${r.variant}: expected to ${r.expect}, but it ${r.diverged ? "diverges" : "passes"}`,
    );
  }
  return bad.length === 0 ? EXIT.OK : EXIT.DIVERGED;
}

/** `regress --impl`: a correct implementation passes every saved counterexample, whoever found it. */
function regressImplementation(v: Variant, files: readonly string[], io: Io): number {
  const diverging = files.filter((file) => {
    const c = readCounterexample(file);
    const diverged = !check(c.topology, v.create(), c.commands, c.property).ok;
    io.out(`${file.slice(-64).padEnd(64)} ${diverged ? "diverges" : "passes"}`);
    return diverged;
  });
  io.out(
    `${files.length} counterexamples on ${v.name}: ${files.length - diverging.length} pass, ${diverging.length} diverge`,
  );
  return diverging.length === 0 ? EXIT.OK : EXIT.DIVERGED;
}
