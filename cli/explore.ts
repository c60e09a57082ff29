/**
 * `irqcheck explore`: every command sequence up to a depth, breadth-first, from a finite
 * alphabet (properties/alphabet.ts), against one variant; a shortest counterexample saved
 * as `fuzz` saves one (provenance "explore"), or "no divergence up to depth D" with the
 * search's counts. The engine is properties/explore.ts; this file is flags and output.
 */
import { explainFinding } from "../impl/manifest.ts";
import { ALPHABETS, type AlphabetName, alphabet } from "../properties/alphabet.ts";
import { buildCounterexample } from "../properties/counterexample.ts";
import {
  type ExploreFinding,
  type ExploreProgress,
  type ExploreResult,
  explore as search,
} from "../properties/explore.ts";
import { parse, parseCount, parseDuration, parseProperty } from "./args.ts";
import { EXIT, UsageError } from "./errors.ts";
import { type Io, processIo } from "./io.ts";
import { loadImplementation, resolveTopology, resolveVariants } from "./resolve.ts";
import { saveCounterexample } from "./store.ts";

export const EXPLORE_HELP = `usage: irqcheck explore --variant NAME | --impl PATH [--depth D] [--alphabet ioapic|msi|full]
                        [--topology small|NAME|FILE] [--time T] [--property delivery-log|guest-visible]
                        [--all-signatures] [--out DIR] [--json]
Tries every command sequence of at most D commands (default 8) from a finite alphabet,
breadth-first, each (reference states, implementation state) pair once: the first divergence
is a shortest one; it is saved under --out (default counterexamples/) for irqcheck replay.
Alphabets (see properties/alphabet.ts): ioapic (default) one pin's RTE words, its line, vCPU
accept/EOI (D1, D2); msi: one IRTE, IEC invalidation, IR on/off and one MSI-X vector (D3,
D7); full: both, two IRTEs. --all-signatures keeps going and saves the shortest sequence of
every signature. --time stops cleanly and reports the depth completed.
Exit 0: no divergence up to the depth completed; 1: divergence found; 2: bad usage or input.`;

const DEFAULT_DEPTH = 8;

export async function explore(argv: readonly string[], io: Io): Promise<number> {
  const { values } = parse("explore", argv, {
    variant: { type: "string" },
    impl: { type: "string" },
    depth: { type: "string" },
    alphabet: { type: "string" },
    topology: { type: "string" },
    time: { type: "string" },
    property: { type: "string" },
    "all-signatures": { type: "boolean" },
    out: { type: "string" },
    json: { type: "boolean" },
    help: { type: "boolean" },
  });
  if (values.help) {
    io.out(EXPLORE_HELP);
    return EXIT.OK;
  }
  if ((values.impl === undefined) === (values.variant === undefined)) {
    throw new UsageError("irqcheck explore: give --variant NAME or --impl PATH (one of them)");
  }
  const property = parseProperty(values.property ?? "delivery-log");
  const alphabetName = (values.alphabet ?? "ioapic") as AlphabetName;
  if (!ALPHABETS.includes(alphabetName)) {
    throw new UsageError(`--alphabet: expected ${ALPHABETS.join(", ")}, got "${values.alphabet}"`);
  }
  const depth = values.depth === undefined ? DEFAULT_DEPTH : parseCount("--depth", values.depth, 1, 64);
  const timeMs = values.time === undefined ? null : parseDuration("--time", values.time);
  const topology = resolveTopology(values.topology ?? "small");
  const variant =
    values.impl !== undefined ? await loadImplementation(values.impl) : resolveVariants([values.variant ?? ""])[0];
  if (variant === undefined) throw new UsageError("irqcheck explore: no variant");
  if (variant.create().digest === undefined) {
    throw new UsageError(
      `irqcheck explore: ${variant.name} has no digest(): the explorer hashes implementation states (see properties/implementation.ts)`,
    );
  }
  const commands = alphabet(alphabetName, topology);
  const human = values.json !== true;
  io.err(
    `irqcheck explore: ${variant.name}, alphabet ${alphabetName} (${commands.length} commands), topology ${topology.name}, property ${property}, depth ${depth}${timeMs === null ? "" : `, --time ${timeMs / 1000}s`}`,
  );

  const started = Date.now();
  const progress = depthReporter(io);
  const result = search({
    topology,
    alphabet: commands,
    create: variant.create,
    variant: variant.name,
    property,
    depth,
    allSignatures: values["all-signatures"] === true,
    stop: () => timeMs !== null && Date.now() - started >= timeMs,
    onProgress: progress.update,
  });
  progress.done();

  const out = values.out ?? "counterexamples";
  const divergences = result.findings.map((f) => save(f, variant.name, topology, out));
  const summary = summarize(result, depth, variant.name, alphabetName, commands.length, divergences);
  if (human) for (const line of describe(summary)) io.out(line);
  else io.out(JSON.stringify(summary, null, 2));
  return divergences.length > 0 ? EXIT.DIVERGED : EXIT.OK;
}

