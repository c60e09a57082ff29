/** `irqcheck matrix`: every variant x profile, verdict and time to the first divergence. */

import { VARIANTS } from "../impl/variants/index.ts";
import { defaultTopology } from "../model/topology.ts";
import { runCampaign } from "../properties/campaign.ts";
import { PROFILES } from "../properties/profiles/index.ts";
import { SCENARIOS, scenarioColumn } from "../properties/scenarios/index.ts";
import { count, defineCommand, duration } from "./command.ts";
import { EXIT } from "./errors.ts";
import { json } from "./flags.ts";
import type { Io } from "./io.ts";

export const MATRIX = defineCommand({
  name: "matrix",
  summary: "Every built-in variant x profile: verdicts and time to the first divergence; scenarios passed.",
  description: ["One line per cell as it completes goes to stderr (variants x profiles cells, --time each)."],
  flags: {
    time: duration("the budget of each cell", "2s"),
    seed: count("N", "campaign seed", { min: 0, max: 2 ** 31 - 1, shownDefault: "1" }),
    json,
  },
  exit: "Exit status: 0 (divergences are results here); 2 bad usage; 3 an internal error of irqcheck.",
});

export async function matrix(argv: readonly string[], io: Io): Promise<number> {
  const { values, help } = MATRIX.parse(argv);
  if (help) {
    io.out(MATRIX.help());
    return EXIT.OK;
  }
  const timeMs = values.time ?? 2000;
  const seed = values.seed ?? 1;
  const total = VARIANTS.length * Object.keys(PROFILES).length;
  io.err(
    `irqcheck matrix: ${total} cells of ${timeMs / 1000}s, seed ${seed}: about ${Math.ceil((total * timeMs) / 1000)}s`,
  );
  const topology = defaultTopology();
  const cells: {
    variant: string;
    profile: string;
    runs: number;
    signatures: number;
    firstSeconds: number | null;
    firstSignature: string | null;
  }[] = [];
  for (const v of VARIANTS) {
    for (const p of Object.values(PROFILES)) {
      const r = runCampaign({
        topology,
        variant: v.name,
        create: v.create,
        profiles: [p],
        property: "delivery-log",
        seed,
        maxCommands: 40,
        timeMs,
      });
      const first = r.findings[0];
      io.err(
        `  [${cells.length + 1}/${total}] ${v.name} x ${p.name}: ${r.runs} runs, ${r.findings.length} signatures${first === undefined ? "" : ` (first after ${(first.msToFind / 1000).toFixed(2)}s)`}`,
      );
      cells.push({
        variant: v.name,
        profile: p.name,
        runs: r.runs,
        signatures: r.findings.length,
        firstSeconds: first === undefined ? null : first.msToFind / 1000,
        firstSignature: first?.key ?? null,
      });
    }
  }
  const scenarioCells = VARIANTS.map((v) => ({ variant: v.name, ...scenarioColumn(v, SCENARIOS) }));
  if (values.json === true) {
    io.out(JSON.stringify({ seed, secondsPerCell: timeMs / 1000, cells, scenarios: scenarioCells }, null, 2));
    return EXIT.OK;
  }
  const profiles = Object.keys(PROFILES);
  io.out(
    `seed ${seed}, ${timeMs / 1000}s per cell; each cell: signatures found (seconds to the first); scenarios passed`,
  );
  io.out(`${"variant".padEnd(18)} ${profiles.map((p) => p.padEnd(16)).join(" ")} scenarios`);
  for (const v of VARIANTS) {
    const row = profiles.map((p) => {
      const c = cells.find((x) => x.variant === v.name && x.profile === p);
      if (c === undefined || c.firstSeconds === null) return "pass".padEnd(16);
      return `${c.signatures} (${c.firstSeconds.toFixed(2)}s)`.padEnd(16);
    });
    const sc = scenarioCells.find((x) => x.variant === v.name);
    io.out(`${v.name.padEnd(18)} ${row.join(" ")} ${sc === undefined ? "" : `${sc.passed}/${sc.total}`}`);
  }
  return EXIT.OK;
}
