/**
 * The seed divergences of semantics.md §8 as scenarios: the guest's actions of D1, D2, D3 and
 * D7 with the REF outcome of each ("translate at delivery"). Pre-fix QEMU fails D1 and D2,
 * every QEMU the IR ones.
 */
import {
  accept,
  at,
  delivered,
  enableRemapping,
  eoi,
  FOUR_CPUS,
  faulted,
  fire,
  invalidate,
  invalidateAll,
  irteWrite,
  line,
  msiMask,
  msiVector,
  program,
  pulse,
  remappableAddress,
  steps,
  writeHigh,
  writeLow,
} from "./build.ts";
import type { Scenario } from "./types.ts";

const pin5 = (vector: number, masked: boolean) => writeLow(5, { vector, level: true, masked });

export const SEED_SCENARIOS: readonly Scenario[] = [
  {
    name: "D1-unmask-after-retarget",
    checks:
      "Linux moves a pending level IRQ (mask, EOI, new destination, unmask): the unmask delivers to the new destination (semantics.md D1; the acceptance trace's sequence)",
    idea: "semantics.md D1",
    topology: FOUR_CPUS,
    steps: steps(
      program(5, { vector: 0x31, level: true, dest: 1 }),
      at(line(5, 1), delivered(1, 0x31, "level")),
      at(pin5(0x31, true)),
      accept(1),
      at(eoi(1)),
      at(writeHigh(5, { vector: 0x31, dest: 3 })),
      at(pin5(0x31, true)),
      at(pin5(0x31, false), delivered(3, 0x31, "level")),
    ),
  },
  {
    name: "D2-unmask-with-new-vector",
    checks:
      "one low-word write that changes the vector and unmasks a pending level entry delivers the new vector (semantics.md D2)",
    idea: "semantics.md D2",
    topology: FOUR_CPUS,
    steps: steps(
      program(5, { vector: 0x31, level: true, dest: 1 }),
      at(line(5, 1), delivered(1, 0x31, "level")),
      accept(1),
      at(pin5(0x31, true)),
      at(eoi(1)),
      at(pin5(0x32, false), delivered(1, 0x32, "level")),
    ),
  },
  {
    name: "D3-invalid-irte-ioapic",
    checks:
      "an IOAPIC pin whose IRTE was cleared and invalidated is blocked with fault 0x22, never delivered through the old translation (semantics.md D3; VT-d §5.1.4.1)",
    idea: "semantics.md D3",
    topology: FOUR_CPUS,
    steps: steps(
      enableRemapping([[4, { vector: 0x64, dest: 2 }]]),
      program(7, { vector: 0x64, remap: 4 }),
      at(pulse(7), delivered(2, 0x64)),
      irteWrite(4, { vector: 0x64, dest: 2, present: false }),
      invalidate(4),
      at(pulse(7), faulted(0x22, 4)),
    ),
  },
  {
    name: "D7-msix-masked-across-irte-change",
    checks:
      "an MSI-X vector masked while its IRTE is retargeted and invalidated delivers through the new translation when it next fires (semantics.md D7)",
    idea: "semantics.md D7",
    topology: FOUR_CPUS,
    steps: steps(
      enableRemapping([[3, { vector: 0x53, dest: 0 }]]),
      msiVector(0, 1, remappableAddress(3), 0),
      at(fire(0, 1), delivered(0, 0x53)),
      msiMask(0, 1, true),
      irteWrite(3, { vector: 0x54, dest: 2 }),
      invalidateAll,
      at(msiMask(0, 1, false)),
      at(fire(0, 1), delivered(2, 0x54)),
    ),
  },
];
