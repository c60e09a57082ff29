/**
 * --kvm nested: the pieces (cpio archive as busybox reads it, the report format, the KVM
 * module order) and, where QEMU 7.2 / 10.0 and Debian's kernels 6.1 / 6.12 are unpacked,
 * one outer boot per (QEMU, kernel) running every built-in scenario and a short agreement
 * campaign per profile, with what each real system is known to do (impl/real/EVIDENCE.md).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { TOPOLOGIES } from "../../model/topology.ts";
import { findProfile } from "../../properties/profiles/index.ts";
import { findVariant } from "../variants/index.ts";
import { type CampaignPlan, type Draw, drawRuns, needsIommu, needsMsix, runRealCampaigns } from "./campaign.ts";
import { CpioWriter } from "./cpio.ts";
import { resolveKernel, shortVersion } from "./install.ts";
import { BUSYBOX, kvmModules, parseNestedReport, runProcess } from "./nested.ts";
import { resolveSystem } from "./qemu.ts";
import { SCENARIOS } from "./scenarios.ts";

const small = TOPOLOGIES.small;
if (small === undefined) throw new Error("topology small missing");
const topology = small;

describe("cpio (newc) archive", () => {
  it.skipIf(!existsSync(BUSYBOX))(`busybox cpio unpacks what CpioWriter wrote (skipped without ${BUSYBOX})`, () => {
    const dir = mkdtempSync(join(tmpdir(), "irqcheck-cpio-"));
    try {
      const w = new CpioWriter();
      w.file("init", new TextEncoder().encode("#!/bin/sh\n"), 0o755);
      w.file("/lib/x86_64-linux-gnu/libz.so.1", new Uint8Array([1, 2, 3, 4, 5]));
      w.file("jobs/000/scenario.bin", new Uint8Array(0));
      writeFileSync(join(dir, "a.cpio"), w.finish());
      execFileSync(BUSYBOX, ["cpio", "-i", "-d", "-F", join(dir, "a.cpio")], { cwd: dir, stdio: "ignore" });
      expect(readFileSync(join(dir, "init"), "utf8")).toBe("#!/bin/sh\n");
      expect([...readFileSync(join(dir, "lib/x86_64-linux-gnu/libz.so.1"))]).toEqual([1, 2, 3, 4, 5]);
      expect(readFileSync(join(dir, "jobs/000/scenario.bin")).length).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the nested machine's report", () => {
  it("splits inner boots per job, with stderr, restarts and the kernel", () => {
    const text = [
      "N kernel 6.1.0-50-amd64",
      "B 000 0 9 5.10 6.60",
      "H 1 2 0 170020",
      "W 3",
      "! qemu: a warning",
      "E",
      "B 000 3 1 6.70 7.20",
      "Z",
      "E",
      "B 001 0 1 7.30 8.00",
      "Z",
      "E",
      "Q",
    ].join("\r\n");
    const r = parseNestedReport(text, 2);
    expect(r.kernelRelease).toBe("6.1.0-50-amd64");
    expect(r.complete).toBe(true);
    expect(r.boots[0]?.map((b) => [b.first, b.code, b.serial, b.stderr])).toEqual([
      [0, 9, "H 1 2 0 170020\nW 3", "qemu: a warning"],
      [3, 1, "Z", ""],
    ]);
    expect(r.boots[0]?.[0]?.seconds).toBeCloseTo(1.5);
    expect(r.boots[1]?.length).toBe(1);
  });

  it("an X line (no /dev/kvm) is fatal, a missing Q means incomplete", () => {
    const r = parseNestedReport("N kernel 6.12\nX no /dev/kvm after loading the KVM modules\n", 1);
    expect(r.fatal).toMatch(/no \/dev\/kvm/);
    expect(r.complete).toBe(false);
    expect(r.aborted).toBeNull();
  });

  it("an A line names the job whose inner QEMU died; the report stops there", () => {
    const text = ["B 002 4 134 1.00 2.00", "S 4", "! qemu: assertion failed", "E", "A 002"].join("\n");
    const r = parseNestedReport(text, 3);
    expect(r.aborted).toBe(2);
    expect(r.complete).toBe(false);
    expect(r.boots[2]?.map((b) => [b.first, b.code, b.serial, b.stderr])).toEqual([
      [4, 134, "S 4", "qemu: assertion failed"],
    ]);
  });
});

describe("a process whose report goes quiet (the outer machine's hang watchdog)", () => {
  const withFile = async (script: string, quiet: { firstSeconds: number; seconds: number }) => {
    const dir = mkdtempSync(join(tmpdir(), "irqcheck-quiet-"));
    const file = join(dir, "report");
    try {
      const started = performance.now();
      const end = await runProcess("timeout", ["-k", "5", "60", "sh", "-c", script, "sh", file], { file, ...quiet });
      return {
        ...end,
        seconds: (performance.now() - started) / 1000,
        text: existsSync(file) ? readFileSync(file, "utf8") : "",
      };
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  };

  it("is ended once its file stops growing, long before its own timeout", async () => {
    const r = await withFile('echo N >"$1"; sleep 1; echo B >>"$1"; sleep 50', { firstSeconds: 20, seconds: 3 });
    expect(r.stalled).toBe(true);
    expect(r.text).toBe("N\nB\n");
    expect(r.seconds).toBeLessThan(15);
  });

  it("is given firstSeconds before its first line, and is not ended while the file grows", async () => {
    const r = await withFile('sleep 3; for i in 1 2 3 4; do echo $i >>"$1"; sleep 1; done', {
      firstSeconds: 6,
      seconds: 3,
    });
    expect(r.stalled).toBe(false);
    expect(r.code).toBe(0);
    expect(r.text.trim().split("\n")).toEqual(["1", "2", "3", "4"]);
  });

  it("a file that stays empty is ended after firstSeconds", async () => {
    const r = await withFile("sleep 50", { firstSeconds: 3, seconds: 100 });
    expect(r.stalled).toBe(true);
    expect(r.seconds).toBeLessThan(15);
  });
});

const kernel61 = (() => {
  try {
    return resolveKernel("6.1");
  } catch {
    return null;
  }
})();
describe.skipIf(kernel61 === null)("KVM modules of Debian's 6.1 (skipped: kernel 6.1 not unpacked)", () => {
  it("kvm_amd comes last, after kvm, ccp and irqbypass (from the modules' depends=)", () => {
    if (kernel61 === null) return;
    const names = kvmModules(kernel61).map(([n]) => n);
    expect(names.at(-1)).toBe("kvm_amd");
    expect(new Set(names)).toEqual(new Set(["irqbypass", "kvm", "ccp", "kvm_amd"]));
    expect(names.indexOf("irqbypass")).toBeLessThan(names.indexOf("kvm"));
  });
});

/** What each built-in scenario does on a real system: agreement with its variant, and whether it refines the reference. */
function expectation(
  name: string,
  qemu: "7.2" | "10.0",
  kernel: "6.1" | "6.12",
): { variant: string; refines: boolean } {
  switch (name) {
    case "seed":
    case "vector-change":
    case "ir-handle-change":
      return { variant: "agree", refines: qemu === "10.0" }; // D1, D2: fixed in 8.0
    case "accept-eoi":
      return { variant: "agree", refines: true }; // no Q1 on a real KVM
    case "ir-invalid-irte":
    case "d8":
    case "d17":
      return { variant: "agree", refines: false }; // D3, D8, D17: real QEMU/KVM bugs, as the variants say
    case "eoi-retarget": // M2 of old: the @linux-6.1 variant keeps Remote IRR set as KVM 6.1 does (D8)
      return { variant: "agree", refines: kernel === "6.12" };
    case "line-reassert":
      return { variant: "agree", refines: false }; // D22: the variants re-service as QEMU does (was M1)
    case "level-to-edge":
    case "edge-to-level":
    case "compat-blocked":
    case "ire-without-notify":
      return { variant: "agree", refines: false }; // D2e, D18, D10b, D10a: QEMU bugs, as the variants say
    case "vector-0":
      return { variant: "agree", refines: false }; // D23: KVM latches vector 0 in IRR (was M3)
    case "msix-fire":
      return { variant: "agree", refines: true };
    case "msix-unmask-abort":
      return { variant: "A1", refines: true }; // QEMU aborts; the steps before agree and refine
    default:
      throw new Error(`no expectation for scenario ${name}`);
  }
}

