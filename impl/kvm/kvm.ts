/**
 * The kernel side of split irqchip (semantics.md §5): the GSI routing table, irqfds, and
 * the in-kernel LAPICs with the EOI-exit bitmap that decides which EOIs exit to userspace
 * (KVM_EXIT_IOAPIC_EOI). QEMU reaches it only through `KvmAccel` (the ioctls); the
 * vCPUs reach it through `kvm_cpu_get_interrupt` and `kvm_apic_set_eoi`.
 *
 * Methods named after kernel functions are the ones a variant may override (a kernel
 * version, a proposed KVM change); every one records what it did.
 */
import { get32 } from "../../model/bits.ts";
import * as lapic from "../../model/lapic.ts";
import { MsiData } from "../../model/msi.ts";
import { DELIVERY_MODES } from "../../model/observations.ts";
import type { Topology } from "../../model/topology.ts";
import { isSealed, type LapicVisible, seal } from "../../model/visible.ts";
import type { Recorder } from "../recorder.ts";
import {
  type CompatInterrupt,
  describeRoute,
  type KvmMsiRoute,
  kvmDecodeMsi,
  kvmMsiRouteInvalid,
  routeDigest,
  routeTableDigest,
} from "./routing.ts";

/** GSIs below this are the IOAPIC's reserved pins (KVM_CAP_SPLIT_IRQCHIP with 24). */
export const NR_RESERVED_IOAPIC_PINS = 24;

/** An MSI as the kernel receives it (`struct kvm_msi`, a routing entry's `msi` member). */
export interface KvmMsi {
  readonly addressLo: number;
  readonly addressHi: number;
  readonly data: number;
}

interface Irqfd {
  readonly gsi: number;
  /** `irqfd->irq_entry`: the route cached at the last KVM_SET_GSI_ROUTING, or null. */
  cached: KvmMsiRoute | null;
}

export class Kvm {
  protected routes = new Map<number, KvmMsiRoute>();
  protected readonly irqfds = new Map<number, Irqfd>();
  /**
   * The in-kernel LAPICs, sealed (model/visible.ts) between steps: a method that changes
   * one takes it from `apicForWrite`, which puts a copy in its place first. The step result
   * shows this list as it is, so a step's cost follows the vCPUs it touches.
   */
  private apics: readonly lapic.LapicState[];
  /**
   * Per vCPU: `ioapic_handled_vectors`, rebuilt by `vcpu_scan_ioapic` after each routing
   * update (sparse: a vector absent is clear).
   */
  protected readonly eoiExit: boolean[][];
  /** The table the last KVM_SET_GSI_ROUTING installed. */
  private routingTable: readonly KvmMsiRoute[] = [];
  /** The level-triggered routes of the IOAPIC's GSIs as `kvm_set_msi_irq` decodes them, per routing table. */
  private ioapicLevelIrqs: readonly CompatInterrupt[] = [];
  /**
   * Per vCPU, the sealed LAPIC and the EOI-exit bitmap `levelInServiceWithoutExit` last read
   * and its answer: both are replaced, never changed, once sealed, so a vCPU neither touched
   * is not read again and the question costs what a step changed, not the number of vCPUs.
   */
  private readonly exitless: { apic: lapic.LapicState | null; exits: boolean[] | null; vectors: readonly number[] }[];

  constructor(
    protected readonly topology: Topology,
    protected readonly rec: Recorder,
  ) {
    this.apics = seal(topology.cpus.map(() => RESET_APIC));
    this.eoiExit = topology.cpus.map(() => []);
    this.exitless = topology.cpus.map(() => ({ apic: null, exits: null, vectors: [] }));
  }

  /** IRR, ISR and TMR of every vCPU's LAPIC as the guest reads them; sealed, replaced when one changes. */
  get lapics(): readonly LapicVisible[] {
    return seal(this.apics);
  }

