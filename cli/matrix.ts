/** `irqcheck matrix`: every variant x profile, verdict and time to the first divergence. */

import { VARIANTS } from "../impl/variants/index.ts";
import { defaultTopology } from "../model/topology.ts";
import { runCampaign } from "../properties/campaign.ts";
import { PROFILES } from "../properties/profiles/index.ts";
import { SCENARIOS, scenarioColumn } from "../properties/scenarios/index.ts";
import { parse, parseCount, parseDuration } from "./args.ts";
import { EXIT } from "./errors.ts";
import type { Io } from "./io.ts";

export async function matrix(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parse("matrix", argv, {
    time: { type: "string" },
    seed: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (values.help) {
    io.out("usage: irqcheck matrix [--time 20s] [--seed N] [--json]\n--time is the budget of each cell (default 2s).");
    return EXIT.OK;
  }
  const timeMs = parseDuration("--time", values.time ?? "2s");
  const seed = values.seed === undefined ? 1 : parseCount("--seed", values.seed, 0);
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
