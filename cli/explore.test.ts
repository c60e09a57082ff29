/**
 * `irqcheck explore` as a user meets it: exit codes, the saved file (same format as fuzz,
 * provenance "explore") replaying with `irqcheck replay`, the JSON counts, --time, bad usage.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { UsageError } from "./errors.ts";
import { explore } from "./explore.ts";
import type { Io } from "./io.ts";
import { replay } from "./replay.ts";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  const io: Io = { out: (l) => out.push(l), err: (l) => err.push(l) };
  return { io, out, err };
}

const scratch = mkdtempSync(join(tmpdir(), "irqcheck-explore-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("irqcheck explore", () => {
  it("finds D1 on qemu-7.2 with --all-signatures, saves it as known, and the file replays", async () => {
    const out = join(scratch, "d1");
    const c = capture();
    const code = await explore(["--variant", "qemu-7.2", "--depth", "4", "--all-signatures", "--out", out], c.io);
    // Only known divergences: listed, exit 0.
    expect(code).toBe(0);
    const text = c.out.join("\n");
    expect(text).toMatch(/5 signatures, shortest divergence 2 commands; every sequence up to depth 4 tried/);
    expect(text).toMatch(/known +delivery-log\/ioapic\.write\/misrouted-delivery \[D1,D2\] 4 commands/);
    expect(c.err.filter((l) => l.startsWith("depth "))).toHaveLength(4);
    const file = join(out, "qemu-7.2", "delivery-log--ioapic.write--misrouted-delivery--known-D1_D2.json");
    const saved = JSON.parse(readFileSync(file, "utf8"));
    expect(saved.provenance.source).toBe("explore");
    expect(saved.commands).toHaveLength(4);
    const r = capture();
    expect(await replay([file], r.io)).toBe(1);
    expect(r.out.join("\n")).toMatch(/DIVERGES at step #3/);
    expect(await replay([file, "--variant", "qemu-8.0"], capture().io)).toBe(0);
  });

  it("reports no divergence with the counts, as JSON (exit 0)", async () => {
    const c = capture();
    const code = await explore(
      ["--variant", "irqfd-cache", "--alphabet", "msi", "--depth", "5", "--json", "--out", join(scratch, "none")],
      c.io,
    );
    expect(code).toBe(0);
    const s = JSON.parse(c.out.join("\n"));
    expect(s).toMatchObject({ variant: "irqfd-cache", alphabet: "msi", alphabetSize: 11, depthCompleted: 5 });
    expect(s.divergences).toEqual([]);
    for (const k of ["states", "transitions", "statesPerSecond", "largestFrontier", "peakRssBytes"]) {
      expect(s[k]).toBeGreaterThan(0);
    }
  });

  it("--time stops cleanly and says which depth was completed", async () => {
    const c = capture();
    const code = await explore(["--variant", "irqfd-cache", "--time", "1ms", "--depth", "12"], c.io);
    expect(code).toBe(0);
    expect(c.out.join("\n")).toMatch(/stopped by --time: no divergence up to depth \d+ \(of 12\)/);
  });

  it("loads --impl modules (the model as an implementation: no divergence)", async () => {
    const module = join(scratch, "model-impl.ts");
    const ref = resolve("properties/reference-implementation.ts");
    writeFileSync(
      module,
      `import { modelImplementation } from ${JSON.stringify(ref)};\nexport const createImplementation = () => modelImplementation();\n`,
    );
    const c = capture();
    expect(await explore(["--impl", module, "--depth", "3", "--alphabet", "full"], c.io)).toBe(0);
    expect(c.out.join("\n")).toMatch(/no divergence up to depth 3/);
  });

  it("rejects bad usage with a message naming the flag", async () => {
    const io = capture().io;
    await expect(explore([], io)).rejects.toThrow(/give --variant or --impl/);
    await expect(explore(["--variant", "qemu-7.2", "--alphabet", "huge"], io)).rejects.toThrow(UsageError);
    await expect(explore(["--variant", "qemu-7.2", "--depth", "0"], io)).rejects.toThrow(/--depth/);
    await expect(explore(["--variant", "nope"], io)).rejects.toThrow(/unknown variant/);
  });
});