  /** vCPU `cpu`'s LAPIC to change (a copy in place of the sealed one, once per step), or null if there is none. */
  protected apicForWrite(cpu: number): lapic.LapicState | null {
    const l = this.apics[cpu];
    if (l === undefined) return null;
    if (!isSealed(l)) return l;
    const copy = { irr: l.irr.slice(), isr: l.isr.slice(), tmr: l.tmr.slice() };
    const apics = this.apics.slice();
    apics[cpu] = copy;
    this.apics = apics;
    return copy;
  }

  /**
   * KVM_SET_GSI_ROUTING: replace the whole table, refresh every irqfd's cache, rescan. The
   * kernel rebuilds its table from scratch; here only the entries that are not the very
   * objects of the last table are checked and installed (`changedRoutes`), which leaves
   * the same table, so a commit costs what changed, not the table's size.
   */
  kvm_set_irq_routing(table: readonly KvmMsiRoute[]): void {
    // The same frozen table as last time: the rebuild and irqfd_update would give what is there.
    const unchanged = table === this.routingTable && Object.isFrozen(table);
    const changed = unchanged ? [] : changedRoutes(this.routingTable, this.routes, table);
    const bad = (changed ?? table).find(kvmMsiRouteInvalid);
    if (bad !== undefined) throw new Error(`KVM_SET_GSI_ROUTING: -EINVAL for gsi ${bad.gsi}`);
    this.rec.event(`KVM_SET_GSI_ROUTING nr=${table.length}`);
    if (!unchanged) {
      if (changed === null) this.routes = new Map(table.map((r) => [r.gsi, r]));
      else for (const r of changed) this.routes.set(r.gsi, r);
      this.routingTable = table;
      // kvm_irq_routing_update -> irqfd_update for every irqfd.
      for (const fd of this.irqfds.values()) fd.cached = this.routes.get(fd.gsi) ?? null;
      if (changed === null || changed.some((r) => r.gsi < NR_RESERVED_IOAPIC_PINS)) {
        this.ioapicLevelIrqs = ioapicLevelIrqs(this.routes);
      }
    }
    // kvm_make_scan_ioapic_request: every vCPU rebuilds its EOI-exit bitmap from the
    // IOAPIC's level routes (decoded once per table, as each vCPU's scan would decode them alike).
    for (let cpu = 0; cpu < this.apics.length; cpu++) this.vcpu_scan_ioapic(cpu);
  }

  /** KVM_IRQ_LINE: `kvm_set_msi` ignores level 0 and delivers the route's message otherwise. */
  kvm_set_irq(gsi: number, level: 0 | 1): void {
    const r = this.routes.get(gsi);
    const via = level === 1 && r !== undefined ? ` via route ${describeRoute(r)}` : "";
    this.rec.event(`kvm_set_irq gsi=${gsi} level=${level}${via}`);
    if (level === 1 && r !== undefined) this.kvm_set_msi(r);
  }

  /** KVM_SIGNAL_MSI: a temporary route, decoded exactly like a table entry (§5.6). */
  kvm_send_userspace_msi(msg: KvmMsi): void {
    this.rec.event(
      `KVM_SIGNAL_MSI addr 0x${msg.addressHi.toString(16)}_${msg.addressLo.toString(16).padStart(8, "0")} data 0x${msg.data.toString(16)}`,
    );
    this.kvm_set_msi(msg);
  }

  /** KVM_IRQFD: bind eventfd `fd` to `gsi`, caching the GSI's current route. */
  kvm_irqfd_assign(fd: number, gsi: number): void {
    this.rec.event(`KVM_IRQFD assign fd=${fd} gsi=${gsi}`);
    this.irqfds.set(fd, { gsi, cached: this.routes.get(gsi) ?? null });
  }

  /** KVM_IRQFD with KVM_IRQFD_FLAG_DEASSIGN. */
  kvm_irqfd_deassign(fd: number): void {
    this.rec.event(`KVM_IRQFD deassign fd=${fd}`);
    this.irqfds.delete(fd);
  }

