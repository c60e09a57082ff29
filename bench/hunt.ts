/**
 * Hunting one documented divergence, guided or not: a campaign on its variant and profile
 * that stops at the first run whose divergence is the bug. Signatures are coarse (D8 and
 * D20 both show as `cpu.eoi/missing-delivery` on irqfd-cache-lazy), so a bug may name a
 * variant that fixes it: a finding only counts if its run passes there, and its shrinking
 * keeps that (the campaign's triage).
 */
import { findVariant } from "../impl/variants/index.ts";
import type { Command } from "../model/commands.ts";
import { builtinTopology } from "../model/topology.ts";
import { runCampaign, type Triager } from "../properties/campaign.ts";
import { check } from "../properties/checker.ts";
import { FeedbackGuide } from "../properties/guidance/guide.ts";
import { findProfile } from "../properties/profiles/index.ts";

export interface Bug {
  readonly divergence: string;
  readonly variant: string;
  readonly profile: string;
  readonly property: "guest-visible" | "delivery-log";
  /** `op/difference` signatures it shows as. */
  readonly signatures: readonly string[];
  /** A variant that fixes this bug but not its look-alikes (D20: irqfd-cache, which still has D8). */
  readonly fixedBy?: string;
  /** The built-in topology (D9 needs the intx one); the default one when absent. */
  readonly topology?: string;
  /** One in thousands of random runs or rarer: hunted over fewer seeds with a larger cap. */
  readonly deep?: boolean;
}

export interface Hunt {
  /** Runs up to and including the first run that showed the bug; null if not within the cap. */
  readonly runs: number | null;
  /** Campaign milliseconds to that run (shrinking of earlier look-alikes included). */
  readonly ms: number;
  /** The shrunk counterexample's length. */
  readonly length: number;
  /** Its `op/difference` signature, one of the bug's ("" when not found). */
  readonly signature: string;
  /** The shrunk counterexample (empty when not found). */
  readonly commands: readonly Command[];
}

export function hunt(bug: Bug, seed: number, cap: number, guided: boolean): Hunt {
  const topology = builtinTopology(bug.topology);
  const v = findVariant(bug.variant);
  const p = findProfile(bug.profile);
  const fix = bug.fixedBy === undefined ? undefined : findVariant(bug.fixedBy);
  if (v === undefined || p === undefined || (bug.fixedBy !== undefined && fix === undefined))
    throw new Error(`bench names ${bug.variant}/${bug.profile}/${bug.fixedBy}`);
  const guide = guided
    ? new FeedbackGuide({ topology, create: v.create, profiles: [p], property: bug.property, maxCommands: 40 })
    : undefined;
  const shows = (s: { op: string; difference: string }) => bug.signatures.includes(`${s.op}/${s.difference}`);
  // With a fixing variant, shrinking keeps whether the fix removes the divergence: a search for a
  // shorter form could otherwise turn the bug into its look-alike.
  const fixes = (commands: readonly Command[]) =>
    fix === undefined || check(topology, fix.create(), commands, bug.property).ok;
  const triage: Triager = {
    classify: (commands) => ({ status: fixes(commands) ? "fixed" : "look-alike", known: [], baseline: null }),
    keeps: (commands, _signature, c) => (fixes(commands) ? "fixed" : "look-alike") === c.status,
  };
  let first = 0;
  let ms = 0;
  // A look-alike stops the campaign; it resumes at the next run with the guide's state kept,
  // which is the campaign that would have run on.
  while (first < cap) {
    const r = runCampaign({
      topology,
      variant: v.name,
      create: v.create,
      profiles: [p],
      property: bug.property,
      seed,
      maxCommands: 40,
      firstRun: first,
      runs: cap - first,
      stopWhen: shows,
      ...(guide === undefined ? {} : { guide }),
      ...(fix === undefined ? {} : { triage }),
    });
    const f = r.findings.find((x) => shows(x.signature));
    if (f === undefined) return { runs: null, ms: ms + r.elapsedMs, length: 0, signature: "", commands: [] };
    if (f.classification?.status !== "look-alike")
      return {
        runs: f.run + 1,
        ms: ms + f.msToFind,
        length: f.commands.length,
        signature: `${f.signature.op}/${f.signature.difference}`,
        commands: f.commands,
      };
    ms += r.elapsedMs;
    first = f.run + 1;
  }
  return { runs: null, ms, length: 0, signature: "", commands: [] };
}
