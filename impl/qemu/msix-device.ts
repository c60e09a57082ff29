/**
 * An MSI-X device whose vectors are delivered by irqfd (hw/pci/msix.c plus the device
 * model's vector notifiers; semantics.md §3.6, D7). Each vector gets a KVM route (GSI) at
 * realize and an irqfd that is assigned while the vector is unmasked.
 *
 * Unmask paths: virtio-pci (`virtio_pci_one_vector_unmask`) updates the route only if
 * the untranslated message differs from the one it cached; vfio-pci
 * (`vfio_update_kvm_msi_virq`) always updates. A pending vector released by an unmask
 * goes out through `msix_notify`, the userspace path (translated now).
 *
 * Methods named after QEMU functions are the ones a variant may override.
 */
import type { MsiDevice } from "../../model/topology.ts";
import type { Recorder } from "../recorder.ts";
import type { IntelIommu, Msi } from "./intel-iommu.ts";
import type { KvmAccel } from "./kvm-accel.ts";

export interface MsixVector {
  /** Its index in the device's MSI-X table. */
  readonly vec: number;
  address: number;
  data: number;
  masked: boolean;
  pending: boolean;
  /** The KVM route, or null if `kvm_irqchip_add_msi_route` failed (userspace delivery). */
  gsi: number | null;
  /** The eventfd the device signals; bound to an irqfd while `irqfd` is true. */
  readonly fd: number;
  irqfd: boolean;
  /** virtio-pci's `VirtIOIRQFD.msg`: the untranslated message the route was built from. */
  cachedMsg: Msi;
}

const RESET_MESSAGE: Msi = { addressLo: 0, addressHi: 0, data: 0 };

export class MsixDevice {
  protected readonly vectors: MsixVector[];

  constructor(
    protected readonly device: MsiDevice,
    firstFd: number,
    protected readonly accel: KvmAccel,
    protected readonly iommu: IntelIommu,
    protected readonly rec: Recorder,
  ) {
    this.vectors = Array.from({ length: device.vectors }, (_, vec) => ({
      vec,
      address: 0,
      data: 0,
      masked: true,
      pending: false,
      gsi: null,
      fd: firstFd + vec,
      irqfd: false,
      cachedMsg: RESET_MESSAGE,
    }));
  }

  /**
   * Device realize: a route per vector with the reset message (virtio:
   * `kvm_virtio_pci_vq_vector_use`; vfio: `vfio_add_kvm_msi_virq`), and
   * `kvm_update_msi_routes_all` as an IEC notifier.
   */
  realize(): void {
    const change = { changes: 0 };
    for (const v of this.vectors)
      v.gsi = this.accel.kvm_irqchip_add_msi_route(change, RESET_MESSAGE, this.device.requesterId);
    this.accel.kvm_irqchip_commit_route_changes(change);
    this.iommu.addIecNotifier(() => this.kvm_update_msi_routes_all());
  }

  protected vector(vec: number): MsixVector {
    const v = this.vectors[vec];
    if (v === undefined) throw new Error(`no MSI-X vector ${vec}`);
    return v;
  }

  protected message(v: MsixVector): Msi {
    return { addressLo: v.address, addressHi: 0, data: v.data };
  }

  protected assignIrqfd(v: MsixVector, gsi: number): void {
    this.accel.kvm_irqchip_add_irqfd_notifier_gsi(v.fd, gsi);
    v.irqfd = true;
  }

  protected deassignIrqfd(v: MsixVector): void {
    if (!v.irqfd) return;
    this.accel.kvm_irqchip_remove_irqfd_notifier_gsi(v.fd);
    v.irqfd = false;
  }

  isMasked(vec: number): boolean {
    return this.vector(vec).masked;
  }

  /** `msix_table_mmio_write` of the address/data words of one entry. */
  msix_table_mmio_write(vec: number, address: number, data: number): void {
    const v = this.vector(vec);
    v.address = address >>> 0;
    v.data = data >>> 0;
    this.rec.event(
      `msix_table_mmio_write vector=${vec} addr=0x${v.address.toString(16)} data=0x${v.data.toString(16)}`,
    );
  }

