/**
 * IOAPIC scenarios: registers, edge and level delivery, coalescing, masking, EOI, trigger
 * switches and destinations. Ideas from the test cases of kvm-unit-tests x86/ioapic.c (names
 * given in `idea`); sequences and expectations written here from the 82093AA datasheet, the
 * SDM APIC chapter and semantics.md §1 and §7.3. Pin 14 as there; vCPU 0 is APIC ID 0.
 */
import { IOREGSEL } from "../../model/commands.ts";
import {
  accept,
  anyOf,
  at,
  broadcast,
  delivered,
  eoi,
  eoiRegister,
  FOUR_CPUS,
  highReg,
  line,
  lowReg,
  OLD_IOAPIC,
  program,
  pulse,
  read,
  readBack,
  steps,
  withLapic,
  write,
  writeHigh,
  writeLow,
} from "./build.ts";
import type { Scenario } from "./types.ts";

const REMOTE_IRR = 0x4000;
const { VER, ID, ARB } = IOREGSEL;

/** Reads the low word of `pin`'s RTE and expects `value`. */
const lowIs = (pin: number, value: number) => at(read(lowReg(pin)), readBack(lowReg(pin), value));

const registers: Scenario[] = [
  {
    name: "ioapic-version-read-only",
    checks:
      "VER reads version 0x20 with maximum redirection entry 23 in bits 23:16; writes are ignored (82093AA §3.2.2, semantics.md §1.2)",
    idea: "ioapic.c ioapic_reg_version",
    topology: FOUR_CPUS,
    steps: [
      at(read(VER), readBack(VER, 0x00170020)),
      at(write(VER, 0xffe8ffdf)),
      at(read(VER), readBack(VER, 0x00170020)),
    ],
  },
  {
    name: "ioapic-version-0x11",
    checks: "an 82093AA-style IOAPIC reads version 0x11 (semantics.md §1.2)",
    idea: "ioapic.c ioapic_reg_version",
    topology: OLD_IOAPIC,
    steps: [at(read(VER), readBack(VER, 0x00170011))],
  },
  {
    name: "ioapic-id-writable-bits",
    checks: "only ID bits 27:24 are writable (82093AA §3.2.1, semantics.md §1.2)",
    idea: "ioapic.c ioapic_reg_id",
    topology: FOUR_CPUS,
    steps: [at(read(ID), readBack(ID, 0)), at(write(ID, 0xffffffff)), at(read(ID), readBack(ID, 0x0f000000))],
  },
  {
    name: "ioapic-arbitration-id",
    checks: "ARB reads the ID written to the ID register and ignores writes (82093AA §3.2.3, semantics.md §1.2)",
    idea: "ioapic.c ioapic_arbitration_id",
    topology: FOUR_CPUS,
    steps: [
      write(ID, 0x0f000000),
      at(read(ARB), readBack(ARB, 0x0f000000)),
      at(write(ARB, 0)),
      at(read(ARB), readBack(ARB, 0x0f000000)),
    ],
  },
  {
    name: "rte-reset-and-read-only-bits",
    checks:
      "an RTE resets masked (0x10000, high 0); delivery status (12) and remote IRR (14) are read-only (82093AA §3.2.4, semantics.md §1.3)",
    topology: FOUR_CPUS,
    steps: [
      lowIs(14, 0x10000),
      at(read(highReg(14)), readBack(highReg(14), 0)),
      at(write(lowReg(14), 0x10000 | REMOTE_IRR | 0x1000 | 0x20)),
      lowIs(14, 0x10020),
    ],
  },
];

