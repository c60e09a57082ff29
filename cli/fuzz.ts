/**
 * `irqcheck fuzz`: a campaign against one or more variants. Jobs split the campaign's
 * run space (run r goes to job r mod jobs; shard K/N keeps runs r = K mod N), so a seed
 * and a job count give the same runs, and the same divergences, every time (with --runs;
 * with --time, up to the runs completed). Each finding is saved the moment it is shrunk;
 * a hang or crash of the implementation is a finding of its own kind and the job goes on
 * on a fresh worker; SIGINT, SIGTERM and SIGHUP stop every job after its current run.
 */

import { availableParallelism } from "node:os";
import type { Command } from "../model/commands.ts";
import { type Finding, runSeed } from "../properties/campaign.ts";
import { faultDivergence } from "../properties/checker.ts";
import { PROFILES } from "../properties/profiles/index.ts";
import { formatSignature, signatureLabel, signatureOf } from "../properties/signature.ts";
import { count, defineCommand, duration, repeatable, switchFlag, text, value } from "./command.ts";
import { loadCorpus, saveCorpus } from "./corpus.ts";
import { EXIT, UsageError } from "./errors.ts";
import { checkOutputFile, prepareOutputDirectory, writeReportFile } from "./files.ts";
import { type CampaignReport, FindingRecorder, failsRun } from "./finding.ts";
import { baseline, exitStatus, failOn, impl, json, out, property, runTimeout, topology } from "./flags.ts";
import { shrinkHang } from "./hang.ts";
import type { Io } from "./io.ts";
import type { JobSpec } from "./job.ts";
import { junitXml } from "./junit.ts";
import { type JobFault, runJobs } from "./pool.ts";
import { progressReporter, sumProgress } from "./progress.ts";
import {
  defaultStore,
  displayPath,
  implReference,
  loadImplementation,
  resolveProfile,
  resolveTopology,
  resolveVariants,
} from "./resolve.ts";
import { loggedCommands } from "./run-watch.ts";
import { DEFAULT_RUN_TIMEOUT_MS, Sandbox } from "./sandbox.ts";
import { stopOnSignals } from "./signals.ts";

export const FUZZ = defineCommand({
  name: "fuzz",
  summary: "Runs a campaign: random guest sequences through the reference and the variant, step by step.",
  description: [
    "Every new kind of divergence is shrunk and saved under --out the moment it is found (never",
    "overwriting); a crash or hang of the implementation is a finding too. Ctrl-C, SIGTERM or SIGHUP",
    "stop after the current runs and report; a second Ctrl-C exits at once (what was found is saved).",
    "Runs are feedback-guided: a run that reaches new abstract states is kept and mutated.",
  ],
  flags: {
    variant: repeatable("NAME", "a built-in variant, or all (irqcheck variants lists them)", "qemu-7.2"),
    impl,
    baseline,
    "fail-on": failOn,
    profile: repeatable("NAME", `a generator profile: ${Object.keys(PROFILES).join(", ")}`, "all, in turn"),
    time: duration("time budget per variant", "10s"),
    runs: count("N", "number of runs per variant, instead of a time budget"),
    seed: count("N", "campaign seed", { min: 0, max: 2 ** 31 - 1, shownDefault: "random" }),
    jobs: count("N", "worker threads", { max: 64, shownDefault: "the number of cores" }),
    shard: value("K/N", "run only runs r with r mod N = K (split a campaign over machines)", parseShard),
    "max-commands": count("N", "longest generated run", { max: 10_000, shownDefault: "40" }),
    topology: topology("default"),
    property,
    out,
    "run-timeout": runTimeout,
    json,
    junit: text("FILE", "also write a JUnit XML report"),
    corpus: text(
      "DIR",
      "start from the runs kept in this corpus and add this campaign's (merge --corpus joins shards')",
    ),
    unguided: switchFlag("pure random runs, no feedback guidance"),
  },
  conflicts: [
    ["variant", "impl"],
    ["time", "runs"],
    ["corpus", "unguided"],
  ],
  exit: exitStatus(
    "no divergence, or only known or inherited ones (listed)",
    "a NEW or unexplained divergence, or an implementation crash or hang (with --fail-on any: any divergence)",
  ),
});

/** `--shard K/N`: 0 <= K < N. */
function parseShard(t: string, flag: string): { index: number; count: number } {
  const m = /^(\d+)\/(\d+)$/.exec(t.trim());
  const index = Number(m?.[1]);
  const n = Number(m?.[2]);
  if (m === null || n < 1 || index >= n) throw new UsageError(`${flag}: expected K/N with 0 <= K < N, got "${t}"`);
  return { index, count: n };
}

