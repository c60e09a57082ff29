/**
 * QEMU's Intel IOMMU, interrupt-remapping part (hw/i386/intel_iommu.c, as of QEMU 8.2
 * through 10.0; semantics.md §4): no IRTE cache (every translation reads guest memory),
 * IRTA latched on SIRTP, IEC notifiers fired by IEC descriptors and by SIRTP but not by
 * IRE changes, compatibility-format requests passed through, QEMU's inverted SVT bus
 * range, faults recorded by `vtd_report_ir_fault` only on the userspace path
 * (do_fault = true).
 */
import { get32, getField } from "../../model/bits.ts";
import {
  clearFaults,
  FaultReason,
  type FaultRegisters,
  Irte,
  type IrteWords,
  irteReservedBitsSet,
  recordFault,
  SOURCE_ID_NONE,
} from "../../model/interrupt-remapping.ts";
import { decodeRemappable, isRemappable, MsiData } from "../../model/msi.ts";
import type { FaultRecord } from "../../model/visible.ts";
import type { Recorder } from "../recorder.ts";

/** An MSI as QEMU passes it around: 64-bit address split in two words, 32-bit data. */
export interface Msi {
  readonly addressLo: number;
  readonly addressHi: number;
  readonly data: number;
}

export type RemapOutcome =
  | { readonly ok: true; readonly msi: Msi; readonly index: number | null }
  | { readonly ok: false; readonly reason: number; readonly index: number };

export type IecNotifier = (global: boolean, index: number, mask: number) => void;

export class IntelIommu implements FaultRegisters {
  /**
   * The IRT in guest memory (QEMU reads it with dma_memory_read on every translation):
   * the entries written, by index; the rest read as zero.
   */
  protected readonly memory = new Map<number, IrteWords>();
  intrEnabled = false;
  cfi = false;
  /** `intr_size` and `intr_eime`, latched by SIRTP (`vtd_interrupt_remap_table_setup`). */
  intrSize = 2;
  intrEime = false;
  faults: (FaultRecord | null)[];
  nextFault = 0;
  overflow = false;
  protected readonly notifiers: IecNotifier[] = [];

  constructor(
    /** IRTEs in guest memory at the IRT base; writes past them reach nothing. */
    protected readonly irtEntries: number,
    faultRecords: number,
    protected readonly rec: Recorder,
  ) {
    this.faults = new Array<FaultRecord | null>(faultRecords).fill(null);
  }

  /** `x86_iommu_iec_notify_all` subscribers: the IOAPIC and `kvm_update_msi_routes_all`. */
  addIecNotifier(n: IecNotifier): void {
    this.notifiers.push(n);
  }

  /** The guest writes an IRTE in memory (no invalidation implied). */
  writeIrte(index: number, irte: IrteWords): void {
    if (index < this.irtEntries) this.memory.set(index, irte);
  }

  /** GCMD.SIRTP (`vtd_interrupt_remap_table_setup`): latch IRTA, then a global IEC notify. */
  vtd_interrupt_remap_table_setup(sizeLog2: number, eime: boolean): void {
    this.intrSize = 2 ** (sizeLog2 + 1);
    this.intrEime = eime;
    this.rec.event(`vtd_ir_table_setup size=${this.intrSize} eime=${eime ? 1 : 0}`);
    this.x86_iommu_iec_notify_all(true, 0, 0);
  }

  /** GCMD.IRE and CFI (`vtd_handle_gcmd_ire`): take effect at once, with no IEC notify (semantics.md D10a). */
  vtd_handle_gcmd_ire(ire: boolean, cfi: boolean): void {
    this.intrEnabled = ire;
    this.cfi = cfi;
    this.rec.event(`vtd_ir_enable ${ire ? 1 : 0} cfi=${cfi ? 1 : 0}`);
  }

  /** An IEC invalidation descriptor (`vtd_process_inv_iec_desc`). */
  vtd_process_inv_iec_desc(global: boolean, index: number, mask: number): void {
    this.rec.event(global ? "vtd_inv_desc_iec global" : `vtd_inv_desc_iec index=${index} mask=${mask}`);
    this.x86_iommu_iec_notify_all(global, index, mask);
  }

  /** `x86_iommu_iec_notify_all`: every subscriber, in registration order. */
  x86_iommu_iec_notify_all(global: boolean, index: number, mask: number): void {
    for (const n of this.notifiers) n(global, index, mask);
  }

  /** The guest clears the fault recording registers (F bits, PFO). */
  clearFaults(): void {
    clearFaults(this);
  }

  digest(): string {
    const written = [...this.memory].filter(([, irte]) => irte.some((w) => w !== 0)).sort(([a], [b]) => a - b);
    const flags = `${this.intrEnabled ? 1 : 0}${this.cfi ? 1 : 0}${this.intrEime ? 1 : 0}${this.overflow ? 1 : 0}`;
    return [
      written.map(([index, irte]) => `${index}=${irte.join(".")}`).join(","),
      this.faults.map((f) => (f === null ? "-" : `${f.reason}:${f.index}:${f.sourceId}`)).join(","),
      `${flags},${this.intrSize},${this.nextFault}`,
    ].join(";");
  }