interface SavedDivergence {
  readonly file: string;
  readonly saved: boolean;
  readonly signature: string;
  readonly known: readonly string[];
  readonly length: number;
  readonly title: string;
}

function save(
  f: ExploreFinding,
  variant: string,
  topology: Parameters<typeof buildCounterexample>[0]["topology"],
  out: string,
): SavedDivergence {
  const known = explainFinding(variant, `${f.signature.op}/${f.signature.difference}`).map((k) => k.id);
  const c = buildCounterexample({
    variant,
    signature: f.signature,
    known,
    topology,
    commands: f.commands,
    divergence: f.divergence,
    provenance: { tool: "irqcheck 0.1.0", date: new Date().toISOString(), source: "explore" },
  });
  const saved = saveCounterexample(out, c);
  return { file: saved.file, saved: saved.saved, signature: f.key, known, length: f.commands.length, title: c.title };
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
  readonly divergences: readonly SavedDivergence[];
}

function summarize(
  r: ExploreResult,
  depth: number,
  variant: string,
  alphabetName: AlphabetName,
  alphabetSize: number,
  divergences: readonly SavedDivergence[],
): ExploreSummary {
  const seconds = r.elapsedMs / 1000;
  return {
    variant,
    alphabet: alphabetName,
    alphabetSize,
    depth,
    depthCompleted: r.depthCompleted,
    stoppedByTime: r.stopped,
    states: r.states,
    transitions: r.transitions,
    statesPerSecond: Math.round(r.states / Math.max(seconds, 1e-3)),
    largestFrontier: r.largestFrontier,
    peakRssBytes: process.resourceUsage().maxRSS * 1024,
    seconds,
    divergences,
  };
}

function describe(s: ExploreSummary): string[] {
  const counts = `${s.states} distinct states, ${s.transitions} transitions, ${s.statesPerSecond} states/s, largest frontier ${s.largestFrontier}, peak RSS ${Math.round(s.peakRssBytes / 2 ** 20)} MiB, ${s.seconds.toFixed(1)}s`;
  if (s.divergences.length === 0) {
    const bound = s.stoppedByTime
      ? `stopped by --time: no divergence up to depth ${s.depthCompleted} (of ${s.depth})`
      : `no divergence up to depth ${s.depthCompleted}`;
    return [`${s.variant}: ${bound}: ${counts}`];
  }
  const shortest = s.divergences[0]?.length ?? 0;
  const lines = [
    `${s.variant}: ${s.divergences.length} signature${s.divergences.length === 1 ? "" : "s"}, shortest divergence ${shortest} commands; every sequence up to depth ${s.depthCompleted} tried${s.stoppedByTime ? " (stopped by --time)" : ""}: ${counts}`,
  ];
  for (const d of s.divergences) {
    lines.push(
      `  ${d.saved ? "NEW " : "seen"} ${d.signature.slice(s.variant.length + 1)}  [${d.known.join(",") || "unexplained"}] ${d.length} commands`,
    );
    lines.push(`       ${d.title}`);
    lines.push(
      `       ${d.saved ? "saved" : "a counterexample with this signature is already saved"}: irqcheck replay ${d.file}`,
    );
  }
  return lines;
}

/** A line per completed depth; on a terminal also a redrawn line while a depth runs. */
function depthReporter(io: Io) {
  const live = io === processIo && process.stderr.isTTY === true;
  const rate = (p: ExploreProgress) => Math.round(p.states / Math.max(p.elapsedMs / 1000, 1e-3));
  return {
    update(p: ExploreProgress) {
      if (p.depthDone) {
        if (live) process.stderr.write("\r\x1b[K");
        io.err(
          `depth ${p.depth}: ${p.states} states, frontier ${p.frontier}, ${p.transitions} transitions, ${rate(p)} states/s, ${(p.elapsedMs / 1000).toFixed(1)}s`,
        );
      } else if (live) {
        process.stderr.write(
          `\r\x1b[Kdepth ${p.depth}: ${p.expanded}/${p.frontier} nodes expanded, ${p.states} states, ${rate(p)} states/s, ${(p.elapsedMs / 1000).toFixed(1)}s`,
        );
      }
    },
    done() {
      if (live) process.stderr.write("\r\x1b[K");
    },
  };
}
