/**
 * Compile command sequences into the guest's binary scenario (layout: guest/README.md), and
 * say which commands and topologies the real QEMU guest cannot run, in one line each.
 */
import { parseHexWords } from "../../model/bits.ts";
import type { Command } from "../../model/commands.ts";
import type { Topology } from "../../model/topology.ts";

export interface MachineOptions {
  /** `-machine q35,kernel-irqchip=…`: split = KVM LAPICs + QEMU IOAPIC; off = all in QEMU. */
  readonly irqchip: "split" | "off";
  /** `-device intel-iommu,intremap=on`. */
  readonly iommu: boolean;
  /** One `-device ivshmem-doorbell` per topology MSI-X device (msixDevfn); absent = none. */
  readonly msix?: boolean;
}

/** Opcodes of the scenario encoding, shared with guest/main.c `step()`. */
export const OPCODE = {
  "ioapic.write": 0x01,
  "ioapic.read": 0x02,
  "ioapic.eoi": 0x03,
  "line.set": 0x04,
  "line.pulse": 0x05,
  "irte.write": 0x06,
  "iec.global": 0x07,
  "iec.index": 0x08,
  "ir.table": 0x09,
  "ir.control": 0x0a,
  "ir.fault-clear": 0x0b,
  "cpu.accept": 0x0c,
  "cpu.eoi": 0x0d,
  "msi.program": 0x0e,
  "msi.mask": 0x0f,
  "msi.fire": 0x10,
} as const;

/** The guest drives at most this many MSI-X devices, each with at most 32 vectors (one PBA dword). */
export const MAX_MSIX_DEVICES = 4;
export const MAX_MSIX_VECTORS = 32;

/**
 * The PCI slot (device << 3 | function) of a topology MSI-X device: its requester ID, which
 * must be on bus 0, function 0, so that the ivshmem-doorbell placed there (`addr=`) is
 * seen by VT-d with the topology's source ID (pci_requester_id).
 */
export function msixDevfn(requesterId: number): number | null {
  return requesterId >>> 8 === 0 && (requesterId & 7) === 0 && requesterId !== 0 ? requesterId & 0xff : null;
}

/**
 * ISA IRQ lines pc-testdev can drive without another q35 device fighting over them:
 * 0 is the PIT (and QEMU aliases input 0 to pin 2), 2 is the PIT through that alias,
 * 4 is COM1 (the 16550 lowers it on every output byte), 8 the RTC, 9 the ACPI SCI;
 * pc-testdev's `isa_get_irq` asserts on 16 and above, which aborts QEMU.
 */
export const DRIVABLE_PINS: readonly number[] = [1, 3, 5, 6, 7, 10, 11, 12, 13, 14, 15];

const DELIVERY_MODE_NAMES = ["fixed", "lowest", "SMI", "reserved", "NMI", "INIT", "SIPI", "ExtINT"];

/**
 * The topology an implementation is compared under on a real machine. Its MSI-X devices
 * are ivshmem-doorbell, whose unmask notifier (ivshmem_vector_unmask) updates the vector's
 * KVM route every time, commits and assigns the irqfd: vfio-pci's path
 * (vfio_update_kvm_msi_virq), not virtio-pci's, which skips the update while the message
 * equals the one it cached. The two differ only when the update fails: vfio-pci goes on
 * with the stale route, ivshmem makes QEMU abort (aborts.ts, A1). It has no assigned
 * device: the topology's INTx pins are pc-testdev's plain lines there.
 */
export function asRealMachine(topology: Topology): Topology {
  const { intxPins: _assigned, ...rest } = topology;
  return { ...rest, msiDevices: topology.msiDevices.map((d) => ({ ...d, qemuModel: "vfio-pci" })) };
}

