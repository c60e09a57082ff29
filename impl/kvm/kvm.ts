/**
 * The kernel side of split irqchip, behind the narrow interface QEMU uses:
 * KVM_SET_GSI_ROUTING, KVM_IRQ_LINE (kvm_set_irq), KVM_SIGNAL_MSI, KVM_IRQFD assign /
 * deassign, eventfd signals, and the in-kernel LAPICs with the EOI-exit bitmap that
 * decides which EOIs exit to userspace (KVM_EXIT_IOAPIC_EOI). semantics.md §5.
 * Every call is recorded.
 */
import * as lapic from "../../model/lapic.ts";
import { DELIVERY_MODES } from "../../model/observations.ts";
import type { Topology } from "../../model/topology.ts";
import type { Recorder } from "../recorder.ts";
import { describeRoute, type KvmMsiRoute, kvmDecodeMsi, kvmMsiRouteInvalid } from "./routing.ts";

/** GSIs below this are the IOAPIC's reserved pins (KVM_CAP_SPLIT_IRQCHIP with 24). */
export const NR_RESERVED_IOAPIC_PINS = 24;

export interface KvmOptions {
  /**
   * The split-mode clause of `kvm_scan_ioapic_irq` (Ttofari, 2023): a level route's vector
   * also exits on a vCPU where it is pending in IRR or ISR, even if the route now points
   * elsewhere. Older kernels lack it (semantics.md D8a).
   */
  readonly pendingEoiClause: boolean;
}

interface Irqfd {
  readonly gsi: number;
  /** `irqfd->irq_entry`: the route cached at the last KVM_SET_GSI_ROUTING, or null. */
  cached: KvmMsiRoute | null;
}

export class Kvm {
  private routes = new Map<number, KvmMsiRoute>();
  private readonly irqfds = new Map<number, Irqfd>();
  readonly lapics: lapic.LapicState[];
  /** Per vCPU: `ioapic_handled_vectors`, rebuilt by vcpu_scan_ioapic after each routing update. */
  private readonly eoiExit: boolean[][];

  constructor(
    private readonly topology: Topology,
    private readonly options: KvmOptions,
    private readonly rec: Recorder,
  ) {
    this.lapics = topology.cpus.map(() => lapic.lapicReset());
    this.eoiExit = topology.cpus.map(() => new Array<boolean>(256).fill(false));
  }

  /** KVM_SET_GSI_ROUTING: replace the whole table, refresh every irqfd's cache, rescan. */
  setGsiRouting(table: readonly KvmMsiRoute[]): void {
    const bad = table.find(kvmMsiRouteInvalid);
    if (bad !== undefined) throw new Error(`KVM_SET_GSI_ROUTING: -EINVAL for gsi ${bad.gsi}`);
    this.routes = new Map(table.map((r) => [r.gsi, r]));
    this.rec.event(`KVM_SET_GSI_ROUTING nr=${table.length}`);
    // kvm_irq_routing_update -> irqfd_update for every irqfd.
    for (const fd of this.irqfds.values()) fd.cached = this.routes.get(fd.gsi) ?? null;
    for (let cpu = 0; cpu < this.lapics.length; cpu++) this.scanIoapicRoutes(cpu);
  }

  route(gsi: number): KvmMsiRoute | undefined {
    return this.routes.get(gsi);
  }

  /** KVM_IRQ_LINE: `kvm_set_msi` ignores level 0 and delivers the route's message otherwise. */
  setIrq(gsi: number, level: 0 | 1): void {
    const r = this.routes.get(gsi);
    const via = level === 1 && r !== undefined ? ` via route ${describeRoute(r)}` : "";
    this.rec.event(`kvm_set_irq gsi=${gsi} level=${level}${via}`);
    if (level === 0) return;
    if (r !== undefined) this.deliverMsi(r);
  }

  /** KVM_SIGNAL_MSI: a temporary route, decoded exactly like a table entry (§5.6). */
  signalMsi(msg: { addressLo: number; addressHi: number; data: number }): void {
    this.rec.event(
      `KVM_SIGNAL_MSI addr 0x${msg.addressHi.toString(16)}_${msg.addressLo.toString(16).padStart(8, "0")} data 0x${msg.data.toString(16)}`,
    );
    this.deliverMsi(msg);
  }

  irqfdAssign(fd: number, gsi: number): void {
    this.rec.event(`KVM_IRQFD assign fd=${fd} gsi=${gsi}`);
    this.irqfds.set(fd, { gsi, cached: this.routes.get(gsi) ?? null });
  }

  irqfdDeassign(fd: number): void {
    this.rec.event(`KVM_IRQFD deassign fd=${fd}`);
    this.irqfds.delete(fd);
  }

  hasIrqfd(fd: number): boolean {
    return this.irqfds.has(fd);
  }

