/**
 * The in-kernel LAPICs are shared between steps while unchanged (a step costs what its
 * command touches): a kvm override changes one through `apicForWrite`, and one that
 * changes a LAPIC in place instead fails loudly, as the implementation's fault, rather
 * than silently rewriting a step the checker already compared.
 */
import { describe, expect, it } from "vitest";
import type { Command } from "../../model/commands.ts";
import { defaultTopology } from "../../model/topology.ts";
import { check } from "../../properties/checker.ts";
import { guard } from "../../properties/fault.ts";
import { variantFromDefinition } from "../variants/definition.ts";
import { findVariant } from "../variants/index.ts";

const base = findVariant("qemu-8.2");
if (base === undefined) throw new Error("qemu-8.2 missing");
const topology = defaultTopology();
const accept: Command = { op: "cpu.accept", cpu: 0 };
/** Vector 0x41 edge to APIC 0 on pin 1, pulsed: APIC 0's IRR gets 0x41. */
const deliver: Command[] = [
  { op: "ioapic.write", reg: 0x12, value: 0x41 },
  { op: "line.pulse", pin: 1 },
];

describe("LAPICs copied on write", () => {
  it("a step result keeps the LAPICs as they were after it, though later steps change them", () => {
    const impl = base.create();
    impl.reset(topology);
    const results = [...deliver, accept].map((c) => impl.apply(c));
    expect(results[1]?.visible.lapics[0]?.irr[2]).toBe(2);
    expect(results[1]?.visible.lapics[0]?.isr[2]).toBe(0);
    expect(results[2]?.visible.lapics[0]?.isr[2]).toBe(2);
    // Unchanged LAPICs are the same objects from step to step; a changed one is a new one.
    expect(results[2]?.visible.lapics[1]).toBe(results[0]?.visible.lapics[1]);
    expect(results[2]?.visible.lapics[0]).not.toBe(results[1]?.visible.lapics[0]);
  });

  it("an override that changes a LAPIC in place is reported as the implementation's crash", () => {
    const inPlace = variantFromDefinition(
      {
        name: "accept-in-place",
        extends: "qemu-8.2",
        kvm: (Base) =>
          class extends Base {
            override kvm_cpu_get_interrupt(cpu: number): void {
              const l = this.lapics[cpu];
              if (l !== undefined) (l.isr as number[])[2] = 2;
            }
          },
      },
      base,
      "test",
    );
    const r = check(topology, guard(inPlace.create()), [...deliver, accept], "delivery-log");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.divergence.fault?.kind).toBe("crashed");
    expect(r.divergence.fault?.message).toMatch(/read.only|frozen|Cannot assign/i);
  });
});
