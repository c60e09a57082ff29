/**
 * An assigned device's INTx in QEMU, on the D9 story (properties/scenarios/intx.ts): Linux
 * masks pin 16, the device asserts. QEMU as released injects from the irqfd through the
 * route of the unmasked entry (D9); unbinding the irqfd while masked removes that, but the
 * injection at the unmask still bypasses Remote IRR (D9r); QEMU's own INTx handling
 * (x-no-kvm-intx) refines the reference.
 */
import { describe, expect, it } from "vitest";
import { formatObservation } from "../../model/observations.ts";
import { replayRun } from "../../properties/replay.ts";
import { commandsOf, findScenario } from "../../properties/scenarios/index.ts";
import { intxFollowsRteMask } from "../patches/intx-follows-rte-mask.ts";
import { noKvmIntx } from "../patches/no-kvm-intx.ts";
import { findVariant } from "../variants/index.ts";
import { type Variant, withChange } from "../variants/variant.ts";

const story = findScenario("D9-masked-intx-irqfd");
if (story === undefined) throw new Error("no D9 scenario");
const commands = commandsOf(story);

function qemu82(fix?: typeof noKvmIntx): Variant {
  const v = findVariant("qemu-8.2");
  const fixed = v === undefined ? null : fix === undefined ? v : withChange(v, { add: fix });
  if (fixed === null || fixed === undefined) throw new Error("no qemu-8.2");
  return fixed;
}

const replay = (v: Variant) => replayRun(story.topology, v.create(), commands, "delivery-log");

describe("VFIO INTx on a masked pin (D9)", () => {
  it("qemu-8.2 injects from the irqfd through the unmasked entry's route after the masking write", () => {
    const r = replay(qemu82());
    expect(r.divergence?.step).toBe(4);
    const [, , mask, , assert] = r.steps;
    expect(mask?.result.trace).toContain(
      "ioapic_mem_write ioapic mem write addr 0x10 regsel: 0x30 size 0x4 val 0x18060",
    );
    // ioapic_update_kvm_routes skips the masked pin: its route keeps vector 0x60 to APIC ID 1.
    expect(mask?.result.trace.some((l) => l.startsWith("kvm_irqchip_update_msi_route gsi 16"))).toBe(false);
    expect(assert?.result.trace).toEqual([
      "vfio_intx_handler pin=16: host INTx masked, trigger eventfd signalled",
      "irqfd_wakeup fd=96 gsi=16 via cached route (dest 0x1 phys vector 0x60 level)",
    ]);
    expect(assert?.result.observations.map(formatObservation)).toEqual(["deliver apic_id=1 vector=0x60 level fixed"]);
  });

  it("with the irqfd unbound while masked, the assertion is latched by the IOAPIC; the unmask's irqfd injection leaves Remote IRR clear (D9r)", () => {
    const r = replay(qemu82(intxFollowsRteMask));
    const assert = r.steps[4];
    expect(assert?.result.trace).toContain("vfio_intx_interrupt pin=16");
    expect(assert?.result.observations).toEqual([]);
    expect(r.divergence?.step).toBe(5);
    expect(r.steps[5]?.result.trace).toContain(
      "irqfd_wakeup fd=96 gsi=16 via cached route (dest 0x1 phys vector 0x60 level)",
    );
    // The reference sets Remote IRR (bit 14) on the delivery; the injection never reaches the IOAPIC.
    expect(r.divergence?.actual.visible.rtes[32]).toBe(0x8060);
    expect(r.divergence?.allowed[0]?.visible.rtes[32]).toBe(0xc060);
  });

  it("with x-no-kvm-intx QEMU's handler asserts the IOAPIC input and the unmask delivers with Remote IRR set", () => {
    const r = replay(qemu82(noKvmIntx));
    expect(r.divergence).toBeNull();
    expect(r.steps[5]?.result.trace).toContain("ioapic_set_remote_irr set remote irr for pin 16");
  });
});

describe("the resamplefd (QEMU's emulation in split-irqchip mode)", () => {
  const s = findScenario("intx-eoi-while-asserted-redelivers");
  if (s === undefined) throw new Error("no scenario");

  it("an EOI with the device still asserting kicks the resamplefd, VFIO unmasks and the irqfd injects again", () => {
    // Applied to the end: the reference comparison would stop at the first injection (D9r).
    const impl = qemu82().create();
    impl.reset(s.topology);
    const results = commandsOf(s).map((c) => ({ command: c, result: impl.apply(c) }));
    const eoi = results.find((x) => x.command.op === "cpu.eoi");
    expect(eoi?.result.trace).toEqual([
      "kvm_exit KVM_EXIT_IOAPIC_EOI cpu=1 vector=96",
      "ioapic_eoi_broadcast EOI broadcast for vector 96",
      "kvm_resample_fd_notify gsi=16",
      "event_notifier_set resamplefd=97 (gsi 16)",
      "vfio_pci_intx_unmask pin=16 (line still asserted)",
      "vfio_intx_handler pin=16: host INTx masked, trigger eventfd signalled",
      "irqfd_wakeup fd=96 gsi=16 via cached route (dest 0x1 phys vector 0x60 level)",
    ]);
    expect(eoi?.result.observations.map(formatObservation)).toEqual(["deliver apic_id=1 vector=0x60 level fixed"]);
  });
});
