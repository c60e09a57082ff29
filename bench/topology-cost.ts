/**
 * Cost per command as the machine grows, though a command touches one element of it: the
 * same profile's runs on topologies that differ from the default in one dimension (vCPUs,
 * IRTEs, MSI-X devices and vectors), each a plain loop over pre-generated sequences
 * (implementation step, reference step, comparison), interleaved with warm-up
 * (measure.ts). Microseconds per command are CPU time of this process over commands.
 */
import { findVariant } from "../impl/variants/index.ts";
import { defaultTopology, type Topology } from "../model/topology.ts";
import { runGenerator, runSeed } from "../properties/campaign.ts";
import { findProfile } from "../properties/profiles/index.ts";
import { interleave, type Stat, stat } from "./measure.ts";
import { plainLoop } from "./plain.ts";

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
  /** Microseconds of CPU time per command. */
  readonly usPerCommand: Stat;
  readonly commands: number;
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
  const property = "delivery-log";
  const loops = topologies.map((topology) => {
    const generate = runGenerator(profile, topology, 40);
    const sequences = Array.from({ length: runs }, (_, r) => generate(runSeed(1, r)));
    return () => plainLoop(sequences, variant.create, topology, property);
  });
  const samples = await interleave(
    Object.fromEntries(topologies.map((t, i) => [t.name, loops[i] ?? (() => 0)])),
    rounds,
  );
  return topologies.map((t) => {
    const xs = samples[t.name] ?? [];
    return {
      topology: t.name,
      usPerCommand: stat(xs.map((s) => (s.cpuMs * 1000) / s.work)),
      commands: xs[0]?.work ?? 0,
    };
  });
}
