/**
 * `irqcheck import-trace` as a user meets it: the acceptance sample, the parser's
 * own fixture traces through the whole command on qemu-7.2 and qemu-8.0, --json, --save, and
 * every corrupt-input case (exit 2 through main's UsageError handling: one line, no stack).
 */
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "./errors.ts";
import { importTrace } from "./import-trace.ts";
import { replay } from "./replay.ts";
import { readCounterexample } from "./store.ts";

const fixture = (name: string) => new URL(`../trace/fixtures/${name}`, import.meta.url).pathname;
const SAMPLE = fixture("qemu-trace-pin5-migration.log");
const SAMPLE_ARGS = ["--cpus", "4", "--rte", "5=0x0100000000008031"];

const scratch = mkdtempSync(join(tmpdir(), "irqcheck-import-trace-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function run(...argv: string[]) {
  const out: string[] = [];
  const code = await importTrace(argv, { out: (l) => out.push(l), err: (l) => out.push(l) });
  return { code, out: out.join("\n") };
}

/** The UsageError main would print (exit 2) for these arguments. */
async function usageError(...argv: string[]): Promise<string> {
  const e = await importTrace(argv, { out: () => {}, err: () => {} }).then(
    () => null,
    (x: unknown) => x,
  );
  expect(e).toBeInstanceOf(UsageError);
  return (e as UsageError).message;
}

describe("the acceptance sample (../shared/samples/qemu-trace-pin5-migration.log)", () => {
  it("qemu-7.2 delivers the unmasking interrupt to APIC ID 1 where the reference says APIC ID 3 (exit 1)", async () => {
    const r = await run(SAMPLE, "--variant", "qemu-7.2", ...SAMPLE_ARGS);
    expect(r.code).toBe(1);
    expect(r.out).toContain(">#10 line 18: ioapic.write reg=0x1a value=0x8031");
    expect(r.out).toContain("DIVERGES at step #10 (trace line 18, delivery-log)");
    expect(r.out).toContain("reference expects: deliver apic_id=3 vector=0x31 level fixed");
    expect(r.out).toContain("implementation did: deliver apic_id=1 vector=0x31 level fixed");
    expect(r.out).toMatch(/trace line 18: ioapic_mem_write .* val 0x8031$/m);
    expect(r.out).toContain(" #0 line 0: ioapic.write reg=0x1b value=0x1000000");
    expect(r.out).not.toContain("mismatch");
  });

  for (const variant of ["qemu-8.0", "irqfd-cache"]) {
    it(`${variant} does not diverge (exit 0)`, async () => {
      const r = await run(SAMPLE, "--variant", variant, ...SAMPLE_ARGS);
      expect(r.code).toBe(0);
      expect(r.out).toContain(`no divergence: ${variant} refines the reference on all 13 steps`);
    });
  }

  it("--json: the replay --json shape plus the trace line, skippedLines and mismatches", async () => {
    const r = await run(SAMPLE, "--variant", "qemu-7.2", ...SAMPLE_ARGS, "--json");
    expect(r.code).toBe(1);
    const j = JSON.parse(r.out);
    expect(j).toMatchObject({
      variant: "qemu-7.2",
      property: "delivery-log",
      diverged: true,
      step: 10,
      line: 18,
      command: { op: "ioapic.write", reg: 0x1a, value: 0x8031 },
      expected: [{ observations: [{ kind: "deliver", apicId: 3, vector: 0x31 }] }],
      actual: { observations: [{ kind: "deliver", apicId: 1, vector: 0x31 }] },
      steps: 11,
      mismatches: [],
    });
    expect(j.skippedLines.map((s: { line: number; code: string }) => [s.line, s.code])).toEqual([
      [3, "console"],
      [12, "console"],
      [20, "other-event"],
      [24, "cut-short"],
    ]);
  });

  it("--verbose lists the skipped lines", async () => {
    const r = await run(SAMPLE, "--variant", "qemu-8.0", ...SAMPLE_ARGS, "--verbose");
    expect(r.out).toMatch(/^# skipped line 20 \(other-event: .*\): kvm_run_exit cpu_index 3, reason 2$/m);
  });

  it("--save writes a counterexample with import-trace provenance that replay reproduces", async () => {
    const dir = join(scratch, "save");
    const r = await run(SAMPLE, "--variant", "qemu-7.2", ...SAMPLE_ARGS, "--save", dir);
    expect(r.code).toBe(1);
    const [file] = readdirSync(join(dir, "qemu-7.2"));
    expect(file).toBe("delivery-log--ioapic.write--misrouted-delivery--known-D1_D2.json");
    const c = readCounterexample(join(dir, "qemu-7.2", file ?? ""));
    expect(c.provenance).toMatchObject({ source: "import-trace", traceFile: SAMPLE });
    expect(c.known).toContain("D1");
    expect(c.commands).toHaveLength(11);
    const again = await replay([join(dir, "qemu-7.2", file ?? "")], { out: () => {}, err: () => {} });
    expect(again).toBe(1);
  });

  it("without --rte the replay starts from reset, where pin 5 is a masked edge pin: a read mismatch, no divergence", async () => {
    const r = await run(SAMPLE, "--variant", "qemu-8.0", "--cpus", "4", "--json");
    const j = JSON.parse(r.out);
    // Line 7 logged remote IRR set (0x1c031): an interrupt was sent before the trace began.
    expect(j.mismatches).toEqual([{ line: 7, reg: 0x1a, traced: 0x1c031, reference: 0x18031 }]);
    // Line 1 asserts the input while the pin is still edge and masked (QEMU forgets it, D18),
    // but line 6 asserts it again, and like real QEMU every traced ioapic_set_irq reaches the
    // variant: the level is latched again and the unmask at line 18 sends as the reference does.
    expect(j).toMatchObject({ diverged: false });
  });
});

describe("the parser's fixture traces through the whole command", () => {
  const cases: [string, { "qemu-7.2": string; "qemu-8.0": string }][] = [
    // Line 27 asserts pin 4's asserted edge line again: real QEMU delivered it a second time
    // (the apic_deliver_irq at line 28), as the variants do; the reference sees no edge (D22).
    ["edge-pin-tcg.log", { "qemu-7.2": "line 27", "qemu-8.0": "line 27" }],
    // Pin 11 is first unmasked with its line asserted: pre-fix QEMU services it through the
    // route it had never built (vector 0 to APIC ID 0), the reference sends vector 0x25 to 2.
    ["interleaved-pins.log", { "qemu-7.2": "line 24", "qemu-8.0": "pass" }],
    // An IR-mode IOAPIC's RTE carries the pin number (0x0a) where the vector goes; replayed
    // without the trace's IRTEs it is sent as vector 0x0a, which the reference's LAPIC
    // rejects and KVM latches in IRR (D23).
    ["ir-mode-eoi-register.log", { "qemu-7.2": "line 9", "qemu-8.0": "line 9" }],
    ["v11-level-eoi-dance.log", { "qemu-7.2": "pass", "qemu-8.0": "pass" }],
    ["crlf-no-prefix.log", { "qemu-7.2": "pass", "qemu-8.0": "pass" }],
    ["cut-mid-line.log", { "qemu-7.2": "pass", "qemu-8.0": "pass" }],
  ];
  for (const [name, outcome] of cases) {
    for (const variant of ["qemu-7.2", "qemu-8.0"] as const) {
      it(`${name} on ${variant}: ${outcome[variant]}`, async () => {
        const r = await run(fixture(name), "--variant", variant, "--json");
        const j = JSON.parse(r.out);
        expect(j.mismatches).toEqual([]);
        if (outcome[variant] === "pass") {
          expect(r.code).toBe(0);
        } else {
          expect(r.code).toBe(1);
          expect(`line ${j.line}`).toBe(outcome[variant]);
        }
      });
    }
  }

  it("interleaved-pins on qemu-7.2 names the stale-route delivery", async () => {
    const r = await run(fixture("interleaved-pins.log"), "--variant", "qemu-7.2");
    expect(r.out).toContain("reference expects: deliver apic_id=2 vector=0x25 level fixed");
    expect(r.out).toContain("implementation did: deliver apic_id=0 vector=0x0 edge fixed");
  });

  it("the IOAPIC version comes from the trace's VER read, and --ioapic-version overrides it with a warning", async () => {
    const seen = await run(fixture("v11-level-eoi-dance.log"), "--variant", "qemu-8.0");
    expect(seen.out).toContain("IOAPIC version 0x11 (VER read on line 2)");
    const given = await run(fixture("v11-level-eoi-dance.log"), "--variant", "qemu-8.0", "--ioapic-version", "0x20");
    expect(given.out).toContain("IOAPIC version 0x20 (--ioapic-version)");
    expect(given.out).toMatch(/# warning: line 2: .*0x11.*0x20 \(version-mismatch\)/);
    // The VER read then returns 0x170020 in the replay: a mismatch with the logged 0x170011.
    expect(given.out).toContain("mismatch: line 2: read of reg 0x01 logged 0x170011, the reference reads 0x170020");
  });

  it("--apic-ids places the vCPUs", async () => {
    const r = await run(SAMPLE, "--variant", "qemu-7.2", "--apic-ids", "1,3", "--rte", "5=0x0100000000008031");
    expect(r.code).toBe(1);
    expect(r.out).toContain("APIC IDs 1,3");
  });
});

describe("bad input: exit 2 with one line naming the file or flag", () => {
  const oneLine = (m: string) => expect(m.split("\n")).toHaveLength(1);

  it.each([
    ["garbage.log", /garbage\.log: the file looks binary .* \(binary\)$/],
    ["empty.log", /empty\.log: the trace is empty \(empty\)$/],
    [
      "unknown-only.log",
      /unknown-only\.log: no IOAPIC events in 7 lines; record with -trace 'ioapic_\*' .*\(no-ioapic-events\)$/,
    ],
  ])("%s", async (name, message) => {
    const m = await usageError(fixture(name), "--variant", "qemu-7.2");
    oneLine(m);
    expect(m).toMatch(message);
    expect(m).not.toMatch(/\n\s+at /);
  });

  it("a file that does not exist", async () => {
    const m = await usageError(join(scratch, "nope.log"), "--variant", "qemu-7.2");
    expect(m).toMatch(/nope\.log: cannot read the trace: ENOENT \(no such file or directory\)$/);
  });

  it("a bad --rte: each bad value on its own line, naming its position", async () => {
    const m = await usageError(SAMPLE, "--variant", "qemu-7.2", "--rte", "5=0x4000", "--rte", "x");
    expect(m.split("\n")).toEqual([
      expect.stringMatching(
        /^irqcheck import-trace: --rte\[0\]: pin 5: bit 14 \(remote IRR\) is read-only.*\(rte-read-only-bit\)$/,
      ),
      expect.stringMatching(/^irqcheck import-trace: --rte\[1\]: "x" is not PIN=0xHEX .*\(rte-syntax\)$/),
    ]);
  });

  it.each([
    [["--variant", "qemu-9.9"], /unknown variant "qemu-9\.9" \(known: qemu-7\.2, /],
    [[], /give --variant/],
    [["--variant", "qemu-7.2", "--ioapic-version", "0x21"], /--ioapic-version: expected 0x11 .* got "0x21"/],
    [["--variant", "qemu-7.2", "--cpus", "0"], /--cpus: expected a whole number from 1 to 32, got 0/],
    [["--variant", "qemu-7.2", "--apic-ids", "1,1"], /--apic-ids: APIC IDs must be distinct/],
    [["--variant", "qemu-7.2", "--cpus", "2", "--apic-ids", "0,1"], /use --cpus or --apic-ids, not both/],
  ])("%j", async (args, message) => {
    const m = await usageError(SAMPLE, ...args);
    oneLine(m);
    expect(m).toMatch(message);
  });

  it("a trace of only unknown lines written here, with CRLF and a BOM, is still reported as such", async () => {
    const file = join(scratch, "console.log");
    writeFileSync(file, "\ufeff[    1.0] hello\r\nsome debug print\r\n");
    expect(await usageError(file, "--variant", "qemu-8.0")).toMatch(/console\.log: no IOAPIC events in 2 lines/);
  });
});
