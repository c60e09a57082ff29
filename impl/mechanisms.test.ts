/**
 * A known divergence claims a finding only if the finding's reference run shows its
 * trigger: a bug planted on the path a known fix replaces stays unexplained, while the
 * known divergences themselves are still claimed.
 */
import { describe, expect, it } from "vitest";
import type { Command } from "../model/commands.ts";
import { defaultTopology } from "../model/topology.ts";
import { check } from "../properties/checker.ts";
import { signatureOf } from "../properties/signature.ts";
import { KNOWN_DIVERGENCES } from "./manifest.ts";
import type { Patch } from "./patch.ts";
import type { MsixVector } from "./qemu/msix-device.ts";
import { explainByFix, type FindingCase, triage } from "./triage.ts";
import { findVariant } from "./variants/index.ts";
import { extendVariant, type Variant } from "./variants/variant.ts";

const topology = defaultTopology();

function builtin(name: string): Variant {
  const v = findVariant(name);
  if (v === undefined) throw new Error(name);
  return v;
}

/** A built-in variant with a bug planted in its own code, as a developer's edit of impl/ would. */
function planted(name: string, bug: Patch): Variant {
  return extendVariant(builtin(name), { name, summary: "planted bug", mirrors: "test" }, [bug]);
}

function caseOf(v: Variant, commands: readonly Command[]): FindingCase {
  const r = check(topology, v.create(), commands, "delivery-log");
  if (r.ok) throw new Error("expected a divergence");
  return { topology, commands, property: "delivery-log", signature: signatureOf(v.name, r.divergence) };
}

function triaged(v: Variant, commands: readonly Command[]) {
  return triage(v, caseOf(v, commands), null);
}

const low = (pin: number, value: number): Command => ({ op: "ioapic.write", reg: 0x10 + 2 * pin, value });
const high = (pin: number, apicId: number): Command => ({
  op: "ioapic.write",
  reg: 0x11 + 2 * pin,
  value: apicId << 24,
});

