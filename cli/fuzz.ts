/**
 * `irqcheck fuzz`: a campaign against one or more variants. Jobs split the campaign's
 * run space (run r goes to job r mod jobs; shard K/N keeps runs r = K mod N), so a seed
 * and a job count give the same runs, and the same divergences, every time (with --runs;
 * with --time, up to the runs completed).
 */

import { writeFileSync } from "node:fs";
import { availableParallelism } from "node:os";
import { explainFinding } from "../impl/manifest.ts";
import type { Finding } from "../properties/campaign.ts";
import { buildCounterexample } from "../properties/counterexample.ts";
import { PROFILES } from "../properties/profiles/index.ts";
import { parse, parseCount, parseDuration, parseProperty, parseShard } from "./args.ts";
import { loadCorpus, saveCorpus } from "./corpus.ts";
import { EXIT, UsageError } from "./errors.ts";
import type { Io } from "./io.ts";
import type { JobSpec } from "./job.ts";
import { junitXml } from "./junit.ts";
import { runJobs } from "./pool.ts";
import { progressReporter, sumProgress } from "./progress.ts";
import { loadImplementation, resolveProfile, resolveTopology, resolveVariants } from "./resolve.ts";
import { saveCounterexample } from "./store.ts";

export const FUZZ_HELP = `usage: irqcheck fuzz [--variant NAME|all ...] [--impl PATH] [--profile NAME ...] [--time 60s | --runs N]
                     [--seed N] [--jobs N] [--shard K/N] [--max-commands N] [--topology NAME|FILE]
                     [--property delivery-log|guest-visible] [--out DIR] [--json] [--junit FILE]
                     [--corpus DIR] [--unguided]
Runs a campaign: random guest sequences through the reference and the variant, step by step;
every new kind of divergence is shrunk and saved under --out (default counterexamples/).
Runs are feedback-guided: a run that reaches new abstract states is kept and mutated
(--unguided: pure random runs); --corpus DIR starts from the runs kept there and adds this
campaign's (merge shards' corpora with irqcheck merge --corpus).
Defaults: --variant qemu-7.2 --time 10s, every profile in turn, --jobs = cores, a random seed.
Exit 0: no divergence; 1: divergences found; 2: bad usage or input.`;

interface CampaignOutcome {
  readonly variant: string;
  readonly runs: number;
  readonly commands: number;
  readonly seconds: number;
  readonly findings: readonly Finding[];
}

