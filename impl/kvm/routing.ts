/**
 * KVM's GSI routing entries for MSI (virt/kvm/irqchip.c, arch/x86/kvm/irq_comm.c;
 * semantics.md §5.1-5.2) and the decode `kvm_set_msi_irq` applies to them.
 */
import { get32 } from "../../model/bits.ts";
import { type CompatInterrupt, MsiAddr, MsiData } from "../../model/msi.ts";

export type { CompatInterrupt };

export interface KvmMsiRoute {
  readonly gsi: number;
  readonly addressLo: number;
  readonly addressHi: number;
  readonly data: number;
}

/**
 * `kvm_set_msi_irq` with KVM_X2APIC_API_USE_32BIT_IDS (QEMU enables it): destination
 * from address bits 19:12 plus address_hi[31:8] as bits 31:8. Address bits 11:5 and
 * bit 4 are ignored; QEMU must have translated and swizzled already.
 */
export function kvmDecodeMsi(route: { addressLo: number; addressHi: number; data: number }): CompatInterrupt {
  return {
    dest: (get32(route.addressLo, MsiAddr.destId) | (route.addressHi & 0xffffff00)) >>> 0,
    destMode: get32(route.addressLo, MsiAddr.destMode) as 0 | 1,
    redirectionHint: get32(route.addressLo, MsiAddr.redirectionHint) as 0 | 1,
    deliveryMode: get32(route.data, MsiData.deliveryMode),
    vector: get32(route.data, MsiData.vector),
    trigger: get32(route.data, MsiData.trigger) as 0 | 1,
  };
}

/** `kvm_msi_route_invalid`: with 32-bit IDs, address_hi bits 7:0 must be 0. */
export function kvmMsiRouteInvalid(route: KvmMsiRoute): boolean {
  return (route.addressHi & 0xff) !== 0;
}

export function formatRoute(r: KvmMsiRoute): string {
  const hexw = (x: number) => x.toString(16).padStart(8, "0");
  return `gsi ${r.gsi}: addr ${hexw(r.addressHi)}${hexw(r.addressLo)} data ${r.data.toString(16).padStart(4, "0")}`;
}

/** What a route delivers, as KVM decodes it: "dest 0x1 phys vector 0x31 level". */
export function describeRoute(r: { addressLo: number; addressHi: number; data: number }): string {
  const irq = kvmDecodeMsi(r);
  return `(dest 0x${irq.dest.toString(16)} ${irq.destMode === 1 ? "logical" : "phys"} vector 0x${irq.vector.toString(16)} ${irq.trigger === 1 ? "level" : "edge"})`;
}

/** A route's fields, for digests. */
export const routeDigest = (r: KvmMsiRoute): string => `${r.gsi}:${r.addressLo}:${r.addressHi}:${r.data}`;

const tableDigests = new WeakMap<readonly KvmMsiRoute[], string>();

/**
 * Canonical encoding of a routing table, for digests: computed once per frozen table
 * (QEMU pushes the same frozen table while nothing changed, kvm-accel.ts).
 */
export function routeTableDigest(table: readonly KvmMsiRoute[]): string {
  const known = tableDigests.get(table);
  if (known !== undefined) return known;
  const digest = table.map(routeDigest).join(",");
  if (Object.isFrozen(table)) tableDigests.set(table, digest);
  return digest;
}