const delivery: Scenario[] = [
  {
    name: "edge-delivery",
    checks:
      "an unmasked edge entry sends once per rising edge; the vCPU takes it from IRR to ISR (82093AA §3.2.4; SDM §10.8.3)",
    idea: "ioapic.c test_ioapic_edge_intr",
    topology: FOUR_CPUS,
    steps: steps(
      program(14, { vector: 0x76, dest: 0 }),
      at(pulse(14), delivered(0, 0x76)),
      withLapic(at(accept(0)), { cpu: 0, irr: [], isr: [0x76], tmr: [] }),
      at(eoi(0)),
    ),
  },
  {
    name: "level-delivery",
    checks:
      "a level entry sends when its input is asserted and sets remote IRR; the LAPIC EOI clears it (82093AA §3.2.4; semantics.md §1.7, §1.9)",
    idea: "ioapic.c test_ioapic_level_intr",
    topology: FOUR_CPUS,
    steps: steps(
      program(14, { vector: 0x77, level: true, dest: 0 }),
      at(line(14, 1), delivered(0, 0x77, "level")),
      lowIs(14, 0x8077 | REMOTE_IRR),
      accept(0),
      line(14, 0),
      at(eoi(0)),
      lowIs(14, 0x8077),
    ),
  },
  {
    name: "edge-simultaneous",
    checks:
      "two edge interrupts pending at once are both delivered and taken highest priority class first (SDM §10.8.3.1)",
    idea: "ioapic.c test_ioapic_simultaneous",
    topology: FOUR_CPUS,
    steps: steps(
      program(14, { vector: 0x78, dest: 0 }),
      program(15, { vector: 0x66, dest: 0 }),
      at(pulse(15), delivered(0, 0x66)),
      at(pulse(14), delivered(0, 0x78)),
      withLapic(at(accept(0)), { cpu: 0, irr: [0x66], isr: [0x78] }),
      eoi(0),
      withLapic(at(accept(0)), { cpu: 0, irr: [], isr: [0x66] }),
    ),
  },
  {
    name: "level-coalesce",
    checks:
      "a level input re-asserted while remote IRR is set does not send again; the EOI with the input low sends nothing (82093AA §3.2.4 remote IRR; semantics.md §1.6)",
    idea: "ioapic.c test_ioapic_level_coalesce",
    topology: FOUR_CPUS,
    steps: steps(
      program(14, { vector: 0x98, level: true, dest: 0 }),
      at(line(14, 1), delivered(0, 0x98, "level")),
      accept(0),
      at(line(14, 0)),
      at(line(14, 1)),
      at(line(14, 0)),
      withLapic(at(eoi(0)), { cpu: 0, irr: [], isr: [] }),
    ),
  },
  {
    name: "level-sequential",
    checks: "after an EOI with the input low, the next assertion sends again (82093AA §3.2.4)",
    idea: "ioapic.c test_ioapic_level_sequential",
    topology: FOUR_CPUS,
    steps: steps(
      program(14, { vector: 0x99, level: true, dest: 0 }),
      at(line(14, 1), delivered(0, 0x99, "level")),
      accept(0),
      line(14, 0),
      at(eoi(0)),
      at(line(14, 1), delivered(0, 0x99, "level")),
    ),
  },
  {
    name: "level-retrigger-on-eoi",
    checks:
      "an EOI that clears remote IRR while the level input is still asserted sends again (82093AA §3.2.4; semantics.md §1.9 step 4)",
    idea: "ioapic.c test_ioapic_level_retrigger",
    topology: FOUR_CPUS,
    steps: steps(
      program(14, { vector: 0x9a, level: true, dest: 0 }),
      at(line(14, 1), delivered(0, 0x9a, "level")),
      accept(0),
      at(eoi(0), delivered(0, 0x9a, "level")),
      accept(0),
      line(14, 0),
      at(eoi(0)),
      lowIs(14, 0x809a),
    ),
  },
  {
    name: "edge-masked-ignored",
    checks:
      "edge interrupts signalled on a masked pin are ignored, also after unmasking (82093AA §3.2.4 mask; semantics.md §1.6)",
    idea: "ioapic.c test_ioapic_edge_mask",
    topology: FOUR_CPUS,
    steps: steps(
      program(14, { vector: 0x81, dest: 0, masked: true }),
      at(line(14, 1)),
      at(line(14, 0)),
      at(writeLow(14, { vector: 0x81 })),
      at(line(14, 1), delivered(0, 0x81)),
    ),
  },
  {
    name: "level-masked-pending",
    checks:
      "a level input asserted while masked is sent when the entry is unmasked (IOxAPIC behaviour, semantics.md §1.6)",
    idea: "ioapic.c test_ioapic_level_mask",
    topology: FOUR_CPUS,
    steps: steps(
      program(14, { vector: 0x82, level: true, dest: 0, masked: true }),
      at(line(14, 1)),
      at(writeLow(14, { vector: 0x82, level: true }), delivered(0, 0x82, "level")),
    ),
  },
  {
    name: "level-retrigger-with-mask",
    checks:
      "masked in the handler, EOI'd while masked (no send), sent again on unmask while the input is asserted (82093AA §3.2.4; semantics.md §1.9 step 5)",
    idea: "ioapic.c test_ioapic_level_retrigger_mask",
    topology: FOUR_CPUS,
    steps: steps(
      program(14, { vector: 0x83, level: true, dest: 0 }),
      at(line(14, 1), delivered(0, 0x83, "level")),
      accept(0),
      at(writeLow(14, { vector: 0x83, level: true, masked: true })),
      at(eoi(0)),
      lowIs(14, 0x18083),
      at(writeLow(14, { vector: 0x83, level: true }), delivered(0, 0x83, "level")),
    ),
  },
  {
    name: "eoi-other-vector-keeps-remote-irr",
    checks: "an EOI clears remote IRR only of level entries whose vector matches (semantics.md §1.9)",
    topology: FOUR_CPUS,
    steps: steps(
      program(14, { vector: 0x41, level: true, dest: 0 }),
      at(line(14, 1), delivered(0, 0x41, "level")),
      line(14, 0),
      at(broadcast(0x42)),
      lowIs(14, 0x8041 | REMOTE_IRR),
      at(broadcast(0x41)),
      lowIs(14, 0x8041),
    ),
  },
  {
    name: "tmr-follows-trigger",
    checks:
      "the TMR bit is set on acceptance of a level interrupt and cleared on acceptance of an edge one with the same vector (SDM §10.8.4)",
    idea: "ioapic.c test_ioapic_level_tmr / test_ioapic_edge_tmr",
    topology: FOUR_CPUS,
    steps: steps(
      program(14, { vector: 0x79, level: true, dest: 0 }),
      withLapic(at(line(14, 1), delivered(0, 0x79, "level")), { cpu: 0, irr: [0x79], tmr: [0x79] }),
      accept(0),
      line(14, 0),
      eoi(0),
      program(14, { vector: 0x79, dest: 0 }),
      withLapic(at(pulse(14), delivered(0, 0x79)), { cpu: 0, irr: [0x79], tmr: [] }),
    ),
  },
  {
    name: "self-reconfigure",
    checks:
      "a handler that retargets its own level entry (high word) before the EOI still has its remote IRR cleared by that EOI (82093AA §3.2.4)",
    idea: "ioapic.c test_ioapic_self_reconfigure",
    topology: FOUR_CPUS,
    steps: steps(
      program(14, { vector: 0x84, level: true, dest: 0 }),
      at(line(14, 1), delivered(0, 0x84, "level")),
      accept(0),
      line(14, 0),
      at(writeHigh(14, { vector: 0x84, dest: 1 })),
      at(eoi(0)),
      lowIs(14, 0x8084),
    ),
  },
  {
    name: "nmi-delivery-mode",
    checks: "an NMI entry is delivered as NMI and does not enter IRR (82093AA §3.2.4 delivery mode 100; SDM §10.6.1)",
    topology: FOUR_CPUS,
    steps: steps(
      program(14, { vector: 0x02, mode: "nmi", dest: 1 }),
      withLapic(at(pulse(14), delivered(1, 0x02, "edge", "nmi")), { cpu: 1, irr: [] }),
    ),
  },
];