export async function fuzz(argv: readonly string[], io: Io): Promise<number> {
  const commandStart = Date.now();
  const { values, help } = FUZZ.parse(argv);
  if (help) {
    io.out(FUZZ.help());
    return EXIT.OK;
  }
  const prop = values.property ?? "delivery-log";
  const profiles = (values.profile ?? Object.keys(PROFILES)).map((p) => resolveProfile(p).name);
  const topo = resolveTopology(values.topology ?? "default");
  const seed = values.seed ?? Math.floor(Math.random() * 2 ** 31);
  const jobs = values.jobs ?? Math.max(1, availableParallelism());
  const shard = values.shard ?? { index: 0, count: 1 };
  const maxCommands = values["max-commands"] ?? 40;
  const runs = values.runs;
  const timeMs = runs !== undefined ? undefined : (values.time ?? 10_000);
  const runTimeoutMs = values["run-timeout"] ?? DEFAULT_RUN_TIMEOUT_MS;
  const outDir = values.out ?? defaultStore();
  const guidance =
    values.unguided === true ? undefined : { corpus: values.corpus === undefined ? [] : loadCorpus(values.corpus) };
  const variants =
    values.impl !== undefined
      ? [{ spec: { implPath: values.impl }, name: (await loadImplementation(values.impl)).name }]
      : resolveVariants(values.variant ?? ["qemu-7.2"]).map((v) => ({ spec: { name: v.name }, name: v.name }));
  if (values.junit !== undefined) checkOutputFile("--junit", values.junit);
  prepareOutputDirectory("--out", outDir);

  const human = values.json !== true;
  io.err(
    `irqcheck fuzz: seed ${seed}, ${jobs} job${jobs > 1 ? "s" : ""}${shard.count > 1 ? `, shard ${shard.index}/${shard.count}` : ""}, profiles ${profiles.join(",")}, property ${prop}, topology ${topo.name}, ${runs !== undefined ? `${runs} runs` : `${(timeMs ?? 0) / 1000}s`} per variant, ${guidance === undefined ? "unguided" : "guided"}; saving to ${displayPath(outDir)}`,
  );
  const recorder = new FindingRecorder({ out: outDir, topology: topo, source: "fuzz", io, human });
  const stop = new AbortController();
  const signals = stopOnSignals(io, "fuzz", () => stop.abort());
  const reports: CampaignReport[] = [];
  try {
    for (const [n, v] of variants.entries()) {
      if (stop.signal.aborted) break;
      // The first variant's budget counts from the command's start (module loading included).
      const deadline = timeMs === undefined ? undefined : (n === 0 ? commandStart : Date.now()) + timeMs;
      const stride = jobs * shard.count;
      const specs: JobSpec[] = Array.from({ length: jobs }, (_, j) => ({
        variant: v.spec,
        profiles,
        topology: topo,
        property: prop,
        seed,
        maxCommands,
        firstRun: shard.index + shard.count * j,
        runStride: stride,
        ...(runs === undefined
          ? {}
          : { runs: Math.floor(runs / stride) + (j * shard.count + shard.index < runs % stride ? 1 : 0) }),
        ...(deadline === undefined ? {} : { deadline }),
        ...(values.baseline === undefined ? {} : { baseline: values.baseline }),
        ...(guidance === undefined ? {} : { guidance }),
      }));
      const reporter = progressReporter(v.name, timeMs ?? null, io);
      const implProvenance = implReference(v.spec);
      const started = Date.now();
      const ofVariant = () => recorder.entries().filter((s) => s.variant === v.name).length;
      let saveError: unknown = null;
      const hangSaves: Promise<void>[] = [];
      const hang: { sandbox: Sandbox | null } = { sandbox: null };
      const faults: FaultContext = {
        recorder,
        io,
        seed,
        pending: new Set(),
        hangSandbox: () => {
          hang.sandbox ??= new Sandbox({ runTimeoutMs });
          return hang.sandbox;
        },
      };
      const guardSave = (f: () => void) => {
        try {
          f();
        } catch (e) {
          saveError ??= e;
          stop.abort();
        }
      };
      const results = await runJobs(
        specs,
        {
          onProgress: (parts) => reporter.update(sumProgress(parts), ofVariant()),
          onFinding: (f) =>
            guardSave(() =>
              recorder.record({
                signature: f.signature,
                classification: f.classification,
                commands: f.commands,
                divergence: f.divergence,
                msToFind: f.msToFind,
                provenance: {
                  ...implProvenance,
                  profile: f.profile,
                  seed,
                  run: f.run,
                  runSeed: f.runSeed,
                  originalLength: f.originalLength,
                },
              }),
            ),
          onFault: (f) =>
            guardSave(() => {
              const later = recordFault(f, v.name, faults);
              if (later !== null)
                hangSaves.push(
                  later.catch((e) =>
                    guardSave(() => {
                      throw e;
                    }),
                  ),
                );
            }),
          known: () => [...recorder.keys(), ...faults.pending],
        },
        { runTimeoutMs, stop: stop.signal },
      );
      if (values.corpus !== undefined) {
        const added = saveCorpus(
          values.corpus,
          results.flatMap((r) => r.corpus ?? []),
        );
        io.err(`${v.name}: corpus ${values.corpus}: ${guidance?.corpus.length ?? 0} runs loaded, ${added} added`);
      }
      await Promise.all(hangSaves);
      await hang.sandbox?.close();
      reporter.done();
      if (saveError !== null) throw saveError;
      const total = sumProgress(results);
      reports.push(
        report(
          {
            variant: v.name,
            runs: total.runs,
            commands: total.commands,
            seconds: (Date.now() - started) / 1000,
            findings: mergeFindings(results.flatMap((r) => r.findings)),
          },
          recorder,
          seed,
          profiles,
          io,
          human,
        ),
      );
    }
  } finally {
    signals.dispose();
  }
  if (signals.received !== null) io.err(`irqcheck fuzz: stopped by ${signals.received}; every finding above is saved`);
  if (values.json === true)
    io.out(JSON.stringify(reports.length === 1 ? reports[0] : { seed, campaigns: reports }, null, 2));
  if (values.junit !== undefined) {
    writeReportFile(values.junit, junitXml(reports), "JUnit report");
    if (human) io.out(`JUnit report: ${values.junit}`);
  }
  const failOnWhat = values["fail-on"] ?? "new";
  return reports.some((r) => r.divergences.some((d) => failsRun(d, failOnWhat))) ? EXIT.DIVERGED : EXIT.OK;
}

