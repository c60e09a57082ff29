/** Resident memory of a long in-process campaign: early, at the end, and the peak. */

import { findVariant } from "../impl/variants/index.ts";
import { defaultTopology } from "../model/topology.ts";
import { runCampaign } from "../properties/campaign.ts";
import { PROFILES } from "../properties/profiles/index.ts";

export interface Memory {
  readonly variant: string;
  readonly seconds: number;
  readonly runs: number;
  readonly rssStartMiB: number;
  readonly rssEndMiB: number;
  readonly rssPeakMiB: number;
}

export function memory(variantName: string, timeMs: number): Memory {
  const v = findVariant(variantName);
  if (v === undefined) throw new Error(variantName);
  const mib = () => process.memoryUsage().rss / 2 ** 20;
  let start = Number.NaN;
  let peak = 0;
  const r = runCampaign({
    topology: defaultTopology(),
    variant: v.name,
    create: v.create,
    profiles: Object.values(PROFILES),
    property: "delivery-log",
    seed: 1,
    maxCommands: 40,
    timeMs,
    onProgress: (p) => {
      const now = mib();
      peak = Math.max(peak, now);
      // "Start" is taken after 10 s (or a tenth of the budget): past module loading and JIT warm-up.
      if (Number.isNaN(start) && p.elapsedMs >= Math.min(10_000, timeMs / 10)) start = now;
    },
  });
  const end = mib();
  return {
    variant: v.name,
    seconds: timeMs / 1000,
    runs: r.runs,
    rssStartMiB: start,
    rssEndMiB: end,
    rssPeakMiB: Math.max(peak, end),
  };
}
