import type { Patch } from "../patch.ts";
import type { Msi } from "../qemu/intel-iommu.ts";
import type { FixedUp, KvmAccel } from "../qemu/kvm-accel.ts";
import type { MsixVector } from "../qemu/msix-device.ts";

/** GSIs whose last route update failed its fixup. */
function failedRoutes(accel: KvmAccel): ReadonlySet<number> {
  const a = accel as KvmAccel & { failedGsis?: Set<number> };
  if (a.failedGsis === undefined) throw new Error("the userspace fallback needs its KvmAccel override");
  return a.failedGsis;
}

/**
 * Fix for D3: a route whose re-translation fails is not left holding the old translation
 * for KVM to deliver through. QEMU remembers the failure, the IOAPIC services such a pin
 * by an MSI write through the IOMMU (translated now, so the fault is recorded), and an
 * MSI-X vector on such a route loses its irqfd, so its eventfd is handled in userspace by
 * `msix_notify` (semantics.md §3.1, D3, D4). A later successful update re-attaches.
 */
export const userspaceFallback: Patch = {
  name: "failed route updates fall back to userspace",
  mirrors: "the thread's 'raise faults at delivery' request (qemu-devel, 2023-03), as a QEMU-only change",
  accel: (Base) =>
    class extends Base {
      readonly failedGsis = new Set<number>();

      override kvm_irqchip_update_msi_route(gsi: number, msi: Msi, sid: number | null): FixedUp | null {
        const fixed = super.kvm_irqchip_update_msi_route(gsi, msi, sid);
        if (fixed === null) this.failedGsis.add(gsi);
        else this.failedGsis.delete(gsi);
        return fixed;
      }
    },
  ioapic: (Base) =>
    class extends Base {
      protected override ioapic_inject(pin: number): void {
        if (!failedRoutes(this.accel).has(pin)) return super.ioapic_inject(pin);
        this.iommu.vtd_mem_ir_write(this.message(pin), null, (m) => this.accel.kvm_send_msi(m));
      }
    },
  msix: (Base) =>
    class extends Base {
      protected override msix_vector_unmask(v: MsixVector): void {
        super.msix_vector_unmask(v);
        if (v.gsi !== null && failedRoutes(this.accel).has(v.gsi)) this.deassignIrqfd(v);
      }

      protected override kvm_update_msi_routes_all(): void {
        super.kvm_update_msi_routes_all();
        for (const v of this.vectors) {
          if (v.masked || v.gsi === null) continue;
          if (failedRoutes(this.accel).has(v.gsi)) this.deassignIrqfd(v);
          else if (!v.irqfd) this.assignIrqfd(v, v.gsi);
        }
      }
    },
};
