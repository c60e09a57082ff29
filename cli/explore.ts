/**
 * `irqcheck explore`: every command sequence up to a depth, breadth-first, from a finite
 * alphabet (properties/alphabet.ts), against one variant; a shortest counterexample saved
 * as `fuzz` saves one (provenance "explore"), or "no divergence up to depth D" with the
 * search's counts. The engine is properties/explore.ts; this file is flags and output.
 */
import { ALPHABETS, type AlphabetName, alphabet } from "../properties/alphabet.ts";
import { faultDivergence } from "../properties/checker.ts";
import type { ExploreProgress, ExploreResult } from "../properties/explore.ts";
import { signatureOf } from "../properties/signature.ts";
import { count, defineCommand, duration, oneOf, switchFlag, text } from "./command.ts";
import { EXIT, UsageError } from "./errors.ts";
import { prepareOutputDirectory } from "./files.ts";
import { FindingRecorder, failsRun, type SavedFinding } from "./finding.ts";
import { baseline, exitStatus, failOn, impl, json, out, property, runTimeout, topology } from "./flags.ts";
import { shrinkHang } from "./hang.ts";
import type { Io } from "./io.ts";
import { isolatedTriage, withSandbox } from "./isolated.ts";
import { jobVariant } from "./job.ts";
import { chooseVariant, defaultStore, resolveTopology } from "./resolve.ts";
import { loggedCommands } from "./run-watch.ts";
import { DEFAULT_RUN_TIMEOUT_MS, Sandbox } from "./sandbox.ts";
import { stopOnSignals } from "./signals.ts";
import type { ExploreOutcome } from "./tasks.ts";

const DEFAULT_DEPTH = 8;

export const EXPLORE = defineCommand({
  name: "explore",
  summary: "Tries every command sequence up to a depth, breadth-first: a shortest counterexample, or none.",
  description: [
    "Every sequence of at most D commands from a finite alphabet, each (reference states,",
    "implementation state) pair once: the first divergence is a shortest one; it is saved under --out",
    "for irqcheck replay. Alphabets (properties/alphabet.ts): ioapic, one pin's RTE words, its line,",
    "vCPU accept/EOI (D1, D2); msi, one IRTE, IEC invalidation, IR on/off and one MSI-X vector (D3,",
    "D7); full, both, two IRTEs. The implementation runs in a sandbox worker: a crash, or a command",
    "that takes longer than --run-timeout, is a finding.",
  ],
  flags: {
    variant: text("NAME", "a built-in variant"),
    impl,
    baseline,
    "fail-on": failOn,
    depth: count("D", "longest sequence tried", { max: 64, shownDefault: String(DEFAULT_DEPTH) }),
    alphabet: oneOf("NAME", "the commands sequences are made of", ALPHABETS, "ioapic"),
    topology: topology("small"),
    time: duration("stop cleanly after this long and report the depth completed"),
    property,
    "all-signatures": switchFlag("keep going and save the shortest sequence of every signature"),
    out,
    json,
    "run-timeout": { ...runTimeout, help: "per-command budget: a command that takes longer is 'implementation hung'" },
  },
  conflicts: [["variant", "impl"]],
  requiresOneOf: ["variant", "impl"],
  exit: exitStatus("no divergence up to the depth completed", "divergence found"),
});

/** Hanging candidates tried when shrinking a hang found by the explorer. */
const MAX_HANG_SHRINK_TRIES = 3;

