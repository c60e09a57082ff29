/**
 * Feedback-guided campaigns, as AFL and syzkaller do it with coverage: a run that earns a
 * feature no earlier run earned (feedback.ts) is kept in the corpus; later runs are
 * either fresh (generated from their seed exactly as an unguided campaign would) or
 * mutants of a kept run (mutate.ts).
 *
 * Deterministic: the choice and the mutation of run r are drawn from r's seed, and the
 * corpus a job holds after r depends only on the runs the job did before, so a seed, a
 * job count and a starting corpus give the same campaign (with --runs). Each job keeps its
 * own corpus; shard K/N and job j together are one stream of runs, so N shards of J jobs
 * are the same streams as one machine with N x J jobs.
 */
import seedrandom from "seedrandom";
import type { Command } from "../../model/commands.ts";
import type { Topology } from "../../model/topology.ts";
import type { CampaignGuide } from "../campaign.ts";
import type { CheckResult, Property } from "../checker.ts";
import type { Random, Sampler } from "../gen.ts";
import type { ImplementationFactory } from "../implementation.ts";
import type { Profile } from "../profiles/index.ts";
import { lowerSteps, type ProfileRun, profileRun, stepSampler } from "../profiles/run.ts";
import { type CorpusEntry, canonicalCorpus, corpusEntry } from "./corpus.ts";
import { checkWithFeedback, TraceShapes } from "./feedback.ts";
import { mutate } from "./mutate.ts";

export interface GuideOptions {
  readonly topology: Topology;
  readonly create: ImplementationFactory;
  /** Run r uses profiles[r % profiles.length], as in the campaign. */
  readonly profiles: readonly Profile[];
  readonly property: Property;
  readonly maxCommands: number;
  /**
   * A corpus kept by earlier campaigns: replayed first (in id order), so only news counts
   * as new; entries that earn nothing new in that order are not mutated (as afl-cmin).
   */
  readonly corpus?: readonly CorpusEntry[];
}

/**
 * Fresh or mutant: each run picks the kind that has lately earned news more often, as a
 * two-armed bandit (MOpt and AFL++'s schedules adapt their operators the same way): its share
 * of fresh runs is the fresh runs' recent yield (runs that earned a feature, per run,
 * Laplace-smoothed, decayed by YIELD_DECAY a run) over both kinds' yields, kept within
 * [FRESH_MIN, FRESH_MAX]. While fresh runs keep finding states the corpus lacks (a young
 * campaign, a shallow bug's neighbourhood) most runs stay fresh, as an unguided campaign's;
 * once mutants are the better source they take over.
 */
const FRESH_MIN = 0.1;
const FRESH_MAX = 0.9;
const YIELD_DECAY = 0.995;
/**
 * Parent weight: 1 / (runs that earned its rarest discovery) ^ RARITY. Measured on D8
 * (irqfd-cache) and D2 (route-masked): 1 spreads mutants too thin to reach D8 (median
 * 3,774 runs over 6 seeds), 3 starves the early bugs (D2 769 against 634 with 2).
 */
const RARITY = 2;
/**
 * Parent weights are recomputed from the hit counts every this many runs; until the first
 * recomputation after a run was kept, runs are fresh.
 */
const REWEIGH_EVERY = 64;
/**
 * A campaign's first WARM_UP runs are fresh, as syzkaller generates programs before it
 * mutates them: they are the unguided campaign's runs, so a shallow bug is found in them
 * exactly as without guidance, and mutation starts from a corpus of what fresh runs reach.
 * Medians measured with the implementation's coverage flags (D2 route-masked over seeds
 * 1-40, D8 irqfd-cache and D20 irqfd-cache-lazy over seeds 1-10), for warm-ups of
 * 0 / 256 / 384 / 512 runs: D2 705 / 732 / 622 / 408 (unguided 408), D8 2,345 / 2,557 /
 * 3,427 / 3,389 (unguided 33,790), D20 15,806 / 4,863 / - / 6,651 (unguided > 100,000).
 * Ten seeds leave D8 and D20 within their noise; D2 is the unguided campaign's by design.
 */
const WARM_UP = 512;

interface Kept {
  readonly steps: readonly unknown[];
  /** The features this run was the first to earn. */
  readonly discoveries: readonly number[];
}

/** Recent runs and the runs among them that earned a feature, both decayed. */
interface Yield {
  runs: number;
  finds: number;
}

interface ProfileCorpus {
  readonly profile: Profile;
  readonly generate: (seed: string) => ProfileRun;
  readonly fresh: Sampler<unknown>;
  readonly kept: Kept[];
  /** Cumulative parent weights over `kept` (may lag behind it by up to REWEIGH_EVERY runs). */
  cumulative: number[];
  readonly freshYield: Yield;
  readonly mutantYield: Yield;
}

/** The share of runs to generate fresh, from both kinds' recent yields. */
function freshShare(c: ProfileCorpus): number {
  const rate = (y: Yield) => (y.finds + 1) / (y.runs + 2);
  const f = rate(c.freshYield);
  return Math.min(FRESH_MAX, Math.max(FRESH_MIN, f / (f + rate(c.mutantYield))));
}

