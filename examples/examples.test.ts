/**
 * The example optimizations' measured verdicts, held: each is loaded the way `--impl`
 * loads a user's file (from a copy outside the repository), run as a campaign triaged
 * against the variant it extends, and compared with what its header says.
 */
import { copyFileSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadImplementation } from "../cli/resolve.ts";
import { defaultBaseline, triager } from "../impl/triage.ts";
import { findVariant, type Variant } from "../impl/variants/index.ts";
import { defaultTopology } from "../model/topology.ts";
import { runCampaign } from "../properties/campaign.ts";
import { findProfile } from "../properties/profiles/index.ts";

const outside = mkdtempSync(join(tmpdir(), "irqcheck-user-"));
afterAll(() => rmSync(outside, { recursive: true, force: true }));

/** The example copied to a directory with no package.json, then loaded. */
async function load(name: string): Promise<Variant> {
  const file = join(outside, `${name}.ts`);
  copyFileSync(join(import.meta.dirname, `${name}.ts`), file);
  return loadImplementation(file);
}

function campaign(v: Variant, baseline: Variant | null, profile: string, runs: number) {
  const topology = defaultTopology();
  const p = findProfile(profile);
  if (p === undefined) throw new Error(profile);
  return runCampaign({
    topology,
    variant: v.name,
    create: v.create,
    triage: triager(v, baseline, topology, "delivery-log"),
    profiles: [p],
    property: "delivery-log",
    seed: 1,
    maxCommands: 40,
    runs,
  });
}

const label = (f: { signature: { op: string; difference: string }; classification: { status: string } | null }) =>
  `${f.signature.op}/${f.signature.difference} ${f.classification?.status}`;

describe("examples/ (user variants outside the repository)", () => {
  it("refresh-written-pin: every finding inherited from qemu-8.0 (uniform and ir, 1500 runs each)", async () => {
    const v = await load("refresh-written-pin");
    expect(defaultBaseline(v)?.name).toBe("qemu-8.0");
    for (const profile of ["uniform", "ir"]) {
      const r = campaign(v, defaultBaseline(v), profile, 1500);
      expect(r.findings.length).toBeGreaterThan(0);
      for (const f of r.findings) expect(f.classification?.status, label(f)).toBe("inherited");
    }
  });

  it("batched-route-commits: brings the seed bug back, NEW against qemu-8.0, shrunk to 4 commands (linux, 300 runs)", async () => {
    const v = await load("batched-route-commits");
    const r = campaign(v, defaultBaseline(v), "linux", 300);
    const seed = r.findings.find(
      (f) => f.signature.op === "ioapic.write" && f.signature.difference === "misrouted-delivery",
    );
    expect(seed?.classification?.status).toBe("new");
    expect(seed?.commands.length).toBeLessThanOrEqual(4);
  });

  it("ioapic-fault-fallback: no IOAPIC finding needs D3 any more, MSI-X ones still do; nothing NEW (ir, 3000 runs)", async () => {
    const v = await load("ioapic-fault-fallback");
    const base = findVariant("qemu-8.2");
    if (base === undefined) throw new Error("qemu-8.2");
    const needsD3 = (r: ReturnType<typeof campaign>, ops: RegExp) =>
      r.findings.filter(
        (f) => ops.test(f.signature.op) && f.classification?.known.some((k) => k.split("+").includes("D3")),
      );
    const ioapicOps = /^(line|ioapic|cpu|eoi)\./;
    // The baseline has IOAPIC findings that D3's fix removes: the test can fail.
    expect(needsD3(campaign(base, null, "ir", 3000), ioapicOps).length).toBeGreaterThan(0);
    const r = campaign(v, base, "ir", 3000);
    expect(needsD3(r, ioapicOps).map(label)).toEqual([]);
    expect(needsD3(r, /^msi\./).length).toBeGreaterThan(0);
    expect(r.findings.filter((f) => f.classification?.status === "new").map(label)).toEqual([]);
  });
});
