/**
 * `npm run bench`: the benchmark suite. Prints one table and writes bench/RESULTS.md
 * with the machine, date, commit and command. Ratios are measured within one run;
 * absolute numbers are context. `--quick` shortens every budget (about a minute).
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { exploreBench } from "./explore.ts";
import { memory } from "./memory.ts";
import { scaling } from "./scaling.ts";
import { throughput } from "./throughput.ts";
import { allTimeToFind } from "./time-to-find.ts";

const quick = process.argv.includes("--quick");
const budget = quick
  ? { throughputRuns: 1500, seeds: 5, runCap: 5000, scalingMs: 3000, memoryMs: 20_000, exploreMs: 10_000 }
  : { throughputRuns: 6000, seeds: 10, runCap: 20_000, scalingMs: 10_000, memoryMs: 300_000, exploreMs: 60_000 };

const lines: string[] = [];
const say = (l = "") => {
  lines.push(l);
  process.stdout.write(`${l}\n`);
};
const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : "-");

function commit(): string {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
}

say("# irqcheck benchmarks");
say();
say(
  `- machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, ${f(totalmem() / 2 ** 30)} GiB, Node ${process.version}`,
);
say(`- date: ${new Date().toISOString()}; commit ${commit()}`);
say(`- command: npm run bench${quick ? " -- --quick" : ""}`);
say();

say("## Harness throughput (commands/s; campaign vs a plain loop over the same pre-generated sequences)");
say();
say("| variant | runs | plain loop | campaign | ratio |");
say("| --- | ---: | ---: | ---: | ---: |");
for (const v of ["qemu-7.2", "qemu-8.2", "irqfd-cache"]) {
  // Three alternating measurements; the median ratio.
  const rs = [0, 1, 2].map(() => throughput(v, budget.throughputRuns)).sort((a, b) => a.ratio - b.ratio);
  const m = rs[1] ?? rs[0];
  if (m !== undefined)
    say(`| ${v} | ${m.runs} | ${f(m.plainPerSecond)} | ${f(m.campaignPerSecond)} | ${f(m.ratio, 2)} |`);
}
say();

say(`## Explorer: small topology, ioapic alphabet, ${budget.exploreMs / 1000} s per variant (--all-signatures)`);
say();
say("| variant | depth completed | states | states/s | shortest per signature |");
say("| --- | ---: | ---: | ---: | --- |");
const shortest = new Map<string, number>();
for (const v of ["qemu-7.2", "qemu-8.0", "route-masked", "irqfd-cache"]) {
  const e = exploreBench(v, budget.exploreMs);
  for (const [sig, n] of e.shortest) shortest.set(`${v}/${sig}`, n);
  const sigs = [...e.shortest].map(([sig, n]) => `${sig}: ${n}`).join("; ");
  say(`| ${v} | ${e.depthCompleted} | ${e.states} | ${f(e.statesPerSecond)} | ${sigs || "none"} |`);
}
say();

say(`## Time to first divergence (one core, ${budget.seeds} seeds, at most ${budget.runCap} runs each)`);
say();
say(
  "The explorer column is the shortest counterexample with the same signature on the small topology's ioapic alphabet, where that alphabet reaches it.",
);
say();
say(
  "| divergence | variant | profile | found | median runs | worst runs | median s | worst s | shrunk lengths | explorer |",
);
say("| --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
for (const t of allTimeToFind(budget.seeds, budget.runCap)) {
  const v = t.verdict;
  const bfs = shortest.get(`${v.variant}/${v.signature}`);
  say(
    `| ${v.divergence} ${v.signature} | ${v.variant} | ${v.profile} | ${t.found}/${t.seeds} | ${f(t.medianRuns)} | ${f(t.worstRuns)} | ${f(t.medianSeconds, 2)} | ${f(t.worstSeconds, 2)} | ${t.shrunkLengths.join(",")} | ${bfs ?? "-"} |`,
  );
}
say();

say("## Scaling: campaign throughput with --jobs 1 and --jobs 2 (worker threads)");
say();
say("| variant | seconds | jobs 1 (commands/s) | jobs 2 (commands/s) | ratio |");
say("| --- | ---: | ---: | ---: | ---: |");
const s = await scaling("irqfd-cache", budget.scalingMs);
say(`| ${s.variant} | ${s.seconds} | ${f(s.oneJob)} | ${f(s.twoJobs)} | ${f(s.ratio, 2)} |`);
say();

say(`## Memory: resident set of a ${budget.memoryMs / 1000} s in-process campaign`);
say();
say("| variant | runs | RSS early (MiB) | RSS at end (MiB) | peak (MiB) |");
say("| --- | ---: | ---: | ---: | ---: |");
const m = memory("qemu-8.2", budget.memoryMs);
say(`| ${m.variant} | ${m.runs} | ${f(m.rssStartMiB)} | ${f(m.rssEndMiB)} | ${f(m.rssPeakMiB)} |`);
say();

writeFileSync(new URL("./RESULTS.md", import.meta.url), `${lines.join("\n")}\n`);