  /**
   * `vtd_interrupt_remap_msi`: guard clauses in QEMU's order. `doFault` records the
   * fault (userspace path); the KVM route pre-translation passes false.
   */
  vtd_interrupt_remap_msi(origin: Msi, sid: number | null, doFault: boolean): RemapOutcome {
    if (!this.intrEnabled) return { ok: true, msi: origin, index: null };
    const fail = (reason: number, index: number, record: boolean): RemapOutcome => {
      if (record) this.vtd_report_ir_fault(reason, index, sid);
      return { ok: false, reason, index };
    };
    if (origin.addressHi !== 0 || origin.addressLo >>> 20 !== 0xfee)
      return fail(FaultReason.REQUEST_RESERVED, 0, doFault);
    if (!isRemappable(origin.addressLo)) return this.vtd_remap_compat_msi(origin, sid, doFault);
    const req = decodeRemappable(origin.addressLo);
    const index = req.subhandleValid ? (req.handle + get32(origin.data, MsiData.subhandle)) & 0xffff : req.handle;
    // vtd_irte_get: index bound, then (FPD-qualified) present, reserved, source ID.
    if (index >= this.intrSize) return fail(FaultReason.INDEX_OVERFLOW, index, doFault);
    const irte = this.memory.get(index) ?? [0, 0, 0, 0];
    const qualified = doFault && getField(irte, Irte.fpd) === 0;
    if (getField(irte, Irte.present) === 0) return fail(FaultReason.NOT_PRESENT, index, qualified);
    if (irteReservedBitsSet(irte)) return fail(FaultReason.IRTE_RESERVED, index, qualified);
    if (sid !== null && !this.vtd_irte_sid_valid(irte, sid)) return fail(FaultReason.SOURCE_ID, index, qualified);
    if (req.subhandleValid && get32(origin.data, MsiData.high) !== 0)
      return fail(FaultReason.REQUEST_RESERVED, index, doFault);
    return { ok: true, msi: this.irqToMsi(irte), index };
  }

  /**
   * A compatibility-format request while remapping is on: QEMU copies it through even
   * when CFI is clear or EIME is set (semantics.md §4.2 step 4, D10b).
   */
  protected vtd_remap_compat_msi(origin: Msi, _sid: number | null, _doFault: boolean): RemapOutcome {
    return { ok: true, msi: origin, index: null };
  }

  /** `vtd_irte_get`'s source-ID check (SVT, SQ). */
  protected vtd_irte_sid_valid(irte: IrteWords, sid: number): boolean {
    const irteSid = getField(irte, Irte.sid);
    switch (getField(irte, Irte.svt)) {
      case 0:
        return true;
      case 1: {
        const ignored = [0, 0b100, 0b110, 0b111][getField(irte, Irte.sq)] ?? 0;
        return ((irteSid ^ sid) & ~ignored & 0xffff) === 0;
      }
      case 2: {
        const bus = sid >>> 8;
        const [min, max] = this.vtd_irte_bus_range(irteSid);
        return bus >= min && bus <= max;
      }
      default:
        return false;
    }
  }

  /**
   * SVT = 10b: the requester bus range an IRTE's SID field allows. QEMU reads the maximum
   * from SID[15:8] and the minimum from SID[7:0], the reverse of VT-d and of Linux's
   * `set_irte_verify_bus` (semantics.md D11).
   */
  protected vtd_irte_bus_range(irteSid: number): readonly [min: number, max: number] {
    return [irteSid & 0xff, irteSid >>> 8];
  }

  /**
   * `vtd_mem_ir_write`: an MSI written to the interrupt window by a device or the IOAPIC
   * (the userspace path) is translated now, with faults recorded, then sent on. A write
   * outside 0xFEExxxxx is a memory write, not an interrupt.
   */
  vtd_mem_ir_write(msi: Msi, sid: number | null, send: (msi: Msi) => void): void {
    if (msi.addressHi !== 0 || msi.addressLo >>> 20 !== 0xfee) return;
    const r = this.vtd_interrupt_remap_msi(msi, sid, true);
    if (r.ok) send(r.msi);
  }

  /** `x86_iommu_irq_to_msi_message`: dest[7:0] into address 19:12, dest[31:8] into address_hi. */
  protected irqToMsi(irte: IrteWords): Msi {
    const dest = this.intrEime ? getField(irte, Irte.dest) : getField(irte, Irte.xapicDest);
    const addressLo =
      (0xfee00000 |
        ((dest & 0xff) << 12) |
        (getField(irte, Irte.redirectionHint) << 3) |
        (getField(irte, Irte.destMode) << 2)) >>>
      0;
    const data =
      (getField(irte, Irte.vector) |
        (getField(irte, Irte.deliveryMode) << 8) |
        (1 << 14) |
        (getField(irte, Irte.trigger) << 15)) >>>
      0;
    return { addressLo, addressHi: (dest & 0xffffff00) >>> 0, data };
  }

  /** `vtd_report_ir_fault` (QEMU 8.2): the fault goes to the fault recording registers (§4.4). */
  protected vtd_report_ir_fault(reason: number, index: number, sid: number | null): void {
    this.traceIrFault(reason, index, sid);
    const record = { reason, index, sourceId: sid ?? SOURCE_ID_NONE };
    if (recordFault(this, record)) this.rec.observe({ kind: "fault", ...record });
  }

  /** The trace every QEMU version leaves for a failed translation on the userspace path. */
  protected traceIrFault(reason: number, index: number, sid: number | null): void {
    this.rec.event(
      `vtd_ir_fault reason=0x${reason.toString(16)} index=${index} sid=0x${(sid ?? SOURCE_ID_NONE).toString(16)}`,
    );
  }
}
