/**
 * VT-d interrupt-remapping scenarios: remapped IOAPIC and MSI delivery, subhandles, the
 * compatibility-format gate, each interrupt fault, fault recording, and the IEC. Ideas from
 * kvm-unit-tests x86/intel-iommu.c ("IR IOAPIC", "IR MSI") and the fault table of VT-d §7.1.3;
 * expectations from VT-d ch. 5, §9.10 and semantics.md §4. Device 0 has requester ID 0x0008,
 * device 1 0x0300; the IOAPIC's requests carry none (0xffff, semantics.md §1.7).
 */
import {
  accept,
  anyOf,
  at,
  compatAddress,
  delivered,
  enableRemapping,
  eoi,
  eoiRegister,
  FOUR_CPUS,
  faulted,
  fire,
  invalidate,
  irteWrite,
  line,
  lowReg,
  msiVector,
  program,
  pulse,
  read,
  readBack,
  remappableAddress,
  steps,
} from "./build.ts";
import type { Scenario } from "./types.ts";

const DEV0_SID = 0x0008;
const DEV1_SID = 0x0300;

/** An MSI-X vector of `dev` through IRTE `index` (remappable format, SHV 0, data 0). */
const throughIrte = (dev: number, index: number) => msiVector(dev, 0, remappableAddress(index), 0);

