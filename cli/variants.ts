/** `irqcheck variants`: name, summary, what it mirrors, expected verdicts. */
import { KNOWN_DIVERGENCES, PASSING_VARIANTS } from "../impl/manifest.ts";
import { VARIANTS } from "../impl/variants/index.ts";
import { parse } from "./args.ts";
import { EXIT } from "./errors.ts";
import type { Io } from "./io.ts";

export async function variants(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parse("variants", argv, { json: { type: "boolean" }, help: { type: "boolean" } });
  if (values.help) {
    io.out("usage: irqcheck variants [--json]");
    return EXIT.OK;
  }
  const rows = VARIANTS.map((v) => ({
    name: v.name,
    summary: v.summary,
    mirrors: v.mirrors,
    expected: PASSING_VARIANTS.includes(v.name)
      ? "passes (KVM's D17 aside, which generators avoid)"
      : `diverges: ${KNOWN_DIVERGENCES.filter((d) => d.variants.includes(v.name) && d.id !== "D17")
          .map((d) => d.id)
          .join(", ")}`,
  }));
  if (values.json === true) {
    io.out(JSON.stringify(rows, null, 2));
    return EXIT.OK;
  }
  for (const r of rows) {
    io.out(`${r.name}`);
    io.out(`    ${r.summary}`);
    io.out(`    mirrors:  ${r.mirrors}`);
    io.out(`    expected: ${r.expected}`);
  }
  io.out("");
  io.out("Known divergences:");
  for (const d of KNOWN_DIVERGENCES) io.out(`  ${d.id.padEnd(5)} ${d.title}`);
  return EXIT.OK;
}