/** Why this machine cannot be built for the topology, or null. */
export function topologyProblem(topology: Topology, options: MachineOptions): string | null {
  const n = topology.cpus.length;
  if (n < 1 || n > 2) return `topology ${topology.name}: the real guest runs 1 or 2 vCPUs, not ${n}`;
  if (topology.cpus.some((c, i) => c.apicId !== i))
    return `topology ${topology.name}: vCPU APIC IDs must be 0..${n - 1} (QEMU numbers them in order)`;
  if (topology.apicMode === "x2apic") return `topology ${topology.name}: the real guest runs xAPIC only`;
  if (topology.ioapicVersion !== 0x20)
    return `topology ${topology.name}: q35's IOAPIC is version 0x20, not 0x${topology.ioapicVersion.toString(16)}`;
  if (options.iommu && options.irqchip !== "split" && options.irqchip !== "off")
    return "intel-iommu,intremap=on needs kernel-irqchip=split or off";
  if (options.msix) {
    if (topology.msiDevices.length > MAX_MSIX_DEVICES)
      return `topology ${topology.name}: the real guest drives at most ${MAX_MSIX_DEVICES} MSI-X devices`;
    for (const [i, d] of topology.msiDevices.entries()) {
      if (msixDevfn(d.requesterId) === null)
        return `topology ${topology.name}: MSI-X device ${i} has requester ID 0x${d.requesterId.toString(16)}; the real guest places ivshmem-doorbell devices on bus 0, function 0, slots 1-31 only`;
      if (d.vectors < 1 || d.vectors > MAX_MSIX_VECTORS)
        return `topology ${topology.name}: MSI-X device ${i} has ${d.vectors} vectors; the real guest reads one PBA dword (1..${MAX_MSIX_VECTORS})`;
    }
  }
  return null;
}

/** Why the real guest cannot run this command, or null. */
export function commandProblem(c: Command, topology: Topology, options: MachineOptions): string | null {
  switch (c.op) {
    case "ioapic.write": {
      const isLow = c.reg >= 0x10 && c.reg < 0x40 && (c.reg & 1) === 0;
      const dm = (c.value >>> 8) & 7;
      if (isLow && dm > 1)
        return `ioapic.write reg=0x${c.reg.toString(16)}: delivery mode ${DELIVERY_MODE_NAMES[dm]} would hit the guest's vCPUs outside its control; only fixed and lowest-priority run for real`;
      return null;
    }
    case "ioapic.read":
    case "ioapic.eoi":
      return null;
    case "eoi.broadcast":
      return "eoi.broadcast is a trace-import command: a guest can only cause it through cpu.eoi or ioapic.eoi";
    case "line.set":
    case "line.pulse":
      return DRIVABLE_PINS.includes(c.pin)
        ? null
        : `${c.op} pin=${c.pin}: pc-testdev can only drive pins ${DRIVABLE_PINS.join(",")} on q35 (see DRIVABLE_PINS)`;
    case "irte.write": {
      if (!options.iommu) return "irte.write needs the machine with -device intel-iommu,intremap=on";
      const w = parseHexWords(c.irte, 4);
      if (w === null) return `irte.write: ${c.irte} is not a 128-bit hex value`;
      const dlm = ((w[0] ?? 0) >>> 5) & 7;
      if (dlm > 1)
        return `irte.write index=${c.index}: delivery mode ${DELIVERY_MODE_NAMES[dlm]} would hit the guest's vCPUs outside its control`;
      if (c.index > 0xffff) return `irte.write index=${c.index}: the guest's table holds 65536 entries`;
      return null;
    }
    case "iec.invalidate":
    case "ir.table":
    case "ir.control":
    case "ir.fault-clear":
      return options.iommu ? null : `${c.op} needs the machine with -device intel-iommu,intremap=on`;
    case "msi.program":
    case "msi.mask":
    case "msi.fire": {
      if (!options.msix) return `${c.op} needs the machine with ivshmem-doorbell MSI-X devices`;
      const d = topology.msiDevices[c.dev];
      if (d === undefined || c.vec >= d.vectors) return `${c.op} dev=${c.dev} vec=${c.vec}: not in the topology`;
      if (c.op !== "msi.program") return null;
      // Outside the interrupt window the userspace path (msix_notify) is a DMA write to guest RAM.
      if (c.address >>> 20 !== 0xfee)
        return `msi.program address=0x${c.address.toString(16)}: outside 0xfee00000-0xfeefffff the device would write guest memory`;
      const dm = (c.data >>> 8) & 7;
      if (dm > 1)
        return `msi.program data=0x${c.data.toString(16)}: delivery mode ${DELIVERY_MODE_NAMES[dm]} would hit the guest's vCPUs outside its control`;
      return null;
    }
    case "cpu.accept":
    case "cpu.eoi":
      return c.cpu < topology.cpus.length
        ? null
        : `${c.op} cpu=${c.cpu}: the topology has ${topology.cpus.length} vCPUs`;
  }
}

/** The first problem of a sequence, as `step N: why`, or null. */
export function sequenceProblem(seq: readonly Command[], topology: Topology, options: MachineOptions): string | null {
  for (let i = 0; i < seq.length; i++) {
    const c = seq[i];
    if (c === undefined) continue;
    const why = commandProblem(c, topology, options);
    if (why !== null) return `step ${i}: ${why}`;
  }
  return null;
}