  /**
   * The eventfd of an assigned irqfd was signalled (`irqfd_wakeup`): deliver the cached
   * entry; without one, `irqfd_inject` sets the GSI against the current table.
   */
  irqfd_wakeup(fd: number): void {
    const irqfd = this.irqfds.get(fd);
    if (irqfd === undefined) throw new Error(`irqfd ${fd} is not assigned`);
    const via = irqfd.cached === null ? " (no cached entry)" : ` via cached route ${describeRoute(irqfd.cached)}`;
    this.rec.event(`irqfd_wakeup fd=${fd} gsi=${irqfd.gsi}${via}`);
    if (irqfd.cached !== null) this.kvm_set_msi(irqfd.cached);
    else this.kvm_set_irq(irqfd.gsi, 1);
  }

  /** `kvm_set_msi`: decode (`kvm_set_msi_irq`), then `kvm_irq_delivery_to_apic`. */
  protected kvm_set_msi(msg: KvmMsi): void {
    this.kvm_irq_delivery_to_apic(kvmDecodeMsi(msg));
  }

  /**
   * `__apic_accept_irq`'s APIC_DM_EXTINT case does nothing: KVM takes ExtINT only from the
   * 8259 through LVT0 (`kvm_apic_accept_pic_intr`), so an ExtINT message arriving through a
   * route is lost (semantics.md D14).
   */
  protected acceptsRoutedExtint(): boolean {
    return false;
  }

  /**
   * `kvm_irq_delivery_to_apic`: the vCPUs the destination selects accept the interrupt.
   * Only fixed and lowest-priority interrupts reach IRR; `__apic_accept_irq`'s other cases
   * queue an NMI or SMI, kick the vCPU (011b, APIC_DM_REMRD: the PV unhalt), or set a pending
   * INIT or SIPI event, which a running vCPU acts on only for INIT (not modelled). The model
   * shows those deliveries without changing the LAPIC.
   */
  protected kvm_irq_delivery_to_apic(irq: CompatInterrupt): void {
    const mode = DELIVERY_MODES[irq.deliveryMode] ?? "reserved";
    if (mode === "extint" && !this.acceptsRoutedExtint()) return;
    const targets = this.kvm_irq_delivery_targets(irq, mode === "lowest");
    const trigger = irq.trigger === 1 ? "level" : "edge";
    for (const cpu of targets) {
      if (mode === "fixed" || mode === "lowest") this.apic_accept_irq(cpu, irq.vector, irq.trigger === 1);
      const apicId = this.topology.cpus[cpu]?.apicId ?? -1;
      this.rec.observe({ kind: "deliver", apicId, vector: irq.vector, trigger, mode });
    }
  }

  /**
   * The vCPUs `kvm_irq_delivery_to_apic` delivers to: the destination set, or, for lowest
   * priority or RH = 1, one of it by vector hashing (`kvm_vector_to_index`), a physical
   * broadcast excepted (semantics.md §5.3). This hashes over the vCPUs that exist; real
   * KVM's fast path hashes over a logical destination's mask bits and drops the interrupt
   * when the pick has no APIC, and its slow path hashes an RH = 1 broadcast to one vCPU
   * (model errors M4 and M5, impl/patches/kvm-vector-hashing.ts).
   */
  protected kvm_irq_delivery_targets(irq: CompatInterrupt, lowestPriority: boolean): number[] {
    return lapic.deliveryTargets(this.topology, irq, lowestPriority, (n) => irq.vector % n);
  }

  /**
   * `__apic_accept_irq` for a fixed interrupt: TMR follows the trigger mode, IRR is set,
   * with no check for an illegal vector (0x00-0x0F): KVM latches it in IRR, and
   * `apic_has_interrupt_for_ppr` never dispatches it (class 0 is never above PPR) (D23).
   */
  protected apic_accept_irq(cpu: number, vector: number, level: boolean): void {
    const l = this.apicForWrite(cpu);
    if (l !== null) lapic.latchInterrupt(l, vector, level);
  }

