/**
 * QEMU's userspace IOAPIC in split-irqchip mode (hw/intc/ioapic.c as of 54ad31fb0a,
 * QEMU 8.0 through 10.0; semantics.md §1.6-1.11). Its `irr` conflates input level and
 * edge latch; `ioapic_service` injects with `kvm_set_irq` on the pin's GSI, so what is
 * delivered is whatever KVM's route for that GSI holds. It reaches KVM only through the
 * `KvmAccel` port.
 *
 * Methods named after QEMU functions are the ones a variant may override.
 */
import { get32, set32 } from "../../model/bits.ts";
import { IOREGSEL } from "../../model/commands.ts";
import {
  RTE_LOW_RO_MASK,
  RTE_RESET_LOW,
  RteLow,
  rteMessage,
  rteOfRegister,
  versionRegister,
} from "../../model/ioapic.ts";
import { IOAPIC_NUM_PINS } from "../../model/topology.ts";
import type { Recorder } from "../recorder.ts";
import type { IntelIommu, Msi } from "./intel-iommu.ts";
import type { KvmAccel } from "./kvm-accel.ts";

export const IOAPIC_MMIO = { IOREGSEL: 0x00, IOWIN: 0x10, EOI: 0x40 } as const;

export class QemuIoapic {
  readonly low = new Array<number>(IOAPIC_NUM_PINS).fill(RTE_RESET_LOW);
  readonly high = new Array<number>(IOAPIC_NUM_PINS).fill(0);
  protected irr = 0;
  /** The input levels the devices drive (QEMU keeps none: it lives in `irr`); see `ioapic_set_irq`. */
  protected lines = 0;
  protected ioregsel = 0;
  id = 0;

  constructor(
    protected readonly version: number,
    protected readonly accel: KvmAccel,
    protected readonly iommu: IntelIommu,
    protected readonly rec: Recorder,
  ) {
    iommu.addIecNotifier((global, index, mask) => this.ioapic_iec_notifier(global, index, mask));
  }

  protected masked(pin: number): boolean {
    return get32(this.low[pin] ?? 0, RteLow.mask) === 1;
  }

  protected level(pin: number): boolean {
    return get32(this.low[pin] ?? 0, RteLow.trigger) === 1;
  }

  protected remoteIrr(pin: number): boolean {
    return get32(this.low[pin] ?? 0, RteLow.remoteIrr) === 1;
  }

  protected setRemoteIrr(pin: number, v: boolean): void {
    this.low[pin] = set32(this.low[pin] ?? 0, RteLow.remoteIrr, v ? 1 : 0);
  }

  protected setIrrBit(pin: number, v: boolean): void {
    this.irr = v ? (this.irr | (1 << pin)) >>> 0 : (this.irr & ~(1 << pin)) >>> 0;
  }

  protected irrBit(pin: number): boolean {
    return ((this.irr >>> pin) & 1) === 1;
  }

  protected lineAsserted(pin: number): boolean {
    return ((this.lines >>> pin) & 1) === 1;
  }

  /** `ioapic_entry_parse`: the MSI an RTE stands for (semantics.md §1.10). */
  protected message(pin: number): Msi {
    const m = rteMessage(this.low[pin] ?? 0, this.high[pin] ?? 0);
    return { addressLo: m.address, addressHi: 0, data: m.data };
  }

  /**
   * `ioapic_set_irq`: an input line changes. A level pin's `irr` follows the line; an edge
   * pin latches any assert while unmasked, whatever the line was before (semantics.md §1.6).
   */
  ioapic_set_irq(pin: number, level: boolean): void {
    this.traceSetIrq(pin, level);
    this.lines = level ? (this.lines | (1 << pin)) >>> 0 : (this.lines & ~(1 << pin)) >>> 0;
    if (this.level(pin)) {
      this.setIrrBit(pin, level);
      if (level && !this.remoteIrr(pin)) this.ioapic_service();
    } else if (level && !this.masked(pin)) {
      this.setIrrBit(pin, true);
      this.ioapic_service();
    }
  }

  protected traceSetIrq(pin: number, level: boolean): void {
    this.rec.event(`ioapic_set_irq vector: ${pin} level: ${level ? 1 : 0}`);
  }

