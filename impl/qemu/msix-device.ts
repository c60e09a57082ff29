/**
 * An MSI-X device whose vectors are delivered by irqfd (hw/pci/msix.c plus the device
 * model's vector notifiers; semantics.md §3.6, D7). Each vector has a KVM route (GSI)
 * allocated at setup and an irqfd that is assigned while the vector is unmasked.
 *
 * Unmask paths: virtio-pci (`virtio_pci_one_vector_unmask`) updates the route only if
 * the untranslated message differs from the one it cached; vfio-pci
 * (`vfio_update_kvm_msi_virq`) always updates. A pending vector released by an unmask
 * goes out through `msix_notify`, the userspace path (translated now). With the cookie
 * cache, routes are rebuilt on demand instead.
 */
import type { MsiDevice } from "../../model/topology.ts";
import type { Kvm } from "../kvm/kvm.ts";
import type { Recorder } from "../recorder.ts";
import type { IntelIommu, Msi } from "./intel-iommu.ts";
import type { KvmIrqchip } from "./kvm-irqchip.ts";
import type { RouteCache } from "./route-cache.ts";

interface Vector {
  address: number;
  data: number;
  masked: boolean;
  pending: boolean;
  /** The KVM route, or null if `kvm_irqchip_add_msi_route` failed (userspace delivery). */
  readonly gsi: number | null;
  /** The eventfd the device signals; an irqfd on `gsi` while assigned. */
  readonly fd: number;
  /** virtio-pci's `VirtIOIRQFD.msg`: the untranslated message the route was built from. */
  cachedMsg: Msi;
}

export class MsixDevice {
  private readonly vectors: Vector[];

  constructor(
    private readonly device: MsiDevice,
    firstFd: number,
    private readonly glue: KvmIrqchip,
    private readonly iommu: IntelIommu,
    private readonly kvm: Kvm,
    private readonly cache: RouteCache | null,
    private readonly rec: Recorder,
  ) {
    // Vector setup (virtio: kvm_virtio_pci_vq_vector_use; vfio: vfio_add_kvm_msi_virq) with the reset message.
    this.vectors = Array.from({ length: device.vectors }, (_, i) => {
      const msg = { addressLo: 0, addressHi: 0, data: 0 };
      const gsi = cache === null ? glue.addMsiRoute(msg, device.requesterId) : null;
      return { address: 0, data: 0, masked: true, pending: false, gsi, fd: firstFd + i, cachedMsg: msg };
    });
    if (cache === null) iommu.addIecNotifier(() => this.updateMsiRoutesAll());
  }

  private vector(vec: number): Vector {
    const v = this.vectors[vec];
    if (v === undefined) throw new Error(`no MSI-X vector ${vec}`);
    return v;
  }

  private message(v: Vector): Msi {
    return { addressLo: v.address, addressHi: 0, data: v.data };
  }

  /** Linux's `__pci_write_msi_msg`: mask around the table write if the vector is unmasked. */
  program(vec: number, address: number, data: number): void {
    const v = this.vector(vec);
    const wasUnmasked = !v.masked;
    if (wasUnmasked) this.setMask(vec, true);
    v.address = address >>> 0;
    v.data = data >>> 0;
    this.rec.event(
      `msix_table_mmio_write vector=${vec} addr=0x${v.address.toString(16)} data=0x${v.data.toString(16)}`,
    );
    if (wasUnmasked) this.setMask(vec, false);
  }

  /** `msix_handle_mask_update` and the device's vector mask/unmask notifiers. */
  setMask(vec: number, masked: boolean): void {
    const v = this.vector(vec);
    if (v.masked === masked) return;
    v.masked = masked;
    this.rec.event(`msix_vector_${masked ? "mask" : "unmask"} vector=${vec}`);
    if (masked) {
      if (this.kvm.hasIrqfd(v.fd)) this.kvm.irqfdDeassign(v.fd);
      return;
    }
    this.attach(v);
    if (v.pending) {
      v.pending = false;
      this.notify(v);
    }
  }

  private attach(v: Vector): void {
    if (this.cache !== null) {
      this.cache.sourceChanged(v.fd, this.message(v));
      if (this.cache.isValid(v.fd, this.message(v))) this.kvm.irqfdAssign(v.fd, v.fd);
      return;
    }
    if (v.gsi === null) return;
    const msg = this.message(v);
    const virtioUnchanged =
      this.device.qemuModel !== "vfio-pci" &&
      msg.addressLo === v.cachedMsg.addressLo &&
      msg.addressHi === v.cachedMsg.addressHi &&
      msg.data === v.cachedMsg.data;
    if (!virtioUnchanged) {
      const ok = this.glue.updateMsiRoute(v.gsi, msg, this.device.requesterId) !== null;
      this.glue.commitRoutes();
      // virtio-pci gives up on a failed update and leaves the vector to userspace.
      if (!ok && this.device.qemuModel !== "vfio-pci") return;
      v.cachedMsg = msg;
    }
    this.kvm.irqfdAssign(v.fd, v.gsi);
  }

  /** The device signals the vector's eventfd. */
  fire(vec: number): void {
    const v = this.vector(vec);
    this.rec.event(`event_notifier_set fd=${v.fd} (vector ${vec})`);
    if (this.kvm.hasIrqfd(v.fd)) return this.kvm.irqfdSignal(v.fd);
    // No irqfd: QEMU's userspace handler runs msix_notify.
    if (v.masked) {
      v.pending = true;
      this.rec.event(`msix_set_pending vector=${vec}`);
      return;
    }
    this.notify(v);
  }

  /** `msix_notify` -> `pci_msi_trigger`: a memory write through the IOMMU (userspace path). */
  private notify(v: Vector): void {
    const msg = this.message(v);
    if (this.cache !== null) {
      if (this.cache.ensure(v.fd, msg, this.device.requesterId)) {
        this.kvm.irqfdAssign(v.fd, v.fd);
        this.kvm.irqfdSignal(v.fd);
      }
      return;
    }
    this.iommu.memIrWrite(msg, this.device.requesterId, (m) => this.glue.sendMsi(m));
  }

  /** The cookie cache detached this vector's route: deassign its irqfd. */
  detached(gsi: number): void {
    const v = this.vectors.find((x) => x.fd === gsi);
    if (v !== undefined && this.kvm.hasIrqfd(v.fd)) this.kvm.irqfdDeassign(v.fd);
  }

  /** `kvm_update_msi_routes_all` (the IEC notifier): unmasked vectors only; errors ignored. */
  private updateMsiRoutesAll(): void {
    for (const v of this.vectors) {
      if (v.masked || v.gsi === null) continue;
      this.glue.updateMsiRoute(v.gsi, this.message(v), this.device.requesterId);
    }
    this.glue.commitRoutes();
  }

  digest(): string {
    return JSON.stringify(this.vectors);
  }

  pendingBits(): number {
    let bits = 0;
    this.vectors.forEach((v, i) => {
      if (v.pending) bits |= 1 << i;
    });
    return bits >>> 0;
  }
}