describe("known divergences claim only findings that show their trigger", () => {
  it("virtio-pci comparing the cached message by address only is not D7 (no invalidation)", () => {
    const addressOnly: Patch = {
      name: "virtio unmask compares addresses",
      mirrors: "test",
      msix: (Base) =>
        class extends Base {
          protected override virtio_pci_one_vector_unmask(v: MsixVector): void {
            if (v.gsi === null) return;
            if (this.message(v).addressLo !== v.cachedMsg.addressLo) {
              this.accel.kvm_irqchip_update_msi_route(v.gsi, this.message(v), this.device.requesterId);
              this.accel.kvm_irqchip_commit_routes();
              v.cachedMsg = this.message(v);
            }
            this.assignIrqfd(v, v.gsi);
          }
        },
    };
    const commands: Command[] = [
      { op: "msi.program", dev: 0, vec: 1, address: 0xfee02000, data: 0x87 },
      { op: "msi.mask", dev: 0, vec: 1, masked: false },
      { op: "msi.program", dev: 0, vec: 1, address: 0xfee02000, data: 0x86 },
      { op: "msi.fire", dev: 0, vec: 1 },
    ];
    expect(check(topology, builtin("qemu-8.2").create(), commands, "delivery-log").ok).toBe(true);
    const t = triaged(planted("qemu-8.2", addressOnly), commands);
    expect(t, t.known.join()).toMatchObject({ status: "unexplained" });
    // An invalidation while every vector is masked at reset, remapping off, is no D7 trigger
    // either; nor, with remapping never on, is the unmask at reset one for D11 with D19.
    const afterInvalidation: Command[] = [
      { op: "iec.invalidate", global: false, index: 6, mask: 1 },
      { op: "msi.mask", dev: 0, vec: 0, masked: false },
      { op: "msi.program", dev: 0, vec: 0, address: 0xfee03000, data: 0x82 },
      { op: "msi.program", dev: 0, vec: 0, address: 0xfee03000, data: 0x83 },
      { op: "msi.fire", dev: 0, vec: 0 },
    ];
    const u = triaged(planted("qemu-8.2", addressOnly), afterInvalidation);
    expect(u, u.known.join()).toMatchObject({ status: "unexplained" });
  });

  it("an EOI-exit bitmap scanned on vCPU 0 only is not D8 or D17 (the route never changed)", () => {
    const scanFirstOnly: Patch = {
      name: "scan on vCPU 0 only",
      mirrors: "test",
      kvm: (Base) =>
        class extends Base {
          protected override vcpu_scan_ioapic(cpu: number): void {
            if (cpu === 0) super.vcpu_scan_ioapic(cpu);
          }
        },
    };
    // Level pin 17, vector 0x20, to APIC ID 2: delivered, taken, ended; the line is still up.
    const commands: Command[] = [
      high(17, 2),
      low(17, 0x8020),
      { op: "line.set", pin: 17, level: 1 },
      { op: "cpu.accept", cpu: 2 },
      { op: "cpu.eoi", cpu: 2 },
    ];
    expect(check(topology, builtin("irqfd-cache").create(), commands, "delivery-log").ok).toBe(true);
    const t = triaged(planted("irqfd-cache", scanFirstOnly), commands);
    expect(t.status).toBe("unexplained");
  });

  it("an edge latched on a masked pin is not D2e (the pin was never level)", () => {
    const latchMasked: Patch = {
      name: "edge latched while masked",
      mirrors: "test",
      ioapic: (Base) =>
        class extends Base {
          override ioapic_set_irq(pin: number, level: boolean): void {
            if (level && !this.level(pin)) {
              this.setIrrBit(pin, true);
              return;
            }
            super.ioapic_set_irq(pin, level);
          }
        },
    };
    const commands: Command[] = [{ op: "line.set", pin: 5, level: 1 }, low(5, 0x0)];
    const t = triaged(planted("qemu-8.2", latchMasked), commands);
    expect(t, t.known.join()).toMatchObject({ status: "unexplained" });
  });

  it("the known divergences are still claimed: D8 after a vector change in service, D2e after level to edge", () => {
    // Vector 0x10 in service; the RTE moves to 0x11 (the route follows), then back to 0x10
    // masked (the route of a masked pin is not refreshed): no route carries 0x10 at the EOI.
    const d8: Command[] = [
      low(5, 0x8010),
      { op: "line.pulse", pin: 5 },
      { op: "cpu.accept", cpu: 0 },
      low(5, 0x8011),
      low(5, 0x18010),
      { op: "cpu.eoi", cpu: 0 },
    ];
    expect(triaged(builtin("irqfd-cache"), d8)).toMatchObject({ status: "known", known: ["D8"] });
    const d2e: Command[] = [low(5, 0x18031), { op: "line.set", pin: 5, level: 1 }, low(5, 0x31)];
    expect(triaged(builtin("qemu-8.2"), d2e)).toMatchObject({ status: "known" });
    expect(triaged(builtin("qemu-8.2"), d2e).known.join()).toContain("D2e");
  });

  it("D10a: a translation kept after IRE is cleared may name no vCPU (missing-delivery)", () => {
    // IR on with EIME, then a vector programmed through IRTE 7, whose 32-bit destination
    // 0x100 names no vCPU of this xAPIC topology. IRE cleared without an IEC notify: the
    // route keeps that translation, where the message now reads as compatibility format to
    // APIC ID 0.
    const staleAfterIreCleared: Command[] = [
      { op: "ir.control", ire: true, cfi: true },
      { op: "ir.table", sizeLog2: 2, eime: true },
      { op: "msi.mask", dev: 0, vec: 0, masked: false },
      { op: "irte.write", index: 7, irte: "0x200000000010000dd0011" },
      { op: "msi.program", dev: 0, vec: 0, address: 0xfee000f0, data: 0xffff0083 },
      { op: "ir.control", ire: false, cfi: true },
      { op: "msi.fire", dev: 0, vec: 0 },
    ];
    expect(triaged(builtin("qemu-8.2"), staleAfterIreCleared)).toMatchObject({ status: "known", known: ["D10a"] });
    // A run that switches IRE on before any route exists is not D10a's (the D21 case below).
  });

  it("D10a: a compatibility route built while CFI allowed it is kept after CFI is cleared", () => {
    // Once QEMU blocks compatibility format without CFI (D10b's fix) and re-translates on the
    // CFI change (D10a's), the update fails and would keep the old route (D3, whose fix sends
    // the pin through userspace translation), where QEMU 7.2 records no fault (D21): the
    // four fixes together remove it.
    const cfiCleared: Command[] = [
      { op: "ir.control", ire: true, cfi: true },
      low(5, 0),
      { op: "ir.control", ire: true, cfi: false },
      { op: "line.set", pin: 5, level: 1 },
    ];
    const t = triaged(builtin("qemu-7.2"), cfiCleared);
    expect(t.status).toBe("known");
    expect(t.known[0]?.split("+")).toEqual(expect.arrayContaining(["D10a", "D10b"]));
  });

  it("D11 needs an IRTE that checks a bus range: a dropped fault without one is D21", () => {
    // IRTE 2 is valid for the device (SID 0x000d, SQ ignores function bits 2:0), then is
    // rewritten, with no invalidation, to verify SID 0x0300: the vector fired while masked is
    // sent at the unmask, through a now failing entry. QEMU 7.2 drops it without a fault record.
    const unmaskThroughFailingIrte: Command[] = [
      { op: "ir.table", sizeLog2: 2, eime: false },
      { op: "ir.control", ire: true, cfi: false },
      { op: "irte.write", index: 2, irte: "0x7000d0000030000cb0001" },
      { op: "msi.program", dev: 0, vec: 0, address: 0xfee00058, data: 0x0 },
      { op: "irte.write", index: 2, irte: "0x403000000020000c80011" },
      { op: "msi.fire", dev: 0, vec: 0 },
      { op: "msi.mask", dev: 0, vec: 0, masked: false },
    ];
    expect(triaged(builtin("qemu-7.2"), unmaskThroughFailingIrte)).toMatchObject({ status: "known", known: ["D21"] });
    // Nor is D11 the primary that another fix completes: here the route is rebuilt by SIRTP,
    // the entry then rewritten to verify SID 0x1234, and D3's userspace fallback would
    // record the fault. It was once labelled D3+D11.
    const fireThroughFailingIrte: Command[] = [
      { op: "ir.control", ire: true, cfi: false },
      { op: "irte.write", index: 2, irte: "0x7000d0000030000cb0001" },
      { op: "msi.program", dev: 0, vec: 0, address: 0xfee00058, data: 0x0 },
      { op: "msi.mask", dev: 0, vec: 0, masked: false },
      { op: "ir.table", sizeLog2: 2, eime: false },
      { op: "irte.write", index: 2, irte: "0x612340000ff0000cb0009" },
      { op: "msi.fire", dev: 0, vec: 0 },
    ];
    const c = caseOf(builtin("qemu-7.2"), fireThroughFailingIrte);
    expect(triage(builtin("qemu-7.2"), c, null)).toMatchObject({ status: "known", known: ["D21"] });
    const withoutD21 = KNOWN_DIVERGENCES.filter((d) => d.id !== "D21");
    expect(explainByFix(builtin("qemu-7.2"), c, withoutD21)).toEqual([]);
    // The same device inside an SVT = 10b range (buses 0x00-0xff) that QEMU reads inverted:
    // the route's fixup fails and it keeps the entry's previous vector.
    const busRange: Command[] = [
      { op: "ir.table", sizeLog2: 2, eime: false },
      { op: "ir.control", ire: true, cfi: false },
      { op: "irte.write", index: 2, irte: "0x400080000010000cb0001" },
      { op: "msi.program", dev: 0, vec: 0, address: 0xfee00058, data: 0x0 },
      { op: "msi.mask", dev: 0, vec: 0, masked: false },
      { op: "irte.write", index: 2, irte: "0xb00ff00000a0000ca0005" },
      { op: "iec.invalidate", global: true },
      { op: "msi.fire", dev: 0, vec: 0 },
    ];
    expect(triaged(builtin("qemu-7.2"), busRange)).toMatchObject({ status: "known", known: ["D11"] });
  });

  it("each divergence whose fix replaces a path names its trigger", () => {
    const withMechanism = KNOWN_DIVERGENCES.filter((d) => d.mechanism !== undefined).map((d) => d.id);
    expect(withMechanism).toEqual(expect.arrayContaining(["D2e", "D7", "D8", "D11", "D17", "D18"]));
  });
});