class Writer {
  private buf = new Uint8Array(1 << 12);
  length = 0;
  private room(n: number): void {
    if (this.length + n <= this.buf.length) return;
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + n));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
  u8(v: number): void {
    this.room(1);
    this.buf[this.length++] = v & 0xff;
  }
  u16(v: number): void {
    this.u8(v);
    this.u8(v >>> 8);
  }
  u32(v: number): void {
    this.u16(v & 0xffff);
    this.u16(v >>> 16);
  }
  bytes(): Uint8Array {
    return this.buf.slice(0, this.length);
  }
}

function encodeCommand(w: Writer, c: Command): void {
  switch (c.op) {
    case "ioapic.write":
      w.u8(OPCODE[c.op]);
      w.u8(c.reg);
      w.u32(c.value);
      return;
    case "ioapic.read":
      w.u8(OPCODE[c.op]);
      w.u8(c.reg);
      return;
    case "ioapic.eoi":
      w.u8(OPCODE[c.op]);
      w.u32(c.vector);
      return;
    case "line.set":
      w.u8(OPCODE[c.op]);
      w.u8(c.pin);
      w.u8(c.level);
      return;
    case "line.pulse":
      w.u8(OPCODE[c.op]);
      w.u8(c.pin);
      return;
    case "irte.write": {
      w.u8(OPCODE[c.op]);
      w.u16(c.index);
      for (const word of parseHexWords(c.irte, 4) ?? [0, 0, 0, 0]) w.u32(word);
      return;
    }
    case "iec.invalidate":
      if (c.global) {
        w.u8(OPCODE["iec.global"]);
      } else {
        w.u8(OPCODE["iec.index"]);
        w.u16(c.index);
        w.u8(c.mask);
      }
      return;
    case "ir.table":
      w.u8(OPCODE[c.op]);
      w.u8(c.sizeLog2);
      w.u8(c.eime ? 1 : 0);
      return;
    case "ir.control":
      w.u8(OPCODE[c.op]);
      w.u8(c.ire ? 1 : 0);
      w.u8(c.cfi ? 1 : 0);
      return;
    case "ir.fault-clear":
      w.u8(OPCODE[c.op]);
      return;
    case "cpu.accept":
    case "cpu.eoi":
      w.u8(OPCODE[c.op]);
      w.u8(c.cpu);
      return;
    case "msi.program":
      w.u8(OPCODE[c.op]);
      w.u8(c.dev);
      w.u8(c.vec);
      w.u32(c.address);
      w.u32(c.data);
      return;
    case "msi.mask":
      w.u8(OPCODE[c.op]);
      w.u8(c.dev);
      w.u8(c.vec);
      w.u8(c.masked ? 1 : 0);
      return;
    case "msi.fire":
      w.u8(OPCODE[c.op]);
      w.u8(c.dev);
      w.u8(c.vec);
      return;
    default:
      throw new Error(`${c.op}: not supported on real QEMU`);
  }
}

/**
 * The scenario file: "IRQS", version 1, vCPUs, flags (bit 0 IOMMU, bit 1 xAPIC cluster),
 * MSI-X device count, u32 sequence count, u32 first sequence to run, per MSI-X device its
 * u8 devfn and u8 vector count; then per sequence a u16 command count and the commands. Throws on a command the guest cannot run (check sequenceProblem first).
 */
export function encodeScenario(
  topology: Topology,
  sequences: readonly (readonly Command[])[],
  options: MachineOptions,
  first = 0,
): Uint8Array {
  const w = new Writer();
  for (const ch of "IRQS") w.u8(ch.charCodeAt(0));
  w.u8(1);
  w.u8(topology.cpus.length);
  w.u8((options.iommu ? 1 : 0) | (topology.apicMode === "xapic-cluster" ? 2 : 0));
  const devices = options.msix ? topology.msiDevices : [];
  w.u8(devices.length);
  w.u32(sequences.length);
  w.u32(first);
  for (const d of devices) {
    w.u8(msixDevfn(d.requesterId) ?? 0);
    w.u8(d.vectors);
  }
  for (const seq of sequences) {
    if (seq.length > 0xffff) throw new Error(`a sequence of ${seq.length} commands is longer than 65535`);
    w.u16(seq.length);
    for (const c of seq) encodeCommand(w, c);
  }
  return w.bytes();
}
