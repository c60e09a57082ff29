/**
 * `npm run bench`: the benchmark suite. Prints one report and writes bench/RESULTS.md with
 * the machine, its load before and after, the date, commit and command. Comparisons are
 * interleaved with warm-up and give CPU time beside wall time, medians with ranges
 * (measure.ts); absolute numbers are context. `--quick` shortens every budget (a few
 * minutes); `--only throughput,topology,explore,time-to-find,scaling,memory` runs some sections.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { exploreBenchFresh, shortestOfBug } from "./explore.ts";
import { load, type Stat, stat } from "./measure.ts";
import { memory } from "./memory.ts";
import { scaling } from "./scaling.ts";
import { SIDES, throughput } from "./throughput.ts";
import { documentedBugs, timeToFind } from "./time-to-find.ts";
import { TOPOLOGY_PAIRS, topologyCost } from "./topology-cost.ts";

const quick = process.argv.includes("--quick");
const onlyArg = process.argv[process.argv.indexOf("--only") + 1];
const only = process.argv.includes("--only") && onlyArg !== undefined ? new Set(onlyArg.split(",")) : null;
const section = (name: string) => only === null || only.has(name);
const budget = quick
  ? {
      throughputRuns: 300,
      topologyRuns: 300,
      rounds: 3,
      seeds: 3,
      deepSeeds: 3,
      runCap: 3000,
      deepCap: 20_000,
      scalingRuns: 2000,
      memoryMs: 10_000,
      exploreMs: 5000,
      bugExploreDepth: 8,
    }
  : {
      throughputRuns: 1500,
      topologyRuns: 1500,
      rounds: 5,
      seeds: 100,
      deepSeeds: 10,
      runCap: 20_000,
      deepCap: 100_000,
      scalingRuns: 20_000,
      memoryMs: 120_000,
      exploreMs: 30_000,
      bugExploreDepth: 9,
    };

const lines: string[] = [];
const say = (l = "") => {
  lines.push(l);
  process.stdout.write(`${l}\n`);
};
const f = (x: number, d = 0) => (Number.isFinite(x) ? x.toFixed(d) : x > 0 ? "∞" : "-");
const range = (s: Stat, d = 0) => `${f(s.median, d)} (${f(s.min, d)}–${f(s.max, d)})`;
/** Each distinct value with how many times it occurs, shortest first: "6 ×9, 8 ×1". */
const tally = (xs: readonly string[]) =>
  [...new Set(xs)]
    .sort((a, b) => Number.parseInt(a, 10) - Number.parseInt(b, 10))
    .map((x) => `${x} ×${xs.filter((y) => y === x).length}`)
    .join(", ");

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
say(`- command: npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(" ")}` : ""}`);
say(`- at the start: ${load()}`);
say("- every comparison: one warm-up run of each side, then the sides alternate; medians (min–max)");
say();

if (section("throughput")) {
  say(`## Harness throughput (commands per CPU-second of this process; ${budget.throughputRuns} runs per measurement)`);
  say();
  say(
    "plain: a loop over pre-generated sequences; campaign: irqcheck's loop, unguided; guided: with feedback guidance; fast-check: `fc.commands` + `fc.modelRun` over the same step arbitraries with a RefinementCursor (bench/fast-check-peer.ts).",
  );
  say();
  say(
    "Harness µs: CPU µs per command that the campaign and fast-check add on top of the plain loop (the implementation, the reference and the comparison, which both share). campaign / fast-check is (step + fast-check's µs) / (step + the campaign's µs), so however cheap the step becomes it stays below fast-check's µs over the campaign's: the ceiling column.",
  );
  say();
  say(
    `| variant | profile | ${SIDES.join(" | ")} | campaign / fast-check | guided / campaign | harness µs: campaign, fast-check | ceiling | per wall-second: ${SIDES.join(", ")} |`,
  );
  say(`| --- | --- | ${SIDES.map(() => "---:").join(" | ")} | ---: | ---: | ---: | ---: | --- |`);
  for (const [v, p] of [
    ["irqfd-cache", "uniform"],
    ["irqfd-cache", "linux"],
    ["qemu-8.2", "uniform"],
  ] as const) {
    const t = await throughput(v, p, budget.throughputRuns, budget.rounds);
    const cpu = (s: (typeof SIDES)[number]) => t.perSide[s].cpu;
    const over = (s: (typeof SIDES)[number]) => 1e6 / cpu(s).median - 1e6 / cpu("plain").median;
    // A campaign within noise of the plain loop has no ceiling.
    const ceiling = over("campaign") > 0 ? over("fast-check") / over("campaign") : Number.POSITIVE_INFINITY;
    say(
      `| ${v} | ${p} | ${SIDES.map((s) => range(cpu(s))).join(" | ")} | ${f(cpu("campaign").median / cpu("fast-check").median, 2)} | ${f(cpu("guided").median / cpu("campaign").median, 2)} | ${f(over("campaign"), 2)}, ${f(over("fast-check"), 2)} | ${f(ceiling, 2)} | ${SIDES.map((s) => f(t.perSide[s].wall.median)).join(", ")} |`,
    );
  }
  say();
}

