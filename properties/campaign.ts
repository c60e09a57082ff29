/**
 * The campaign loop: irqcheck's own seeded loop (xor128 from seedrandom, plain JSON
 * commands, the checker, the greedy shrinker), not fast-check's runner, for throughput
 * (see bench/). Each run draws its own seed from the campaign seed, so any run can be
 * replayed alone. A divergence whose signature is new is shrunk to a counterexample
 * with the same signature; repeats are counted.
 */
import type { Command } from "../model/commands.ts";
import type { Topology } from "../model/topology.ts";
import { type CheckResult, check, type Divergence, type Property } from "./checker.ts";
import { guardFactory } from "./fault.ts";
import type { CorpusEntry } from "./guidance/corpus.ts";
import type { ImplementationFactory } from "./implementation.ts";
import type { Profile } from "./profiles/index.ts";
import { profileRun } from "./profiles/run.ts";
import type { StillFails } from "./shrink.ts";
import { searchBudget, searchShorter, shrinkThenSearch } from "./shrink-search.ts";
import { type Classification, findingKey, formatSignature, type Signature, signatureOf } from "./signature.ts";

export interface CampaignOptions {
  readonly topology: Topology;
  readonly variant: string;
  readonly create: ImplementationFactory;
  /** Run r uses profiles[r % profiles.length]. */
  readonly profiles: readonly Profile[];
  readonly property: Property;
  readonly seed: number;
  readonly maxCommands: number;
  /** Stop after this many runs, or this many milliseconds, whichever comes first. */
  readonly runs?: number;
  /**
   * The global index of this campaign's i-th run is firstRun + runStride * i, so jobs and
   * shards split one seed's run space without overlap (default 0 and 1).
   */
  readonly firstRun?: number;
  readonly runStride?: number;
  readonly timeMs?: number;
  /** Finding keys already known (other shards, earlier campaigns): not shrunk again. */
  readonly known?: ReadonlySet<string>;
  /**
   * Triage of a divergence (impl/triage.ts): findings of one signature whose classifications
   * differ are kept apart, and shrinking keeps the classification. `classify` is called on
   * the diverging prefix of at most CLASSIFIED_PER_SIGNATURE runs per signature (later ones
   * are repeats); `keeps` on each shrink candidate, then the shrunk finding is classified again.
   */
  readonly triage?: Triager;
  /** Stop at the first divergence whose signature satisfies this (verdict tests). */
  readonly stopWhen?: (s: Signature) => boolean;
  /** Feedback guidance (properties/guidance/): chooses each run's commands and learns from its check. */
  readonly guide?: CampaignGuide;
  readonly onProgress?: (p: CampaignProgress) => void;
  /** Called with each finding as soon as it is shrunk, so it can be saved before the campaign ends. */
  readonly onFinding?: (f: Finding) => void;
  /** Called before each run with its global index (a watchdog names the run that hangs). */
  readonly onRunStart?: (run: number) => void;
  /** Polled between runs: stop early and return what was found (Ctrl-C). */
  readonly shouldStop?: () => boolean;
  readonly now?: () => number;
}

export interface Triager {
  classify(commands: readonly Command[], signature: Signature): Classification;
  keeps(commands: readonly Command[], signature: Signature, c: Classification): boolean;
}

/**
 * A campaign's feedback guidance: the commands of run `run` (generated from `seed`, or a
 * mutant of a run kept earlier), and the check of those commands, from which it learns.
 */
export interface CampaignGuide {
  sequence(run: number, seed: string): readonly Command[];
  check(commands: readonly Command[]): CheckResult;
}

export interface Finding {
  readonly signature: Signature;
  readonly classification: Classification | null;
  readonly key: string;
  readonly commands: readonly Command[];
  readonly divergence: Divergence;
  /** Global run index at which the signature was first seen, that run's seed and profile. */
  readonly run: number;
  readonly profile: string;
  readonly runSeed: string;
  readonly originalLength: number;
  readonly msToFind: number;
  /** Later runs (global indices, at most MAX_REPEATS) that diverged with the same signature. */
  readonly repeats: number[];
}

const MAX_REPEATS = 100;

/** Runs of one signature triaged in a campaign, to tell distinct bugs apart (each costs a few replays). */
const CLASSIFIED_PER_SIGNATURE = 10;

export interface CampaignProgress {
  readonly runs: number;
  readonly commands: number;
  readonly divergences: number;
  readonly signatures: number;
  readonly elapsedMs: number;
}

export interface CampaignResult extends CampaignProgress {
  readonly findings: readonly Finding[];
  /** Runs the guidance kept (properties/guidance/), for the corpus directory. */
  readonly corpus?: readonly CorpusEntry[];
}

/** The seed of run `run` of a campaign: a string seedrandom hashes. */
export function runSeed(seed: number, run: number): string {
  return `${seed}/${run}`;
}

/** Generates the commands of one run from its seed: a length in [1, max], then the steps. */
export type RunGenerator = (seed: string) => Command[];

export function runGenerator(profile: Profile, topology: Topology, maxCommands: number): RunGenerator {
  const generate = profileRun(profile, topology, maxCommands);
  return (seed) => generate(seed).commands.slice();
}