export const REMAPPING_SCENARIOS: readonly Scenario[] = [
  {
    name: "ir-ioapic-remapped",
    checks:
      "a remappable-format RTE is translated through its IRTE: vector and destination come from the IRTE (VT-d §5.1.5.1, §9.10)",
    idea: "intel-iommu.c vtd_test_ir, IR IOAPIC",
    topology: FOUR_CPUS,
    steps: steps(
      enableRemapping([[2, { vector: 0xed, dest: 1 }]]),
      program(14, { vector: 0xed, remap: 2 }),
      at(pulse(14), delivered(1, 0xed)),
    ),
  },
  {
    name: "ir-msi-remapped",
    checks: "a remappable-format MSI is translated through the IRTE its handle names (VT-d §5.1.2.2, §9.10)",
    idea: "intel-iommu.c vtd_test_ir, IR MSI",
    topology: FOUR_CPUS,
    steps: steps(
      enableRemapping([[3, { vector: 0xee, dest: 2 }]]),
      throughIrte(0, 3),
      at(fire(0, 0), delivered(2, 0xee)),
    ),
  },
  {
    name: "ir-msi-subhandle",
    checks:
      "with SHV set the index is handle + data[15:0]: handle 4, subhandle 1 -> IRTE 5 (VT-d §5.1.2.2; semantics.md §4.2 step 6)",
    topology: FOUR_CPUS,
    steps: steps(
      enableRemapping([[5, { vector: 0x55, dest: 3 }]]),
      msiVector(1, 0, remappableAddress(4, true), 1),
      at(fire(1, 0), delivered(3, 0x55)),
    ),
  },
  {
    name: "ir-compat-blocked",
    checks:
      "with remapping on and CFIS clear a compatibility-format MSI is blocked with fault 0x25 (VT-d §5.1.2.1, §7.1.3)",
    topology: FOUR_CPUS,
    steps: steps(
      enableRemapping([]),
      msiVector(0, 0, compatAddress(1), 0x30),
      at(fire(0, 0), faulted(0x25, 0, DEV0_SID)),
    ),
  },
  {
    name: "ir-compat-passthrough-with-cfi",
    checks: "with CFI set (xAPIC, EIME = 0) a compatibility-format MSI bypasses remapping (VT-d §5.1.2.1)",
    topology: FOUR_CPUS,
    steps: steps(
      enableRemapping([]),
      { op: "ir.control", ire: true, cfi: true },
      msiVector(0, 0, compatAddress(1), 0x30),
      at(fire(0, 0), delivered(1, 0x30)),
    ),
  },
  {
    name: "ir-fault-not-present",
    checks:
      "an IRTE with P = 0 blocks the request and records fault 0x22 with the index and the requester's source ID (VT-d §5.1.4.1, §7.1.3)",
    topology: FOUR_CPUS,
    steps: steps(
      enableRemapping([[4, { vector: 0x44, dest: 1, present: false }]]),
      throughIrte(1, 4),
      at(fire(1, 0), faulted(0x22, 4, DEV1_SID)),
    ),
  },
  {
    name: "ir-fault-index-overflow",
    checks:
      "an index beyond the 2^(S+1)-entry table faults 0x21, also from the IOAPIC (no source ID) (VT-d §5.1.4.1; semantics.md §4.3 row 1)",
    topology: FOUR_CPUS,
    steps: steps(enableRemapping([], 1), program(6, { vector: 0x66, remap: 6 }), at(pulse(6), faulted(0x21, 6))),
  },
  {
    name: "ir-fault-reserved-bits",
    checks: "an IRTE with a reserved bit set (bit 12) faults 0x24 (VT-d §9.10; semantics.md §4.3 row 4)",
    topology: FOUR_CPUS,
    steps: steps(
      enableRemapping([[1, { vector: 0x61, dest: 1, reservedBit: 12 }]]),
      throughIrte(0, 1),
      at(fire(0, 0), faulted(0x24, 1, DEV0_SID)),
    ),
  },
  {
    name: "ir-fault-source-id",
    checks: "SVT = 01 admits only the requester named in IRTE.SID; another one faults 0x26 (VT-d §9.10 SVT/SQ/SID)",
    topology: FOUR_CPUS,
    steps: steps(
      enableRemapping([[2, { vector: 0x62, dest: 2, svt: 1, sid: DEV0_SID }]]),
      throughIrte(0, 2),
      throughIrte(1, 2),
      at(fire(0, 0), delivered(2, 0x62)),
      at(fire(1, 0), faulted(0x26, 2, DEV1_SID)),
    ),
  },
  {
    name: "ir-fault-fpd-suppresses",
    checks: "FPD = 1 blocks a not-present request without recording the fault (VT-d §9.10 FPD; semantics.md §4.3)",
    topology: FOUR_CPUS,
    steps: steps(
      enableRemapping([[4, { vector: 0x44, dest: 1, present: false, fpd: true }]]),
      throughIrte(1, 4),
      at(fire(1, 0)),
    ),
  },
  {
    name: "ir-fault-record-full",
    checks:
      "with the only fault recording register full a new fault is not recorded (PFO); after software clears it the next fault is (VT-d §7.3.1)",
    topology: FOUR_CPUS,
    steps: steps(
      enableRemapping([[4, { vector: 0x44, dest: 1, present: false }]]),
      throughIrte(1, 4),
      program(5, { vector: 0x45, remap: 5 }),
      at(fire(1, 0), faulted(0x22, 4, DEV1_SID)),
      at(pulse(5)),
      { op: "ir.fault-clear" },
      at(pulse(5), faulted(0x22, 5)),
    ),
  },
  {
    name: "ir-irte-change-needs-invalidation",
    checks:
      "an IRTE changed in memory may be used in its old or new form until an IEC invalidation covers it; after it only the new (VT-d §6.5.2.7; semantics.md D5)",
    topology: FOUR_CPUS,
    steps: steps(
      enableRemapping([[2, { vector: 0x60, dest: 0 }]]),
      throughIrte(0, 2),
      at(fire(0, 0), delivered(0, 0x60)),
      irteWrite(2, { vector: 0x61, dest: 3 }),
      anyOf(fire(0, 0), [delivered(0, 0x60)], [delivered(3, 0x61)]),
      invalidate(2),
      at(fire(0, 0), delivered(3, 0x61)),
    ),
  },
  {
    name: "ir-range-invalidation-covers-its-block",
    checks:
      "an IEC invalidation with index mask 1 at index 2 covers entries 2 and 3: once both are cleared and the block invalidated, a request through entry 3 faults 0x22 (VT-d §6.5.2.7 IM; semantics.md §4.5, Linux clear_entries)",
    topology: FOUR_CPUS,
    steps: steps(
      enableRemapping([
        [2, { vector: 0x62, dest: 1 }],
        [3, { vector: 0x63, dest: 2 }],
      ]),
      throughIrte(0, 3),
      at(fire(0, 0), delivered(2, 0x63)),
      irteWrite(2, { vector: 0, dest: 0, present: false }),
      irteWrite(3, { vector: 0, dest: 0, present: false }),
      invalidate(2, 1),
      at(fire(0, 0), faulted(0x22, 3, DEV0_SID)),
    ),
  },
  {
    name: "ir-level-eoi-by-rte-vector",
    checks:
      "a remapped level entry's remote IRR is cleared by an EOI matching the RTE vector, not the IRTE vector; Linux writes the pin number to the EOI register (semantics.md §1.4, §1.9, §6.3)",
    topology: FOUR_CPUS,
    steps: steps(
      enableRemapping([[0, { vector: 0x41, dest: 1, level: true }]]),
      program(10, { vector: 10, level: true, remap: 0 }),
      at(line(10, 1), delivered(1, 0x41, "level")),
      line(10, 0),
      accept(1),
      at(eoi(1)),
      at(read(lowReg(10)), readBack(lowReg(10), 0xc00a)),
      at(eoiRegister(10)),
      at(read(lowReg(10)), readBack(lowReg(10), 0x800a)),
    ),
  },
];