const shortest = new Map<string, number>();
if (section("topology")) {
  say(
    `## Cost per command as the machine grows (CPU µs per command; ${budget.topologyRuns} runs of the uniform profile per measurement, all topologies interleaved)`,
  );
  say();
  say(
    "Each pair differs from the default topology in one dimension; a command touches one element of it, so the cost should not follow the size (ratio: larger over smaller, per median). step: the plain loop (implementation, reference, comparison); campaign: the default campaign (guided), given its findings beforehand.",
  );
  say();
  say("| variant | loop | smaller | µs/command | larger | µs/command | ratio |");
  say("| --- | --- | --- | ---: | --- | ---: | ---: |");
  for (const variant of ["irqfd-cache", "qemu-7.2"]) {
    const costs = await topologyCost(variant, "uniform", TOPOLOGY_PAIRS.flat(), budget.topologyRuns, budget.rounds);
    const of = (name: string) => costs.find((c) => c.topology === name);
    for (const [small, large] of TOPOLOGY_PAIRS) {
      const a = of(small.name);
      const b = of(large.name);
      if (a === undefined || b === undefined) continue;
      for (const loop of ["step", "campaign"] as const) {
        say(
          `| ${variant} | ${loop} | ${small.name} | ${range(a[loop], 2)} | ${large.name} | ${range(b[loop], 2)} | ${f(b[loop].median / a[loop].median, 2)} |`,
        );
      }
    }
  }
  say();
}

if (section("explore")) {
  say(`## Explorer: small topology, ioapic alphabet, ${budget.exploreMs / 1000} s per variant (--all-signatures)`);
  say();
  say(
    "Each row is a fresh process, as `irqcheck explore` runs (bench/explore-child.ts). states/CPU s: distinct states over CPU time of the search; the goal is 20,000 for qemu-8.0 to depth 8 (the first row, measured after a warm-up search to depth 7 in the same process).",
  );
  say();
  say("| variant | depth completed | states | states/CPU s | states/s (wall) | shortest per signature |");
  say("| --- | ---: | ---: | ---: | ---: | --- |");
  // Warmed up first: the JIT's first seconds would count against the goal's row.
  const toDepth8 = exploreBenchFresh("qemu-8.0", Number.POSITIVE_INFINITY, 8, 7);
  say(
    `| qemu-8.0, depth 8 | ${toDepth8.depthCompleted} | ${toDepth8.states} | ${f(toDepth8.statesPerCpuSecond)} | ${f(toDepth8.statesPerSecond)} | |`,
  );
  for (const v of ["qemu-7.2", "qemu-8.0", "route-masked", "irqfd-cache", "irqfd-cache-lazy"]) {
    const e = exploreBenchFresh(v, budget.exploreMs, 12);
    for (const [sig, n] of e.shortest) shortest.set(`${v}/${sig}`, n);
    const sigs = [...e.shortest].map(([sig, n]) => `${sig}: ${n}`).join("; ");
    say(
      `| ${v} | ${e.depthCompleted} | ${e.states} | ${f(e.statesPerCpuSecond)} | ${f(e.statesPerSecond)} | ${sigs || "none"} |`,
    );
  }
  say();
}

