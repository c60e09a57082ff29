/**
 * The host side of an assigned device's INTx (Linux drivers/vfio/pci/vfio_pci_intrs.c):
 * the physical line, VFIO's mask and the trigger eventfd it signals. A level INTx cannot be
 * forwarded as it is, so VFIO masks it when it fires ("automasked") and keeps it masked
 * until userspace, or a resamplefd bound to the unmask action, unmasks it; a device still
 * asserting at the unmask fires again at once. For the guest the mask plays the part of
 * the IOAPIC's Remote IRR: one interrupt per assertion until the EOI.
 */
import type { Recorder } from "../recorder.ts";

export class VfioHostIntx {
  /** The device's INTx line, as the device drives it. */
  private line = false;
  /** `ctx->masked`: INTx masked at the host (PCI_COMMAND.INTX_DISABLE or disable_irq). */
  private masked = false;

  constructor(
    private readonly pin: number,
    private readonly rec: Recorder,
    /** Signals the trigger eventfd: an irqfd in KVM, or QEMU's own handler. */
    private readonly trigger: () => void,
  ) {}

  /** The device drives its INTx line; an assert on an unmasked INTx is the host interrupt. */
  setLine(level: boolean): void {
    this.line = level;
    if (level && !this.masked) this.vfio_intx_handler();
  }

  /** `vfio_intx_handler`: mask (the automask), then signal the trigger eventfd. */
  private vfio_intx_handler(): void {
    this.masked = true;
    this.rec.event(`vfio_intx_handler pin=${this.pin}: host INTx masked, trigger eventfd signalled`);
    this.trigger();
  }

  /** `vfio_pci_intx_mask` (VFIO_IRQ_SET_ACTION_MASK). */
  vfio_pci_intx_mask(): void {
    this.masked = true;
  }

  /**
   * `vfio_pci_intx_unmask_handler` (VFIO_IRQ_SET_ACTION_UNMASK, or its resamplefd): a device
   * still asserting is not unmasked (`pci_check_and_unmask_intx` fails) and fires again.
   */
  vfio_pci_intx_unmask(): void {
    if (!this.masked) return;
    this.rec.event(`vfio_pci_intx_unmask pin=${this.pin}${this.line ? " (line still asserted)" : ""}`);
    this.masked = false;
    if (this.line) this.vfio_intx_handler();
  }

  lineAsserted(): boolean {
    return this.line;
  }

  digest(): string {
    return `${this.line ? 1 : 0}${this.masked ? 1 : 0}`;
  }
}