const destinations: Scenario[] = [
  {
    name: "physical-destination",
    checks: "physical mode delivers to the APIC ID in RTE bits 63:56 (82093AA §3.2.4; SDM §10.6.2.1)",
    idea: "ioapic.c test_ioapic_physical_destination_mode",
    topology: FOUR_CPUS,
    steps: steps(program(14, { vector: 0x85, level: true, dest: 1 }), at(line(14, 1), delivered(1, 0x85, "level"))),
  },
  {
    name: "logical-destination-flat",
    checks:
      "logical flat mode delivers to every CPU whose LDR bit is in the 8-bit MDA: 0x0d = CPUs 0, 2, 3 (SDM §10.6.2.2)",
    idea: "ioapic.c test_ioapic_logical_destination_mode",
    topology: FOUR_CPUS,
    steps: steps(
      program(14, { vector: 0x86, level: true, logical: true, dest: 0x0d }),
      at(line(14, 1), delivered(0, 0x86, "level"), delivered(2, 0x86, "level"), delivered(3, 0x86, "level")),
    ),
  },
  {
    name: "lowest-priority-one-of-set",
    checks:
      "lowest priority delivers to exactly one CPU of the destination set, any of them (SDM §10.6.2.4; semantics.md §7.3)",
    topology: FOUR_CPUS,
    steps: steps(
      program(14, { vector: 0x87, mode: "lowest", logical: true, dest: 0x03 }),
      anyOf(pulse(14), [delivered(0, 0x87, "edge", "lowest")], [delivered(1, 0x87, "edge", "lowest")]),
    ),
  },
  {
    name: "physical-broadcast",
    checks: "physical destination 0xFF is a broadcast to every xAPIC (SDM §10.6.2.1)",
    topology: FOUR_CPUS,
    steps: steps(
      program(14, { vector: 0x88, dest: 0xff }),
      at(pulse(14), delivered(0, 0x88), delivered(1, 0x88), delivered(2, 0x88), delivered(3, 0x88)),
    ),
  },
];

