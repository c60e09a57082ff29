/**
 * Idea: push the GSI routing table to KVM once per guest MMIO write instead of after every
 * route change (fewer KVM_SET_GSI_ROUTING ioctls). Expected: it brings the seed bug back,
 * reported NEW against qemu-8.0: `ioapic_service` injects with `kvm_set_irq` inside the
 * write, before the deferred commit, so KVM still holds the old route.
 *
 *   irqcheck fuzz --impl examples/batched-route-commits.ts --runs 20000 --seed 1
 */
import type { VariantDefinition } from "../impl/index.ts";

export default {
  name: "batched-route-commits",
  extends: "qemu-8.0",
  summary: "KVM routes committed once at the end of each guest MMIO write",
  accel: (Base) =>
    class extends Base {
      private inMmio = false;
      private dirty = false;

      override kvm_irqchip_commit_routes(): void {
        if (this.inMmio) this.dirty = true;
        else super.kvm_irqchip_commit_routes();
      }

      override kvm_cpu_exec_mmio(access: () => void): void {
        this.inMmio = true;
        super.kvm_cpu_exec_mmio(access);
        this.inMmio = false;
        if (this.dirty) super.kvm_irqchip_commit_routes();
        this.dirty = false;
      }
    },
} satisfies VariantDefinition;
