/**
 * QEMU's KVM irqchip glue (accel/kvm/kvm-all.c, target/i386/kvm/kvm.c, hw/i386/kvm/apic.c;
 * semantics.md §3): QEMU's shadow of the GSI routing table, MSI route add/update with the
 * x86 fixup (interrupt-remapping pre-translation that never faults, then the
 * extended-destination-ID swizzle), whole-table commits, and KVM_SIGNAL_MSI for the
 * userspace path.
 */
import type { Topology } from "../../model/topology.ts";
import { type Kvm, NR_RESERVED_IOAPIC_PINS } from "../kvm/kvm.ts";
import { formatRoute, type KvmMsiRoute } from "../kvm/routing.ts";
import type { Recorder } from "../recorder.ts";
import type { IntelIommu, Msi } from "./intel-iommu.ts";

/** A fixed-up route and, for the cookie cache, the IRTE index its translation used. */
export interface FixedUp {
  readonly msi: Msi;
  readonly cookie: number | null;
}

export class KvmIrqchip {
  /** `KVMState.irq_routes`: what the next commit pushes. */
  private readonly table = new Map<number, KvmMsiRoute>();

  constructor(
    private readonly topology: Topology,
    private readonly kvm: Kvm,
    private readonly iommu: IntelIommu,
    private readonly rec: Recorder,
  ) {}

  /** `kvm_arch_init_irq_routing` in split mode: GSIs 0..23 get address 0 / data 0 routes. */
  initIrqRouting(): void {
    for (let gsi = 0; gsi < NR_RESERVED_IOAPIC_PINS; gsi++)
      this.table.set(gsi, { gsi, addressLo: 0, addressHi: 0, data: 0 });
    this.commitRoutes();
  }

  /**
   * `kvm_swizzle_msi_ext_dest_id`: with KVM_FEATURE_MSI_EXT_DEST_ID, a compatibility-format
   * address with bits 11:5 set moves them to address_hi bits 14:8 (semantics.md §3.3).
   */
  swizzle(msi: Msi): Msi {
    const ext = (msi.addressLo >>> 4) & 0xff;
    if (!this.topology.extDestId || ext === 0 || (ext & 1) === 1 || msi.addressHi !== 0) return msi;
    return {
      addressLo: (msi.addressLo & ~0xfe0) >>> 0,
      addressHi: ((msi.addressLo >>> 5) & 0x7f) << 8,
      data: msi.data,
    };
  }

  /** `kvm_arch_fixup_msi_route`: translate without recording faults; null on failure. */
  fixup(msi: Msi, sid: number | null): FixedUp | null {
    const r = this.iommu.remapMsi(msi, sid, false);
    if (!r.ok) {
      this.rec.event(`kvm_x86_fixup_msi_error reason=0x${r.reason.toString(16)} index=${r.index}`);
      return null;
    }
    return { msi: this.swizzle(r.msi), cookie: r.index };
  }

  /** `kvm_irqchip_add_msi_route`: lowest free GSI above the IOAPIC's; null if the fixup fails. */
  addMsiRoute(msi: Msi, sid: number | null): number | null {
    const fixed = this.fixup(msi, sid);
    if (fixed === null) return null;
    let gsi = NR_RESERVED_IOAPIC_PINS;
    while (this.table.has(gsi)) gsi++;
    this.table.set(gsi, { gsi, ...fixed.msi });
    this.rec.event(`kvm_irqchip_add_msi_route ${formatRoute({ gsi, ...fixed.msi })}`);
    this.commitRoutes();
    return gsi;
  }

  /**
   * `kvm_irqchip_update_msi_route`: on a failed fixup it returns -EINVAL and leaves the
   * old entry in the table (semantics.md §3.1). Does not commit.
   */
  updateMsiRoute(gsi: number, msi: Msi, sid: number | null): FixedUp | null {
    const fixed = this.fixup(msi, sid);
    if (fixed === null) return null;
    this.setRoute(gsi, fixed.msi);
    return fixed;
  }

  /** Install an already-translated message (the cookie cache's slow path). */
  setRoute(gsi: number, msi: Msi): void {
    const old = this.table.get(gsi);
    if (
      old !== undefined &&
      old.addressLo === msi.addressLo &&
      old.addressHi === msi.addressHi &&
      old.data === msi.data
    )
      return;
    const route = { gsi, ...msi };
    this.table.set(gsi, route);
    this.rec.event(`kvm_irqchip_update_msi_route ${formatRoute(route)}`);
  }

  /** `kvm_irqchip_commit_routes`: KVM_SET_GSI_ROUTING with the whole table. */
  commitRoutes(): void {
    this.kvm.setGsiRouting([...this.table.values()]);
  }

  /** `kvm_send_msi` (the split LAPIC's MMIO window): swizzle, then KVM_SIGNAL_MSI. */
  sendMsi(msi: Msi): void {
    this.kvm.signalMsi(this.swizzle(msi));
  }

  digest(): string {
    return JSON.stringify([...this.table.values()]);
  }

  describe(): string[] {
    return [...this.table.values()].filter((r) => r.addressLo !== 0 || r.data !== 0).map(formatRoute);
  }
}
