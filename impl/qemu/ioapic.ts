/**
 * QEMU's userspace IOAPIC in split-irqchip mode (hw/intc/ioapic.c; semantics.md §1.6-1.11).
 * Its `irr` conflates input level and edge latch; service delivers whatever KVM's route
 * for the pin's GSI holds (`kvm_set_irq`), unless the variant sends MSIs or uses the
 * cookie route cache. The strategy fields are the variants' choices.
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
import type { Kvm } from "../kvm/kvm.ts";
import type { Recorder } from "../recorder.ts";
import type { IntelIommu, Msi } from "./intel-iommu.ts";
import type { KvmIrqchip } from "./kvm-irqchip.ts";
import { RouteCache } from "./route-cache.ts";

export const IOAPIC_MMIO = { IOREGSEL: 0x00, IOWIN: 0x10, EOI: 0x40 } as const;

export interface IoapicStrategy {
  /**
   * "end-of-every-mem-write": `ioapic_update_kvm_routes` after the switch in every
   * `ioapic_mem_write`, so after `ioapic_service` (QEMU <= 7.2).
   * "before-service": in the RTE branch, right before `ioapic_service` (54ad31fb, 8.0).
   */
  readonly routeUpdate: "end-of-every-mem-write" | "before-service";
  /** Refresh routes of masked RTEs too (the thread's rejected alternative). */
  readonly updateMaskedRoutes: boolean;
  /**
   * How `ioapic_service` delivers: "kvm_set_irq" on the pin's GSI; "msi-write" through the
   * IOMMU now (as without split irqchip); "route-cache": the GSI route is a cache entry
   * keyed by the IRTE index, rebuilt on the userspace slow path when invalid.
   */
  readonly delivery: "kvm_set_irq" | "msi-write" | "route-cache";
  /**
   * With the route cache: rebuild an unmasked pin's route when its RTE is written
   * (translated without recording faults), instead of at the next interrupt. KVM derives
   * the EOI-exit bitmap from the routes of GSIs 0..23, so a route left stale until the next
   * interrupt can keep an in-service vector from being forwarded (D20).
   */
  readonly eagerRouteRefresh?: boolean;
  /**
   * "qemu": `irr` is the only input state (semantics.md D2 variant, D15); "latched": input
   * levels are kept apart from the edge latch, so a trigger-mode switch neither invents an
   * edge nor forgets an asserted level.
   */
  readonly inputs: "qemu" | "latched";
}

export class QemuIoapic {
  readonly low = new Array<number>(IOAPIC_NUM_PINS).fill(RTE_RESET_LOW);
  readonly high = new Array<number>(IOAPIC_NUM_PINS).fill(0);
  private irr = 0;
  private lines = 0;
  private ioregsel = 0;
  id = 0;
  private readonly cache: RouteCache | null;

  constructor(
    private readonly version: number,
    private readonly strategy: IoapicStrategy,
    private readonly glue: KvmIrqchip,
    private readonly iommu: IntelIommu,
    private readonly kvm: Kvm,
    private readonly rec: Recorder,
  ) {
    this.cache = strategy.delivery === "route-cache" ? new RouteCache(glue, iommu, rec) : null;
    // `ioapic_iec_notifier` just updates all routes; the cache detaches the covered entries.
    iommu.addIecNotifier((global, index, mask) =>
      this.cache ? this.cache.invalidate(global, index, mask) : this.updateKvmRoutes(),
    );
  }

  private masked(pin: number): boolean {
    return get32(this.low[pin] ?? 0, RteLow.mask) === 1;
  }

  private level(pin: number): boolean {
    return get32(this.low[pin] ?? 0, RteLow.trigger) === 1;
  }

  private remoteIrr(pin: number): boolean {
    return get32(this.low[pin] ?? 0, RteLow.remoteIrr) === 1;
  }

  private setRemoteIrr(pin: number, v: boolean): void {
    this.low[pin] = set32(this.low[pin] ?? 0, RteLow.remoteIrr, v ? 1 : 0);
  }

  private message(pin: number): Msi {
    const m = rteMessage(this.low[pin] ?? 0, this.high[pin] ?? 0);
    return { addressLo: m.address, addressHi: 0, data: m.data };
  }

  /** `ioapic_set_irq`: an input line changes. */
  setIrq(pin: number, level: boolean): void {
    this.rec.event(`ioapic_set_irq vector: ${pin} level: ${level ? 1 : 0}`);
    const rising = level && ((this.lines >>> pin) & 1) === 0;
    this.lines = level ? (this.lines | (1 << pin)) >>> 0 : (this.lines & ~(1 << pin)) >>> 0;
    const bit = 1 << pin;
    if (this.level(pin)) {
      if (level) {
        this.irr = (this.irr | bit) >>> 0;
        if (!this.remoteIrr(pin)) this.service();
      } else {
        this.irr = (this.irr & ~bit) >>> 0;
      }
    } else if (level && !this.masked(pin) && (this.strategy.inputs === "qemu" || rising)) {
      this.irr = (this.irr | bit) >>> 0;
      this.service();
    }
  }

