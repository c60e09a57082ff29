/**
 * The irqcheck command as a user meets it: exit codes, saving, every bad-input case, the
 * JSON and JUnit shapes. Runs `main` in-process with captured output.
 */
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "./main.ts";

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

const scratch = mkdtempSync(join(tmpdir(), "irqcheck-cli-"));

/** `irqcheck fuzz --jobs 1` with the given flags (later ones win) and switches such as --json. */
function fuzz(out: string, flags: Readonly<Record<string, string>>, ...switches: string[]) {
  const argv = Object.entries({ jobs: "1", ...flags }).flatMap(([k, v]) => [`--${k}`, v]);
  return run("fuzz", ...argv, "--out", out, ...switches);
}
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const SEED_FILE = "counterexamples/qemu-7.2/seed--linux-level-irq-move-pin5.json";

describe("irqcheck fuzz", () => {
  it("finds, shrinks and saves the seed bug on qemu-7.2 as known (D1), prints the replay command, exits 0", async () => {
    const out = join(scratch, "fuzz1");
    const r = await fuzz(out, { variant: "qemu-7.2", profile: "linux", runs: "300", seed: "1" });
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/known +delivery-log\/ioapic\.write\/misrouted-delivery \[D1,D2\]/);
    expect(r.out).toMatch(/irqcheck replay .*delivery-log--ioapic\.write--misrouted-delivery--known-D1_D2\.json/);
    expect(readdirSync(join(out, "qemu-7.2"))).toContain(
      "delivery-log--ioapic.write--misrouted-delivery--known-D1_D2.json",
    );
  });

  it("--fail-on any: known divergences fail the run too (exit 1)", async () => {
    const r = await fuzz(
      join(scratch, "failon"),
      { variant: "qemu-7.2", profile: "linux", runs: "300", seed: "1" },
      "--fail-on",
      "any",
    );
    expect(r.code).toBe(1);
  });

  it("finds nothing on irqfd-cache and exits 0", async () => {
    const r = await fuzz(join(scratch, "none"), { variant: "irqfd-cache", runs: "400", seed: "3" });
    expect(r.code).toBe(0);
    expect(r.out).toContain("no divergence");
  });

  it("gives the same divergences for the same --seed and --jobs", async () => {
    const once = async (dir: string) => {
      const r = await fuzz(join(scratch, dir), { variant: "qemu-8.2", runs: "1500", seed: "9", jobs: "2" }, "--json");
      const json = JSON.parse(r.out) as { divergences: { signature: string; run: number; length: number }[] };
      return json.divergences.map((d) => `${d.signature}@${d.run}:${d.length}`);
    };
    const a = await once("det-a");
    expect(a.length).toBeGreaterThan(0);
    expect(await once("det-b")).toEqual(a);
  });

  it("never overwrites a saved counterexample: a second campaign reports it as already saved", async () => {
    const out = join(scratch, "nooverwrite");
    await fuzz(out, { variant: "qemu-7.2", profile: "linux", runs: "100", seed: "1" });
    const file = join(out, "qemu-7.2", readdirSync(join(out, "qemu-7.2"))[0] ?? "");
    writeFileSync(file, `${readFileSync(file, "utf8")}\n`);
    const before = readFileSync(file, "utf8");
    const r = await fuzz(out, { variant: "qemu-7.2", profile: "linux", runs: "100", seed: "1" });
    expect(r.out).toContain("already saved");
    expect(readFileSync(file, "utf8")).toBe(before);
    expect(readdirSync(join(out, "qemu-7.2")).some((f) => f.endsWith(".tmp"))).toBe(false);
  });

  it("--json has the documented shape", async () => {
    const r = await fuzz(join(scratch, "json"), { variant: "qemu-8.0", runs: "200", seed: "1" }, "--json");
    const j = JSON.parse(r.out);
    expect(Object.keys(j)).toEqual(
      expect.arrayContaining(["variant", "seed", "runs", "commands", "seconds", "commandsPerSecond", "divergences"]),
    );
    expect(j.variant).toBe("qemu-8.0");
    expect(j.runs).toBe(200);
    expect(Object.keys(j.divergences[0])).toEqual(
      expect.arrayContaining(["file", "signature", "property", "length", "step"]),
    );
  });

  it("--junit writes JUnit XML with one failure per signature", async () => {
    const xml = join(scratch, "junit.xml");
    const r = await fuzz(join(scratch, "junit"), { variant: "qemu-8.0", runs: "200", seed: "1", junit: xml });
    const text = readFileSync(xml, "utf8");
    expect(text).toMatch(/^<\?xml/);
    const failures = text.match(/<failure /g)?.length ?? 0;
    expect(failures).toBeGreaterThan(0);
    expect(text).toContain(`failures="${failures}"`);
    // qemu-8.0's findings in 200 runs are all known divergences: listed, but not a failure of the run.
    expect(r.code).toBe(0);
  });

  it("--shard K/N splits the run space: the shards' runs add up", async () => {
    const shard = async (k: number) => {
      const r = await fuzz(
        join(scratch, "shard"),
        { variant: "irqfd-cache", runs: "301", seed: "1", shard: `${k}/2` },
        "--json",
      );
      return JSON.parse(r.out).runs as number;
    };
    expect((await shard(0)) + (await shard(1))).toBe(301);
  });

  it("loads a variant module with --impl (the worked example)", async () => {
    const r = await fuzz(
      join(scratch, "impl"),
      { impl: "examples/refresh-written-pin.ts", runs: "300", seed: "1" },
      "--json",
    );
    expect(JSON.parse(r.out).variant).toBe("refresh-written-pin");
  });
});

