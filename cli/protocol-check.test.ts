/**
 * The exec protocol from the command line: protocol-check passes serve-model and fails a
 * program that answers differently each time, `--impl exec:` works on fuzz, replay,
 * regress and scenarios, and a program that does not start is a one-line usage error.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
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

const scratch = mkdtempSync(join(tmpdir(), "irqcheck-exec-cli-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const irqcheck = join(import.meta.dirname, "..", "bin", "irqcheck.js");
const serve = (variant?: string) =>
  `node ${irqcheck} serve-model${variant === undefined ? "" : ` --variant ${variant}`}`;

describe("irqcheck protocol-check", () => {
  it("passes serve-model: one ok line per check (exit 0)", async () => {
    const r = await run("protocol-check", serve(), "--sequences", "2");
    expect(r.out.split("\n").filter((l) => l.startsWith("ok   ")).length).toBe(7);
    expect(r.out).toMatch(/^ok {3}hello {8}name reference, protocol 1, capabilities describe,digest$/m);
    expect(r.code).toBe(0);
  });

  it("fails determinism for a program whose answers change between runs (exit 1)", async () => {
    // The reference, but every other process start has the IOAPIC ID register set to 1.
    const program = join(scratch, "unstable.sh");
    writeFileSync(
      program,
      `#!/bin/sh\nexec node -e '
const { spawn } = require("node:child_process");
const rl = require("node:readline").createInterface({ input: process.stdin });
const child = spawn("node", ["${irqcheck}", "serve-model"], { stdio: ["pipe", "pipe", "inherit"] });
let n = 0;
rl.on("line", (l) => {
  const r = JSON.parse(l);
  if (r.type === "reset") n++;
  child.stdin.write(l + "\\n");
  if (r.type === "reset" && n % 2 === 0) child.stdin.write(JSON.stringify({ type: "apply", command: { op: "ioapic.write", reg: 0, value: 0x1000000 } }) + "\\n");
});
let skip = 0;
require("node:readline").createInterface({ input: child.stdout }).on("line", (l) => {
  const a = JSON.parse(l);
  if (a.type === "ready" && n % 2 === 0) { skip = 1; return process.stdout.write(l + "\\n"); }
  if (skip) { skip = 0; return; }
  process.stdout.write(l + "\\n");
});
rl.on("close", () => child.stdin.end());
'\n`,
    );
    chmodSync(program, 0o755);
    const r = await run("protocol-check", program, "--sequences", "1", "--profile", "linux");
    expect(r.out).toMatch(/^FAIL determinism +linux#0: step #0 \(.*\): the visible state differ/m);
    expect(r.code).toBe(1);
  });

  it("--print-schema prints the JSON Schema; a missing program is a usage error (exit 2)", async () => {
    const schema = await run("protocol-check", "--print-schema");
    expect(JSON.parse(schema.out).title).toBe("irqcheck exec protocol, version 1");
    const none = await run("protocol-check");
    expect(none.code).toBe(2);
    expect(none.err).toContain("expected one program");
  });
});

describe("--impl exec:CMD", () => {
  it("fuzz finds D1 through serve-model --variant qemu-7.2 and names it from the manifest", async () => {
    const out = join(scratch, "fuzz");
    const r = await run(
      "fuzz",
      "--impl",
      `exec:${serve("qemu-7.2")}`,
      ..."--profile linux --runs 100 --seed 1 --jobs 1 --baseline qemu-7.2 --out".split(" "),
      out,
    );
    // Triaged against the built-in qemu-7.2: inherited, explained through its fixes.
    expect(r.out).toMatch(
      /inherited +delivery-log\/ioapic\.write\/misrouted-delivery \[D1,D2\] \(as qemu-7\.2\) 4 commands, run 39/,
    );
    expect(r.code).toBe(0);
    const file = join(out, "qemu-7.2", "delivery-log--ioapic.write--misrouted-delivery--inherited-D1_D2.json");
    expect((await run("replay", file, "--impl", `exec:${serve("qemu-7.2")}`)).code).toBe(1);
    expect((await run("replay", file, "--impl", `exec:${serve()}`)).code).toBe(0);
  });

  it("fuzz with two jobs starts the program once per worker (and once to learn its name)", async () => {
    const starts = join(scratch, "starts");
    const program = join(scratch, "counted.sh");
    writeFileSync(program, `#!/bin/sh\necho start >> ${starts}\nexec ${serve()}\n`);
    chmodSync(program, 0o755);
    const r = await run(
      "fuzz",
      "--impl",
      `exec:${program}`,
      "--runs",
      "60",
      "--seed",
      "2",
      "--jobs",
      "2",
      "--out",
      join(scratch, "two"),
    );
    expect(r.out).toMatch(/^reference: 60 runs/m);
    expect(r.code).toBe(0);
    expect(readFileSync(starts, "utf8").trim().split("\n").length).toBe(3);
  });

  it("regress --impl: the reference passes every saved counterexample; qemu-7.2 does not", async () => {
    const ok = await run("regress", "--impl", `exec:${serve()}`);
    // Without a baseline every saved divergence is one the reference fixes.
    expect(ok.out).toMatch(/^(\d+) counterexamples on reference: 0 FIXED, 0 inherited, 0 NEW, \1 pass on both$/m);
    expect(ok.code).toBe(0);
    const bad = await run("regress", "--impl", `exec:${serve("qemu-7.2")}`);
    expect(bad.out).toMatch(/counterexamples on qemu-7\.2: 0 FIXED, 0 inherited, [1-9]\d* NEW, \d+ pass on both$/m);
    expect(bad.code).toBe(1);
    // Against the fixed QEMU as baseline: the seed bug's files are inherited by neither; qemu-8.0's own are.
    const versus = await run("regress", "--impl", `exec:${serve("qemu-7.2")}`, "--baseline", "qemu-8.0");
    expect(versus.out).toMatch(/counterexamples on qemu-7\.2: \d+ FIXED, [1-9]\d* inherited, [1-9]\d* NEW/m);
  });

  it("explore --impl exec: digests through the protocol; on qemu-7.2 it finds what the in-process explorer finds", async () => {
    const flags = "--depth 3 --alphabet ioapic --topology small --out".split(" ");
    const ok = await run("explore", "--impl", `exec:${serve()}`, ...flags, join(scratch, "explore"));
    expect(ok.out).toMatch(/^reference: no divergence up to depth 3/m);
    expect(ok.code).toBe(0);
    const found = (r: { out: string }) =>
      r.out
        .split("\n")
        .filter((l) => /^ +(UNEXPLAINED|known) |shortest/.test(l))
        .map((l) => l.replace(/, peak RSS.*$/, "").replace(/\d+ states\/s/, ""));
    const local = await run("explore", "--variant", "qemu-7.2", ...flags, join(scratch, "explore-local"));
    const remote = await run("explore", "--impl", `exec:${serve("qemu-7.2")}`, ...flags, join(scratch, "explore"));
    // Without a lineage or a baseline the program's findings are unexplained; the built-in's are known.
    expect(remote.out).toMatch(/UNEXPLAINED delivery-log\/ioapic\.write\/missing-delivery 2 commands/);
    expect(local.out).toMatch(/known +delivery-log\/ioapic\.write\/missing-delivery \[D1\+D18\] 2 commands/);
    const bare = (r: { out: string }) =>
      found(r).map((l) => l.replace(/^ *(UNEXPLAINED|known) +/, "").replace(/ \[.*?\]/, ""));
    expect(bare(remote)).toEqual(bare(local));
    expect(remote.code).toBe(1);
  });

  it("scenarios --impl exec: runs the library", async () => {
    const r = await run("scenarios", "--impl", `exec:${serve()}`);
    expect(r.out).toMatch(/(\d+) scenarios; reference \1\/\1; reference \1\/\1/);
  });

  it("a program that cannot start, or does not shake hands, is a one-line usage error (exit 2)", async () => {
    const missing = await run("fuzz", "--impl", "exec:/nonexistent/vmm", "--runs", "1");
    expect(missing.code).toBe(2);
    expect(missing.err).toMatch(/--impl exec:\/nonexistent\/vmm: implementation crashed/);
    const silent = await run("fuzz", "--impl", "exec:true", "--runs", "1");
    expect(silent.code).toBe(2);
    expect(silent.err).toMatch(
      /implementation crashed: exec:true, waiting for the hello answer: the program exited with status 0/,
    );
  });
});
