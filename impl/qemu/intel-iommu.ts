/**
 * QEMU's Intel IOMMU, interrupt-remapping part (hw/i386/intel_iommu.c; semantics.md §4):
 * no IRTE cache (every translation reads guest memory), IRTA latched on SIRTP, IEC
 * notifiers fired by IEC descriptors and by SIRTP but not by IRE changes, faults
 * recorded only when the variant's QEMU has `vtd_report_ir_fault` and only on the
 * userspace path (do_fault = true).
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

export interface IntelIommuOptions {
  /** `vtd_report_ir_fault` exists (QEMU >= 8.2). */
  readonly recordFaults: boolean;
  /**
   * QEMU passes compatibility-format requests through even when CFI is clear or EIME is
   * set (semantics.md D10b); "vt-d" blocks them with fault 0x25 as the spec says.
   */
  readonly compatFormat: "qemu-passthrough" | "vt-d";
  /**
   * SVT = 10b bus range: QEMU reads max from SID[15:8] and min from SID[7:0], the reverse
   * of the spec and of Linux's `set_irte_verify_bus` (semantics.md D11); "vt-d" is the spec.
   */
  readonly busRange: "qemu-inverted" | "vt-d";
  /** Send a global IEC notify when IRE or CFI changes (QEMU does not: semantics.md D10a). */
  readonly notifyOnControlChange: boolean;
}

export type RemapOutcome =
  | { readonly ok: true; readonly msi: Msi; readonly index: number | null }
  | { readonly ok: false; readonly reason: number; readonly index: number };

type IecNotifier = (global: boolean, index: number, mask: number) => void;

export class IntelIommu implements FaultRegisters {
  /** The IRT in guest memory (QEMU reads it with dma_memory_read on every translation). */
  readonly memory: IrteWords[];
  intrEnabled = false;
  cfi = false;
  /** `intr_size` and `intr_eime`, latched by SIRTP (`vtd_interrupt_remap_table_setup`). */
  intrSize = 2;
  intrEime = false;
  faults: (FaultRecord | null)[];
  nextFault = 0;
  overflow = false;
  private readonly notifiers: IecNotifier[] = [];

  constructor(
    irtEntries: number,
    faultRecords: number,
    private readonly options: IntelIommuOptions,
    private readonly rec: Recorder,
  ) {
    this.memory = Array.from({ length: irtEntries }, () => [0, 0, 0, 0]);
    this.faults = new Array<FaultRecord | null>(faultRecords).fill(null);
  }

  /** `x86_iommu_iec_notify_all` subscribers: the IOAPIC and `kvm_update_msi_routes_all`. */
  addIecNotifier(n: IecNotifier): void {
    this.notifiers.push(n);
  }

  writeIrte(index: number, irte: IrteWords): void {
    if (index < this.memory.length) this.memory[index] = irte;
  }

  /** GCMD.SIRTP: latch IRTA, then a global IEC notify. */
  setInterruptRemapTable(sizeLog2: number, eime: boolean): void {
    this.intrSize = 2 ** (sizeLog2 + 1);
    this.intrEime = eime;
    this.rec.event(`vtd_ir_table_setup size=${this.intrSize} eime=${eime ? 1 : 0}`);
    this.notifyIec(true, 0, 0);
  }

  /** GCMD.IRE / CFI: takes effect at once; QEMU sends no IEC notify (semantics.md D10a). */
  setControl(ire: boolean, cfi: boolean): void {
    const changed = ire !== this.intrEnabled || cfi !== this.cfi;
    this.intrEnabled = ire;
    this.cfi = cfi;
    this.rec.event(`vtd_ir_enable ${ire ? 1 : 0} cfi=${cfi ? 1 : 0}`);
    if (changed && this.options.notifyOnControlChange) this.notifyIec(true, 0, 0);
  }

  /** An IEC invalidation descriptor (`vtd_process_inv_iec_desc`). */
  invalidateIec(global: boolean, index: number, mask: number): void {
    this.rec.event(global ? "vtd_inv_desc_iec global" : `vtd_inv_desc_iec index=${index} mask=${mask}`);
    this.notifyIec(global, index, mask);
  }

