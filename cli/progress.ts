/** Live progress of a campaign, through the injected Io (at most ten updates a second). */
import type { CampaignProgress } from "../properties/campaign.ts";
import type { Io } from "./io.ts";

export function progressReporter(label: string, budgetMs: number | null, io: Io) {
  let last = 0;
  return {
    /** `signatures` is counted by the caller: distinct over all jobs. */
    update(p: CampaignProgress, signatures: number) {
      const now = Date.now();
      if (io.progress === undefined || now - last < 100) return;
      last = now;
      const secs = p.elapsedMs / 1000;
      const rate = secs > 0 ? Math.round(p.commands / secs) : 0;
      const left = budgetMs === null ? "" : `, ${Math.max(0, (budgetMs - p.elapsedMs) / 1000).toFixed(0)}s left`;
      io.progress(
        `${label}: ${p.runs} runs, ${rate} commands/s, ${p.divergences} divergent, ${signatures} signatures, ${secs.toFixed(1)}s${left}`,
      );
    },
    done() {
      io.progress?.(null);
    },
  };
}

/** Sum the per-job progress of one campaign. */
export function sumProgress(parts: readonly (CampaignProgress | null)[]): CampaignProgress {
  const out = { runs: 0, commands: 0, divergences: 0, signatures: 0, elapsedMs: 0 };
  for (const p of parts) {
    if (p === null) continue;
    out.runs += p.runs;
    out.commands += p.commands;
    out.divergences += p.divergences;
    out.signatures += p.signatures;
    out.elapsedMs = Math.max(out.elapsedMs, p.elapsedMs);
  }
  return out;
}