  /**
   * The eventfd of an assigned irqfd was signalled (`irqfd_wakeup`): deliver the cached
   * entry; without one, `irqfd_inject` sets the GSI against the current table.
   */
  irqfdSignal(fd: number): void {
    const irqfd = this.irqfds.get(fd);
    if (irqfd === undefined) throw new Error(`irqfd ${fd} is not assigned`);
    const via = irqfd.cached === null ? " (no cached entry)" : ` via cached route ${describeRoute(irqfd.cached)}`;
    this.rec.event(`irqfd_wakeup fd=${fd} gsi=${irqfd.gsi}${via}`);
    if (irqfd.cached !== null) this.deliverMsi(irqfd.cached);
    else this.setIrq(irqfd.gsi, 1);
  }

  /** `kvm_irq_delivery_to_apic`: the fast path's destination decode and vector hashing. */
  private deliverMsi(msg: { addressLo: number; addressHi: number; data: number }): void {
    const irq = kvmDecodeMsi(msg);
    const mode = DELIVERY_MODES[irq.deliveryMode] ?? "reserved";
    // __apic_accept_irq ignores ExtINT arriving through a route (semantics.md D14).
    if (mode === "extint") return;
    let targets = lapic.destinationSet(this.topology, irq);
    const broadcast = irq.destMode === 0 && irq.dest === lapic.broadcastId(this.topology);
    // kvm_lowest_prio_delivery: LowestPrio or RH = 1; kvm_vector_to_index picks by vector.
    if ((mode === "lowest" || irq.redirectionHint === 1) && !broadcast && targets.length > 1) {
      const pick = targets[irq.vector % targets.length];
      targets = pick === undefined ? [] : [pick];
    }
    const trigger = irq.trigger === 1 ? "level" : "edge";
    for (const cpu of targets) {
      const l = this.lapics[cpu];
      if (l === undefined) continue;
      if (mode === "fixed" || mode === "lowest") lapic.acceptInterrupt(l, irq.vector, irq.trigger === 1);
      const apicId = this.topology.cpus[cpu]?.apicId ?? -1;
      this.rec.observe({ kind: "deliver", apicId, vector: irq.vector, trigger, mode });
    }
  }

  /**
   * `kvm_scan_ioapic_routes` for one vCPU: level MSI routes on GSIs 0..23 whose
   * destination matches, or (newer kernels) whose vector is pending in IRR/ISR here.
   */
  private scanIoapicRoutes(cpu: number): void {
    const bitmap = this.eoiExit[cpu];
    const l = this.lapics[cpu];
    if (bitmap === undefined || l === undefined) return;
    bitmap.fill(false);
    for (let gsi = 0; gsi < NR_RESERVED_IOAPIC_PINS; gsi++) {
      const r = this.routes.get(gsi);
      if (r === undefined) continue;
      const irq = kvmDecodeMsi(r);
      if (irq.trigger !== 1) continue;
      const pending = lapic.testVector(l.irr, irq.vector) || lapic.testVector(l.isr, irq.vector);
      if (lapic.matchesDestination(this.topology, cpu, irq) || (this.options.pendingEoiClause && pending)) {
        bitmap[irq.vector] = true;
      }
    }
  }

  /** The vCPU takes its highest deliverable interrupt. */
  dispatch(cpu: number): void {
    const l = this.lapics[cpu];
    if (l !== undefined) lapic.dispatch(l);
  }

  /**
   * The vCPU writes EOI (`apic_set_eoi` -> `kvm_ioapic_send_eoi`): in split mode the TMR is
   * not consulted; the vector exits to userspace iff it is in the EOI-exit bitmap.
   * Returns the vector of the KVM_EXIT_IOAPIC_EOI, or null.
   */
  eoi(cpu: number): number | null {
    const l = this.lapics[cpu];
    if (l === undefined) return null;
    const ended = lapic.endOfInterrupt(l);
    if (ended === null || this.eoiExit[cpu]?.[ended.vector] !== true) return null;
    this.rec.event(`kvm_exit KVM_EXIT_IOAPIC_EOI cpu=${cpu} vector=${ended.vector}`);
    return ended.vector;
  }

  /** Canonical encoding of the kernel state (explorer hashing). */
  digest(): string {
    return JSON.stringify([[...this.routes.values()], [...this.irqfds], this.lapics, this.eoiExit.map(bitmapHex)]);
  }

  describe(): string[] {
    const irqfds = [...this.irqfds].map(
      ([fd, f]) => `irqfd fd=${fd} gsi=${f.gsi}${f.cached === null ? " (no entry)" : ""}`,
    );
    return irqfds;
  }
}

/** A 256-entry boolean bitmap as 64 hex digits (the digest's cheapest exact form). */
function bitmapHex(bits: readonly boolean[]): string {
  let out = "";
  for (let i = 0; i < bits.length; i += 4) {
    out += ((bits[i] ? 1 : 0) | (bits[i + 1] ? 2 : 0) | (bits[i + 2] ? 4 : 0) | (bits[i + 3] ? 8 : 0)).toString(16);
  }
  return out;
}