  /** `vcpu_scan_ioapic` in split mode: `kvm_scan_ioapic_routes` over the level routes of GSIs 0..23. */
  protected vcpu_scan_ioapic(cpu: number): void {
    if (cpu >= this.eoiExit.length) return;
    const bitmap: boolean[] = [];
    this.eoiExit[cpu] = bitmap;
    for (const irq of this.ioapicLevelIrqs) this.kvm_scan_ioapic_irq(cpu, irq, bitmap);
  }

  /**
   * `kvm_scan_ioapic_irq`: a level route's vector exits on a vCPU it targets, or (the
   * split-mode clause of Linux 6.6+, "Fix level-triggered EOI and userspace I/OAPIC
   * reconfigure race") on a vCPU where that vector is pending in IRR or ISR, even if the
   * route now points elsewhere (semantics.md D8a).
   */
  protected kvm_scan_ioapic_irq(cpu: number, irq: CompatInterrupt, bitmap: boolean[]): void {
    const l = this.apics[cpu];
    if (l === undefined) return;
    const pending = lapic.testVector(l.irr, irq.vector) || lapic.testVector(l.isr, irq.vector);
    if (pending || lapic.matchesDestination(this.topology, cpu, irq)) bitmap[irq.vector] = true;
  }

  /** The vCPU takes its highest deliverable interrupt (`kvm_cpu_get_interrupt`). */
  kvm_cpu_get_interrupt(cpu: number): void {
    const l = this.apicForWrite(cpu);
    if (l !== null) lapic.dispatch(l);
  }

  /**
   * The vCPU writes EOI (`apic_set_eoi` -> `kvm_ioapic_send_eoi`): in split mode the TMR is
   * not consulted; the vector exits to userspace iff it is in the EOI-exit bitmap.
   * Returns the vector of the KVM_EXIT_IOAPIC_EOI, or null.
   */
  kvm_apic_set_eoi(cpu: number): number | null {
    const l = this.apicForWrite(cpu);
    if (l === null) return null;
    const ended = lapic.endOfInterrupt(l);
    if (ended === null || !this.kvm_ioapic_handles_vector(cpu, ended)) return null;
    this.rec.event(`kvm_exit KVM_EXIT_IOAPIC_EOI cpu=${cpu} vector=${ended.vector}`);
    return ended.vector;
  }

  /** `kvm_ioapic_handles_vector` in split mode: the vector is in the vCPU's EOI-exit bitmap. */
  protected kvm_ioapic_handles_vector(
    cpu: number,
    ended: { readonly vector: number; readonly level: boolean },
  ): boolean {
    return this.eoiExit[cpu]?.[ended.vector] === true;
  }

  /**
   * Level-triggered vectors in service on `cpu` (ISR and TMR) whose EOI will stay in the
   * kernel: not in the vCPU's EOI-exit bitmap, so `kvm_ioapic_send_eoi` never reaches
   * userspace's IOAPIC (semantics.md §5.4).
   */
  levelInServiceWithoutExit(cpu: number): readonly number[] {
    const l = this.apics[cpu];
    const known = this.exitless[cpu];
    if (l === undefined || known === undefined) return [];
    const exits = this.eoiExit[cpu] ?? [];
    if (known.apic === l && known.exits === exits) return known.vectors;
    const out: number[] = [];
    for (let w = 0; w < 8; w++) {
      let bits = ((l.isr[w] ?? 0) & (l.tmr[w] ?? 0)) >>> 0;
      while (bits !== 0) {
        const b = 31 - Math.clz32(bits);
        bits = (bits & ~(1 << b)) >>> 0;
        if (exits[w * 32 + b] !== true) out.push(w * 32 + b);
      }
    }
    // A LAPIC not yet sealed may still change in place this step (apicForWrite).
    if (isSealed(l)) {
      known.apic = l;
      known.exits = exits;
      known.vectors = out;
    }
    return out;
  }

