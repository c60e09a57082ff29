/**
 * The proposed design (Woodhouse, qemu-devel 2023-03-09; semantics.md §5.5): KVM routes
 * as a cache of translations. Each entry remembers the untranslated message it was built
 * from and its invalidation cookie, the IRTE index the translation read. An IEC
 * invalidation detaches exactly the entries whose cookie it covers (a global one, and
 * any change of the remapping setup, detaches all); the next interrupt through a
 * detached entry takes the userspace slow path: translate now, recording a fault if the
 * IRTE is invalid, reinstall the route, re-attach. Masking does not invalidate.
 */
import type { Recorder } from "../recorder.ts";
import type { IntelIommu, Msi } from "./intel-iommu.ts";
import type { KvmAccel } from "./kvm-accel.ts";

interface CacheEntry {
  source: Msi;
  readonly sid: number | null;
  /** IRTE index of the cached translation; null for a compatibility-format pass-through. */
  cookie: number | null;
  valid: boolean;
}

function sameMsi(a: Msi, b: Msi): boolean {
  return a.addressLo === b.addressLo && a.addressHi === b.addressHi && a.data === b.data;
}

export class RouteCache {
  private readonly entries = new Map<number, CacheEntry>();
  constructor(
    private readonly accel: KvmAccel,
    private readonly iommu: IntelIommu,
    private readonly rec: Recorder,
    /** Called for every entry that goes from attached to detached (irqfd users deassign). */
    private readonly onDetach: (gsi: number) => void = () => {},
  ) {}

  isValid(gsi: number, source: Msi): boolean {
    const e = this.entries.get(gsi);
    return e?.valid === true && sameMsi(e.source, source);
  }

  /** The guest changed the message behind `gsi` (an RTE or MSI-X table write). */
  sourceChanged(gsi: number, source: Msi): void {
    const e = this.entries.get(gsi);
    if (e !== undefined && !sameMsi(e.source, source)) this.detach(gsi, e, "source changed");
  }

  /**
   * Rebuild the entry for a new `source` now, as a route update would: translated without
   * recording a fault; if the translation fails the entry is detached, and the interrupt
   * will take the faulting slow path.
   */
  refresh(gsi: number, source: Msi, sid: number | null): void {
    if (this.isValid(gsi, source)) return;
    const fixed = this.accel.kvm_irqchip_update_msi_route(gsi, source, sid);
    const e = this.entries.get(gsi);
    if (fixed === null || source.addressHi !== 0 || source.addressLo >>> 20 !== 0xfee) {
      if (e !== undefined) {
        e.source = source;
        this.detach(gsi, e, "refresh failed");
      }
      return;
    }
    this.accel.kvm_irqchip_commit_routes();
    this.entries.set(gsi, { source, sid, cookie: fixed.cookie, valid: true });
  }

  /** IEC invalidation: global, or the 2^mask entries aligned at `index`. */
  invalidate(global: boolean, index: number, mask: number): void {
    for (const [gsi, e] of this.entries) {
      const covered = global || (e.cookie !== null && e.cookie >>> mask === index >>> mask);
      if (covered) this.detach(gsi, e, global ? "global invalidation" : `cookie ${e.cookie} invalidated`);
    }
  }

  private detach(gsi: number, e: CacheEntry, why: string): void {
    if (!e.valid) return;
    e.valid = false;
    this.rec.event(`route_cache_detach gsi=${gsi} (${why})`);
    this.onDetach(gsi);
  }

  /**
   * Make the route for `gsi` hold the translation of `source`: nothing to do if attached;
   * otherwise translate now (faulting) and install. Returns false if the interrupt is
   * blocked (the fault, if any, is recorded by the IOMMU).
   */
  ensure(gsi: number, source: Msi, sid: number | null): boolean {
    if (this.isValid(gsi, source)) return true;
    this.rec.event(`route_cache_miss gsi=${gsi}`);
    // What the device's memory write would do now: outside the interrupt window it is
    // not an interrupt at all (D19), so no route may be built for it.
    if (source.addressHi !== 0 || source.addressLo >>> 20 !== 0xfee) return false;
    const r = this.iommu.vtd_interrupt_remap_msi(source, sid, true);
    if (!r.ok) return false;
    this.accel.kvm_update_routing_entry(gsi, this.accel.kvm_swizzle_msi_ext_dest_id(r.msi));
    this.accel.kvm_irqchip_commit_routes();
    this.entries.set(gsi, { source, sid, cookie: r.index, valid: true });
    return true;
  }

  digest(): string {
    return JSON.stringify([...this.entries]);
  }

  describe(): string[] {
    return [...this.entries].map(
      ([gsi, e]) => `cache gsi ${gsi}: cookie ${e.cookie ?? "-"} ${e.valid ? "attached" : "detached"}`,
    );
  }
}