/** Every built-in scenario; msix-unmask-abort (A1) makes the runner boot a second outer machine. */
const names = Object.keys(SCENARIOS);
const scenarioDraw: Draw = {
  runs: names.map((name, run) => {
    const s = SCENARIOS[name];
    if (s === undefined) throw new Error(`scenario ${name} missing`);
    return { run, commands: s.commands, iommu: needsIommu(s.commands), msix: needsMsix(s.commands) };
  }),
  skipped: [],
};
const PROFILE_RUNS = 4;

for (const qemu of ["7.2", "10.0"] as const) {
  for (const kernel of ["6.1", "6.12"] as const) {
    const r = resolveSystem({ kvm: "nested", kernel, ...(qemu === "10.0" ? { qemu: "10.0" } : {}) });
    const why = !r.ok
      ? r.why
      : !shortVersion(r.system.qemu.version).startsWith(`${qemu}.`)
        ? `the QEMU found is ${shortVersion(r.system.qemu.version)}, not ${qemu}`
        : null;
    describe.skipIf(why !== null)(
      `QEMU ${qemu} on KVM ${kernel} nested in TCG${why === null ? "" : ` (skipped: ${why})`}`,
      () => {
        it("built-in scenarios and a short agreement campaign per profile, one outer boot and one more after A1", {
          timeout: 600_000,
        }, async () => {
          if (!r.ok) return;
          // The variant of this QEMU over this kernel's KVM (Linux 6.1 lacks the pending-EOI clause).
          const variant = findVariant(
            `${qemu === "7.2" ? "qemu-7.2" : "qemu-8.2"}${kernel === "6.1" ? "@linux-6.1" : ""}`,
          );
          if (variant === undefined) throw new Error("variant missing");
          const profiles = ["linux", "uniform", "ir", "devices"].map((p) => {
            const profile = findProfile(p);
            if (profile === undefined) throw new Error(`profile ${p} missing`);
            return profile;
          });
          const plans: CampaignPlan[] = [
            { draw: scenarioDraw, create: variant.create, variant },
            ...profiles.map((p) => ({
              draw: drawRuns(p, topology, 1, PROFILE_RUNS, 16, "split"),
              create: variant.create,
              variant,
            })),
          ];
          const [scenarios, ...campaigns] = await runRealCampaigns(r.system, topology, plans, "split");
          const seen = (scenarios?.outcomes ?? []).map((o) => ({
            name: names[o.run],
            variant: o.agreement.agree ? "agree" : (o.explanation?.id ?? "UNEXPLAINED"),
            refines: o.reference.ok,
          }));
          expect(seen).toEqual(names.map((name) => ({ name, ...expectation(name, qemu, kernel) })));
          // QEMU's A1 abort stopped the outer machine, a fresh one ran the sequences after it.
          const resumed = scenarios?.machines.flatMap((m) => m.notes).filter((n) => /QEMU ended inside/.test(n));
          expect(resumed?.length).toBeGreaterThan(0);
          campaigns.forEach((c, i) => {
            const unexplained = c.outcomes.filter((o) => !o.agreement.agree && o.explanation === null);
            expect({ profile: profiles[i]?.name, unexplained: unexplained.map((o) => o.run) }).toEqual({
              profile: profiles[i]?.name,
              unexplained: [],
            });
          });
          // Every profile has runs the guest can run (MSI-X through ivshmem-doorbell included).
          for (const c of campaigns) expect(c.outcomes.length).toBe(PROFILE_RUNS);
        });
      },
    );
  }
}
