/**
 * The optimized implementation assembled: QEMU userspace (IOAPIC, Intel IOMMU IR, MSI-X
 * devices) over its KVM port and the KVM split irqchip, built from a variant's component
 * classes, as an `Implementation`. Guest actions arrive here: MMIO accesses go through the
 * vCPU's `kvm_cpu_exec_mmio`, device lines to `ioapic_set_irq`, vCPU interrupt
 * acknowledge and EOI to the kernel.
 */
import { get32, parseHexWords } from "../model/bits.ts";
import type { Command } from "../model/commands.ts";
import { RteHigh, RteLow } from "../model/ioapic.ts";
import { IOAPIC_NUM_PINS, type Topology } from "../model/topology.ts";
import type { GuestVisible } from "../model/visible.ts";
import type { Implementation, StepResult } from "../properties/implementation.ts";
import type { Kvm } from "./kvm/kvm.ts";
import type { Components } from "./patch.ts";
import type { IntelIommu } from "./qemu/intel-iommu.ts";
import { IOAPIC_MMIO, type QemuIoapic } from "./qemu/ioapic.ts";
import type { KvmAccel } from "./qemu/kvm-accel.ts";
import type { MsixDevice } from "./qemu/msix-device.ts";
import type { VfioIntx } from "./qemu/vfio-intx.ts";
import { Recorder } from "./recorder.ts";

/** First eventfd number of device d; the route cache also uses it as the vector's GSI. */
const FD_BASE = 32;
const FDS_PER_DEVICE = 32;

/** `Machine.coverage` flags. */
export const COVERAGE = {
  staleEoi: 1,
  staleEoiRemoteIrr: 2,
  staleRoute: 4,
  staleRouteRemoteIrr: 8,
} as const;
const { staleEoi, staleEoiRemoteIrr, staleRoute, staleRouteRemoteIrr } = COVERAGE;

export class Machine {
  readonly rec = new Recorder();
  readonly kvm: Kvm;
  readonly iommu: IntelIommu;
  readonly accel: KvmAccel;
  readonly ioapic: QemuIoapic;
  readonly devices: MsixDevice[];
  /** Assigned devices' INTx, one per `topology.intxPins` entry; their eventfds follow the MSI-X devices'. */
  readonly intx: VfioIntx[];

  constructor(
    readonly topology: Topology,
    c: Components,
  ) {
    this.kvm = new c.Kvm(topology, this.rec);
    this.iommu = new c.IntelIommu(topology.irtEntries, topology.faultRecords, this.rec);
    this.accel = new c.KvmAccel(topology, this.kvm, this.iommu, this.rec);
    this.accel.kvm_arch_init_irq_routing();
    this.ioapic = new c.QemuIoapic(topology.ioapicVersion, this.accel, this.iommu, this.rec);
    this.devices = topology.msiDevices.map(
      (d, i) => new c.MsixDevice(d, FD_BASE + i * FDS_PER_DEVICE, this.accel, this.iommu, this.rec),
    );
    for (const d of this.devices) d.realize();
    const firstIntxFd = FD_BASE + topology.msiDevices.length * FDS_PER_DEVICE;
    this.intx = (topology.intxPins ?? []).map(
      (pin, i) => new c.VfioIntx(pin, firstIntxFd + 2 * i, this.accel, this.ioapic, this.rec),
    );
    for (const d of this.intx) d.vfio_intx_enable();
    this.rec.take();
  }

  private device(dev: number): MsixDevice {
    const d = this.devices[dev];
    if (d === undefined) throw new Error(`no MSI device ${dev}`);
    return d;
  }

  /**
   * A device drives an input. Every write reaches `ioapic_set_irq`, unfiltered, as
   * pc-testdev's and ISA devices' `qemu_set_irq` do (real-qemu.md: re-asserting an
   * asserted line re-services the pin on every QEMU/KVM combination), except on a pin
   * wired to an assigned device's INTx, which goes through VFIO.
   */
  private setLine(pin: number, level: boolean): void {
    const intx = this.intx.find((d) => d.pin === pin);
    if (intx !== undefined) return intx.setDeviceLine(level);
    this.ioapic.ioapic_set_irq(pin, level);
  }

  /** A guest MMIO access: the vCPU exits to QEMU, which dispatches it. */
  private mmio(access: () => void): void {
    this.accel.kvm_cpu_exec_mmio(access);
  }