export async function explore(argv: readonly string[], io: Io): Promise<number> {
  const { values, help } = EXPLORE.parse(argv);
  if (help) {
    io.out(EXPLORE.help());
    return EXIT.OK;
  }
  const prop = values.property ?? "delivery-log";
  const alphabetName = values.alphabet ?? "ioapic";
  const depth = values.depth ?? DEFAULT_DEPTH;
  const timeMs = values.time ?? null;
  const topo = resolveTopology(values.topology ?? "small");
  const variant = await chooseVariant(values);
  const loaded = await jobVariant(variant.spec);
  let digestless = false;
  try {
    digestless = loaded.create().digest === undefined;
  } catch {
    // A constructor that throws is a finding: the sandbox reports it.
  }
  if (digestless) {
    throw new UsageError(
      `irqcheck explore: ${variant.name} has no digest(): the explorer hashes implementation states (see properties/implementation.ts)`,
    );
  }
  const outDir = values.out ?? defaultStore();
  prepareOutputDirectory("--out", outDir);
  const commands = alphabet(alphabetName, topo);
  const human = values.json !== true;
  io.err(
    `irqcheck explore: ${variant.name}, alphabet ${alphabetName} (${commands.length} commands), topology ${topo.name}, property ${prop}, depth ${depth}${timeMs === null ? "" : `, --time ${timeMs / 1000}s`}`,
  );
  const progress = depthReporter(io);
  const runTimeoutMs = values["run-timeout"] ?? DEFAULT_RUN_TIMEOUT_MS;
  const recorder = new FindingRecorder({ out: outDir, topology: topo, source: "explore", io, human });
  const sandbox = new Sandbox({
    runTimeoutMs,
    perCommand: true,
    onMessage: (m) => {
      if (m.kind === "explore-progress") progress.update(m.progress);
    },
  });
  const signals = stopOnSignals(io, "explore", () => sandbox.stop());
  try {
    const outcome = await sandbox.run<ExploreOutcome>({
      kind: "explore",
      variant: variant.spec,
      config: {
        topology: topo,
        alphabet: commands,
        variant: variant.name,
        property: prop,
        depth,
        allSignatures: values["all-signatures"],
      },
      timeMs,
    });
    progress.done();
    const result = outcome.ok && outcome.value.kind === "done" ? outcome.value.result : null;
    const failing = !outcome.ok
      ? {
          kind: outcome.fault.kind,
          message: outcome.fault.message,
          commands: loggedCommands(outcome.fault.snapshot, topo),
        }
      : outcome.value.kind === "fault"
        ? { ...outcome.value.fault, commands: outcome.value.commands }
        : null;
    if (result !== null) {
      for (const f of result.findings) {
        const classification = await isolatedTriage(
          sandbox,
          variant.spec,
          { topology: topo, commands: f.commands, property: prop },
          f.signature,
          values.baseline,
        );
        recorder.record({ signature: f.signature, classification, commands: f.commands, divergence: f.divergence });
      }
    }
    if (failing !== null && failing.commands !== null && failing.commands.length > 0) {
      io.err(`irqcheck explore: the implementation ${failing.kind} (${failing.message})`);
      const { kind, commands: failed } = failing;
      const found =
        kind === "hung"
          ? await withSandbox(runTimeoutMs, (s) =>
              shrinkHang(
                { sandbox: s, variant: variant.spec, topology: topo, property: prop, maxHangs: MAX_HANG_SHRINK_TRIES },
                failed,
              ),
            )
          : failed;
      const divergence = faultDivergence(topo, prop, found, { kind: failing.kind, message: failing.message });
      recorder.record({
        signature: signatureOf(variant.name, divergence),
        classification: null,
        commands: found,
        divergence,
      });
    }
    const summary = summarize(result, depth, variant.name, alphabetName, commands.length, recorder.entries());
    if (human) for (const line of describe(summary)) io.out(line);
    else io.out(JSON.stringify(summary, null, 2));
    const failOnWhat = values["fail-on"] ?? "new";
    return recorder.entries().some((d) => failsRun(d, failOnWhat)) ? EXIT.DIVERGED : EXIT.OK;
  } finally {
    signals.dispose();
    await sandbox.close();
  }
}

export interface ExploreSummary {
  readonly variant: string;
  readonly alphabet: AlphabetName;
  readonly alphabetSize: number;
  readonly depth: number;
  readonly depthCompleted: number;
  readonly stoppedByTime: boolean;
  readonly states: number;
  readonly transitions: number;
  readonly statesPerSecond: number;
  readonly largestFrontier: number;
  /** The process's maximum resident set size (getrusage ru_maxrss), in bytes. */
  readonly peakRssBytes: number;
  readonly seconds: number;
  readonly divergences: readonly SavedFinding[];
}

function summarize(
  r: ExploreResult | null,
  depth: number,
  variant: string,
  alphabetName: AlphabetName,
  alphabetSize: number,
  divergences: readonly SavedFinding[],
): ExploreSummary {
  const seconds = (r?.elapsedMs ?? 0) / 1000;
  return {
    variant,
    alphabet: alphabetName,
    alphabetSize,
    depth,
    depthCompleted: r?.depthCompleted ?? 0,
    stoppedByTime: r?.stopped ?? false,
    states: r?.states ?? 0,
    transitions: r?.transitions ?? 0,
    statesPerSecond: Math.round((r?.states ?? 0) / Math.max(seconds, 1e-3)),
    largestFrontier: r?.largestFrontier ?? 0,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    seconds,
    divergences,
  };
}

/** The summary line (each finding's lines were printed as it was saved). */
function describe(s: ExploreSummary): string[] {
  const counts = `${s.states} distinct states, ${s.transitions} transitions, ${s.statesPerSecond} states/s, largest frontier ${s.largestFrontier}, peak RSS ${Math.round(s.peakRssBytes / 2 ** 20)} MiB, ${s.seconds.toFixed(1)}s`;
  if (s.divergences.length === 0) {
    const bound = s.stoppedByTime
      ? `stopped by --time: no divergence up to depth ${s.depthCompleted} (of ${s.depth})`
      : `no divergence up to depth ${s.depthCompleted}`;
    return [`${s.variant}: ${bound}: ${counts}`];
  }
  const shortest = Math.min(...s.divergences.map((d) => d.length));
  return [
    `${s.variant}: ${s.divergences.length} signature${s.divergences.length === 1 ? "" : "s"}, shortest divergence ${shortest} commands; every sequence up to depth ${s.depthCompleted} tried${s.stoppedByTime ? " (stopped by --time)" : ""}: ${counts}`,
  ];
}

/** A line per completed depth; a live progress line while a depth runs. */
function depthReporter(io: Io) {
  const rate = (p: ExploreProgress) => Math.round(p.states / Math.max(p.elapsedMs / 1000, 1e-3));
  return {
    update(p: ExploreProgress) {
      if (p.depthDone) {
        io.progress?.(null);
        io.err(
          `depth ${p.depth}: ${p.states} states, frontier ${p.frontier}, ${p.transitions} transitions, ${rate(p)} states/s, ${(p.elapsedMs / 1000).toFixed(1)}s`,
        );
      } else {
        io.progress?.(
          `depth ${p.depth}: ${p.expanded}/${p.frontier} nodes expanded, ${p.states} states, ${rate(p)} states/s, ${(p.elapsedMs / 1000).toFixed(1)}s`,
        );
      }
    },
    done() {
      io.progress?.(null);
    },
  };
}
