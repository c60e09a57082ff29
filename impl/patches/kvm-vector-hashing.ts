import { broadcastId, matchesDestination } from "../../model/lapic.ts";
import { logicalId, type Topology } from "../../model/topology.ts";
import type { CompatInterrupt } from "../kvm/routing.ts";
import type { Patch } from "../patch.ts";

/** A logical destination as KVM's APIC map splits it: the cluster's LDR bits and the mask over them. */
function logicalSlots(topology: Topology, dest: number): { base: number; mask: number; width: number } {
  switch (topology.apicMode) {
    case "xapic-flat":
      return { base: 0, mask: dest & 0xff, width: 8 };
    case "xapic-cluster":
      return { base: (dest & 0xf0) >>> 0, mask: dest & 0xf, width: 4 };
    case "x2apic":
      return { base: (dest & 0xffff0000) >>> 0, mask: dest & 0xffff, width: 16 };
  }
}

/** The `index`-th set bit of `mask` (kvm_vector_to_index: the (vector mod n)-th of n). */
function nthSetBit(mask: number, width: number, index: number): number {
  let seen = 0;
  for (let bit = 0; bit < width; bit++) {
    if (((mask >>> bit) & 1) === 0) continue;
    if (seen === index) return bit;
    seen++;
  }
  return -1;
}

function popcount(mask: number): number {
  let n = 0;
  for (let m = mask >>> 0; m !== 0; m &= m - 1) n++;
  return n;
}

/**
 * The vCPUs Linux 6.x's `kvm_irq_delivery_to_apic` delivers to, vector hashing on
 * (arch/x86/kvm/lapic.c): a destination equal to the broadcast ID (0xFF in xAPIC modes, in
 * either destination mode; 0xFFFFFFFF in x2APIC, QEMU disabling the broadcast quirk) takes
 * the slow path, where a physical broadcast demotes lowest priority to fixed but keeps RH,
 * and a lowest-priority interrupt goes to the (vector mod n)-th of the n matching vCPUs.
 * Otherwise `kvm_apic_map_get_dest_lapic`: a physical ID selects its vCPU; a logical one
 * selects the vCPUs on its mask bits, and a lowest-priority one hashes over the mask bits,
 * present or not, and goes nowhere when the picked bit has no APIC
 * (`kvm_apic_disabled_lapic_found`).
 */
export function kvmDeliveryTargets(topology: Topology, irq: CompatInterrupt, lowestPriority: boolean): number[] {
  const cpus = topology.cpus.map((_, i) => i);
  const hashed = lowestPriority || irq.redirectionHint === 1;
  if (irq.dest === broadcastId(topology)) {
    const matched = irq.destMode === 1 ? cpus : cpus.filter((i) => matchesDestination(topology, i, irq));
    const demoted = irq.destMode === 0 ? irq.redirectionHint === 1 : hashed;
    if (!demoted || matched.length === 0) return matched;
    const pick = matched[irq.vector % matched.length];
    return pick === undefined ? [] : [pick];
  }
  if (irq.destMode === 0) return cpus.filter((i) => topology.cpus[i]?.apicId === irq.dest);
  const { base, mask, width } = logicalSlots(topology, irq.dest);
  const onBit = (bit: number) => cpus.find((i) => logicalId(topology, i) === (base | (1 << bit)) >>> 0);
  if (!hashed) return cpus.filter((i) => matchesDestination(topology, i, irq));
  const n = popcount(mask);
  if (n === 0) return [];
  const cpu = onBit(nthSetBit(mask, width, irq.vector % n));
  return cpu === undefined ? [] : [cpu];
}

/**
 * KVM's lowest-priority pick exactly as Linux 6.x makes it (kvmDeliveryTargets), where the
 * models hash over the vCPUs that exist. Real KVM showed both differences (impl/real/EVIDENCE.md
 * M4, M5); impl/real/model-errors.ts replays a disagreement with this patch to recognise them.
 */
export const kvmVectorHashing: Patch = {
  name: "KVM's vector hashing",
  mirrors: "arch/x86/kvm/lapic.c kvm_apic_map_get_dest_lapic, kvm_irq_delivery_to_apic (vector hashing on)",
  kvm: (Base) =>
    class extends Base {
      protected override kvm_irq_delivery_targets(irq: CompatInterrupt, lowestPriority: boolean): number[] {
        return kvmDeliveryTargets(this.topology, irq, lowestPriority);
      }
    },
};
