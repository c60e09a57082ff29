/**
 * QEMU's KVM accelerator, irqchip part (accel/kvm/kvm-all.c, target/i386/kvm/kvm.c,
 * hw/i386/kvm/apic.c; semantics.md §3): the one port through which QEMU's devices reach
 * the kernel. It keeps QEMU's shadow of the GSI routing table, adds and updates MSI
 * routes with the x86 fixup (interrupt-remapping pre-translation that never faults, then
 * the extended-destination-ID swizzle), commits the whole table, assigns irqfds, and
 * injects with `kvm_set_irq` and KVM_SIGNAL_MSI. Every call is recorded.
 *
 * Route commits all go through `kvm_irqchip_commit_routes`, and every guest MMIO access
 * through `kvm_cpu_exec_mmio`, so batching or deferring commits is an override here.
 */
import type { Topology } from "../../model/topology.ts";
import { type Kvm, NR_RESERVED_IOAPIC_PINS } from "../kvm/kvm.ts";
import { formatRoute, type KvmMsiRoute, routeTableDigest } from "../kvm/routing.ts";
import type { Recorder } from "../recorder.ts";
import type { IntelIommu, Msi } from "./intel-iommu.ts";

/** A fixed-up route and the IRTE index its translation used (null: not remapped). */
export interface FixedUp {
  readonly msi: Msi;
  readonly cookie: number | null;
}

/** A resamplefd: the eventfd KVM (here: QEMU, in split mode) kicks when the GSI's level interrupt is EOIed. */
export interface ResampleNotifier {
  readonly fd: number;
  readonly notify: () => void;
}

/** `KVMRouteChange`: routes added under it are pushed by one `kvm_irqchip_commit_route_changes`. */
export interface KvmRouteChange {
  changes: number;
}

export class KvmAccel {
  /** `KVMState.irq_routes`: what the next commit pushes. */
  private readonly table = new Map<number, KvmMsiRoute>();
  /** The table as the last commit pushed it (frozen), while unchanged since; null after a change. */
  private pushed: readonly KvmMsiRoute[] | null = null;
  /** Every GSI below this is in use (`kvm_irqchip_get_virq`'s search starts here; routes are never released). */
  private firstFreeGsi = NR_RESERVED_IOAPIC_PINS;
  /** `kvm_resample_fd_list`: by GSI, with the irqfd it belongs to (semantics.md §3.6). */
  protected readonly resampleFds = new Map<number, { readonly irqfd: number; readonly resample: ResampleNotifier }>();

  constructor(
    protected readonly topology: Topology,
    protected readonly kvm: Kvm,
    protected readonly iommu: IntelIommu,
    protected readonly rec: Recorder,
  ) {}

  /** `kvm_arch_init_irq_routing` in split mode: GSIs 0..23 get address 0 / data 0 routes. */
  kvm_arch_init_irq_routing(): void {
    for (let gsi = 0; gsi < NR_RESERVED_IOAPIC_PINS; gsi++) this.setRoute({ gsi, addressLo: 0, addressHi: 0, data: 0 });
    this.kvm_irqchip_commit_routes();
  }

  private setRoute(route: KvmMsiRoute): void {
    this.table.set(route.gsi, route);
    this.pushed = null;
  }

  /** The vCPU thread's KVM_EXIT_MMIO handling (`kvm_cpu_exec`): one guest access, dispatched. */
  kvm_cpu_exec_mmio(access: () => void): void {
    access();
  }

  /**
   * `kvm_swizzle_msi_ext_dest_id`: with KVM_FEATURE_MSI_EXT_DEST_ID, a compatibility-format
   * address with bits 11:5 set moves them to address_hi bits 14:8 (semantics.md §3.3).
   */
  kvm_swizzle_msi_ext_dest_id(msi: Msi): Msi {
    const ext = (msi.addressLo >>> 4) & 0xff;
    if (!this.topology.extDestId || ext === 0 || (ext & 1) === 1 || msi.addressHi !== 0) return msi;
    return {
      addressLo: (msi.addressLo & ~0xfe0) >>> 0,
      addressHi: ((msi.addressLo >>> 5) & 0x7f) << 8,
      data: msi.data,
    };
  }

  /** `kvm_arch_fixup_msi_route`: translate without recording faults, then swizzle; null on failure. */
  kvm_arch_fixup_msi_route(msi: Msi, sid: number | null): FixedUp | null {
    const r = this.iommu.vtd_interrupt_remap_msi(msi, sid, false);
    if (!r.ok) {
      this.rec.event(`kvm_x86_fixup_msi_error reason=0x${r.reason.toString(16)} index=${r.index}`);
      return null;
    }
    return { msi: this.kvm_swizzle_msi_ext_dest_id(r.msi), cookie: r.index };
  }

