/**
 * The optimized implementation assembled: QEMU userspace (IOAPIC, Intel IOMMU IR, KVM
 * glue, MSI-X devices) over the KVM split irqchip, as an `Implementation`.
 */
import { parseHexWords } from "../model/bits.ts";
import type { Command } from "../model/commands.ts";
import { IOAPIC_NUM_PINS, type Topology } from "../model/topology.ts";
import type { GuestVisible } from "../model/visible.ts";
import type { Implementation, StepResult } from "../properties/implementation.ts";
import { Kvm } from "./kvm/kvm.ts";
import { IntelIommu } from "./qemu/intel-iommu.ts";
import { IOAPIC_MMIO, QemuIoapic } from "./qemu/ioapic.ts";
import { KvmIrqchip } from "./qemu/kvm-irqchip.ts";
import { MsixDevice } from "./qemu/msix-device.ts";
import { RouteCache } from "./qemu/route-cache.ts";
import { Recorder } from "./recorder.ts";
import type { Strategy } from "./strategy.ts";

/** First eventfd number of device d; with the cookie cache it doubles as the vector's GSI. */
const FD_BASE = 32;
const FDS_PER_DEVICE = 32;

class Machine {
  readonly rec = new Recorder();
  readonly kvm: Kvm;
  readonly iommu: IntelIommu;
  readonly glue: KvmIrqchip;
  readonly ioapic: QemuIoapic;
  readonly devices: MsixDevice[];
  private readonly cache: RouteCache | null;
  /** Device-side input levels: a line change reaches `ioapic_set_irq` only when it changes (as PCI INTx). */
  private lines = 0;

  constructor(
    readonly topology: Topology,
    strategy: Strategy,
  ) {
    this.kvm = new Kvm(topology, strategy.kvm, this.rec);
    this.iommu = new IntelIommu(topology.irtEntries, topology.faultRecords, strategy.iommu, this.rec);
    this.glue = new KvmIrqchip(topology, this.kvm, this.iommu, this.rec);
    this.glue.initIrqRouting();
    this.ioapic = new QemuIoapic(topology.ioapicVersion, strategy.ioapic, this.glue, this.iommu, this.kvm, this.rec);
    const cache = strategy.msix === "route-cache" ? new RouteCache(this.glue, this.iommu, this.rec) : null;
    this.cache = cache;
    if (cache !== null) this.iommu.addIecNotifier((global, index, mask) => cache.invalidate(global, index, mask));
    this.devices = topology.msiDevices.map(
      (d, i) => new MsixDevice(d, FD_BASE + i * FDS_PER_DEVICE, this.glue, this.iommu, this.kvm, cache, this.rec),
    );
    if (cache !== null) {
      cache.onDetach = (gsi) => {
        for (const d of this.devices) d.detached(gsi);
      };
    }
    this.rec.take();
  }

  private device(dev: number): MsixDevice {
    const d = this.devices[dev];
    if (d === undefined) throw new Error(`no MSI device ${dev}`);
    return d;
  }

  private setLine(pin: number, level: boolean): void {
    const bit = 1 << pin;
    if (((this.lines & bit) !== 0) === level) return;
    this.lines = level ? (this.lines | bit) >>> 0 : (this.lines & ~bit) >>> 0;
    this.ioapic.setIrq(pin, level);
  }

  apply(c: Command): void {
    switch (c.op) {
      case "ioapic.write":
        this.ioapic.memWrite(IOAPIC_MMIO.IOREGSEL, c.reg);
        return this.ioapic.memWrite(IOAPIC_MMIO.IOWIN, c.value);
      case "ioapic.read": {
        this.ioapic.memWrite(IOAPIC_MMIO.IOREGSEL, c.reg);
        const value = this.ioapic.memRead(IOAPIC_MMIO.IOWIN);
        return this.rec.observe({ kind: "read", reg: c.reg, value });
      }
      case "ioapic.eoi":
        return this.ioapic.memWrite(IOAPIC_MMIO.EOI, c.vector);
      case "eoi.broadcast":
        return this.ioapic.eoiBroadcast(c.vector);
      case "line.set":
        return this.setLine(c.pin, c.level === 1);
      case "line.pulse":
        this.setLine(c.pin, true);
        return this.setLine(c.pin, false);
      case "irte.write": {
        const words = parseHexWords(c.irte, 4);
        if (words === null) throw new Error(`bad IRTE ${c.irte}`);
        return this.iommu.writeIrte(c.index, words);
      }
      case "iec.invalidate":
        return c.global ? this.iommu.invalidateIec(true, 0, 0) : this.iommu.invalidateIec(false, c.index, c.mask);
      case "ir.table":
        return this.iommu.setInterruptRemapTable(c.sizeLog2, c.eime);
      case "ir.control":
        return this.iommu.setControl(c.ire, c.cfi);
      case "ir.fault-clear":
        return this.iommu.clearFaults();
      case "msi.program":
        return this.device(c.dev).program(c.vec, c.address, c.data);
      case "msi.mask":
        return this.device(c.dev).setMask(c.vec, c.masked);
      case "msi.fire":
        return this.device(c.dev).fire(c.vec);
      case "cpu.accept":
        return this.kvm.dispatch(c.cpu);
      case "cpu.eoi": {
        const vector = this.kvm.eoi(c.cpu);
        // KVM_EXIT_IOAPIC_EOI -> kvm_arch_handle_exit -> ioapic_eoi_broadcast.
        if (vector !== null) this.ioapic.eoiBroadcast(vector);
        return;
      }
    }
  }

  visible(): GuestVisible {
    const rtes: number[] = [];
    for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) rtes.push(this.ioapic.low[pin] ?? 0, this.ioapic.high[pin] ?? 0);
    return {
      ioapicId: this.ioapic.id,
      rtes,
      lapics: this.kvm.lapics.map((l) => ({ irr: l.irr.slice(), isr: l.isr.slice(), tmr: l.tmr.slice() })),
      faultRecords: this.iommu.faults.slice(),
      faultOverflow: this.iommu.overflow,
      msiPending: this.devices.map((d) => d.pendingBits()),
    };
  }

  digest(): string {
    return [
      this.kvm.digest(),
      this.iommu.digest(),
      this.glue.digest(),
      this.ioapic.digest(),
      ...this.devices.map((d) => d.digest()),
      this.cache?.digest() ?? "",
      this.lines,
    ].join("|");
  }

  describe(): string[] {
    return [...this.glue.describe().map((r) => `route ${r}`), ...this.kvm.describe(), ...this.ioapic.describe()];
  }
}

/** An implementation running `strategy`. */
export function strategyImplementation(name: string, strategy: Strategy): Implementation {
  let machine: Machine | null = null;
  const current = (): Machine => {
    if (machine === null) throw new Error("apply before reset");
    return machine;
  };
  return {
    name,
    reset(topology) {
      machine = new Machine(topology, strategy);
    },
    apply(command): StepResult {
      const m = current();
      m.apply(command);
      const { trace, observations } = m.rec.take();
      return { observations, visible: m.visible(), trace };
    },
    describe() {
      return current().describe();
    },
    digest() {
      return current().digest();
    },
  };
}
