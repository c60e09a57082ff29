/**
 * The machine's coverage flags: internal states a guest cannot see yet, which feedback-
 * guided campaigns count as features. Each is set by the command that makes the cached
 * state stale and cleared by the one that mends it.
 */
import { describe, expect, it } from "vitest";
import type { Command } from "../model/commands.ts";
import { defaultTopology } from "../model/topology.ts";
import { COVERAGE } from "./machine.ts";
import { findVariant } from "./variants/index.ts";

const topology = defaultTopology();

/** The coverage flags after each command of `commands` on `variant`. */
function flagsAlong(variant: string, commands: readonly Command[]): number[] {
  const v = findVariant(variant);
  if (v === undefined) throw new Error(variant);
  const impl = v.create();
  impl.reset(topology);
  const out = [impl.coverage?.() ?? -1];
  for (const c of commands) {
    impl.apply(c);
    out.push(impl.coverage?.() ?? -1);
  }
  return out;
}

const lowReg = (pin: number) => 0x10 + 2 * pin;
const write = (reg: number, value: number): Command => ({ op: "ioapic.write", reg, value });
// Level, active high, fixed, physical, unmasked; vector v (82093AA §3.2.4).
const levelRte = (v: number) => (1 << 15) | v;

// Pin 5 asserted and delivered to vCPU 0 as 0x35, taken; then the guest rewrites the vector
// while 0x35 is in service (Remote IRR set), and EOIs.
const rewriteInService: Command[] = [
  write(lowReg(5) + 1, 0),
  write(lowReg(5), levelRte(0x35)),
  { op: "line.set", pin: 5, level: 1 },
  { op: "cpu.accept", cpu: 0 },
  write(lowReg(5), levelRte(0x36)),
  { op: "cpu.eoi", cpu: 0 },
];

describe("Machine.coverage", () => {
  it("is clear at reset and while routes and EOI-exit bitmaps agree with the RTEs", () => {
    const flags = flagsAlong("irqfd-cache", rewriteInService.slice(0, 4));
    expect(flags).toEqual([0, 0, 0, 0, 0]);
  });

  it("flags a route that still carries the old vector on a lazily rebuilt pin, with Remote IRR set", () => {
    const lazy = flagsAlong("irqfd-cache-lazy", rewriteInService);
    const afterRewrite = lazy[5] ?? 0;
    expect(afterRewrite & COVERAGE.staleRoute).toBe(COVERAGE.staleRoute);
    expect(afterRewrite & COVERAGE.staleRouteRemoteIrr).toBe(COVERAGE.staleRouteRemoteIrr);
    // The eager cache rebuilds the route on the RTE write: no stale route.
    const eager = flagsAlong("irqfd-cache", rewriteInService);
    expect((eager[5] ?? 0) & COVERAGE.staleRoute).toBe(0);
  });

  it("flags a level vector in service that no route carries any more, until its EOI (D8)", () => {
    // The rescan after the rewrite puts 0x36 in vCPU 0's EOI-exit bitmap; the pending-EOI
    // clause keeps a route's vector, not one no route carries, so 0x35 is dropped.
    for (const variant of ["qemu-8.0", "irqfd-cache"]) {
      const flags = flagsAlong(variant, rewriteInService);
      expect(flags.slice(4), variant).toEqual([0, COVERAGE.staleEoi, 0]);
    }
    // The lazy route still carries 0x35: its EOI exits, but the route is stale.
    const lazy = flagsAlong("irqfd-cache-lazy", rewriteInService);
    expect((lazy[5] ?? 0) & COVERAGE.staleEoi).toBe(0);
  });

  it("flags the vector of an RTE with Remote IRR set when its vCPU's bitmap lacks it (D8 on Linux 6.1)", () => {
    // 0x41 to APIC ID 1, taken there; the RTE retargeted to APIC ID 0, vector kept. Linux 6.1
    // has no pending-EOI clause: vCPU 1's rescan drops 0x41 while Remote IRR waits for it.
    const retarget: Command[] = [
      write(lowReg(5) + 1, 0x01000000),
      write(lowReg(5), levelRte(0x41)),
      { op: "line.set", pin: 5, level: 1 },
      { op: "cpu.accept", cpu: 1 },
      write(lowReg(5) + 1, 0),
    ];
    const both = COVERAGE.staleEoi | COVERAGE.staleEoiRemoteIrr;
    expect(flagsAlong("qemu-8.2@linux-6.1", retarget).slice(4)).toEqual([0, both]);
    // Linux 6.12 keeps 0x41 in vCPU 1's bitmap while it is in service there.
    expect(flagsAlong("qemu-8.2", retarget).slice(4)).toEqual([0, 0]);
  });
});
