/**
 * The kernel a variant runs over: Linux 6.1's KVM lacks the split-irqchip clause that
 * forwards the EOI of a level vector still in service on a vCPU the RTE no longer targets
 * (semantics.md D8a); real KVM 6.1 and 6.12 under QEMU 7.2 and 10.0.2 do exactly this
 * (impl/real/EVIDENCE.md, M2: `irqcheck real eoi-retarget --kvm nested --kernel 6.1|6.12`).
 */
import { describe, expect, it } from "vitest";
import type { Command } from "../model/commands.ts";
import { defaultTopology } from "../model/topology.ts";
import { check } from "../properties/checker.ts";
import { signatureOf } from "../properties/signature.ts";
import { triage } from "./triage.ts";
import { findVariant } from "./variants/index.ts";

const topology = defaultTopology();
// Level vector 0x41 to APIC ID 1, taken there; the RTE retargeted to APIC ID 0; APIC 1 EOIs.
const eoiRetarget: Command[] = [
  { op: "ioapic.write", reg: 0x1b, value: 0x01000000 },
  { op: "ioapic.write", reg: 0x1a, value: 0x8041 },
  { op: "line.set", pin: 5, level: 1 },
  { op: "cpu.accept", cpu: 1 },
  { op: "ioapic.write", reg: 0x1b, value: 0 },
  { op: "line.set", pin: 5, level: 0 },
  { op: "cpu.eoi", cpu: 1 },
];

describe("kernels", () => {
  it("qemu-8.2 over Linux 6.12 forwards the EOI; over Linux 6.1 Remote IRR stays set (D8)", () => {
    const v612 = findVariant("qemu-8.2@linux-6.12");
    const v61 = findVariant("qemu-8.2@linux-6.1");
    if (v612 === undefined || v61 === undefined) throw new Error("kernel variants");
    expect(check(topology, v612.create(), eoiRetarget, "delivery-log").ok).toBe(true);
    const r = check(topology, v61.create(), eoiRetarget, "delivery-log");
    expect(r.ok ? null : r.divergence.step).toBe(6);
    if (r.ok) return;
    const signature = signatureOf(v61.name, r.divergence);
    expect(signature.difference).toBe("rte-state");
    const t = triage(v61, { topology, commands: eoiRetarget, property: "delivery-log", signature }, null);
    expect(t.status).toBe("known");
    expect(t.known).toContain("D8");
  });

  it("an unknown kernel is no variant", () => {
    expect(findVariant("qemu-8.2@linux-5.4")).toBeUndefined();
    expect(findVariant("qemu-8.2@linux-6.1")?.name).toBe("qemu-8.2@linux-6.1");
  });
});
