/** `irqcheck variants`: name, summary, what it mirrors, expected verdicts. */
import { KNOWN_DIVERGENCES, kernelDivergences, PASSING_VARIANTS } from "../impl/manifest.ts";
import { VARIANTS } from "../impl/variants/index.ts";
import { defineCommand } from "./command.ts";
import { EXIT } from "./errors.ts";
import { json } from "./flags.ts";
import type { Io } from "./io.ts";

export const VARIANTS_COMMAND = defineCommand({
  name: "variants",
  summary: "Lists the built-in variants, what each mirrors, and the divergences each is known to have.",
  description: [],
  flags: { json },
  exit: "Exit status: 0; 2 bad usage.",
});

export async function variants(argv: readonly string[], io: Io): Promise<number> {
  const { values, help } = VARIANTS_COMMAND.parse(argv);
  if (help) {
    io.out(VARIANTS_COMMAND.help());
    return EXIT.OK;
  }
  const rows = VARIANTS.map((v) => ({
    name: v.name,
    summary: v.summary,
    mirrors: v.mirrors,
    expected: PASSING_VARIANTS.includes(v.name)
      ? `passes (KVM's ${kernelDivergences(v.name).join(", ")} aside)`
      : `diverges: ${KNOWN_DIVERGENCES.filter((d) => d.variants.includes(v.name))
          .map((d) => d.id)
          .join(", ")}`,
  }));
  if (values.json) {
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