const eoiAndTrigger: Scenario[] = [
  {
    name: "eoi-register-clears-remote-irr",
    checks:
      "a version 0x20 IOAPIC's EOI register clears remote IRR of the level entries with that vector (semantics.md §1.1, §1.9)",
    topology: FOUR_CPUS,
    steps: steps(
      program(3, { vector: 0x41, level: true, dest: 2 }),
      at(line(3, 1), delivered(2, 0x41, "level")),
      line(3, 0),
      at(eoiRegister(0x41)),
      lowIs(3, 0x8041),
    ),
  },
  {
    name: "eoi-register-retrigger",
    checks: "an EOI-register write with the level input still asserted sends again (semantics.md §1.9 step 4)",
    topology: FOUR_CPUS,
    steps: steps(
      program(3, { vector: 0x42, level: true, dest: 2 }),
      at(line(3, 1), delivered(2, 0x42, "level")),
      at(eoiRegister(0x42), delivered(2, 0x42, "level")),
    ),
  },
  {
    name: "eoi-register-absent-on-0x11",
    checks:
      "the 82093AA (version 0x11) has no EOI register: a write there does nothing; the LAPIC EOI broadcast still works (semantics.md §1.1; SDM §10.8.5)",
    topology: OLD_IOAPIC,
    steps: steps(
      program(3, { vector: 0x43, level: true, dest: 1 }),
      at(line(3, 1), delivered(1, 0x43, "level")),
      line(3, 0),
      at(eoiRegister(0x43)),
      lowIs(3, 0x8043 | REMOTE_IRR),
      accept(1),
      at(eoi(1)),
      lowIs(3, 0x8043),
    ),
  },
  {
    name: "edge-switch-clears-remote-irr",
    checks:
      "Linux's EOI on an IOAPIC without EOI register: switching the entry to edge (masked) clears remote IRR, switching back sends nothing with the input low (semantics.md §1.8 step 5, §6.3)",
    topology: OLD_IOAPIC,
    steps: steps(
      program(9, { vector: 0x22, level: true, dest: 1 }),
      at(line(9, 1), delivered(1, 0x22, "level")),
      line(9, 0),
      at(writeLow(9, { vector: 0x22, masked: true })),
      lowIs(9, 0x10022),
      at(writeLow(9, { vector: 0x22, level: true })),
      lowIs(9, 0x8022),
    ),
  },
  {
    name: "level-to-edge-while-asserted",
    checks:
      "switching an asserted, masked level entry to unmasked edge sends nothing: edge detection needs a transition (82093AA §3.2.4; semantics.md D2 variant)",
    topology: FOUR_CPUS,
    steps: steps(
      program(14, { vector: 0x44, level: true, dest: 0, masked: true }),
      at(line(14, 1)),
      at(writeLow(14, { vector: 0x44 })),
    ),
  },
  {
    name: "edge-to-level-while-asserted",
    checks:
      "an input asserted while its entry is a masked edge entry is sent once the entry becomes unmasked level: the input is still asserted (82093AA §3.2.4; semantics.md D18)",
    topology: FOUR_CPUS,
    steps: steps(
      program(14, { vector: 0x45, dest: 0, masked: true }),
      at(line(14, 1)),
      at(writeLow(14, { vector: 0x45, level: true }), delivered(0, 0x45, "level")),
    ),
  },
];

export const IOAPIC_SCENARIOS: readonly Scenario[] = [...registers, ...delivery, ...destinations, ...eoiAndTrigger];
