/**
 * The Rust example under the checker: built with cargo, it speaks the protocol, passes
 * campaigns on every profile, and its --seed-bug build is caught with the seed bug's
 * signature, shrunk to at most the 4 commands qemu-7.2 shrinks to, and diverges on
 * qemu-7.2's own counterexample exactly as qemu-7.2 does.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../cli/main.ts";
import { huntVerdict } from "../../impl/hunt.ts";
import { VERDICTS } from "../../impl/manifest.ts";
import { findVariant } from "../../impl/variants/index.ts";
import { defaultTopology } from "../../model/topology.ts";
import { runCampaign } from "../../properties/campaign.ts";
import { check } from "../../properties/checker.ts";
import { findProfile } from "../../properties/profiles/index.ts";
import { ExecImplementation } from "../../protocol/exec-implementation.ts";

const crate = import.meta.dirname;
const binary = join(crate, "target", "release", "rust-vmm-irq");
const hasCargo = spawnSync("cargo", ["--version"]).status === 0;
const topology = defaultTopology();
const scratch = mkdtempSync(join(tmpdir(), "irqcheck-rust-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function run(...argv: string[]) {
  const out: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: () => {} });
  return { code, out: out.join("\n") };
}

describe.skipIf(!hasCargo)("examples/rust-vmm (skipped: cargo is not on PATH)", () => {
  beforeAll(() => {
    const build = spawnSync("cargo", ["build", "--release", "--quiet"], {
      cwd: crate,
      encoding: "utf8",
      timeout: 600_000,
    });
    expect(build.status, build.stderr).toBe(0);
  }, 600_000);

  it("speaks the protocol (protocol-check)", async () => {
    const r = await run("protocol-check", binary);
    expect(r.out).toContain("(7 checks passed)");
    expect(r.code).toBe(0);
  });

  it("passes fuzz --impl exec: on every profile (1000 runs, seed 5)", async () => {
    const r = await run(
      "fuzz",
      "--impl",
      `exec:${binary}`,
      "--runs",
      "1000",
      "--seed",
      "5",
      "--jobs",
      "1",
      "--out",
      scratch,
    );
    expect(r.out).toMatch(/^rust-vmm: 1000 runs, \d+ commands/m);
    expect(r.out).toContain("no divergence (profiles uniform,linux,ir,devices,intx)");
    expect(r.code).toBe(0);
  });

  it("passes every scenario (scenarios --impl exec:)", async () => {
    const r = await run("scenarios", "--impl", `exec:${binary}`);
    expect(r.out).toMatch(/^(\d+) scenarios; reference \1\/\1; rust-vmm \1\/\1$/m);
    expect(r.code).toBe(0);
  });

  it("--seed-bug is caught on the linux profile and saved (fuzz --impl exec:..., exit 1)", async () => {
    const out = join(scratch, "seed-bug");
    const r = await run(
      "fuzz",
      "--impl",
      `exec:${binary} --seed-bug`,
      ..."--profile linux --runs 300 --seed 1 --jobs 1 --baseline qemu-8.2 --out".split(" "),
      out,
    );
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/NEW +delivery-log\/ioapic\.write\/misrouted-delivery \(qemu-8\.2 does not diverge\)/);
    expect(readdirSync(join(out, "rust-vmm-seed-bug"))).toContain(
      "delivery-log--ioapic.write--misrouted-delivery--new.json",
    );
  });

  const d1 = VERDICTS.filter((v) => v.divergence === "D1");
  it.each(d1.map((v) => [v.property, v] as const))(
    "--seed-bug: D1 under %s at qemu-7.2's run, shrunk to at most its 4 commands; qemu-7.2's counterexample diverges identically",
    (_, verdict) => {
      const linux = findProfile("linux");
      const qemu = findVariant("qemu-7.2");
      if (linux === undefined || qemu === undefined) throw new Error("linux/qemu-7.2 missing");
      const reference = huntVerdict(verdict, verdict.seed, verdict.runs).finding;
      const rust = runCampaign({
        topology,
        variant: "rust-vmm-seed-bug",
        create: () => new ExecImplementation(`${binary} --seed-bug`),
        profiles: [linux],
        property: verdict.property,
        seed: verdict.seed,
        maxCommands: 40,
        runs: verdict.runs,
        stopWhen: (s) => `${s.op}/${s.difference}` === verdict.signature,
      }).findings.find((f) => `${f.signature.op}/${f.signature.difference}` === verdict.signature);
      expect(reference?.commands.length).toBe(4);
      expect(rust?.run).toBe(reference?.run);
      expect(rust?.commands.length).toBeLessThanOrEqual(4);
      // qemu-7.2's 4 commands: the same step diverges with the same delivery through the stale route.
      const commands = reference?.commands ?? [];
      const onRust = check(topology, new ExecImplementation(`${binary} --seed-bug`), commands, verdict.property);
      const onQemu = check(topology, qemu.create(), commands, verdict.property);
      expect(onRust.ok).toBe(false);
      expect(!onRust.ok && !onQemu.ok && onRust.divergence.step).toBe(!onQemu.ok && onQemu.divergence.step);
      expect(!onRust.ok && onRust.divergence.actual.observations).toEqual(
        !onQemu.ok && onQemu.divergence.actual.observations,
      );
      // The correct ordering passes them.
      expect(check(topology, new ExecImplementation(binary), commands, verdict.property).ok).toBe(true);
    },
  );

  it("the saved counterexample replays against the program (replay --impl exec:...)", async () => {
    const file = join(
      scratch,
      "seed-bug",
      "rust-vmm-seed-bug",
      "delivery-log--ioapic.write--misrouted-delivery--new.json",
    );
    const saved = JSON.parse(readFileSync(file, "utf8")) as { commands: unknown[] };
    expect(saved.commands.length).toBeLessThanOrEqual(4);
    expect((await run("replay", file, "--impl", `exec:${binary} --seed-bug`)).code).toBe(1);
    expect((await run("replay", file, "--impl", `exec:${binary}`)).code).toBe(0);
  });
});
