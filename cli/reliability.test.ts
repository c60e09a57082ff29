/**
 * Campaigns that never lose a finding. A real `irqcheck fuzz` process killed with SIGKILL
 * after its first finding leaves that finding on disk, whole and replayable; SIGTERM and
 * SIGHUP stop it cleanly with a report. Hostile implementations (a throw on the Nth
 * command, a malformed step result, process.exit, an endless loop) are each a saved,
 * replayable finding of their own kind while the campaign goes on and ends on time.
 */
import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "./main.ts";
import { listCounterexamples, readCounterexample } from "./store.ts";

const scratch = mkdtempSync(join(tmpdir(), "irqcheck-reliability-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function run(...argv: string[]) {
  const out: string[] = [];
  const err: string[] = [];
  const code = await main(argv, { out: (l) => out.push(l), err: (l) => err.push(l) });
  return { code, out: out.join("\n"), err: err.join("\n") };
}

/** `irqcheck fuzz` as a separate process, with its output collected as it comes. */
function spawnFuzz(...argv: string[]) {
  const child = spawn(process.execPath, [resolve("bin/irqcheck.js"), "fuzz", ...argv], {
    stdio: ["ignore", "pipe", "pipe"],
  });
  const output = { out: "", err: "" };
  child.stdout.on("data", (d: Buffer) => {
    output.out += d.toString();
  });
  child.stderr.on("data", (d: Buffer) => {
    output.err += d.toString();
  });
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((done) =>
    child.on("exit", (code, signal) => done({ code, signal })),
  );
  return { child, output, exited };
}

/** Resolves with the first saved file the process reports; rejects after `ms`. */
function firstSaved(p: ReturnType<typeof spawnFuzz>, ms: number): Promise<string> {
  return new Promise((done, fail) => {
    const started = Date.now();
    const poll = setInterval(() => {
      const m = /saved: irqcheck replay (\S+\.json)/.exec(p.output.out);
      if (m?.[1] !== undefined) {
        clearInterval(poll);
        done(m[1]);
      } else if (Date.now() - started > ms || p.child.exitCode !== null) {
        clearInterval(poll);
        fail(new Error(`no finding within ${ms}ms:\n${p.output.out}\n${p.output.err}`));
      }
    }, 20);
  });
}

const kill = (child: ChildProcess, signal: NodeJS.Signals) => child.kill(signal);

describe("a killed campaign keeps what it found", () => {
  it("SIGKILL after the first finding: the finding is on disk, whole, and replay, regress and merge read the store", async () => {
    const out = join(scratch, "sigkill");
    const p = spawnFuzz("--variant", "qemu-7.2", "--time", "60s", "--jobs", "2", "--seed", "1", "--out", out);
    const file = await firstSaved(p, 60_000);
    kill(p.child, "SIGKILL");
    expect((await p.exited).signal).toBe("SIGKILL");
    expect(existsSync(file)).toBe(true);
    const files = listCounterexamples(out);
    expect(files.length).toBeGreaterThan(0);
    for (const f of files) expect(readCounterexample(f).commands.length).toBeGreaterThan(0);
    expect((await run("replay", file)).code).toBe(1);
    expect((await run("regress", out, "--json")).code).toBe(0);
    const merged = await run("merge", out, "--out", join(scratch, "sigkill-merged"));
    expect(merged.code).toBe(0);
    expect(merged.out).toContain(`${files.length} added`);
  });

  it.each(["SIGTERM", "SIGHUP"] as const)(
    "%s after the first finding: stops after the current runs, reports, and every reported finding is saved",
    async (signal) => {
      const out = join(scratch, signal);
      const p = spawnFuzz(
        "--variant",
        "qemu-7.2",
        "--time",
        "60s",
        "--jobs",
        "2",
        "--seed",
        "2",
        "--out",
        out,
        "--fail-on",
        "any",
      );
      await firstSaved(p, 60_000);
      const sent = Date.now();
      kill(p.child, signal);
      const { code } = await p.exited;
      expect(Date.now() - sent).toBeLessThan(15_000);
      expect(code).toBe(1);
      expect(p.output.err).toContain(`stopped by ${signal}`);
      expect(p.output.out).toMatch(/^qemu-7\.2: \d+ runs, \d+ commands in/m);
      const reported = [...p.output.out.matchAll(/saved: irqcheck replay (\S+\.json)/g)].map((m) => m[1]);
      expect(reported.length).toBeGreaterThan(0);
      for (const f of reported) expect(existsSync(f ?? "")).toBe(true);
      expect(listCounterexamples(out)).toHaveLength(reported.length);
    },
  );
});

describe("the store", () => {
  it("two campaigns writing the same --out at once leave only whole files, one per signature", async () => {
    const out = join(scratch, "shared");
    const [a, b] = await Promise.all([
      run("fuzz", "--variant", "qemu-7.2", "--runs", "400", "--jobs", "1", "--seed", "1", "--out", out, "--json"),
      run("fuzz", "--variant", "qemu-7.2", "--runs", "400", "--jobs", "1", "--seed", "1", "--out", out, "--json"),
    ]);
    const saved = [...JSON.parse(a.out).divergences, ...JSON.parse(b.out).divergences].filter(
      (d: { saved: boolean }) => d.saved,
    );
    const files = listCounterexamples(out);
    expect(saved.length).toBe(files.length);
    for (const f of files) expect(readCounterexample(f).variant).toBe("qemu-7.2");
    expect(readdirSync(join(out, "qemu-7.2")).filter((f) => f.startsWith("."))).toEqual([]);
  });

  it("regress finds the checkout's counterexamples from another directory and says where it looks", async () => {
    // A fresh directory: tmpdir() itself may hold the checkout, and the path would be shown relative to it.
    const elsewhere = mkdtempSync(join(tmpdir(), "irqcheck-elsewhere-"));
    const child = spawn(process.execPath, [resolve("bin/irqcheck.js"), "regress", "--json"], {
      cwd: elsewhere,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on("data", (d: Buffer) => {
      err += d.toString();
    });
    const code = await new Promise((done) => child.on("exit", done));
    expect(code).toBe(0);
    rmSync(elsewhere, { recursive: true });
    expect(err).toContain(`counterexamples under ${resolve("counterexamples")}`);
    expect(JSON.parse(out).files).toBeGreaterThan(50);
  });
});

describe("Ctrl-C", () => {
  it("a second SIGINT exits at once (130), even while a run hangs", async () => {
    const module = join(scratch, "hangs-at-once.ts");
    const inRun = join(scratch, "hangs-at-once.started");
    writeFileSync(
      module,
      `import { writeFileSync } from "node:fs";
import { findVariant } from ${JSON.stringify(resolve("impl/variants/index.ts"))};
export const variant = { name: "hangs-at-once", create() {
  const impl = findVariant("qemu-8.0")?.create();
  return { name: "hangs-at-once", reset: (t: never) => impl?.reset(t), describe: () => [],
    apply() { writeFileSync(${JSON.stringify(inRun)}, "in a run"); for (;;) {} } };
} };
`,
    );
    const p = spawnFuzz(
      "--impl",
      module,
      "--time",
      "60s",
      "--run-timeout",
      "60s",
      "--jobs",
      "1",
      "--out",
      join(scratch, "int"),
    );
    // Wait until the job is inside its first run, which hangs: the first SIGINT cannot end it.
    while (!existsSync(inRun) && p.child.exitCode === null) await new Promise((done) => setTimeout(done, 50));
    kill(p.child, "SIGINT");
    await new Promise((done) => setTimeout(done, 300));
    const sent = Date.now();
    kill(p.child, "SIGINT");
    const { code } = await p.exited;
    expect(code).toBe(130);
    expect(Date.now() - sent).toBeLessThan(3000);
    expect(p.output.err).toContain("second SIGINT: exiting now");
  });
});

/** A user variant that wraps irqfd-cache and misbehaves on the second cpu.eoi of a run. */
function hostile(kind: "throw" | "malformed" | "exit" | "loop" | "abort" | "kill"): string {
  const file = join(scratch, `hostile-${kind}.ts`);
  const misbehave = {
    throw: 'throw new RangeError("boom on the second cpu.eoi");',
    malformed: "return { observations: 7 } as never;",
    exit: "process.exit(13);",
    loop: "for (;;) {}",
    abort: "process.abort();",
    kill: 'process.kill(process.pid, "SIGKILL");',
  }[kind];
  writeFileSync(
    file,
    `import { findVariant } from ${JSON.stringify(resolve("impl/variants/index.ts"))};
const base = findVariant("irqfd-cache");
if (base === undefined) throw new Error("no irqfd-cache");
export const variant = {
  name: "hostile-${kind}",
  create() {
    const impl = base.create();
    let eois = 0;
    return {
      name: "hostile-${kind}",
      reset(t: Parameters<typeof impl.reset>[0]) { eois = 0; impl.reset(t); },
      apply(c: Parameters<typeof impl.apply>[0]) {
        if (c.op === "cpu.eoi" && ++eois === 2) { ${misbehave} }
        return impl.apply(c);
      },
      describe: () => impl.describe(),
      digest: () => impl.digest?.() ?? "",
    };
  },
};
`,
  );
  return file;
}

describe("the implementation under test is untrusted", () => {
  it.each([
    // Budgets leave room for a worker's start (tsx may compile the sources) on a loaded CI machine.
    ["throw", "crashed", /RangeError: boom on the second cpu\.eoi/, "1", 8],
    ["malformed", "crashed", /malformed step result: step result has no observations array/, "1", 8],
    ["exit", "crashed", /called process\.exit\(13\)/, "2", 8],
    // Most runs of this one hang, each costing the 1s budget and a fresh worker.
    ["loop", "hung", /per-run budget of 1s/, "1", 12],
  ] as const)(
    "an implementation that does '%s' is a saved, replayable 'implementation %s' finding; the campaign goes on and ends on time",
    async (kind, fault, message, jobs, timeSeconds) => {
      const out = join(scratch, `hostile-${kind}`);
      const started = Date.now();
      const r = await run(
        "fuzz",
        "--impl",
        hostile(kind),
        "--time",
        `${timeSeconds}s`,
        "--run-timeout",
        "1s",
        "--jobs",
        jobs,
        "--seed",
        "1",
        "--out",
        out,
        "--json",
      );
      const seconds = (Date.now() - started) / 1000;
      expect(r.code).toBe(1);
      // The budget, plus the last run's second of grace and a worker's start on a loaded machine.
      expect(seconds, r.err).toBeLessThan(timeSeconds + 5);
      const json = JSON.parse(r.out) as {
        runs: number;
        divergences: { signature: string; file: string; run: number; repeats: number[]; fault: string }[];
      };
      const found = json.divergences.find((d) => d.signature.endsWith(`/implementation-${fault}`));
      expect(found, r.out).toBeDefined();
      expect(found?.fault).toMatch(message);
      // The campaign went on past the run that failed.
      expect(json.runs).toBeGreaterThan((found?.run ?? 0) + 1);
      const saved = readCounterexample(found?.file ?? "");
      expect(saved.provenance).toMatchObject({ seed: 1, source: "fuzz" });
      // With two jobs the file holds whichever job's finding was saved first; the report
      // gives the earliest run, and the other job's as a repeat.
      expect([found?.run, ...(found?.repeats ?? [])]).toContain(saved.provenance.run);
      expect(saved.divergence.fault?.message).toMatch(message);
      // Replayable as printed: the file names the --impl module it came from.
      const replay = await run("replay", found?.file ?? "", "--run-timeout", "1s");
      expect(replay.code).toBe(1);
      expect(replay.out).toMatch(new RegExp(`IMPLEMENTATION ${fault.toUpperCase()} at step #\\d+: `));
      expect(replay.out).toMatch(message);
    },
  );

  it("a constructor that throws is one 'implementation crashed' finding at reset, replayable", async () => {
    const module = join(scratch, "hostile-ctor.ts");
    writeFileSync(
      module,
      'export const variant = { name: "hostile-ctor", create() { throw new TypeError("no"); } };\n',
    );
    const out = join(scratch, "ctor");
    const r = await run("fuzz", "--impl", module, "--runs", "30", "--jobs", "1", "--out", out, "--json");
    expect(r.code).toBe(1);
    const json = JSON.parse(r.out) as { runs: number; divergences: { signature: string; file: string }[] };
    expect(json.runs).toBe(30);
    expect(json.divergences.map((d) => d.signature)).toEqual([
      "hostile-ctor/delivery-log/reset/implementation-crashed",
    ]);
    const replay = await run("replay", json.divergences[0]?.file ?? "");
    expect(replay.out).toMatch(/IMPLEMENTATION CRASHED at step #0: creating the implementation: TypeError: no/);
  });

  it("a worker that cannot start its job stops the other workers at once", async () => {
    const module = join(scratch, "main-thread-only.ts");
    writeFileSync(
      module,
      `import { isMainThread, threadId } from "node:worker_threads";
import { findVariant } from ${JSON.stringify(resolve("impl/variants/index.ts"))};
// Loads in the main thread and in the first worker; the second worker cannot load it.
if (!isMainThread && threadId % 2 === 0) throw new Error("not in this worker");
export const variant = { name: "main-thread-only", create: () => findVariant("qemu-8.0")?.create() };
`,
    );
    const started = Date.now();
    const r = await run("fuzz", "--impl", module, "--time", "60s", "--jobs", "2", "--out", join(scratch, "one-fails"));
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/failed to load: (Error: )?not in this worker/);
    expect(r.out).not.toMatch(/implementation-crashed/);
    expect(Date.now() - started).toBeLessThan(30_000);
  });

  it.each([
    ["abort", /called process\.abort\(\)/],
    ["kill", /sent SIGKILL to irqcheck/],
  ] as const)(
    "process.%s from the implementation is a crash finding, not the end of irqcheck",
    async (kind, message) => {
      const r = await run(
        "fuzz",
        "--impl",
        hostile(kind),
        "--runs",
        "60",
        "--jobs",
        "1",
        "--seed",
        "1",
        "--out",
        join(scratch, `hostile-${kind}`),
        "--json",
      );
      expect(r.code).toBe(1);
      const json = JSON.parse(r.out) as { runs: number; divergences: { signature: string; fault: string | null }[] };
      expect(json.runs).toBe(60);
      expect(json.divergences.find((d) => d.signature.endsWith("/cpu.eoi/implementation-crashed"))?.fault).toMatch(
        message,
      );
    },
  );

  it("a crash is shrunk like any divergence: two commands, the second cpu.eoi last", async () => {
    const r = await run(
      "fuzz",
      "--impl",
      hostile("throw"),
      "--runs",
      "200",
      "--jobs",
      "1",
      "--seed",
      "3",
      "--out",
      join(scratch, "shrunk"),
      "--json",
    );
    const d = JSON.parse(r.out).divergences.find((x: { signature: string }) =>
      x.signature.endsWith("implementation-crashed"),
    );
    expect(d.length).toBe(2);
  });

  it("explore saves a crash as a finding", async () => {
    const out = join(scratch, "explore-throw");
    const r = await run("explore", "--impl", hostile("throw"), "--depth", "3", "--out", out);
    expect(r.code).toBe(1);
    expect(r.out).toMatch(/UNEXPLAINED delivery-log\/cpu\.eoi\/implementation-crashed/);
    expect(readdirSync(join(out, "hostile-throw"))).toContain(
      "delivery-log--cpu.eoi--implementation-crashed--unexplained.json",
    );
  });

  it("scenarios reports a hang as its cell and goes on", async () => {
    const r = await run("scenarios", "--impl", hostile("loop"), "--run-timeout", "1s", "--only", "retrigger");
    expect(r.code).toBe(0);
    // The scenario's second cpu.eoi is step #7; the rows after it still ran.
    expect(r.out).toMatch(/^level-retrigger-on-eoi +pass +#7 implementation-hung$/m);
    expect(r.out).toMatch(/^\d+ scenarios; reference (\d+)\/\1; hostile-loop \d+\/\d+$/m);
  });
});