  /** The vector GSI `gsi`'s route delivers, as `kvm_set_msi_irq` decodes it; null without a route. */
  routeVector(gsi: number): number | null {
    const r = this.routes.get(gsi);
    return r === undefined ? null : get32(r.data, MsiData.vector);
  }

  /** Canonical encoding of the kernel state (explorer hashing). */
  digest(): string {
    const irqfds = [...this.irqfds].map(
      ([fd, f]) => `${fd}:${f.gsi}:${f.cached === null ? "-" : routeDigest(f.cached)}`,
    );
    return [
      routeTableDigest(this.routingTable),
      irqfds.join(","),
      lapicsDigest(this.apics),
      this.eoiExit.map(bitmapHex).join(","),
    ].join("|");
  }

  describe(): string[] {
    return [...this.irqfds].map(([fd, f]) => `irqfd fd=${fd} gsi=${f.gsi}${f.cached === null ? " (no entry)" : ""}`);
  }
}

const RESET_APIC = seal(lapic.lapicReset());

/** The level-triggered routes among GSIs 0..23, decoded, in GSI order. */
function ioapicLevelIrqs(routes: ReadonlyMap<number, KvmMsiRoute>): CompatInterrupt[] {
  const irqs: CompatInterrupt[] = [];
  for (let gsi = 0; gsi < NR_RESERVED_IOAPIC_PINS; gsi++) {
    const r = routes.get(gsi);
    if (r === undefined) continue;
    const irq = kvmDecodeMsi(r);
    if (irq.trigger === 1) irqs.push(irq);
  }
  return irqs;
}

/**
 * The entries of `next` that are not the very objects at the same place in `last` (whose
 * GSIs index `routes`), or null when the two differ otherwise (a GSI moved or repeated, an
 * entry removed): then the table is rebuilt whole. An entry kept is one the last
 * KVM_SET_GSI_ROUTING checked and installed.
 */
function changedRoutes(
  last: readonly KvmMsiRoute[],
  routes: ReadonlyMap<number, KvmMsiRoute>,
  next: readonly KvmMsiRoute[],
): KvmMsiRoute[] | null {
  if (next.length < last.length || routes.size !== last.length) return null;
  const changed: KvmMsiRoute[] = [];
  const added = new Set<number>();
  for (let i = 0; i < next.length; i++) {
    const r = next[i] as KvmMsiRoute;
    const was = last[i];
    if (r === was) continue;
    if (was !== undefined ? r.gsi !== was.gsi : routes.has(r.gsi) || added.has(r.gsi)) return null;
    if (was === undefined) added.add(r.gsi);
    changed.push(r);
  }
  return changed;
}

const lapicDigests = new WeakMap<readonly lapic.LapicState[], string>();

/** The LAPICs' registers for the digest, computed once per sealed list (it is replaced when one changes). */
function lapicsDigest(list: readonly lapic.LapicState[]): string {
  const known = lapicDigests.get(list);
  if (known !== undefined) return known;
  const digest = list.map((l) => `${l.irr.join(".")}/${l.isr.join(".")}/${l.tmr.join(".")}`).join(";");
  if (isSealed(list)) lapicDigests.set(list, digest);
  return digest;
}

/** A 256-entry boolean bitmap (sparse: absent is clear) as eight hex words. */
function bitmapHex(bits: readonly boolean[]): string {
  const words = [0, 0, 0, 0, 0, 0, 0, 0];
  bits.forEach((set, v) => {
    if (set) words[v >>> 5] = ((words[v >>> 5] ?? 0) | (1 << (v & 31))) >>> 0;
  });
  return words.map((w) => w.toString(16)).join(".");
}