export function runCampaign(options: CampaignOptions): CampaignResult {
  // The implementation under test is untrusted: a constructor that throws is a crash too.
  const o = { ...options, create: guardFactory(options.create) };
  const now = o.now ?? Date.now;
  const start = now();
  const generators = o.profiles.map((p) => runGenerator(p, o.topology, o.maxCommands));
  const firstRun = o.firstRun ?? 0;
  const stride = o.runStride ?? 1;
  const seen = new Set(o.known ?? []);
  const classified = new Map<string, number>();
  const findings: Finding[] = [];
  let runs = 0;
  let commands = 0;
  let divergences = 0;
  let lastProgress = start;
  const progress = (): CampaignProgress => ({
    runs,
    commands,
    divergences,
    signatures: findings.length,
    elapsedMs: now() - start,
  });
  for (;;) {
    if (o.runs !== undefined && runs >= o.runs) break;
    if (o.timeMs !== undefined && now() - start >= o.timeMs) break;
    if (o.shouldStop?.() === true) break;
    const run = firstRun + stride * runs;
    const seed = runSeed(o.seed, run);
    const generate = generators[run % generators.length];
    if (generate === undefined) throw new Error("no profile");
    const sequence = o.guide?.sequence(run, seed) ?? generate(seed);
    o.onRunStart?.(run);
    const r = o.guide?.check(sequence) ?? check(o.topology, o.create(), sequence, o.property);
    runs++;
    commands += r.ok ? sequence.length : r.divergence.step + 1;
    if (!r.ok) {
      divergences++;
      const signature = signatureOf(o.variant, r.divergence);
      const sigKey = formatSignature(signature);
      const triaged = classified.get(sigKey) ?? 0;
      const classification =
        o.triage === undefined || triaged >= CLASSIFIED_PER_SIGNATURE
          ? null
          : o.triage.classify(sequence.slice(0, r.divergence.step + 1), signature);
      if (classification !== null) classified.set(sigKey, triaged + 1);
      const key = classification === null && o.triage !== undefined ? null : findingKey(signature, classification);
      if (key !== null && !seen.has(key)) {
        seen.add(key);
        const finding = shrinkFinding(
          o,
          sequence,
          r.divergence,
          signature,
          classification,
          key,
          run,
          seed,
          now() - start,
        );
        findings.push(finding);
        o.onFinding?.(finding);
        if (o.stopWhen?.(signature) === true) break;
      } else {
        const f = findings.find((x) => (key === null ? formatSignature(x.signature) === sigKey : x.key === key));
        if (f !== undefined && f.repeats.length < MAX_REPEATS) f.repeats.push(run);
      }
    }
    if (o.onProgress && now() - lastProgress >= 250) {
      lastProgress = now();
      o.onProgress(progress());
    }
  }
  return { ...progress(), findings };
}

/**
 * Shrinks a diverging sequence while it diverges with the same signature (the variant
 * name is not part of the comparison: only what kind of divergence it is), then searches
 * its neighbourhood for a shorter one (shrink-search.ts), expanding at most `budget`
 * nodes (a campaign's: `searchBudget` of the run it met the divergence at; else the most).
 */
export function shrinkToSignature(
  topology: Topology,
  create: ImplementationFactory,
  property: Property,
  sequence: readonly Command[],
  signature: Signature,
  keep?: { readonly triage: Triager; readonly classification: Classification },
  budget?: number,
): Command[] {
  const same = (d: Divergence) => {
    const s = signatureOf(signature.variant, d);
    return s.property === signature.property && s.op === signature.op && s.difference === signature.difference;
  };
  // A candidate must keep the classification too, or shrinking could turn a new bug into a known one.
  const sameClass = (candidate: readonly Command[], step: number) =>
    keep === undefined || keep.triage.keeps(candidate.slice(0, step + 1), signature, keep.classification);
  const stillFails: StillFails = (candidate) => {
    const r = check(topology, create(), candidate, property);
    if (r.ok) return { fails: false, step: 0 };
    const step = r.divergence.step;
    return { fails: same(r.divergence) && sameClass(candidate, step), step };
  };
  return shrinkThenSearch(sequence, stillFails, (greedy) =>
    searchShorter(greedy, { topology, create, property, signature }, stillFails, budget),
  );
}

function shrinkFinding(
  o: CampaignOptions,
  sequence: readonly Command[],
  divergence: Divergence,
  signature: Signature,
  classification: Classification | null,
  key: string,
  run: number,
  seed: string,
  msToFind: number,
): Finding {
  const keep = o.triage === undefined || classification === null ? undefined : { triage: o.triage, classification };
  const commands = shrinkToSignature(
    o.topology,
    o.create,
    o.property,
    sequence,
    signature,
    keep,
    searchBudget(run + 1),
  );
  const final = check(o.topology, o.create(), commands, o.property);
  // The shrunk finding may need fewer fixes to explain than the run it came from.
  const shrunkClass =
    o.triage === undefined || final.ok
      ? classification
      : o.triage.classify(commands.slice(0, final.divergence.step + 1), signature);
  return {
    signature,
    classification: shrunkClass,
    key,
    commands,
    divergence: final.ok ? divergence : final.divergence,
    run,
    profile: o.profiles[run % o.profiles.length]?.name ?? "",
    runSeed: seed,
    originalLength: sequence.length,
    msToFind,
    repeats: [],
  };
}
