/**
 * An assigned PCI device's INTx in QEMU (hw/vfio/pci.c; semantics.md §3.6, D9). VFIO
 * signals an eventfd when the device's INTx fires and masks it at the host until it is
 * unmasked. With KVM irqfds (`vfio_intx_enable_kvm`) the eventfd is an irqfd on the pin's
 * GSI: KVM injects whatever route that GSI holds, bypassing QEMU's IOAPIC (its irr and
 * Remote IRR never see the interrupt); the unmask eventfd is the irqfd's resamplefd, which
 * split irqchip emulates in userspace: `ioapic_eoi_broadcast` -> `kvm_resample_fd_notify`
 * for every level pin whose vector was EOIed. Without irqfds (`x-no-kvm-intx`) QEMU
 * handles the eventfd itself (`vfio_intx_interrupt` asserts the IOAPIC input) and ends
 * the interrupt on the driver's next BAR access (`vfio_intx_eoi`).
 *
 * Methods named after QEMU functions are the ones a variant may override.
 */
import { VfioHostIntx } from "../host/vfio-pci-intx.ts";
import type { Recorder } from "../recorder.ts";
import type { QemuIoapic } from "./ioapic.ts";
import type { KvmAccel } from "./kvm-accel.ts";

export class VfioIntx {
  protected readonly host: VfioHostIntx;
  /** The PCI INTx level QEMU drives into the IOAPIC (`vdev->intx.pending`; `pci_irq_assert`). */
  protected pending = false;
  /** `vdev->intx.kvm_accel`: the trigger eventfd is an irqfd, the unmask eventfd its resamplefd. */
  protected kvmAccel = false;

  constructor(
    /** The IOAPIC pin, and the GSI `pci_device_route_intx_to_irq` gives. */
    readonly pin: number,
    /** The trigger eventfd; the unmask (resample) eventfd is the next number. */
    protected readonly fd: number,
    protected readonly accel: KvmAccel,
    protected readonly ioapic: QemuIoapic,
    protected readonly rec: Recorder,
  ) {
    this.host = new VfioHostIntx(pin, rec, () => this.trigger());
  }

  /** `vfio_intx_enable` at realize: QEMU's handler on the trigger eventfd, then KVM acceleration if it can. */
  vfio_intx_enable(): void {
    this.vfio_intx_enable_kvm();
  }

  /**
   * The device drives its INTx line. A deassert means the guest's driver serviced the
   * device, through its BARs: every BAR access runs `vfio_eoi` (`vfio_region_write`).
   */
  setDeviceLine(level: boolean): void {
    this.host.setLine(level);
    if (!level) this.vfio_intx_eoi();
  }

  /** The trigger eventfd was signalled: KVM's irqfd consumes it, or QEMU's handler runs. */
  private trigger(): void {
    if (this.kvmAccel) this.accel.event_notifier_set(this.fd);
    else this.vfio_intx_interrupt();
  }

  /** `pci_set_irq`: the PCI layer passes only changes of the INTx level on to the IOAPIC. */
  protected pci_set_irq(level: boolean): void {
    if (this.pending === level) return;
    this.pending = level;
    this.ioapic.ioapic_set_irq(this.pin, level);
  }

  /** `vfio_intx_interrupt`: QEMU's handler of the trigger eventfd asserts the INTx line. */
  protected vfio_intx_interrupt(): void {
    this.rec.event(`vfio_intx_interrupt pin=${this.pin}`);
    this.pci_set_irq(true);
  }

  /** `vfio_intx_eoi`: the userspace path's end of an interrupt: deassert, unmask at the host. */
  protected vfio_intx_eoi(): void {
    if (!this.pending) return;
    this.rec.event(`vfio_intx_eoi pin=${this.pin}`);
    this.pci_set_irq(false);
    this.host.vfio_pci_intx_unmask();
  }

  /** The resamplefd was kicked: VFIO's unmask handler runs (the resamplefd is its unmask eventfd). */
  protected vfio_intx_resample(): void {
    this.host.vfio_pci_intx_unmask();
  }

  /**
   * `vfio_intx_enable_kvm`: mask at the host, drop the userspace assertion, bind the
   * trigger eventfd as an irqfd on the GSI with the unmask eventfd as resamplefd, unmask.
   */
  protected vfio_intx_enable_kvm(): void {
    if (this.kvmAccel) return;
    this.rec.event(`vfio_intx_enable_kvm pin=${this.pin}`);
    this.host.vfio_pci_intx_mask();
    this.pci_set_irq(false);
    this.accel.kvm_irqchip_add_irqfd_notifier_gsi(this.fd, this.pin, {
      fd: this.fd + 1,
      notify: () => this.vfio_intx_resample(),
    });
    this.kvmAccel = true;
    this.host.vfio_pci_intx_unmask();
  }

  /** `vfio_intx_disable_kvm`: mask, unbind the irqfd and resamplefd, back to QEMU's handler, unmask. */
  protected vfio_intx_disable_kvm(): void {
    if (!this.kvmAccel) return;
    this.rec.event(`vfio_intx_disable_kvm pin=${this.pin}`);
    this.host.vfio_pci_intx_mask();
    this.pci_set_irq(false);
    this.accel.kvm_irqchip_remove_irqfd_notifier_gsi(this.fd);
    this.kvmAccel = false;
    this.host.vfio_pci_intx_unmask();
  }

  digest(): string {
    return `${this.pin}:${this.pending ? 1 : 0}${this.kvmAccel ? 1 : 0}${this.host.digest()}`;
  }

  describe(): string[] {
    return [
      `intx pin ${this.pin}: ${this.kvmAccel ? `irqfd fd=${this.fd} + resamplefd fd=${this.fd + 1}` : "userspace"}${this.host.lineAsserted() ? ", line asserted" : ""}`,
    ];
  }
}