export async function fuzz(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parse("fuzz", argv, {
    variant: { type: "string", multiple: true },
    impl: { type: "string" },
    profile: { type: "string", multiple: true },
    time: { type: "string" },
    runs: { type: "string" },
    seed: { type: "string" },
    jobs: { type: "string" },
    shard: { type: "string" },
    "max-commands": { type: "string" },
    topology: { type: "string" },
    property: { type: "string" },
    out: { type: "string" },
    json: { type: "boolean" },
    junit: { type: "string" },
    corpus: { type: "string" },
    unguided: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (values.help) {
    io.out(FUZZ_HELP);
    return EXIT.OK;
  }
  if (values.impl !== undefined && values.variant !== undefined)
    throw new UsageError("use --variant or --impl, not both");
  if (values.time !== undefined && values.runs !== undefined) throw new UsageError("use --time or --runs, not both");
  const property = parseProperty(values.property ?? "delivery-log");
  const profiles = (values.profile ?? Object.keys(PROFILES)).map((p) => resolveProfile(p).name);
  const topology = resolveTopology(values.topology ?? "default");
  const seed = values.seed === undefined ? Math.floor(Math.random() * 2 ** 31) : parseCount("--seed", values.seed, 0);
  const jobs =
    values.jobs === undefined ? Math.max(1, availableParallelism()) : parseCount("--jobs", values.jobs, 1, 64);
  const shard = values.shard === undefined ? { index: 0, count: 1 } : parseShard(values.shard);
  const maxCommands =
    values["max-commands"] === undefined ? 40 : parseCount("--max-commands", values["max-commands"], 1, 10_000);
  const runs = values.runs === undefined ? undefined : parseCount("--runs", values.runs);
  const timeMs = runs !== undefined ? undefined : parseDuration("--time", values.time ?? "10s");
  const out = values.out ?? "counterexamples";
  if (values.unguided === true && values.corpus !== undefined)
    throw new UsageError("use --corpus or --unguided, not both");
  const guidance =
    values.unguided === true ? undefined : { corpus: values.corpus === undefined ? [] : loadCorpus(values.corpus) };
  const variants =
    values.impl !== undefined
      ? [{ spec: { implPath: values.impl }, name: (await loadImplementation(values.impl)).name }]
      : resolveVariants(values.variant ?? ["qemu-7.2"]).map((v) => ({ spec: { name: v.name }, name: v.name }));

  io.err(
    `irqcheck fuzz: seed ${seed}, ${jobs} job${jobs > 1 ? "s" : ""}${shard.count > 1 ? `, shard ${shard.index}/${shard.count}` : ""}, profiles ${profiles.join(",")}, property ${property}, topology ${topology.name}, ${runs !== undefined ? `${runs} runs` : `${(timeMs ?? 0) / 1000}s`} per variant, ${guidance === undefined ? "unguided" : "guided"}`,
  );
  const outcomes: CampaignOutcome[] = [];
  for (const v of variants) {
    const stride = jobs * shard.count;
    const specs: JobSpec[] = Array.from({ length: jobs }, (_, j) => ({
      variant: v.spec,
      profiles,
      topology,
      property,
      seed,
      maxCommands,
      firstRun: shard.index + shard.count * j,
      runStride: stride,
      ...(runs === undefined
        ? {}
        : { runs: Math.floor(runs / stride) + (j * shard.count + shard.index < runs % stride ? 1 : 0) }),
      ...(timeMs === undefined ? {} : { timeMs }),
      ...(guidance === undefined ? {} : { guidance }),
    }));
    const reporter = progressReporter(v.name, timeMs ?? null);
    const started = Date.now();
    // Ctrl-C stops the campaign cleanly: what was found is still shrunk, saved and reported.
    const stop = new AbortController();
    const onSigint = () => stop.abort();
    process.once("SIGINT", onSigint);
    const results = await runJobs(specs, (parts) => reporter.update(sumProgress(parts)), { stop: stop.signal });
    process.off("SIGINT", onSigint);
    reporter.done();
    const total = sumProgress(results);
    outcomes.push({
      variant: v.name,
      runs: total.runs,
      commands: total.commands,
      seconds: (Date.now() - started) / 1000,
      findings: mergeFindings(results.flatMap((r) => r.findings)),
    });
    if (values.corpus !== undefined) {
      const added = saveCorpus(
        values.corpus,
        results.flatMap((r) => r.corpus ?? []),
      );
      io.err(`${v.name}: corpus ${values.corpus}: ${guidance?.corpus.length ?? 0} runs loaded, ${added} added`);
    }
  }
  const reports = outcomes.map((o) => report(o, out, topology, seed, profiles, io, values.json !== true));
  if (values.json === true)
    io.out(JSON.stringify(reports.length === 1 ? reports[0] : { seed, campaigns: reports }, null, 2));
  if (values.junit !== undefined) writeFileSync(values.junit, junitXml(reports));
  return reports.some((r) => r.divergences.length > 0) ? EXIT.DIVERGED : EXIT.OK;
}

/** One finding per signature: the one first seen in run order, with every job's repeats. */
export function mergeFindings(findings: readonly Finding[]): Finding[] {
  const byKey = new Map<string, Finding>();
  for (const f of [...findings].sort((a, b) => a.run - b.run)) {
    const prev = byKey.get(f.key);
    if (prev === undefined) byKey.set(f.key, { ...f, repeats: [...f.repeats] });
    else prev.repeats.push(f.run, ...f.repeats);
  }
  for (const f of byKey.values()) f.repeats.sort((a, b) => a - b);
  return [...byKey.values()];
}

export interface CampaignReport {
  readonly variant: string;
  readonly seed: number;
  readonly runs: number;
  readonly commands: number;
  readonly seconds: number;
  readonly commandsPerSecond: number;
  readonly divergences: readonly {
    readonly file: string;
    readonly saved: boolean;
    readonly signature: string;
    readonly property: string;
    readonly known: readonly string[];
    readonly length: number;
    readonly step: number;
    readonly run: number;
    /** Later runs with the same signature (run them alone with --runs/--shard or `real --run`). */
    readonly repeats: readonly number[];
    readonly title: string;
  }[];
}

function report(
  o: CampaignOutcome,
  out: string,
  topology: Parameters<typeof buildCounterexample>[0]["topology"],
  seed: number,
  profiles: readonly string[],
  io: Io,
  human: boolean,
): CampaignReport {
  const rate = Math.round(o.commands / Math.max(o.seconds, 1e-3));
  if (human) {
    io.out(
      `${o.variant}: ${o.runs} runs, ${o.commands} commands in ${o.seconds.toFixed(1)}s (${rate} commands/s), ${o.findings.length} signature${o.findings.length === 1 ? "" : "s"}`,
    );
  }
  const divergences = o.findings.map((f) => {
    const sig = `${f.signature.op}/${f.signature.difference}`;
    const known = explainFinding(o.variant, sig).map((k) => k.id);
    const c = buildCounterexample({
      variant: o.variant,
      signature: f.signature,
      signatureKey: f.key,
      known,
      topology,
      commands: f.commands,
      divergence: f.divergence,
      provenance: {
        tool: "irqcheck 0.1.0",
        date: new Date().toISOString(),
        source: "fuzz",
        profile: f.profile,
        seed,
        run: f.run,
        runSeed: f.runSeed,
        originalLength: f.originalLength,
      },
    });
    const saved = saveCounterexample(out, c);
    if (human) {
      io.out(
        `  ${saved.saved ? "NEW " : "seen"} ${f.key.slice(o.variant.length + 1)}  [${known.join(",") || "unexplained"}] ${f.commands.length} commands, run ${f.run} (${(f.msToFind / 1000).toFixed(2)}s)`,
      );
      io.out(`       ${c.title}`);
      if (f.repeats.length > 0)
        io.out(
          `       ${f.repeats.length} more run(s) with this signature: ${f.repeats.slice(0, 10).join(", ")}${f.repeats.length > 10 ? ", ..." : ""}`,
        );
      io.out(`       ${saved.saved ? "saved" : "already saved"}: irqcheck replay ${saved.file}`);
    }
    return {
      file: saved.file,
      saved: saved.saved,
      signature: f.key,
      property: f.signature.property,
      known,
      length: f.commands.length,
      step: f.divergence.step,
      run: f.run,
      repeats: f.repeats,
      title: c.title,
    };
  });
  if (human && o.findings.length === 0) io.out(`  no divergence (profiles ${profiles.join(",")})`);
  return {
    variant: o.variant,
    seed,
    runs: o.runs,
    commands: o.commands,
    seconds: o.seconds,
    commandsPerSecond: rate,
    divergences,
  };
}
