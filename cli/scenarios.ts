/**
 * `irqcheck scenarios`: every variant on every scenario of the library (properties/scenarios/),
 * property delivery-log, as a scenario x variant table; first whether the reference itself
 * allows exactly the outcomes each scenario writes down from the spec.
 */
import { VARIANTS } from "../impl/variants/index.ts";
import {
  commandsOf,
  referenceMismatches,
  SCENARIOS,
  type Scenario,
  type ScenarioVerdict,
} from "../properties/scenarios/index.ts";
import { formatSignature, parseSignature, type Signature } from "../properties/signature.ts";
import { defineCommand, repeatable, switchFlag, text } from "./command.ts";
import { EXIT } from "./errors.ts";
import { exitStatus, impl, json, runTimeout } from "./flags.ts";
import type { Io } from "./io.ts";
import { withSandbox } from "./isolated.ts";
import { type ChosenVariant, chooseVariant, resolveVariants } from "./resolve.ts";
import { DEFAULT_RUN_TIMEOUT_MS, type Sandbox } from "./sandbox.ts";

export const SCENARIOS_COMMAND = defineCommand({
  name: "scenarios",
  summary: "Runs the scenario library on the reference and on every variant, property delivery-log.",
  description: [
    "Scenarios are hand-written command sequences with expected outcomes from the 82093AA, SDM and",
    "VT-d specs (ideas from kvm-unit-tests x86/ioapic.c and x86/intel-iommu.c). Each cell: pass, or",
    "the diverging step with its difference and the known divergences it matches (or the",
    "implementation's crash or hang). Variant divergences are results, not failures.",
  ],
  flags: {
    variant: repeatable("NAME", "only this variant", "every built-in variant"),
    impl,
    only: text("TEXT", "only scenarios whose name contains TEXT"),
    verbose: switchFlag("what each scenario checks, and where its idea comes from"),
    json,
    "run-timeout": runTimeout,
  },
  conflicts: [["variant", "impl"]],
  exit: exitStatus("the reference agrees with every scenario", "the reference disagrees with a scenario"),
});

function cell(v: ScenarioVerdict): string {
  if (v.ok) return "pass";
  const difference = v.signature === null ? "?" : (parseSignature(v.variant, v.signature)?.difference ?? "?");
  return `#${v.step} ${difference}${v.known.length > 0 ? ` [${v.known.join(",")}]` : ""}`;
}

/** One scenario on one variant, in the sandbox: a crash is a verdict; a hang too, at the step it hung. */
async function verdict(sandbox: Sandbox, s: Scenario, v: ChosenVariant): Promise<ScenarioVerdict> {
  const r = await sandbox.run<ScenarioVerdict>({ kind: "scenario", variant: v.spec, scenario: s.name });
  if (r.ok) return r.value;
  const step = Math.max(0, (r.fault.snapshot.commands?.length ?? 1) - 1);
  const op = commandsOf(s)[step]?.op ?? "reset";
  const signature: Signature = {
    variant: v.name,
    property: "delivery-log",
    op,
    difference: `implementation-${r.fault.kind}`,
  };
  return { scenario: s.name, variant: v.name, ok: false, step, signature: formatSignature(signature), known: [] };
}

export async function scenarios(argv: readonly string[], io: Io): Promise<number> {
  const { values, help } = SCENARIOS_COMMAND.parse(argv);
  if (help) {
    io.out(SCENARIOS_COMMAND.help());
    return EXIT.OK;
  }
  const variants: ChosenVariant[] =
    values.impl !== undefined
      ? [await chooseVariant({ impl: values.impl })]
      : (values.variant === undefined ? [...VARIANTS] : resolveVariants(values.variant)).map((v) => ({
          spec: { name: v.name },
          name: v.name,
        }));
  const only = values.only;
  const chosen: readonly Scenario[] = only === undefined ? SCENARIOS : SCENARIOS.filter((s) => s.name.includes(only));
  const rows = await withSandbox(values["run-timeout"] ?? DEFAULT_RUN_TIMEOUT_MS, async (sandbox) => {
    const out = [];
    for (const s of chosen) {
      const verdicts: ScenarioVerdict[] = [];
      for (const v of variants) verdicts.push(await verdict(sandbox, s, v));
      out.push({
        scenario: s.name,
        checks: s.checks,
        idea: s.idea ?? null,
        reference: referenceMismatches(s),
        verdicts,
      });
    }
    return out;
  });
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
