import type { Patch } from "../patch.ts";

/**
 * Fix for D8 and D17 (a kernel change): in split mode an EOI exits to userspace iff the
 * ended interrupt's TMR bit is set, as the LAPIC broadcasts EOIs of level-triggered
 * interrupts (SDM §10.8.5), instead of iff a route's vector is in the EOI-exit bitmap
 * (semantics.md §5.4).
 */
export const eoiExitByTmr: Patch = {
  name: "EOI exits by TMR",
  mirrors: "SDM vol. 3 §10.8.5 (KVM uses ioapic_handled_vectors in split mode)",
  kvm: (Base) =>
    class extends Base {
      protected override kvm_ioapic_handles_vector(_cpu: number, ended: { readonly level: boolean }): boolean {
        return ended.level;
      }
    },
};