  /** `msix_handle_mask_update`: the vector-control mask bit changed; run the device's notifier. */
  msix_handle_mask_update(vec: number, masked: boolean): void {
    const v = this.vector(vec);
    if (v.masked === masked) return;
    v.masked = masked;
    this.rec.event(`msix_vector_${masked ? "mask" : "unmask"} vector=${vec}`);
    if (masked) return this.msix_vector_mask(v);
    this.msix_vector_unmask(v);
    if (v.pending) {
      v.pending = false;
      this.msix_notify(v);
    }
  }

  /** The device's mask notifier: the irqfd is deassigned; QEMU polls the eventfd itself. */
  protected msix_vector_mask(v: MsixVector): void {
    this.deassignIrqfd(v);
  }

  /** The device's unmask notifier. */
  protected msix_vector_unmask(v: MsixVector): void {
    if (this.device.qemuModel === "vfio-pci") this.vfio_update_kvm_msi_virq(v);
    else this.virtio_pci_one_vector_unmask(v);
  }

  /**
   * `virtio_pci_one_vector_unmask`: update the route only if the untranslated message
   * differs from the cached one; on a failed update, leave the vector to userspace.
   */
  protected virtio_pci_one_vector_unmask(v: MsixVector): void {
    if (v.gsi === null) return;
    const msg = this.message(v);
    const c = v.cachedMsg;
    if (msg.addressLo !== c.addressLo || msg.addressHi !== c.addressHi || msg.data !== c.data) {
      const ok = this.accel.kvm_irqchip_update_msi_route(v.gsi, msg, this.device.requesterId) !== null;
      this.accel.kvm_irqchip_commit_routes();
      if (!ok) return;
      v.cachedMsg = msg;
    }
    this.assignIrqfd(v, v.gsi);
  }

  /** `vfio_msix_vector_use` -> `vfio_update_kvm_msi_virq`: always update (errors ignored), commit, assign. */
  protected vfio_update_kvm_msi_virq(v: MsixVector): void {
    if (v.gsi === null) return;
    const msg = this.message(v);
    this.accel.kvm_irqchip_update_msi_route(v.gsi, msg, this.device.requesterId);
    this.accel.kvm_irqchip_commit_routes();
    v.cachedMsg = msg;
    this.assignIrqfd(v, v.gsi);
  }

  /** The device signals the vector's eventfd (`event_notifier_set`). */
  event_notifier_set(vec: number): void {
    const v = this.vector(vec);
    this.rec.event(`event_notifier_set fd=${v.fd} (vector ${vec})`);
    if (v.irqfd) return this.accel.event_notifier_set(v.fd);
    // No irqfd: QEMU's userspace handler runs msix_notify, or sets the pending bit.
    if (v.masked) {
      v.pending = true;
      this.rec.event(`msix_set_pending vector=${vec}`);
      return;
    }
    this.msix_notify(v);
  }

  /** `msix_notify` -> `pci_msi_trigger`: a memory write through the IOMMU (userspace path). */
  protected msix_notify(v: MsixVector): void {
    this.iommu.vtd_mem_ir_write(this.message(v), this.device.requesterId, (m) => this.accel.kvm_send_msi(m));
  }

  /** `kvm_update_msi_routes_all` (the IEC notifier): unmasked vectors only; errors ignored. */
  protected kvm_update_msi_routes_all(): void {
    for (const v of this.vectors) {
      if (v.masked || v.gsi === null) continue;
      this.accel.kvm_irqchip_update_msi_route(v.gsi, this.message(v), this.device.requesterId);
    }
    this.accel.kvm_irqchip_commit_routes();
  }

  digest(): string {
    return this.vectors
      .map(
        (v) =>
          `${v.vec},${v.address},${v.data},${v.masked ? 1 : 0}${v.pending ? 1 : 0},${v.gsi ?? "-"},${v.fd},${v.irqfd ? 1 : 0},${v.cachedMsg.addressLo},${v.cachedMsg.addressHi},${v.cachedMsg.data}`,
      )
      .join(";");
  }

  pendingBits(): number {
    let bits = 0;
    for (const v of this.vectors) if (v.pending) bits |= 1 << v.vec;
    return bits >>> 0;
  }

  describe(): string[] {
    return [];
  }
}
