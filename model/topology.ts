/**
 * The machine a scenario runs on, as data: vCPUs and their APIC IDs, the IOAPIC, the
 * MSI-X devices, the interrupt-remapping table and the KVM extended-destination-ID feature.
 */

export const IOAPIC_NUM_PINS = 24;

/** How the LAPICs decode destinations (SDM vol. 3 §10.6.2; §10.12.10 for x2APIC). */
export type ApicMode = "xapic-flat" | "xapic-cluster" | "x2apic";

export interface Cpu {
  readonly apicId: number;
}

export interface MsiDevice {
  /** PCI requester ID (bus << 8 | devfn): the source ID that VT-d checks against IRTE.SID. */
  readonly requesterId: number;
  /** Number of MSI-X vectors (table entries). */
  readonly vectors: number;
  /**
   * Which QEMU device model stands behind it in the implementation (its irqfd unmask path:
   * semantics.md §3.6, D7); virtio-pci when absent. The reference does not look at it.
   */
  readonly qemuModel?: "virtio-pci" | "vfio-pci";
}

export interface Topology {
  readonly name: string;
  readonly cpus: readonly Cpu[];
  readonly apicMode: ApicMode;
  /** IOAPIC version register value: 0x11 (82093AA, no EOI register) or 0x20 (IOxAPIC). */
  readonly ioapicVersion: 0x11 | 0x20;
  readonly msiDevices: readonly MsiDevice[];
  /** Number of IRTEs in guest memory at the IRT base; entries past it read as zero. */
  readonly irtEntries: number;
  /** Number of VT-d fault recording registers (QEMU implements one). */
  readonly faultRecords: number;
  /** KVM_FEATURE_MSI_EXT_DEST_ID: MSI address bits 11:5 carry destination bits 14:8. */
  readonly extDestId: boolean;
  /**
   * IOAPIC pins wired to the INTx line of an assigned (VFIO) PCI device, one device per pin
   * (the chipset's PIRQ routing gives GSI = pin). The implementation injects them through an
   * irqfd on the pin's GSI with a resamplefd (semantics.md §3.6); the reference does not look
   * at it: the device drives a level line like any other. None when absent.
   */
  readonly intxPins?: readonly number[];
}

/**
 * Logical destination register of a CPU as Linux programs it (SDM §10.6.2.2):
 * flat: one bit per CPU index; cluster: cluster (index / 4) in bits 7:4, one of four bits;
 * x2APIC: derived from the APIC ID (cluster = ID[19:4], bit = 1 << ID[3:0]).
 */
export function logicalId(topology: Topology, cpuIndex: number): number {
  const cpu = topology.cpus[cpuIndex];
  if (cpu === undefined) throw new Error(`no cpu ${cpuIndex}`);
  switch (topology.apicMode) {
    case "xapic-flat":
      return (1 << cpuIndex) & 0xff;
    case "xapic-cluster":
      return (((cpuIndex >> 2) & 0xf) << 4) | (1 << (cpuIndex & 3));
    case "x2apic":
      return (((cpu.apicId >>> 4) << 16) | (1 << (cpu.apicId & 0xf))) >>> 0;
  }
}

const twoDevices: readonly MsiDevice[] = [
  { requesterId: 0x0008, vectors: 2, qemuModel: "virtio-pci" }, // 00:01.0
  { requesterId: 0x0300, vectors: 2, qemuModel: "vfio-pci" }, // 03:00.0
];

const DEFAULT: Topology = {
  name: "default",
  cpus: [{ apicId: 0 }, { apicId: 1 }, { apicId: 2 }, { apicId: 3 }],
  apicMode: "xapic-flat",
  ioapicVersion: 0x20,
  msiDevices: twoDevices,
  irtEntries: 8,
  faultRecords: 1,
  extDestId: true,
  // Two assigned devices' INTx on PIRQ GSIs 16 and 17, so that every campaign runs QEMU's
  // VFIO INTx path (impl/qemu/vfio-intx.ts) as well as plain lines.
  intxPins: [16, 17],
};

/** The built-in topologies, by name. */
export const TOPOLOGIES: Readonly<Record<string, Topology>> = {
  default: DEFAULT,
  small: {
    name: "small",
    cpus: [{ apicId: 0 }, { apicId: 1 }],
    apicMode: "xapic-flat",
    ioapicVersion: 0x20,
    msiDevices: [{ requesterId: 0x0008, vectors: 1, qemuModel: "virtio-pci" }],
    irtEntries: 2,
    faultRecords: 1,
    extDestId: false,
  },
  x2apic: {
    name: "x2apic",
    cpus: [{ apicId: 0 }, { apicId: 1 }, { apicId: 300 }],
    apicMode: "x2apic",
    ioapicVersion: 0x20,
    msiDevices: twoDevices,
    irtEntries: 8,
    faultRecords: 1,
    extDestId: true,
  },
  "ioapic-0x11": {
    name: "ioapic-0x11",
    cpus: [{ apicId: 0 }, { apicId: 1 }],
    apicMode: "xapic-flat",
    ioapicVersion: 0x11,
    msiDevices: twoDevices,
    irtEntries: 8,
    faultRecords: 1,
    extDestId: false,
  },
  /**
   * The default machine, under the name it had when only it wired an assigned device's
   * INTx to each of pins 16 and 17 (PCI INTA/INTB on q35).
   */
  intx: { ...DEFAULT, name: "intx", intxPins: [16, 17] },
};

export function defaultTopology(): Topology {
  const t = TOPOLOGIES.default;
  if (t === undefined) throw new Error("default topology missing");
  return t;
}

/** A built-in topology by name (the default one when no name is given); throws for an unknown name. */
export function builtinTopology(name: string | undefined): Topology {
  const t = name === undefined ? TOPOLOGIES.default : TOPOLOGIES[name];
  if (t === undefined) throw new Error(`no built-in topology ${name}`);
  return t;
}