  /** `ioapic_service`: every pin with its `irr` bit set, in order. */
  private service(): void {
    for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
      const bit = 1 << pin;
      if ((this.irr & bit) === 0 || this.masked(pin)) continue;
      if (!this.level(pin)) {
        this.irr = (this.irr & ~bit) >>> 0;
      } else {
        const coalesce = this.remoteIrr(pin);
        this.setRemoteIrr(pin, true);
        if (coalesce) continue;
        this.rec.event(`ioapic_set_remote_irr set remote irr for pin ${pin}`);
      }
      this.deliver(pin);
    }
  }

  private deliver(pin: number): void {
    const edge = !this.level(pin);
    switch (this.strategy.delivery) {
      case "kvm_set_irq":
        this.kvm.setIrq(pin, 1);
        if (edge) this.kvm.setIrq(pin, 0);
        return;
      case "msi-write":
        this.rec.event(`ioapic_service msi pin=${pin}`);
        this.iommu.memIrWrite(this.message(pin), null, (m) => this.glue.sendMsi(m));
        return;
      case "route-cache":
        if (this.cache?.ensure(pin, this.message(pin), null) === true) {
          this.kvm.setIrq(pin, 1);
          if (edge) this.kvm.setIrq(pin, 0);
        }
        return;
    }
  }

  /** `ioapic_mem_write`: one guest MMIO write (offset masked with 0xFF). */
  memWrite(addr: number, val: number): void {
    const offset = addr & 0xff;
    this.rec.event(
      `ioapic_mem_write ioapic mem write addr 0x${offset.toString(16)} regsel: 0x${this.ioregsel.toString(16)} size 0x4 val 0x${val.toString(16)}`,
    );
    if (offset === IOAPIC_MMIO.IOREGSEL) {
      this.ioregsel = val & 0xff;
    } else if (offset === IOAPIC_MMIO.IOWIN) {
      this.writeIowin(val);
    } else if (offset === IOAPIC_MMIO.EOI && this.version === 0x20) {
      this.eoiBroadcast(val);
    }
    // QEMU <= 7.2: routes are refreshed after every write, after any service it did.
    if (this.strategy.routeUpdate === "end-of-every-mem-write") this.updateKvmRoutes();
  }

  private writeIowin(val: number): void {
    if (this.ioregsel === IOREGSEL.ID) {
      this.id = (val >>> 24) & 0xf;
      return;
    }
    const rte = rteOfRegister(this.ioregsel);
    if (rte === null) return;
    const { pin } = rte;
    const ro = (this.low[pin] ?? 0) & RTE_LOW_RO_MASK;
    if (rte.high) this.high[pin] = val >>> 0;
    else this.low[pin] = val >>> 0;
    this.low[pin] = (((this.low[pin] ?? 0) & ~RTE_LOW_RO_MASK) | ro) >>> 0;
    // ioapic_fix_edge_remote_irr: an edge entry has no Remote IRR.
    if (!this.level(pin)) this.setRemoteIrr(pin, false);
    if (this.strategy.inputs === "latched") this.relatch(pin);
    if (this.cache !== null) {
      const eager = this.strategy.eagerRouteRefresh === true && !this.masked(pin);
      if (eager) this.cache.refresh(pin, this.message(pin), null);
      else this.cache.sourceChanged(pin, this.message(pin));
    }
    // 54ad31fb: refresh the routes before re-delivering, or the unmask uses the old one.
    if (this.strategy.routeUpdate === "before-service") this.updateKvmRoutes();
    this.service();
  }

  /** Latched inputs: a level entry's `irr` is its input level; an edge entry keeps no latch. */
  private relatch(pin: number): void {
    const bit = 1 << pin;
    const asserted = (this.lines & bit) !== 0;
    this.irr = this.level(pin) && asserted ? (this.irr | bit) >>> 0 : (this.irr & ~bit) >>> 0;
  }

  /** `ioapic_mem_read`. */
  memRead(addr: number): number {
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
  eoiBroadcast(vector: number): void {
    this.rec.event(`ioapic_eoi_broadcast EOI broadcast for vector ${vector}`);
    for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
      const low = this.low[pin] ?? 0;
      if (get32(low, RteLow.vector) !== vector || !this.level(pin)) continue;
      this.rec.event(`kvm_resample_fd_notify gsi=${pin}`);
      if (!this.remoteIrr(pin)) continue;
      this.setRemoteIrr(pin, false);
      this.rec.event(`ioapic_clear_remote_irr clear remote irr for pin ${pin} vector ${vector}`);
      if (!this.masked(pin) && (this.irr & (1 << pin)) !== 0) this.service();
    }
  }

  /** `ioapic_update_kvm_routes`: unmasked pins only (unless the variant says so), then commit. */
  updateKvmRoutes(): void {
    if (this.cache !== null) return;
    for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
      if (this.masked(pin) && !this.strategy.updateMaskedRoutes) continue;
      this.glue.updateMsiRoute(pin, this.message(pin), null);
    }
    this.glue.commitRoutes();
  }

  digest(): string {
    return JSON.stringify([this.low, this.high, this.irr, this.lines, this.ioregsel, this.id, this.cache?.digest()]);
  }

  describe(): string[] {
    return this.cache?.describe() ?? [];
  }
}
