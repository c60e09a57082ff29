import type { Patch } from "../patch.ts";

/**
 * Fix for D14 (a kernel change): an ExtINT message arriving through an MSI route is
 * delivered to the vCPUs its destination selects, as an IOAPIC's ExtINT message reaches
 * the CPU on real hardware (82093AA §3.2.4 delivery mode 111; SDM vol. 3 §10.6.1), instead
 * of being dropped by `__apic_accept_irq`. Like NMI, SMI and INIT, it does not enter IRR.
 */
export const extintThroughRoutes: Patch = {
  name: "ExtINT through routes",
  mirrors: "82093AA §3.2.4 (KVM's __apic_accept_irq ignores APIC_DM_EXTINT)",
  kvm: (Base) =>
    class extends Base {
      protected override acceptsRoutedExtint(): boolean {
        return true;
      }
    },
};