if (section("time-to-find")) {
  const bugs = documentedBugs();
  const deepOnes = [...new Set(bugs.filter((b) => b.deep === true).map((b) => b.divergence))].join(", ");
  say(
    `## Time to first divergence, guided and unguided (one core, seeds 1-${budget.seeds}, at most ${budget.runCap} runs; ${deepOnes} seeds 1-${budget.deepSeeds}, at most ${budget.deepCap})`,
  );
  say();
  say(
    `Runs to the first run that shows the bug, median (min–max) over the seeds; a seed that did not find it counts as ∞. Seconds are wall and CPU time to that run, over the seeds that found it. runs ×: unguided median runs over guided. sooner/later/same: seeds on which the guided campaign found the bug in fewer, more or as many runs as the unguided one with the same seed (its fresh runs are the unguided campaign's runs). shrunk lengths: over the seeds that found it, each length with its count, followed by the difference where the signature is not the first one named. explorer: the shortest counterexample of each signature on the small topology's ioapic alphabet, where the explorer section ran and reaches it; for a bug with a fixing variant (D20), the shortest that variant passes, searched to depth ${budget.bugExploreDepth}.`,
  );
  say();
  say(
    "| divergence | variant | profile | mode | found | runs | wall s | CPU s | runs × | sooner/later/same | shrunk lengths | explorer |",
  );
  say("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | ---: |");
  for (const bug of bugs) {
    const deep = bug.deep === true;
    const cap = deep ? budget.deepCap : budget.runCap;
    const seeds = deep ? budget.deepSeeds : budget.seeds;
    const unguided = await timeToFind(bug, false, seeds, cap);
    const guided = await timeToFind(bug, true, seeds, cap);
    // A bug with a fixing variant gets its own search: the explore section's shortest may be a look-alike.
    const own = bug.fixedBy === undefined ? undefined : shortestOfBug(bug, budget.bugExploreDepth);
    const bfs = bug.signatures
      .map((sig, i) => {
        const n = own === undefined ? shortest.get(`${bug.variant}/${sig}`) : own.get(sig);
        return n === undefined ? undefined : i === 0 ? `${n}` : `${n} ${sig.split("/")[1]}`;
      })
      .filter((x) => x !== undefined)
      .join(", ");
    // Both Infinity (neither found it) counts as the same.
    const paired = (sign: number) =>
      guided.runsPerSeed.filter((g, i) => {
        const u = unguided.runsPerSeed[i] ?? 0;
        return (u === g ? 0 : Math.sign(u - g)) === sign;
      }).length;
    const pairs = `${paired(1)}/${paired(-1)}/${paired(0)}`;
    for (const t of [unguided, guided]) {
      const times = t.runs.median / guided.runs.median;
      say(
        `| ${bug.divergence} ${bug.signatures.join(", ")} | ${bug.variant} | ${bug.profile} | ${t.guided ? "guided" : "unguided"} | ${t.found}/${t.seeds} | ${range(t.runs)} | ${range(t.wallSeconds, 2)} | ${range(t.cpuSeconds, 2)} | ${t.guided ? "" : Number.isFinite(times) ? f(times, 1) : `> ${f(cap / guided.runs.median, 1)}`} | ${t.guided ? pairs : ""} | ${tally(t.shrunkLengths)} | ${bfs || "-"} |`,
      );
    }
  }
  say();
}

if (section("scaling")) {
  say(`## Jobs scaling on the same work (${budget.scalingRuns} runs of every profile on irqfd-cache, worker threads)`);
  say();
  say("| jobs | wall s | CPU s (all threads) | commands |");
  say("| ---: | ---: | ---: | ---: |");
  const s = await scaling("irqfd-cache", budget.scalingRuns, budget.rounds);
  const row = (jobs: number, xs: typeof s.oneJob) => {
    const wall = stat(xs.map((x) => x.wallMs / 1000));
    const cpu = stat(xs.map((x) => x.cpuMs / 1000));
    say(`| ${jobs} | ${range(wall, 2)} | ${range(cpu, 2)} | ${xs[0]?.work ?? 0} |`);
  };
  row(1, s.oneJob);
  row(2, s.twoJobs);
  say();
  say(`Speed-up of 2 jobs over 1 (wall, per round): ${range(s.speedup, 2)}.`);
  say();
}

if (section("memory")) {
  say(`## Memory: resident set of a ${budget.memoryMs / 1000} s in-process campaign`);
  say();
  say("| variant | runs | RSS early (MiB) | RSS at end (MiB) | peak (MiB) |");
  say("| --- | ---: | ---: | ---: | ---: |");
  const m = memory("qemu-8.2", budget.memoryMs);
  say(`| ${m.variant} | ${m.runs} | ${f(m.rssStartMiB)} | ${f(m.rssEndMiB)} | ${f(m.rssPeakMiB)} |`);
  say();
}

say(`At the end: ${load()}.`);
if (only === null) writeFileSync(new URL("./RESULTS.md", import.meta.url), `${lines.join("\n")}\n`);
