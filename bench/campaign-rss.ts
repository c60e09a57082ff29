/**
 * Resident memory of a real `irqcheck fuzz --jobs 2` process (main thread and both sandbox
 * workers: one process) over a long campaign: sampled from /proc/PID/status (VmRSS) every
 * few seconds. After the warm-up (the first tenth, at least a minute: module loading, JIT,
 * the first findings), RSS must stay within 10% of its value at the end of the warm-up.
 *
 *   node bin/bundle.js bench/campaign-rss.ts [--minutes 60] [--variant qemu-8.2] [--every 10]
 *
 * Prints the samples; warm-up RSS, min and max after it, and max/warm-up; and, because a
 * single sample moves with the collectors' sawtooth, the mean and peak of five windows after
 * the warm-up with the last window's against the first's.
 */
import { spawn } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";

const { values } = parseArgs({
  options: {
    minutes: { type: "string", default: "60" },
    variant: { type: "string", default: "qemu-8.2" },
    every: { type: "string", default: "10" },
  },
});
const minutes = Number(values.minutes);
const everyMs = Number(values.every) * 1000;
const warmUpMs = Math.max(60_000, (minutes * 60_000) / 10);

function rssMiB(pid: number): number | null {
  try {
    const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m === null ? null : Number(m[1]) / 1024;
  } catch {
    return null;
  }
}

const out = mkdtempSync(join(tmpdir(), "irqcheck-rss-"));
const child = spawn(
  process.execPath,
  [
    "bin/irqcheck.js",
    "fuzz",
    "--variant",
    values.variant,
    "--jobs",
    "2",
    "--time",
    `${minutes}m`,
    "--seed",
    "1",
    "--out",
    out,
  ],
  { stdio: ["ignore", "pipe", "ignore"] },
);
// The campaign's last progress or summary line, e.g. "qemu-8.2: 1203354 runs, ...".
let lastProgress = "";
child.stdout?.on("data", (chunk: Buffer) => {
  const lines = chunk
    .toString("utf8")
    .split("\n")
    .filter((l) => / runs, /.test(l));
  lastProgress = lines.at(-1) ?? lastProgress;
});
const pid = child.pid ?? 0;
const started = Date.now();
const samples: { seconds: number; mib: number }[] = [];
const timer = setInterval(() => {
  const mib = rssMiB(pid);
  if (mib === null) return;
  const seconds = (Date.now() - started) / 1000;
  samples.push({ seconds, mib });
  process.stdout.write(`${seconds.toFixed(0).padStart(6)}s  ${mib.toFixed(1)} MiB\n`);
}, everyMs);
child.on("exit", () => {
  clearInterval(timer);
  rmSync(out, { recursive: true, force: true });
  const after = samples.filter((s) => s.seconds * 1000 >= warmUpMs);
  const warm = after[0];
  if (warm === undefined) {
    process.stdout.write(`no sample after the ${warmUpMs / 1000}s warm-up: run longer\n`);
    return;
  }
  const max = Math.max(...after.map((s) => s.mib));
  const min = Math.min(...after.map((s) => s.mib));
  process.stdout.write(
    `fuzz --variant ${values.variant} --jobs 2, ${minutes} min: RSS at the end of the ${warmUpMs / 1000}s warm-up ${warm.mib.toFixed(1)} MiB; after it min ${min.toFixed(1)}, max ${max.toFixed(1)} MiB; max/warm-up ${(max / warm.mib).toFixed(3)} (goal <= 1.10)\n`,
  );
  // A single sample moves with the garbage collectors' sawtooth (about ±15% here), so growth
  // is also judged by windows: five equal windows after the warm-up, the last one's mean and
  // peak against the first one's.
  const span = (samples.at(-1)?.seconds ?? 0) - warmUpMs / 1000;
  const windows = [0, 1, 2, 3, 4].map((i) =>
    after.filter((s) => Math.min(4, Math.floor(((s.seconds - warmUpMs / 1000) / span) * 5)) === i).map((s) => s.mib),
  );
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);
  const peak = (xs: number[]) => Math.max(...xs);
  for (const [i, w] of windows.entries()) {
    process.stdout.write(
      `window ${i + 1}/5 after warm-up: ${w.length} samples, mean ${mean(w).toFixed(1)}, peak ${peak(w).toFixed(1)} MiB\n`,
    );
  }
  const first = windows[0] ?? [];
  const last = windows[4] ?? [];
  process.stdout.write(
    `growth, last window / first window: mean ${(mean(last) / mean(first)).toFixed(3)}, peak ${(peak(last) / peak(first)).toFixed(3)} (goal <= 1.10)\n`,
  );
  process.stdout.write(`campaign: ${lastProgress.trim()}\n`);
});
