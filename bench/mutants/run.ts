/**
 * `npm run bench:mutants`: plants each bug of list.ts in a copy of the checkout and runs
 * the campaign a developer would run (`irqcheck fuzz`, every profile, guided) with a fixed
 * budget against the mutant's variant. A mutant is killed when the campaign fails the way
 * a developer would notice: exit status 1, with a NEW or unexplained divergence, a crash or
 * a hang. A control campaign per variant, unmutated, must pass with the same budget, or
 * the kill would mean nothing.
 *
 *   node bin/bundle.js bench/mutants/run.ts [--runs N] [--seeds 1,2,3] [--only id,id] [--slots K] [--unguided]
 *
 * `--unguided` runs the campaigns as pure random ones, to tell a generator's reach from
 * the guidance's (a guide that keeps chasing one kind of run can starve another).
 */
import { execFileSync, spawn } from "node:child_process";
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { MUTANTS, type Mutant } from "./list.ts";
import { mutate } from "./mutate.ts";

const ROOT = resolve(dirname(new URL(import.meta.url).pathname), "../..");

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(name);
  return i < 0 ? undefined : process.argv[i + 1];
}

const runs = Number(flag("--runs") ?? 4000);
const seeds = (flag("--seeds") ?? "1").split(",").map(Number);
const only = flag("--only")?.split(",");
const slots = Number(flag("--slots") ?? 2);
const unguided = process.argv.includes("--unguided");

/** A copy of the tracked files with node_modules linked, for one campaign at a time. */
function checkoutCopy(): string {
  const dir = mkdtempSync(join(tmpdir(), "irqcheck-mutant-"));
  const files = execFileSync("git", ["ls-files"], { cwd: ROOT, encoding: "utf8" }).split("\n").filter(Boolean);
  for (const f of files) {
    if (f.startsWith("counterexamples/")) continue;
    mkdirSync(dirname(join(dir, f)), { recursive: true });
    cpSync(join(ROOT, f), join(dir, f));
  }
  symlinkSync(join(ROOT, "node_modules"), join(dir, "node_modules"));
  return dir;
}

interface Outcome {
  readonly status: number | null;
  /** Run of the first NEW, unexplained, crash or hang finding; null if none. */
  readonly firstRun: number | null;
  readonly what: string;
  readonly seconds: number;
}

interface Finding {
  readonly status: string;
  readonly run: number;
  readonly signature: string;
  readonly fault: unknown;
  readonly length: number;
}

function campaign(dir: string, variant: string, seed: number): Promise<Outcome> {
  const out = join(dir, "cx");
  rmSync(out, { recursive: true, force: true });
  const args = ["bin/irqcheck.js", "fuzz", "--variant", variant, "--runs", String(runs), "--seed", String(seed)];
  args.push("--jobs", "1", "--json", "--out", out, ...(unguided ? ["--unguided"] : []));
  const started = performance.now();
  return new Promise((done) => {
    const child = spawn(process.execPath, args, { cwd: dir, stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    child.stdout.on("data", (d: Buffer) => {
      stdout += d.toString();
    });
    child.on("close", (status) => {
      const seconds = (performance.now() - started) / 1000;
      let findings: Finding[] = [];
      try {
        findings = (JSON.parse(stdout) as { divergences: Finding[] }).divergences;
      } catch {
        done({ status, firstRun: null, what: "no JSON report", seconds });
        return;
      }
      const bad = findings
        .filter((f) => f.status === "new" || f.status === "unexplained" || f.fault !== null)
        .sort((a, b) => a.run - b.run);
      const first = bad[0];
      const what =
        first === undefined
          ? `${findings.length} known`
          : `${first.signature} (${first.fault === null ? first.status : "fault"}, ${first.length} commands)`;
      done({ status, firstRun: first?.run ?? null, what, seconds });
    });
  });
}

interface Job {
  readonly label: string;
  readonly mutant: Mutant | null;
  readonly variant: string;
  readonly seed: number;
}

async function main(): Promise<void> {
  const chosen = MUTANTS.filter((m) => only === undefined || only.includes(m.id));
  const variants = [...new Set(chosen.map((m) => m.variant))];
  const jobs: Job[] = [];
  for (const seed of seeds) {
    for (const v of variants) jobs.push({ label: `control ${v}`, mutant: null, variant: v, seed });
    for (const m of chosen) jobs.push({ label: m.id, mutant: m, variant: m.variant, seed });
  }
  console.log(`${chosen.length} mutants, ${runs} runs per campaign, seeds ${seeds.join(",")}, ${slots} at a time`);
  const results = new Map<Job, Outcome>();
  let next = 0;
  const worker = async (): Promise<void> => {
    const dir = checkoutCopy();
    try {
      while (next < jobs.length) {
        const job = jobs[next++] as Job;
        const m = job.mutant;
        const path = m === null ? null : join(dir, m.file);
        const original = path === null ? null : readFileSync(path, "utf8");
        if (m !== null && path !== null && original !== null) writeFileSync(path, mutate(original, m));
        try {
          const o = await campaign(dir, job.variant, job.seed);
          results.set(job, o);
          const verdict =
            m === null
              ? o.status === 0
                ? "passes"
                : `FAILS (exit ${o.status})`
              : o.firstRun === null
                ? "SURVIVED"
                : `killed at run ${o.firstRun}`;
          console.log(
            `${job.label.padEnd(28)} ${job.variant.padEnd(12)} seed ${job.seed}  ${verdict.padEnd(20)} ${o.what}  ${o.seconds.toFixed(1)} s`,
          );
        } finally {
          if (path !== null && original !== null) writeFileSync(path, original);
        }
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };
  await Promise.all(Array.from({ length: slots }, worker));
  const mutantJobs = jobs.filter((j) => j.mutant !== null);
  const killed = mutantJobs.filter((j) => results.get(j)?.firstRun !== null);
  const controls = jobs.filter((j) => j.mutant === null);
  const badControls = controls.filter((j) => results.get(j)?.status !== 0);
  console.log(
    `\nkilled ${killed.length} of ${mutantJobs.length} mutant campaigns; controls passing ${controls.length - badControls.length} of ${controls.length}`,
  );
  const survivors = mutantJobs.filter((j) => !killed.includes(j));
  for (const j of survivors) console.log(`  survived: ${j.label} (seed ${j.seed}): ${j.mutant?.bug}`);
  if (badControls.length > 0) process.exitCode = 1;
}

await main();
