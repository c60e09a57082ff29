/**
 * How a variant changes the system: a patch overrides named QEMU/KVM functions of the
 * component classes, as a subclass per component (`(Base) => class extends Base {...}`).
 * A variant is its base's patches plus its own, applied in order, so a variant file reads
 * like the C patch it mirrors: the functions it changes, and nothing else.
 */
import { Kvm } from "./kvm/kvm.ts";
import { IntelIommu } from "./qemu/intel-iommu.ts";
import { QemuIoapic } from "./qemu/ioapic.ts";
import { KvmAccel } from "./qemu/kvm-accel.ts";
import { MsixDevice } from "./qemu/msix-device.ts";
import { VfioIntx } from "./qemu/vfio-intx.ts";

/** The classes a machine is built from. */
export interface Components {
  readonly Kvm: typeof Kvm;
  readonly KvmAccel: typeof KvmAccel;
  readonly IntelIommu: typeof IntelIommu;
  readonly QemuIoapic: typeof QemuIoapic;
  readonly MsixDevice: typeof MsixDevice;
  readonly VfioIntx: typeof VfioIntx;
}

/** Overrides of one component: a subclass of whatever the previous patches made of it. */
export type Override<C> = (Base: C) => C;

export interface Overrides {
  /** The kernel: routing table, irqfds, LAPICs, EOI exits (arch/x86/kvm, virt/kvm). */
  readonly kvm?: Override<typeof Kvm>;
  /** QEMU's KVM port: routes, commits, irqfd assignment, `kvm_set_irq`, MSI injection (kvm-all.c). */
  readonly accel?: Override<typeof KvmAccel>;
  /** QEMU's Intel IOMMU interrupt remapping (hw/i386/intel_iommu.c). */
  readonly iommu?: Override<typeof IntelIommu>;
  /** QEMU's userspace IOAPIC (hw/intc/ioapic.c). */
  readonly ioapic?: Override<typeof QemuIoapic>;
  /** MSI-X devices and their vector notifiers (hw/pci/msix.c, virtio-pci, vfio-pci). */
  readonly msix?: Override<typeof MsixDevice>;
  /** Assigned devices' INTx: irqfd and resamplefd, or QEMU's own handler (hw/vfio/pci.c). */
  readonly intx?: Override<typeof VfioIntx>;
}

/** A named change: a commit, a proposal, a kernel version, or a fix for a known divergence. */
export interface Patch extends Overrides {
  readonly name: string;
  /** The real commit, thread or kernel it mirrors. */
  readonly mirrors: string;
}

export const ROOT_COMPONENTS: Components = { Kvm, KvmAccel, IntelIommu, QemuIoapic, MsixDevice, VfioIntx };

/** The components after applying `patches` in order to the root classes. */
export function applyPatches(patches: readonly Overrides[]): Components {
  let c = ROOT_COMPONENTS;
  for (const p of patches) {
    c = {
      Kvm: p.kvm?.(c.Kvm) ?? c.Kvm,
      KvmAccel: p.accel?.(c.KvmAccel) ?? c.KvmAccel,
      IntelIommu: p.iommu?.(c.IntelIommu) ?? c.IntelIommu,
      QemuIoapic: p.ioapic?.(c.QemuIoapic) ?? c.QemuIoapic,
      MsixDevice: p.msix?.(c.MsixDevice) ?? c.MsixDevice,
      VfioIntx: p.intx?.(c.VfioIntx) ?? c.VfioIntx,
    };
  }
  return c;
}
