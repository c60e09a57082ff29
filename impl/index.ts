/**
 * What a user's variant module may use: the definition shape, the component classes it
 * overrides (their methods are named after the QEMU and KVM functions they stand for),
 * and the helpers a patch may need.
 */
export type { Kvm, KvmMsi } from "./kvm/kvm.ts";
export type { CompatInterrupt, KvmMsiRoute } from "./kvm/routing.ts";
export type { Components, Overrides, Patch } from "./patch.ts";
export type { IntelIommu, Msi, RemapOutcome } from "./qemu/intel-iommu.ts";
export type { QemuIoapic } from "./qemu/ioapic.ts";
export type { FixedUp, KvmAccel } from "./qemu/kvm-accel.ts";
export type { MsixDevice, MsixVector } from "./qemu/msix-device.ts";
export type { VariantDefinition } from "./variants/definition.ts";
export { findVariant, VARIANTS } from "./variants/index.ts";
export type { Variant } from "./variants/variant.ts";
