/**
 * `irqcheck scenarios`: every variant on every scenario of the library (properties/scenarios/),
 * property delivery-log, as a scenario x variant table; first whether the reference itself
 * allows exactly the outcomes each scenario writes down from the spec.
 */
import { VARIANTS } from "../impl/variants/index.ts";
import {
  checkScenario,
  referenceMismatches,
  SCENARIOS,
  type Scenario,
  type ScenarioVerdict,
} from "../properties/scenarios/index.ts";
import { parse } from "./args.ts";
import { EXIT } from "./errors.ts";
import type { Io } from "./io.ts";
import { loadImplementation, resolveVariants } from "./resolve.ts";

export const SCENARIOS_HELP = `usage: irqcheck scenarios [--variant NAME ... | --impl PATH] [--only TEXT] [--verbose] [--json]
Runs the scenario library (hand-written command sequences with expected outcomes from the
82093AA, SDM and VT-d specs; ideas from kvm-unit-tests x86/ioapic.c and x86/intel-iommu.c)
on the reference and on every variant, property delivery-log. Each cell: pass, or the
diverging step with its difference and the known divergences it matches.
  --only TEXT   scenarios whose name contains TEXT
  --verbose     what each scenario checks, and where its idea comes from
Exit 1 if the reference disagrees with a scenario, else 0 (variant divergences are results).`;

function cell(v: ScenarioVerdict): string {
  if (v.ok) return "pass";
  const difference = v.signature?.split("/").at(-1) ?? "?";
  return `#${v.step} ${difference}${v.known.length > 0 ? ` [${v.known.join(",")}]` : ""}`;
}

export async function scenarios(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parse("scenarios", argv, {
    variant: { type: "string", multiple: true },
    impl: { type: "string" },
    only: { type: "string" },
    verbose: { type: "boolean" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (values.help) {
    io.out(SCENARIOS_HELP);
    return EXIT.OK;
  }
  const variants =
    values.impl !== undefined
      ? [await loadImplementation(values.impl)]
      : values.variant === undefined
        ? [...VARIANTS]
        : resolveVariants(values.variant);
  const only = values.only;
  const chosen: readonly Scenario[] = only === undefined ? SCENARIOS : SCENARIOS.filter((s) => s.name.includes(only));
  const rows = chosen.map((s) => ({
    scenario: s.name,
    checks: s.checks,
    idea: s.idea ?? null,
    reference: referenceMismatches(s),
    verdicts: variants.map((v) => checkScenario(s, v)),
  }));
  const referenceFails = rows.filter((r) => r.reference.length > 0).length;
  const code = referenceFails > 0 ? EXIT.DIVERGED : EXIT.OK;
  if (values.json === true) {
    io.out(JSON.stringify({ variants: variants.map((v) => v.name), scenarios: rows }, null, 2));
    return code;
  }
  const width = Math.max(...chosen.map((s) => s.name.length), 8);
  const cells = rows.map((r) => [r.reference.length === 0 ? "pass" : "FAILS", ...r.verdicts.map(cell)]);
  const widths = ["reference", ...variants.map((v) => v.name)].map((h, i) =>
    Math.max(h.length, ...cells.map((c) => (c[i] ?? "").length)),
  );
  const line = (first: string, rest: readonly string[]) =>
    `${first.padEnd(width)}  ${rest.map((c, i) => c.padEnd(widths[i] ?? 0)).join("  ")}`.trimEnd();
  io.out(line("scenario", ["reference", ...variants.map((v) => v.name)]));
  rows.forEach((r, i) => {
    io.out(line(r.scenario, cells[i] ?? []));
    if (values.verbose === true) io.out(`  ${r.checks}${r.idea === null ? "" : ` (idea: ${r.idea})`}`);
    for (const m of r.reference)
      io.out(
        `  reference disagrees at step #${m.step}: expected ${m.expected.join(" | ")}; allows ${m.reference.join(" | ")}`,
      );
  });
  const passes = variants.map(
    (v, i) => `${v.name} ${rows.filter((r) => r.verdicts[i]?.ok === true).length}/${rows.length}`,
  );
  io.out(`${rows.length} scenarios; reference ${rows.length - referenceFails}/${rows.length}; ${passes.join(", ")}`);
  return code;
}
