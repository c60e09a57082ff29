/** Live progress: a redrawn line on a TTY, a plain line every few seconds otherwise. */
import type { CampaignProgress } from "../properties/campaign.ts";

export function progressReporter(label: string, budgetMs: number | null, stream: NodeJS.WriteStream = process.stderr) {
  const tty = stream.isTTY === true;
  let last = 0;
  const line = (p: CampaignProgress) => {
    const secs = p.elapsedMs / 1000;
    const rate = secs > 0 ? Math.round(p.commands / secs) : 0;
    const left = budgetMs === null ? "" : `, ${Math.max(0, (budgetMs - p.elapsedMs) / 1000).toFixed(0)}s left`;
    return `${label}: ${p.runs} runs, ${rate} commands/s, ${p.divergences} divergent, ${p.signatures} signatures, ${secs.toFixed(1)}s${left}`;
  };
  return {
    update(p: CampaignProgress) {
      const now = Date.now();
      if (tty) {
        if (now - last < 100) return;
        last = now;
        stream.write(`\r\x1b[K${line(p)}`);
      } else if (now - last >= 5000) {
        last = now;
        stream.write(`${line(p)}\n`);
      }
    },
    done() {
      if (tty) stream.write("\r\x1b[K");
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
