/**
 * One campaign job as plain data, so it can cross into a worker thread: the variant is a
 * built-in name or an --impl path, profiles are names.
 */

import type { Variant } from "../impl/variants/index.ts";
import type { Topology } from "../model/topology.ts";
import { type CampaignProgress, type CampaignResult, runCampaign } from "../properties/campaign.ts";
import type { Property } from "../properties/checker.ts";
import type { CorpusEntry } from "../properties/guidance/corpus.ts";
import { FeedbackGuide } from "../properties/guidance/guide.ts";
import { loadImplementation, resolveProfile, resolveVariants } from "./resolve.ts";

export interface JobSpec {
  readonly variant: { readonly name: string } | { readonly implPath: string };
  readonly profiles: readonly string[];
  readonly topology: Topology;
  readonly property: Property;
  readonly seed: number;
  readonly maxCommands: number;
  readonly runs?: number;
  readonly timeMs?: number;
  readonly firstRun: number;
  readonly runStride: number;
  /** Feedback guidance (properties/guidance/), starting from this corpus; absent: pure random. */
  readonly guidance?: { readonly corpus: readonly CorpusEntry[] };
}

export async function jobVariant(spec: JobSpec): Promise<Variant> {
  if ("implPath" in spec.variant) return loadImplementation(spec.variant.implPath);
  const [v] = resolveVariants([spec.variant.name]);
  if (v === undefined) throw new Error("no variant");
  return v;
}

export async function runJob(
  spec: JobSpec,
  onProgress?: (p: CampaignProgress) => void,
  shouldStop?: () => boolean,
): Promise<CampaignResult> {
  const v = await jobVariant(spec);
  const profiles = spec.profiles.map(resolveProfile);
  const guide =
    spec.guidance === undefined
      ? undefined
      : new FeedbackGuide({
          topology: spec.topology,
          create: v.create,
          profiles,
          property: spec.property,
          maxCommands: spec.maxCommands,
          corpus: spec.guidance.corpus,
        });
  const result = runCampaign({
    topology: spec.topology,
    variant: v.name,
    create: v.create,
    profiles,
    property: spec.property,
    seed: spec.seed,
    maxCommands: spec.maxCommands,
    ...(spec.runs === undefined ? {} : { runs: spec.runs }),
    ...(spec.timeMs === undefined ? {} : { timeMs: spec.timeMs }),
    firstRun: spec.firstRun,
    runStride: spec.runStride,
    ...(onProgress === undefined ? {} : { onProgress }),
    ...(shouldStop === undefined ? {} : { shouldStop }),
    ...(guide === undefined ? {} : { guide }),
  });
  return guide === undefined ? result : { ...result, corpus: guide.added };
}