/**
 * A parent is drawn with weight 1 / (how many runs earned its rarest discovery)^RARITY, as
 * AFLFast favours inputs on rarely exercised paths: a run that first reached a state few
 * runs reach is mutated far more often than one whose news every run now repeats.
 */
function weights(kept: readonly Kept[], hits: ReadonlyMap<number, number>): number[] {
  const out: number[] = [];
  let total = 0;
  for (const k of kept) {
    let rarest = Number.POSITIVE_INFINITY;
    for (const f of k.discoveries) rarest = Math.min(rarest, hits.get(f) ?? 1);
    total += Number.isFinite(rarest) ? 1 / rarest ** RARITY : 0;
    out.push(total);
  }
  return out;
}

export class FeedbackGuide implements CampaignGuide {
  /** Entries this campaign added (not the ones it started from). */
  readonly added: CorpusEntry[] = [];
  /** How many runs earned each feature. */
  private readonly hits = new Map<number, number>();
  private readonly shapes = new TraceShapes();
  private readonly corpora: ProfileCorpus[];
  private current: {
    readonly corpus: ProfileCorpus;
    readonly steps: readonly unknown[];
    readonly kind: "freshYield" | "mutantYield";
  } | null = null;
  private runs = 0;

  constructor(private readonly o: GuideOptions) {
    this.corpora = o.profiles.map((profile) => ({
      profile,
      generate: profileRun(profile, o.topology, o.maxCommands),
      fresh: stepSampler(profile, o.topology),
      kept: [],
      cumulative: [],
      freshYield: { runs: 0, finds: 0 },
      mutantYield: { runs: 0, finds: 0 },
    }));
    for (const e of canonicalCorpus(o.corpus ?? [])) {
      const corpus = this.corpora.find((x) => x.profile.name === e.profile);
      if (corpus === undefined || e.topology !== o.topology.name) continue;
      this.current = { corpus, steps: e.steps, kind: "freshYield" };
      this.learn(lowerSteps(corpus.profile, o.topology, e.steps, o.maxCommands), false);
    }
    this.current = null;
  }

  /** Number of kept runs (started from and added). */
  get size(): number {
    return this.corpora.reduce((n, c) => n + c.kept.length, 0);
  }

  /** Number of distinct features earned so far. */
  get features(): number {
    return this.hits.size;
  }

  sequence(run: number, seed: string): readonly Command[] {
    const c = this.corpora[run % this.corpora.length];
    if (c === undefined) throw new Error("no profile");
    if (this.runs++ % REWEIGH_EVERY === 0) for (const x of this.corpora) x.cumulative = weights(x.kept, this.hits);
    const random = seedrandom.xor128(`${seed}/guide`);
    if (c.cumulative.length === 0 || this.runs <= WARM_UP || random() < freshShare(c)) {
      const r = c.generate(seed);
      this.current = { corpus: c, steps: r.steps, kind: "freshYield" };
      return r.commands;
    }
    const pick = (rnd: Random): readonly unknown[] => {
      const total = c.cumulative[c.cumulative.length - 1] ?? 0;
      const x = rnd() * total;
      let lo = 0;
      let hi = c.cumulative.length - 1;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if ((c.cumulative[mid] ?? 0) > x) hi = mid;
        else lo = mid + 1;
      }
      return c.kept[lo]?.steps ?? [];
    };
    const steps = mutate(pick(random), { fresh: c.fresh, other: pick, maxSteps: 2 * this.o.maxCommands }, random);
    this.current = { corpus: c, steps, kind: "mutantYield" };
    return lowerSteps(c.profile, this.o.topology, steps, this.o.maxCommands);
  }

  check(commands: readonly Command[]): CheckResult {
    return this.learn(commands, true);
  }

  /** Check a run, count its features, keep it if it earned a new one. */
  private learn(commands: readonly Command[], added: boolean): CheckResult {
    const { result, features } = checkWithFeedback(
      this.o.topology,
      this.o.create(),
      commands,
      this.o.property,
      this.shapes,
    );
    const discoveries: number[] = [];
    for (const f of features) {
      const n = this.hits.get(f) ?? 0;
      if (n === 0) discoveries.push(f);
      this.hits.set(f, n + 1);
    }
    const cur = this.current;
    if (added && cur !== null) {
      for (const y of [cur.corpus.freshYield, cur.corpus.mutantYield]) {
        y.runs *= YIELD_DECAY;
        y.finds *= YIELD_DECAY;
      }
      const y = cur.corpus[cur.kind];
      y.runs += 1;
      if (discoveries.length > 0) y.finds += 1;
    }
    if (discoveries.length > 0 && cur !== null) {
      cur.corpus.kept.push({ steps: cur.steps, discoveries });
      if (added) this.added.push(corpusEntry(cur.corpus.profile.name, this.o.topology.name, cur.steps));
    }
    return result;
  }
}
