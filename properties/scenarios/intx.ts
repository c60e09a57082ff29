/**
 * The reverse path of a level INTx (semantics.md §3.6, D9), on the `intx` topology (an
 * assigned device's INTx on pin 16): the device asserts, the driver's handler services it or
 * not, the EOI reaches the pin (in QEMU: the resamplefd), the device asserts again. Written
 * from the 82093AA's level semantics (semantics.md §1.6-1.9): delivered while asserted,
 * unmasked and Remote IRR clear; Remote IRR set until the EOI of the entry's vector;
 * re-delivered on that EOI to the entry's current destination if still asserted; a masked
 * entry delivers on unmask. vCPU n is APIC ID n.
 */
import { TOPOLOGIES, type Topology } from "../../model/topology.ts";
import { accept, at, delivered, eoi, line, lowReg, program, read, readBack, steps, writeLow } from "./build.ts";
import type { Scenario } from "./types.ts";

const INTX = TOPOLOGIES.intx as Topology;
const REMOTE_IRR = 0x4000;
/** The INTx pin and its vector (a level vector of the pin's pool, properties/profiles/vectors.ts). */
const PIN = 16;
const VECTOR = 0x60;
const entry = (dest: number, masked = false) => ({ vector: VECTOR, level: true, dest, masked });
const setUp = (dest: number) => program(PIN, entry(dest));

export const INTX_SCENARIOS: readonly Scenario[] = [
  {
    name: "D9-masked-intx-irqfd",
    checks:
      "Linux masks an INTx pin (disable_irq: low word with M, sync read); the device asserts: nothing is delivered until the unmask (semantics.md D9, §1.6)",
    idea: "semantics.md D9",
    topology: INTX,
    steps: steps(
      setUp(1),
      at(writeLow(PIN, entry(1, true))),
      at(read(lowReg(PIN)), readBack(lowReg(PIN), 0x18000 + VECTOR)),
      at(line(PIN, 1)),
      at(writeLow(PIN, entry(1)), delivered(1, VECTOR, "level")),
    ),
  },
  {
    name: "intx-eoi-while-asserted-redelivers",
    checks:
      "an EOI with the device still asserting re-delivers (the resample with the line high); once serviced, the EOI ends it (semantics.md §1.9, §3.6)",
    topology: INTX,
    steps: steps(
      setUp(1),
      at(line(PIN, 1), delivered(1, VECTOR, "level")),
      accept(1),
      at(eoi(1), delivered(1, VECTOR, "level")),
      accept(1),
      at(line(PIN, 0)),
      at(eoi(1)),
      at(line(PIN, 1), delivered(1, VECTOR, "level")),
    ),
  },
  {
    name: "intx-reassert-before-eoi-waits",
    checks:
      "the device is serviced and asserts again before the EOI: Remote IRR holds the new assertion until the EOI, which delivers it (semantics.md §1.6, §1.9)",
    topology: INTX,
    steps: steps(
      setUp(2),
      at(line(PIN, 1), delivered(2, VECTOR, "level")),
      accept(2),
      at(line(PIN, 0)),
      at(line(PIN, 1)),
      at(read(lowReg(PIN)), readBack(lowReg(PIN), 0x8000 + REMOTE_IRR + VECTOR)),
      at(eoi(2), delivered(2, VECTOR, "level")),
    ),
  },
  {
    name: "intx-eoi-after-retarget",
    checks:
      "the entry is moved to another CPU (masked rewrite, same vector) while its interrupt is in service; the EOI with the device still asserting re-delivers to the new destination (semantics.md §1.9, §6.3)",
    topology: INTX,
    steps: steps(
      setUp(1),
      at(line(PIN, 1), delivered(1, VECTOR, "level")),
      accept(1),
      at(writeLow(PIN, entry(1, true))),
      program(PIN, entry(3, true)),
      at(writeLow(PIN, entry(3))),
      at(eoi(1), delivered(3, VECTOR, "level")),
    ),
  },
];