  /**
   * `kvm_irqchip_add_msi_route`: lowest free GSI above the IOAPIC's; null if the fixup
   * fails. Counted in `change`; the caller commits (`kvm_irqchip_commit_route_changes`).
   */
  kvm_irqchip_add_msi_route(change: KvmRouteChange, msi: Msi, sid: number | null): number | null {
    const fixed = this.kvm_arch_fixup_msi_route(msi, sid);
    if (fixed === null) return null;
    let gsi = this.firstFreeGsi;
    while (this.table.has(gsi)) gsi++;
    this.firstFreeGsi = gsi + 1;
    this.setRoute({ gsi, ...fixed.msi });
    this.rec.event(`kvm_irqchip_add_msi_route ${formatRoute({ gsi, ...fixed.msi })}`);
    change.changes++;
    return gsi;
  }

  /** `kvm_irqchip_commit_route_changes`: one commit for the routes added under `change`, if any. */
  kvm_irqchip_commit_route_changes(change: KvmRouteChange): void {
    if (change.changes === 0) return;
    this.kvm_irqchip_commit_routes();
    change.changes = 0;
  }

  /**
   * `kvm_irqchip_update_msi_route`: on a failed fixup it returns -EINVAL and leaves the
   * old entry in the table (semantics.md §3.1). Does not commit.
   */
  kvm_irqchip_update_msi_route(gsi: number, msi: Msi, sid: number | null): FixedUp | null {
    const fixed = this.kvm_arch_fixup_msi_route(msi, sid);
    if (fixed === null) return null;
    this.kvm_update_routing_entry(gsi, fixed.msi);
    return fixed;
  }

  /** `kvm_update_routing_entry`: install an already-translated message; unchanged entries stay. */
  kvm_update_routing_entry(gsi: number, msi: Msi): void {
    const old = this.table.get(gsi);
    if (
      old !== undefined &&
      old.addressLo === msi.addressLo &&
      old.addressHi === msi.addressHi &&
      old.data === msi.data
    )
      return;
    const route = { gsi, ...msi };
    this.setRoute(route);
    this.rec.event(`kvm_irqchip_update_msi_route ${formatRoute(route)}`);
  }

  /**
   * `kvm_irqchip_commit_routes`: KVM_SET_GSI_ROUTING with the whole table (the same frozen
   * array while nothing changed, which lets the kernel side skip its rebuild: kvm.ts).
   */
  kvm_irqchip_commit_routes(): void {
    this.pushed ??= Object.freeze([...this.table.values()]);
    this.kvm.kvm_set_irq_routing(this.pushed);
  }

  /** `kvm_set_irq`: KVM_IRQ_LINE on a GSI. */
  kvm_set_irq(gsi: number, level: 0 | 1): void {
    this.kvm.kvm_set_irq(gsi, level);
  }

  /** `kvm_send_msi` (the split LAPIC's MMIO window): swizzle, then KVM_SIGNAL_MSI. */
  kvm_send_msi(msi: Msi): void {
    this.kvm.kvm_send_userspace_msi(this.kvm_swizzle_msi_ext_dest_id(msi));
  }

  /**
   * `kvm_irqchip_add_irqfd_notifier_gsi` -> `kvm_irqchip_assign_irqfd`: KVM_IRQFD assign. In
   * split mode a resamplefd is not passed to KVM (it refuses KVM_IRQFD_FLAG_RESAMPLE without
   * its own IOAPIC) but kept in `kvm_resample_fd_list` for `kvm_resample_fd_notify`.
   */
  kvm_irqchip_add_irqfd_notifier_gsi(fd: number, gsi: number, resample?: ResampleNotifier): void {
    this.kvm.kvm_irqfd_assign(fd, gsi);
    if (resample === undefined) return;
    this.resampleFds.set(gsi, { irqfd: fd, resample });
    this.rec.event(`kvm_resample_fd_insert gsi=${gsi} resamplefd=${resample.fd}`);
  }

  /** `kvm_irqchip_remove_irqfd_notifier_gsi`: KVM_IRQFD deassign, and `kvm_resample_fd_remove`. */
  kvm_irqchip_remove_irqfd_notifier_gsi(fd: number): void {
    this.kvm.kvm_irqfd_deassign(fd);
    for (const [gsi, r] of this.resampleFds) {
      if (r.irqfd !== fd) continue;
      this.resampleFds.delete(gsi);
      this.rec.event(`kvm_resample_fd_remove gsi=${gsi}`);
    }
  }

  /** `kvm_resample_fd_notify`: kick the resamplefd registered for `gsi`, if any. */
  kvm_resample_fd_notify(gsi: number): void {
    const r = this.resampleFds.get(gsi);
    if (r === undefined) return;
    this.rec.event(`event_notifier_set resamplefd=${r.resample.fd} (gsi ${gsi})`);
    r.resample.notify();
  }

  /** `event_notifier_set` on an eventfd bound to an irqfd: the kernel injects (`irqfd_wakeup`). */
  event_notifier_set(fd: number): void {
    this.kvm.irqfd_wakeup(fd);
  }

  digest(): string {
    return `${routeTableDigest(this.pushed ?? [...this.table.values()])}|${[...this.resampleFds.keys()].join(",")}`;
  }

  describe(): string[] {
    return [...this.table.values()].filter((r) => r.addressLo !== 0 || r.data !== 0).map(formatRoute);
  }
}