describe("bad input gets one line and exit 2", () => {
  const bad = join(scratch, "bad");
  const cases: [string, string[], RegExp][] = [
    ["an unknown command", ["frobnicate"], /unknown command "frobnicate"/],
    ["an unknown flag", ["fuzz", "--frob"], /Unknown option '--frob'/],
    ["an unknown variant", ["fuzz", "--variant", "qemu-9.9"], /unknown variant "qemu-9.9" \(known: qemu-7.2/],
    ["an unknown profile", ["fuzz", "--profile", "windows"], /unknown profile "windows"/],
    ["a bad --time", ["fuzz", "--time", "soon"], /--time: expected a duration like 20s/],
    ["a bad --shard", ["fuzz", "--shard", "3/2"], /--shard: expected K\/N/],
    ["an --impl that does not exist", ["fuzz", "--impl", "nope.ts"], /--impl nope\.ts: the module failed to load/],
    [
      "an unreadable counterexample directory",
      ["regress", "/nonexistent/dir"],
      /\/nonexistent\/dir: cannot read: ENOENT \(no such file or directory\)/,
    ],
    [
      "a missing replay file",
      ["replay", "/nonexistent.json"],
      /\/nonexistent\.json: cannot read the counterexample: ENOENT/,
    ],
  ];
  it.each(cases)("%s", async (_, argv, message) => {
    const r = await run(...argv);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(message);
    expect(r.err.split("\n")).toHaveLength(1);
    expect(r.err).not.toMatch(/\n\s+at /);
  });

  it("an --impl module without a factory, or that throws on load", async () => {
    const noExport = join(scratch, "no-export.ts");
    const throws = join(scratch, "throws.ts");
    writeFileSync(noExport, "export const x = 1;\n");
    writeFileSync(throws, 'throw new Error("boom");\n');
    const a = await run("fuzz", "--impl", noExport, "--runs", "1");
    expect(a.code).toBe(2);
    expect(a.err).toMatch(/expected an export "variant" .* found x/);
    const b = await run("fuzz", "--impl", throws, "--runs", "1");
    expect(b.code).toBe(2);
    expect(b.err).toMatch(/failed to load: boom/);
  });

  it("a malformed counterexample names the file, the JSON path and what was expected; nothing is changed", async () => {
    rmSync(bad, { recursive: true, force: true });
    cpSync("counterexamples/qemu-7.2", bad, { recursive: true });
    const file = join(bad, "seed--linux-level-irq-move-pin5.json");
    const doc = JSON.parse(readFileSync(file, "utf8"));
    doc.commands[3] = { op: "line.set", pin: 24, level: 1 };
    writeFileSync(file, JSON.stringify(doc));
    const r = await run("replay", file);
    expect(r.code).toBe(2);
    expect(r.err).toBe(`${file}: $.commands[3].pin: Too big: expected number to be <=23 (too_big)`);
    doc.commands[3] = { op: "line.set", pin: 5, level: 1 };
    doc.commands[1].value = "0x1ffffffff";
    writeFileSync(file, JSON.stringify(doc));
    expect((await run("replay", file)).err).toMatch(/\$\.commands\[1\]\.value: expected an unsigned 32-bit integer/);
    doc.version = 99;
    writeFileSync(file, JSON.stringify(doc));
    expect((await run("replay", file)).err).toBe(
      `${file}: $.version: expected version 1, found 99 (unsupported-version)`,
    );
    writeFileSync(file, "{ not json");
    const j = await run("regress", bad);
    expect(j.code).toBe(2);
    expect(j.err).toMatch(/seed--linux-level-irq-move-pin5\.json: \$: .*\(invalid-json\)/);
    expect(existsSync(join(bad, "delivery-log--ioapic.write--misrouted-delivery.json"))).toBe(true);
  });

  it("an unknown op in a counterexample", async () => {
    const file = join(scratch, "unknown-op.json");
    const doc = JSON.parse(readFileSync(SEED_FILE, "utf8"));
    doc.commands[0] = { op: "ioapic.poke" };
    writeFileSync(file, JSON.stringify(doc));
    const r = await run("replay", file);
    expect(r.err).toMatch(/\$\.commands\[0\]\.op: unknown command "ioapic\.poke"/);
  });
});

describe("irqcheck replay", () => {
  it("prints the seed bug step by step, the diverging step marked, expected against actual", async () => {
    const r = await run("replay", SEED_FILE);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/>#11 ioapic\.write reg=0x1a value=0x8031/);
    expect(r.out).toContain("kvm_set_irq gsi=5 level=1 via route (dest 0x1 phys vector 0x31 level)");
    expect(r.out).toContain("reference expects: deliver apic_id=3 vector=0x31 level fixed");
    expect(r.out).toContain("implementation did: deliver apic_id=1 vector=0x31 level fixed");
  });

  it("against the fixed variant it does not diverge (exit 0)", async () => {
    const r = await run("replay", SEED_FILE, "--variant", "qemu-8.0");
    expect(r.code).toBe(0);
    expect(r.out).toMatch(/no divergence: qemu-8\.0 refines the reference on all 12 steps/);
  });

  it("--json gives {diverged, step, command, expected, actual} with delivery observations", async () => {
    const r = await run("replay", SEED_FILE, "--json");
    const j = JSON.parse(r.out);
    expect(j.diverged).toBe(true);
    expect(j.step).toBe(11);
    expect(j.command).toEqual({ op: "ioapic.write", reg: 0x1a, value: 0x8031 });
    expect(j.expected[0].observations).toEqual([
      { kind: "deliver", apicId: 3, vector: 0x31, trigger: "level", mode: "fixed" },
    ]);
    expect(j.actual.observations).toEqual([
      { kind: "deliver", apicId: 1, vector: 0x31, trigger: "level", mode: "fixed" },
    ]);
  });
});

describe("irqcheck regress (the saved counterexamples)", () => {
  it("every saved counterexample still diverges on its variant and passes on the variants that fix it", async () => {
    const r = await run("regress", "--json");
    const j = JSON.parse(r.out);
    expect(j.failures).toEqual([]);
    expect(j.files).toBeGreaterThan(50);
    expect(j.checks).toBeGreaterThan(j.files);
    expect(r.code).toBe(0);
  });
});
