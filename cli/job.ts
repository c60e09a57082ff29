/**
 * One campaign job as plain data, so it can cross into a worker thread: the variant is a
 * built-in name or an --impl path, profiles are names.
 */

import { defaultBaseline, triager } from "../impl/triage.ts";
import { findVariant, type Variant } from "../impl/variants/index.ts";
import type { Topology } from "../model/topology.ts";
import { type CampaignOptions, type CampaignResult, runCampaign } from "../properties/campaign.ts";
import type { Property } from "../properties/checker.ts";
import { guardFactory } from "../properties/fault.ts";
import type { CorpusEntry } from "../properties/guidance/corpus.ts";
import { FeedbackGuide } from "../properties/guidance/guide.ts";
import { loadImplementation, resolveProfile, resolveVariants } from "./resolve.ts";

export type VariantSpec = { readonly name: string } | { readonly implPath: string };

export interface JobSpec {
  readonly variant: VariantSpec;
  readonly profiles: readonly string[];
  readonly topology: Topology;
  readonly property: Property;
  readonly seed: number;
  readonly maxCommands: number;
  readonly runs?: number;
  /** Stop starting runs at this time (epoch ms): the budget counts from the command's start. */
  readonly deadline?: number;
  readonly firstRun: number;
  readonly runStride: number;
  /** Finding keys already found (by an earlier worker of this job): not shrunk again. */
  readonly known?: readonly string[];
  /**
   * The built-in variant findings are triaged against (NEW or inherited); absent: the one a
   * user's variant extends, or none for a built-in variant (known or unexplained).
   */
  readonly baseline?: string;
  /** Feedback guidance (properties/guidance/), starting from this corpus; absent: pure random. */
  readonly guidance?: { readonly corpus: readonly CorpusEntry[] };
}

const loaded = new Map<string, Promise<Variant>>();

/** The variant of a spec; an --impl module is loaded once per thread. */
export function jobVariant(spec: VariantSpec): Promise<Variant> {
  if ("name" in spec) {
    const [v] = resolveVariants([spec.name]);
    if (v === undefined) throw new Error(`no variant ${spec.name}`);
    return Promise.resolve(v);
  }
  let v = loaded.get(spec.implPath);
  if (v === undefined) {
    v = loadImplementation(spec.implPath);
    loaded.set(spec.implPath, v);
  }
  return v;
}

/** The variant findings of `v` are triaged against: `name`, or by default the one `v` extends. */
export function baselineOf(v: Variant, name: string | undefined): Variant | null {
  return name === undefined ? defaultBaseline(v) : (findVariant(name) ?? null);
}

export type JobHooks = Pick<CampaignOptions, "onProgress" | "onFinding" | "onRunStart" | "shouldStop">;

export async function runJob(spec: JobSpec, hooks: JobHooks = {}): Promise<CampaignResult> {
  const v = await jobVariant(spec.variant);
  const baseline = baselineOf(v, spec.baseline);
  const profiles = spec.profiles.map(resolveProfile);
  const guide =
    spec.guidance === undefined
      ? undefined
      : new FeedbackGuide({
          topology: spec.topology,
          // Untrusted: a constructor that throws is a crash finding here too.
          create: guardFactory(v.create),
          profiles,
          property: spec.property,
          maxCommands: spec.maxCommands,
          corpus: spec.guidance.corpus,
        });
  const result = runCampaign({
    triage: triager(v, baseline, spec.topology, spec.property),
    topology: spec.topology,
    variant: v.name,
    create: v.create,
    profiles,
    property: spec.property,
    seed: spec.seed,
    maxCommands: spec.maxCommands,
    ...(spec.runs === undefined ? {} : { runs: spec.runs }),
    ...(spec.deadline === undefined ? {} : { timeMs: Math.max(0, spec.deadline - Date.now()) }),
    ...(spec.known === undefined ? {} : { known: new Set(spec.known) }),
    firstRun: spec.firstRun,
    runStride: spec.runStride,
    ...hooks,
    ...(guide === undefined ? {} : { guide }),
  });
  return guide === undefined ? result : { ...result, corpus: guide.added };
}