  /** `ioapic_service`: every unmasked pin with its `irr` bit set, in order. */
  ioapic_service(): void {
    for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
      if (!this.irrBit(pin) || this.masked(pin)) continue;
      if (!this.level(pin)) {
        this.setIrrBit(pin, false);
      } else {
        const coalesce = this.remoteIrr(pin);
        this.setRemoteIrr(pin, true);
        if (coalesce) continue;
        this.rec.event(`ioapic_set_remote_irr set remote irr for pin ${pin}`);
      }
      this.ioapic_inject(pin);
    }
  }

  /**
   * The injection at the end of `ioapic_service`'s loop in split-irqchip mode: `kvm_set_irq`
   * on the pin's GSI (an edge as 1 then 0), so KVM delivers whatever route it holds.
   */
  protected ioapic_inject(pin: number): void {
    this.accel.kvm_set_irq(pin, 1);
    if (!this.level(pin)) this.accel.kvm_set_irq(pin, 0);
  }

  /** `ioapic_mem_write`: one guest MMIO write (offset masked with 0xFF). */
  ioapic_mem_write(addr: number, val: number): void {
    const offset = addr & 0xff;
    this.rec.event(
      `ioapic_mem_write ioapic mem write addr 0x${offset.toString(16)} regsel: 0x${this.ioregsel.toString(16)} size 0x4 val 0x${val.toString(16)}`,
    );
    if (offset === IOAPIC_MMIO.IOREGSEL) {
      this.ioregsel = val & 0xff;
    } else if (offset === IOAPIC_MMIO.IOWIN) {
      if (this.ioregsel === IOREGSEL.ID) {
        this.id = (val >>> 24) & 0xf;
        return;
      }
      const rte = rteOfRegister(this.ioregsel);
      if (rte !== null) this.ioapic_mem_write_rte(rte.pin, rte.high, val);
    } else if (offset === IOAPIC_MMIO.EOI && this.version === 0x20) {
      this.ioapic_eoi_broadcast(val);
    }
  }

  /**
   * The IOREDTBL branch of `ioapic_mem_write`: store the half, then (54ad31fb0a) refresh
   * the KVM routes before re-servicing, or an unmask would inject through the old route.
   */
  protected ioapic_mem_write_rte(pin: number, high: boolean, val: number): void {
    this.ioapic_store_rte(pin, high, val);
    this.ioapic_update_kvm_routes();
    this.ioapic_service();
  }

  /** Store one half of an RTE, keeping the read-only bits, then `ioapic_fix_edge_remote_irr`. */
  protected ioapic_store_rte(pin: number, high: boolean, val: number): void {
    const ro = (this.low[pin] ?? 0) & RTE_LOW_RO_MASK;
    if (high) this.high[pin] = val >>> 0;
    else this.low[pin] = val >>> 0;
    this.low[pin] = (((this.low[pin] ?? 0) & ~RTE_LOW_RO_MASK) | ro) >>> 0;
    this.ioapic_fix_edge_remote_irr(pin);
  }

  /** `ioapic_fix_edge_remote_irr`: an edge entry has no Remote IRR. */
  protected ioapic_fix_edge_remote_irr(pin: number): void {
    if (!this.level(pin)) this.setRemoteIrr(pin, false);
  }

  /** `ioapic_mem_read`. */
  ioapic_mem_read(addr: number): number {
    const offset = addr & 0xff;
    let val = 0;
    if (offset === IOAPIC_MMIO.IOREGSEL) val = this.ioregsel;
    else if (offset === IOAPIC_MMIO.IOWIN) {
      if (this.ioregsel === IOREGSEL.ID || this.ioregsel === IOREGSEL.ARB) val = (this.id << 24) >>> 0;
      else if (this.ioregsel === IOREGSEL.VER) val = versionRegister(this.version);
      else {
        const rte = rteOfRegister(this.ioregsel);
        if (rte !== null) val = (rte.high ? this.high[rte.pin] : this.low[rte.pin]) ?? 0;
      }
    }
    this.rec.event(
      `ioapic_mem_read ioapic mem read addr 0x${offset.toString(16)} regsel: 0x${this.ioregsel.toString(16)} size 0x4 retval 0x${val.toString(16)}`,
    );
    return val;
  }

  /**
   * `ioapic_eoi_broadcast`: for each level entry whose vector equals `vector` (the full
   * 32-bit value, semantics.md §1.1): kick the resamplefd, clear Remote IRR, re-service
   * if the input is still asserted and the entry unmasked. (The 10000-EOI delay, D12, is
   * not modelled: sequences are far shorter.)
   */
  ioapic_eoi_broadcast(vector: number): void {
    this.rec.event(`ioapic_eoi_broadcast EOI broadcast for vector ${vector}`);
    for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
      const low = this.low[pin] ?? 0;
      if (get32(low, RteLow.vector) !== vector || !this.level(pin)) continue;
      this.rec.event(`kvm_resample_fd_notify gsi=${pin}`);
      this.accel.kvm_resample_fd_notify(pin);
      if (!this.remoteIrr(pin)) continue;
      this.setRemoteIrr(pin, false);
      this.rec.event(`ioapic_clear_remote_irr clear remote irr for pin ${pin} vector ${vector}`);
      if (!this.masked(pin) && this.irrBit(pin)) this.ioapic_service();
    }
  }

  /** `ioapic_update_kvm_routes`: re-translate the routes of unmasked pins (failures ignored), then commit. */
  ioapic_update_kvm_routes(): void {
    for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
      if (!this.masked(pin)) this.accel.kvm_irqchip_update_msi_route(pin, this.message(pin), null);
    }
    this.accel.kvm_irqchip_commit_routes();
  }

  /** `ioapic_iec_notifier`: any IEC invalidation just updates all routes. */
  protected ioapic_iec_notifier(_global: boolean, _index: number, _mask: number): void {
    this.ioapic_update_kvm_routes();
  }

  digest(): string {
    return `${this.low.join()};${this.high.join()};${this.irr},${this.lines},${this.ioregsel},${this.id}`;
  }

  describe(): string[] {
    return [];
  }
}
