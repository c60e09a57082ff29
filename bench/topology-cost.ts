/**
 * Cost per command as the machine grows, though a command touches one element of it: the
 * same profile's runs on topologies that differ from the default in one dimension (vCPUs,
 * IRTEs, MSI-X devices and vectors), as the plain loop (implementation step, reference
 * step, comparison) and as the default campaign (guided), all interleaved with warm-up
 * (measure.ts). Microseconds per command are CPU time of this process over commands.
 */
import { findVariant } from "../impl/variants/index.ts";
import { defaultTopology, type Topology } from "../model/topology.ts";
import { findProfile } from "../properties/profiles/index.ts";
import { campaignLoops, plainLoop, sequencesOf } from "./loops.ts";
import { interleave, type Stat, stat } from "./measure.ts";

/** The default topology with `n` vCPUs (APIC IDs 0..n-1; x2APIC past 8, as Linux would run them). */
export function withCpus(n: number): Topology {
  const base = defaultTopology();
  return {
    ...base,
    name: `cpus-${n}`,
    cpus: Array.from({ length: n }, (_, apicId) => ({ apicId })),
    apicMode: n > 8 ? "x2apic" : base.apicMode,
  };
}

export function withIrtes(n: number): Topology {
  return { ...defaultTopology(), name: `irtes-${n}`, irtEntries: n };
}

export function withDevices(devices: number, vectors: number): Topology {
  return {
    ...defaultTopology(),
    name: `devices-${devices}x${vectors}`,
    msiDevices: Array.from({ length: devices }, (_, d) => ({ requesterId: (d + 1) << 3, vectors })),
  };
}

/** The pairs the benchmark compares: the larger machine over the smaller. */
export const TOPOLOGY_PAIRS: readonly (readonly [Topology, Topology])[] = [
  [withCpus(2), withCpus(32)],
  [withIrtes(8), withIrtes(1024)],
  [withDevices(2, 2), withDevices(8, 32)],
];

export interface TopologyCost {
  readonly topology: string;
  /** Microseconds of CPU time per command: the plain loop (implementation, reference, comparison) and the guided campaign. */
  readonly step: Stat;
  readonly campaign: Stat;
}

export async function topologyCost(
  variantName: string,
  profileName: string,
  topologies: readonly Topology[],
  runs: number,
  rounds: number,
): Promise<TopologyCost[]> {
  const variant = findVariant(variantName);
  const profile = findProfile(profileName);
  if (variant === undefined || profile === undefined) throw new Error(`${variantName}/${profileName}`);
  const sides: Record<string, () => number> = {};
  for (const topology of topologies) {
    const w = {
      topology,
      variant: variant.name,
      create: variant.create,
      profile,
      property: "delivery-log",
      runs,
    } as const;
    const sequences = sequencesOf(w);
    sides[`step ${topology.name}`] = () => plainLoop(w, sequences);
    sides[`campaign ${topology.name}`] = campaignLoops(w).guided;
  }
  const samples = await interleave(sides, rounds);
  const usPerCommand = (side: string) => stat((samples[side] ?? []).map((s) => (s.cpuMs * 1000) / s.work));
  return topologies.map((t) => ({
    topology: t.name,
    step: usPerCommand(`step ${t.name}`),
    campaign: usPerCommand(`campaign ${t.name}`),
  }));
}