/** Hanging candidates tried when shrinking a hang (each costs --run-timeout and a fresh worker). */
const MAX_HANG_SHRINK_TRIES = 6;

/**
 * A job's worker hung or died: the run's commands up to that point are a finding. A crash
 * is saved at once; a hang is shrunk first (in its own sandbox, until the deadline), while
 * the job goes on. Returns the pending save, or null.
 */
function recordFault(f: JobFault, variant: string, context: FaultContext): Promise<void> | null {
  const { spec, run, fault } = f;
  const { recorder, io, seed, pending } = context;
  io.err(
    `irqcheck fuzz: job ${f.job}, run ${run}: the implementation ${fault.kind} (${fault.message}); the job goes on on a fresh worker`,
  );
  const logged = loggedCommands(fault.snapshot, spec.topology);
  if (logged === null) {
    io.err(`irqcheck fuzz: job ${f.job}, run ${run}: no command had started, so there is nothing to save`);
    return null;
  }
  const info = { kind: fault.kind, message: fault.message };
  const signature = signatureOf(variant, faultDivergence(spec.topology, spec.property, logged, info));
  const key = formatSignature(signature);
  if (recorder.keys().includes(key) || pending.has(key)) return null;
  const save = (commands: readonly Command[]) =>
    recorder.record({
      signature,
      classification: null,
      commands,
      divergence: faultDivergence(spec.topology, spec.property, commands, info),
      provenance: {
        ...implReference(spec.variant),
        profile: spec.profiles[run % spec.profiles.length] ?? "",
        seed,
        run,
        runSeed: runSeed(seed, run),
        originalLength: logged.length,
      },
    });
  if (fault.kind === "crashed") {
    save(logged);
    return null;
  }
  pending.add(key);
  const shrinking = shrinkHang(
    {
      sandbox: context.hangSandbox(),
      variant: spec.variant,
      topology: spec.topology,
      property: spec.property,
      maxHangs: MAX_HANG_SHRINK_TRIES,
      ...(spec.deadline === undefined ? {} : { deadline: spec.deadline }),
    },
    logged,
  );
  return shrinking.then((commands) => {
    save(commands);
    pending.delete(key);
  });
}

interface FaultContext {
  readonly recorder: FindingRecorder;
  readonly io: Io;
  readonly seed: number;
  /** Signatures of hangs being shrunk: not reported again meanwhile. */
  readonly pending: Set<string>;
  readonly hangSandbox: () => Sandbox;
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

interface CampaignOutcome {
  readonly variant: string;
  readonly runs: number;
  readonly commands: number;
  readonly seconds: number;
  readonly findings: readonly Finding[];
}

function report(
  o: CampaignOutcome,
  recorder: FindingRecorder,
  seed: number,
  profiles: readonly string[],
  io: Io,
  human: boolean,
): CampaignReport {
  const rate = Math.round(o.commands / Math.max(o.seconds, 1e-3));
  const earliest = new Map(o.findings.map((f) => [f.key, f]));
  // Each saved finding, with the earliest run that found it in run order (deterministic for
  // a seed and job count) and that run's repeats.
  const divergences = recorder
    .entries()
    .filter((s) => s.variant === o.variant)
    .map((s) => {
      const f = earliest.get(s.key);
      return f === undefined
        ? { ...s, repeats: [] }
        : { ...s, run: f.run, length: f.commands.length, step: f.divergence.step, repeats: f.repeats };
    })
    .sort((a, b) => (a.run ?? 0) - (b.run ?? 0));
  if (human) {
    io.out(
      `${o.variant}: ${o.runs} runs, ${o.commands} commands in ${o.seconds.toFixed(1)}s (${rate} commands/s), ${divergences.length} signature${divergences.length === 1 ? "" : "s"}`,
    );
    for (const f of o.findings)
      if (f.repeats.length > 0)
        io.out(
          `  ${signatureLabel(f.signature)}: ${f.repeats.length} more run(s): ${f.repeats.slice(0, 10).join(", ")}${f.repeats.length > 10 ? ", ..." : ""}`,
        );
    if (divergences.length === 0) io.out(`  no divergence (profiles ${profiles.join(",")})`);
  }
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