  private notifyIec(global: boolean, index: number, mask: number): void {
    for (const n of this.notifiers) n(global, index, mask);
  }

  clearFaults(): void {
    clearFaults(this);
  }

  digest(): string {
    return JSON.stringify([
      this.memory,
      this.intrEnabled,
      this.cfi,
      this.intrSize,
      this.intrEime,
      this.faults,
      this.nextFault,
      this.overflow,
    ]);
  }

  /**
   * `vtd_interrupt_remap_msi`: guard clauses in QEMU's order. `doFault` records the
   * fault (userspace path); the KVM route pre-translation passes false.
   */
  remapMsi(origin: Msi, sid: number | null, doFault: boolean): RemapOutcome {
    if (!this.intrEnabled) return { ok: true, msi: origin, index: null };
    const fail = (reason: number, index: number, record: boolean): RemapOutcome => {
      if (record) this.reportFault(reason, index, sid);
      return { ok: false, reason, index };
    };
    if (origin.addressHi !== 0 || origin.addressLo >>> 20 !== 0xfee)
      return fail(FaultReason.REQUEST_RESERVED, 0, doFault);
    if (!isRemappable(origin.addressLo)) {
      if (this.options.compatFormat === "qemu-passthrough" || (this.cfi && !this.intrEime)) {
        return { ok: true, msi: origin, index: null };
      }
      return fail(FaultReason.COMPAT_BLOCKED, 0, doFault);
    }
    const req = decodeRemappable(origin.addressLo);
    const index = req.subhandleValid ? (req.handle + get32(origin.data, MsiData.subhandle)) & 0xffff : req.handle;
    // vtd_irte_get: index bound, then (FPD-qualified) present, reserved, source ID.
    if (index >= this.intrSize) return fail(FaultReason.INDEX_OVERFLOW, index, doFault);
    const irte = this.memory[index] ?? [0, 0, 0, 0];
    const qualified = doFault && getField(irte, Irte.fpd) === 0;
    if (getField(irte, Irte.present) === 0) return fail(FaultReason.NOT_PRESENT, index, qualified);
    if (irteReservedBitsSet(irte)) return fail(FaultReason.IRTE_RESERVED, index, qualified);
    if (sid !== null && !this.sourceIdValid(irte, sid)) return fail(FaultReason.SOURCE_ID, index, qualified);
    if (req.subhandleValid && get32(origin.data, MsiData.high) !== 0)
      return fail(FaultReason.REQUEST_RESERVED, index, doFault);
    return { ok: true, msi: this.irqToMsi(irte), index };
  }

  /** `vtd_irte_get`'s source-ID check (SVT, SQ). */
  private sourceIdValid(irte: IrteWords, sid: number): boolean {
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
        const [min, max] =
          this.options.busRange === "qemu-inverted" ? [irteSid & 0xff, irteSid >>> 8] : [irteSid >>> 8, irteSid & 0xff];
        return bus >= min && bus <= max;
      }
      default:
        return false;
    }
  }

  /**
   * `vtd_mem_ir_write`: an MSI written to the interrupt window by a device or the IOAPIC
   * (the userspace path) is translated now, with faults recorded, then sent on. A write
   * outside 0xFEExxxxx is a memory write, not an interrupt.
   */
  memIrWrite(msi: Msi, sid: number | null, send: (msi: Msi) => void): void {
    if (msi.addressHi !== 0 || msi.addressLo >>> 20 !== 0xfee) return;
    const r = this.remapMsi(msi, sid, true);
    if (r.ok) send(r.msi);
  }

  /** `x86_iommu_irq_to_msi_message`: dest[7:0] into address 19:12, dest[31:8] into address_hi. */
  private irqToMsi(irte: IrteWords): Msi {
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

  private reportFault(reason: number, index: number, sid: number | null): void {
    this.rec.event(
      `vtd_ir_fault reason=0x${reason.toString(16)} index=${index} sid=0x${(sid ?? SOURCE_ID_NONE).toString(16)}`,
    );
    if (!this.options.recordFaults) return;
    const record = { reason, index, sourceId: sid ?? SOURCE_ID_NONE };
    if (recordFault(this, record)) this.rec.observe({ kind: "fault", ...record });
  }
}
