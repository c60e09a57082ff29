import * as lapic from "../../model/lapic.ts";
import type { Patch } from "../patch.ts";

/**
 * Fix for D23 (a kernel change): `__apic_accept_irq` rejects a fixed or lowest-priority
 * interrupt with a vector below 0x10 instead of setting its IRR bit, as a LAPIC does
 * (SDM vol. 3 §10.5.2, "Received Illegal Vector").
 */
export const rejectIllegalVectors: Patch = {
  name: "reject illegal vectors",
  mirrors: "SDM vol. 3 §10.5.2 (KVM's __apic_accept_irq sets IRR for any vector)",
  kvm: (Base) =>
    class extends Base {
      protected override apic_accept_irq(cpu: number, vector: number, level: boolean): void {
        if (vector >= lapic.FIRST_LEGAL_VECTOR) super.apic_accept_irq(cpu, vector, level);
      }
    },
};
