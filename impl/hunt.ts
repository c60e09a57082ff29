/**
 * Hunting one documented divergence: a campaign on the verdict's variant and profile that
 * stops at the first divergence with the verdict's signature. Used by the verdict tests
 * and by the time-to-find benchmark.
 */
import { builtinTopology } from "../model/topology.ts";
import { type CampaignResult, type Finding, runCampaign } from "../properties/campaign.ts";
import { findProfile } from "../properties/profiles/index.ts";
import type { Verdict } from "./manifest.ts";
import { triager } from "./triage.ts";
import { findVariant } from "./variants/index.ts";

const sigOf = (f: { signature: { op: string; difference: string } }) => `${f.signature.op}/${f.signature.difference}`;

export function huntVerdict(
  verdict: Verdict,
  seed: number,
  runs: number,
): { readonly result: CampaignResult; readonly finding: Finding | undefined } {
  const v = findVariant(verdict.variant);
  const p = findProfile(verdict.profile);
  if (v === undefined || p === undefined) throw new Error(`manifest names ${verdict.variant}/${verdict.profile}`);
  const topology = builtinTopology(verdict.topology);
  const result = runCampaign({
    topology,
    variant: v.name,
    create: v.create,
    profiles: [p],
    property: verdict.property,
    seed,
    maxCommands: 40,
    runs,
    triage: triager(v, null, topology, verdict.property),
    stopWhen: (s) => `${s.op}/${s.difference}` === verdict.signature,
  });
  return { result, finding: result.findings.find((f) => sigOf(f) === verdict.signature) };
}