  apply(c: Command): void {
    switch (c.op) {
      case "ioapic.write":
        this.mmio(() => this.ioapic.ioapic_mem_write(IOAPIC_MMIO.IOREGSEL, c.reg));
        return this.mmio(() => this.ioapic.ioapic_mem_write(IOAPIC_MMIO.IOWIN, c.value));
      case "ioapic.read": {
        this.mmio(() => this.ioapic.ioapic_mem_write(IOAPIC_MMIO.IOREGSEL, c.reg));
        let value = 0;
        this.mmio(() => {
          value = this.ioapic.ioapic_mem_read(IOAPIC_MMIO.IOWIN);
        });
        return this.rec.observe({ kind: "read", reg: c.reg, value });
      }
      case "ioapic.eoi":
        return this.mmio(() => this.ioapic.ioapic_mem_write(IOAPIC_MMIO.EOI, c.vector));
      case "eoi.broadcast":
        return this.ioapic.ioapic_eoi_broadcast(c.vector);
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
      case "iec.invalidate": {
        const [global, index, mask] = c.global ? [true, 0, 0] : [false, c.index, c.mask];
        return this.mmio(() => this.iommu.vtd_process_inv_iec_desc(global, index, mask));
      }
      case "ir.table":
        return this.mmio(() => this.iommu.vtd_interrupt_remap_table_setup(c.sizeLog2, c.eime));
      case "ir.control":
        return this.mmio(() => this.iommu.vtd_handle_gcmd_ire(c.ire, c.cfi));
      case "ir.fault-clear":
        return this.mmio(() => this.iommu.clearFaults());
      case "msi.program": {
        // Linux's __pci_write_msi_msg: an unmasked entry is masked around the table write.
        const d = this.device(c.dev);
        const unmasked = !d.isMasked(c.vec);
        if (unmasked) this.mmio(() => d.msix_handle_mask_update(c.vec, true));
        this.mmio(() => d.msix_table_mmio_write(c.vec, c.address, c.data));
        if (unmasked) this.mmio(() => d.msix_handle_mask_update(c.vec, false));
        return;
      }
      case "msi.mask":
        return this.mmio(() => this.device(c.dev).msix_handle_mask_update(c.vec, c.masked));
      case "msi.fire":
        return this.device(c.dev).event_notifier_set(c.vec);
      case "cpu.accept":
        return this.kvm.kvm_cpu_get_interrupt(c.cpu);
      case "cpu.eoi": {
        const vector = this.kvm.kvm_apic_set_eoi(c.cpu);
        // KVM_EXIT_IOAPIC_EOI -> kvm_arch_handle_exit -> ioapic_eoi_broadcast.
        if (vector !== null) this.ioapic.ioapic_eoi_broadcast(vector);
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
      lapics: this.kvm.lapics,
      faultRecords: this.iommu.faults.slice(),
      faultOverflow: this.iommu.overflow,
      msiPending: this.devices.map((d) => d.pendingBits()),
    };
  }

  /**
   * Internal states the guest cannot see yet, as flags (`Implementation.coverage`):
   * - staleEoi: a level interrupt in service that is not in its vCPU's EOI-exit bitmap
   *   (`vcpu_scan_ioapic`), so its EOI stays in the kernel;
   * - staleEoiRemoteIrr: the same, for the vector of an RTE with Remote IRR set, whose EOI
   *   the IOAPIC waits for (D8);
   * - staleRoute: a compatibility-format RTE whose KVM route delivers another vector;
   * - staleRouteRemoteIrr: the same, with Remote IRR set: the EOI-exit bitmap holds the
   *   route's vector, not the RTE's (D20).
   */
  coverage(): number {
    let flags = 0;
    for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
      const low = this.ioapic.low[pin] ?? 0;
      if (get32(this.ioapic.high[pin] ?? 0, RteHigh.format) === 1) continue;
      const routed = this.kvm.routeVector(pin);
      if (routed === null || routed === get32(low, RteLow.vector)) continue;
      flags |= staleRoute | (get32(low, RteLow.remoteIrr) === 1 ? staleRouteRemoteIrr : 0);
    }
    for (let cpu = 0; cpu < this.topology.cpus.length; cpu++) {
      for (const v of this.kvm.levelInServiceWithoutExit(cpu)) {
        flags |= staleEoi | (this.remoteIrrCarries(v) ? staleEoiRemoteIrr : 0);
      }
    }
    return flags;
  }

  /** An RTE with Remote IRR set carries `vector`: its EOI is what the IOAPIC waits for. */
  private remoteIrrCarries(vector: number): boolean {
    for (let pin = 0; pin < IOAPIC_NUM_PINS; pin++) {
      const low = this.ioapic.low[pin] ?? 0;
      if (get32(low, RteLow.remoteIrr) === 1 && get32(low, RteLow.vector) === vector) return true;
    }
    return false;
  }

  digest(): string {
    return [
      this.kvm.digest(),
      this.iommu.digest(),
      this.accel.digest(),
      this.ioapic.digest(),
      ...this.devices.map((d) => d.digest()),
      ...this.intx.map((d) => d.digest()),
    ].join("|");
  }

  describe(): string[] {
    return [
      ...this.accel.describe().map((r) => `route ${r}`),
      ...this.kvm.describe(),
      ...this.ioapic.describe(),
      ...this.devices.flatMap((d) => d.describe()),
      ...this.intx.flatMap((d) => d.describe()),
    ];
  }
}

/** An implementation named `name` that builds its machine from `components`. */
export function machineImplementation(name: string, components: Components): Implementation {
  let machine: Machine | null = null;
  const current = (): Machine => {
    if (machine === null) throw new Error("apply before reset");
    return machine;
  };
  return {
    name,
    reset(topology) {
      machine = new Machine(topology, components);
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
    coverage() {
      return current().coverage();
    },
  };
}
