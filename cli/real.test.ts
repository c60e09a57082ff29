/**
 * `irqcheck real` as a user meets it: usage errors without QEMU; with /dev/kvm and
 * qemu-system-x86 the seed scenario's report, kernel-irqchip=off, and a small campaign.
 */
import { describe, expect, it } from "vitest";
import { resolveSystem } from "../impl/real/qemu.ts";
import { UsageError } from "./errors.ts";
import { REAL_HELP, real } from "./real.ts";

async function run(...argv: string[]) {
  const out: string[] = [];
  try {
    const code = await real(argv, { out: (l) => out.push(l), err: (l) => out.push(l) });
    return { code, out: out.join("\n") };
  } catch (e) {
    if (e instanceof UsageError) return { code: 2, out: e.message };
    throw e;
  }
}

const SEED_FILE = "counterexamples/qemu-7.2/seed--linux-level-irq-move-pin5.json";
const MSI_FILE = "counterexamples/qemu-7.2/delivery-log--msi.fire--wrong-vector.json";

describe("irqcheck real: usage", () => {
  it("--help", async () => {
    expect(await run("--help")).toEqual({ code: 0, out: REAL_HELP });
  });

  it("a 4-vCPU counterexample needs --cpus", async () => {
    const r = await run(SEED_FILE);
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/has 4 vCPUs .* add --cpus 2/);
  });

  it("MSI-X devices off bus 0 cannot be placed: says which device and why", async () => {
    const r = await run(MSI_FILE, "--cpus", "2");
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/the real guest cannot run this: topology default: MSI-X device 1 has requester ID 0x300/);
  });

  it("bad --kvm, --kernel without --kvm nested, unknown kernel", async () => {
    expect((await run("seed", "--kvm", "tcg")).out).toBe('--kvm: expected host or nested, got "tcg"');
    expect((await run("seed", "--kernel", "6.1")).out).toBe("--kernel needs --kvm nested");
    expect((await run("seed", "--kvm", "nested", "--kernel", "5.10")).out).toBe(
      '--kernel: expected 6.1 or 6.12, got "5.10"',
    );
  });

  it("--qemu that is not there: exit 2 naming it", async () => {
    const r = await run("seed", "--qemu", "/nonexistent/qemu-system-x86_64");
    expect(r.code).toBe(2);
    expect(r.out).toMatch(/\/nonexistent\/qemu-system-x86_64: no such QEMU binary/);
  });

  it("bad --irqchip, FILE with --campaign", async () => {
    expect((await run("seed", "--irqchip", "on")).out).toBe('--irqchip: expected split or off, got "on"');
    expect((await run("seed", "--campaign", "3")).code).toBe(2);
  });
});

const avail = resolveSystem({ kvm: "host" });
describe.skipIf(!avail.ok)(`irqcheck real on QEMU${avail.ok ? "" : ` (skipped: ${avail.why})`}`, () => {
  it("seed scenario, split: diverges from the reference at the unmask (exit 1), qemu-7.2 agrees", async () => {
    const r = await run("seed");
    expect(r.code).toBe(1);
    expect(r.out).toContain(">#5 ioapic.write reg=0x24 value=0x8041");
    expect(r.out).toContain("APIC ID 1 IRR: expected {}, actual {0x41}");
    expect(r.out).toContain("qemu-7.2 agrees with real QEMU on all 6 steps");
  });

  it("seed counterexample with --cpus 2 and kernel-irqchip=off: refines the reference", async () => {
    const r = await run(SEED_FILE, "--cpus", "2", "--irqchip", "off");
    expect(r.code).toBe(0);
    expect(r.out).toContain("real QEMU refines the reference on all 12 steps");
  });

  it("a small campaign: counts, JSON", async () => {
    const r = await run("--campaign", "4", "--seed", "3", "--max-commands", "12", "--json");
    const j = JSON.parse(r.out);
    expect(j.sequences).toBe(4);
    expect(j.unexplained).toBe(0);
    expect(j.agree + j.hostQuirk).toBe(4);
    expect(r.code).toBe(0);
  });
});

const nested = resolveSystem({ kvm: "nested", kernel: "6.1" });
describe.skipIf(!nested.ok)(
  `irqcheck real --kvm nested${nested.ok ? "" : ` (skipped: ${nested.ok ? "" : nested.why})`}`,
  () => {
    it("accept-eoi on KVM 6.1 nested in TCG: no Q1, accept sets ISR and the EOI clears Remote IRR", {
      timeout: 300_000,
    }, async () => {
      const r = await run("accept-eoi", "--kvm", "nested", "--kernel", "6.1", "--json");
      const j = JSON.parse(r.out);
      expect(j.kvm).toMatchObject({ mode: "nested", kernel: expect.stringMatching(/^6\.1\./) });
      expect(j.system).toMatch(/^QEMU \d+\.\d+\.\d+, KVM 6\.1\.\S+ \(nested in TCG\)$/);
      const serial = j.steps.map((s: { serial: string[] }) => s.serial.join(" "));
      expect(serial[3]).toMatch(/^A 0 41 L 0 0,0,0,0,0,0,0,0 0,0,2,0/); // ISR holds 0x41
      expect(serial[6]).toBe("R 24 8041"); // Remote IRR (bit 14) cleared
      expect(j.reference).toEqual({ diverged: false });
      expect(j.variant.agree).toBe(true);
      expect(r.code).toBe(0);
    });
  },
);

const qemu10 = resolveSystem({ kvm: "host", qemu: "10.0" });
describe.skipIf(!qemu10.ok)(
  `irqcheck real --qemu 10.0${qemu10.ok ? "" : ` (skipped: ${qemu10.ok ? "" : qemu10.why})`}`,
  () => {
    it("seed on QEMU 10.0.2 refines the reference, qemu-8.2 is the default variant, the report names the QEMU", async () => {
      const r = await run("seed", "--qemu", "10.0");
      expect(r.out).toMatch(/on real QEMU 10\.0\.2, host KVM \S+ \(QEMU emulator version 10\.0\.2/);
      expect(r.out).toContain("real QEMU refines the reference on all 6 steps");
      expect(r.out).toContain("qemu-8.2 agrees with real QEMU on all 6 steps");
      expect(r.code).toBe(0);
    });
  },
);
