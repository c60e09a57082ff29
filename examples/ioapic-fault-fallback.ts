/**
 * Idea from the seed thread: keep the `kvm_set_irq` fast path, but service a pin whose
 * KVM route could not be translated (the IRTE is invalid) by an MSI write through the
 * IOMMU, which faults, instead of through the stale route. Expected against qemu-8.2: the
 * IOAPIC forms of D3 are gone; MSI-X devices still deliver through stale routes.
 *
 *   irqcheck fuzz --impl examples/ioapic-fault-fallback.ts --profile ir --runs 20000 --seed 1
 */
import type { VariantDefinition } from "../impl/index.ts";

export default {
  name: "ioapic-fault-fallback",
  extends: "qemu-8.2",
  summary: "pins whose route fixup failed are serviced by a faulting MSI write",
  ioapic: (Base) =>
    class extends Base {
      private readonly untranslatable = new Set<number>();

      override ioapic_update_kvm_routes(): void {
        for (let pin = 0; pin < this.low.length; pin++) {
          if (this.masked(pin)) continue;
          const fixed = this.accel.kvm_irqchip_update_msi_route(pin, this.message(pin), null);
          if (fixed === null) this.untranslatable.add(pin);
          else this.untranslatable.delete(pin);
        }
        this.accel.kvm_irqchip_commit_routes();
      }

      protected override ioapic_inject(pin: number): void {
        if (!this.untranslatable.has(pin)) return super.ioapic_inject(pin);
        this.iommu.vtd_mem_ir_write(this.message(pin), null, (m) => this.accel.kvm_send_msi(m));
      }

      override digest(): string {
        return `${super.digest()}|${[...this.untranslatable].join(",")}`;
      }
    },
} satisfies VariantDefinition;
