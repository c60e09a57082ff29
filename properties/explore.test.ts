/**
 * The explorer: shortest findings at the depths worked out by hand, no divergence on the
 * model wrapped as an implementation, and state hashing that neither merges nor repeats
 * (the count of distinct pairs equals a brute-force enumeration).
 */
import { describe, expect, it } from "vitest";
import { explainByFix } from "../impl/triage.ts";
import { findVariant } from "../impl/variants/index.ts";
import type { Command } from "../model/commands.ts";
import { stateDigest } from "../model/machine.ts";
import { TOPOLOGIES, type Topology } from "../model/topology.ts";
import { type AlphabetName, alphabet } from "./alphabet.ts";
import { check, RefinementCursor } from "./checker.ts";
import { type ExploreConfig, explore } from "./explore.ts";
import type { ImplementationFactory } from "./implementation.ts";
import { parseCommands } from "./language.ts";
import { irteVectors, msiVectors, pinVectors } from "./profiles/vectors.ts";
import { modelImplementation } from "./reference-implementation.ts";

const small = TOPOLOGIES.small as Topology;

function variant(name: string): ImplementationFactory {
  const v = findVariant(name);
  if (v === undefined) throw new Error(`no variant ${name}`);
  return v.create;
}

function run(name: string, alphabetName: AlphabetName, depth: number, extra: Partial<ExploreConfig> = {}) {
  return explore({
    topology: small,
    alphabet: alphabet(alphabetName, small),
    create: name === "model" ? () => modelImplementation() : variant(name),
    variant: name,
    property: "delivery-log",
    depth,
    allSignatures: true,
    ...extra,
  });
}

/** `op/difference` of each finding with its length and the manifest's explanation. */
function summary(r: ReturnType<typeof run>) {
  return r.findings.map((f) => {
    const sig = `${f.signature.op}/${f.signature.difference}`;
    const v = findVariant(f.signature.variant);
    const known =
      v === undefined
        ? []
        : explainByFix(v, { topology: small, commands: f.commands, property: "delivery-log", signature: f.signature });
    return { sig, length: f.commands.length, known };
  });
}

function expectNoDivergence(name: string, bounds: readonly (readonly [AlphabetName, number])[]) {
  for (const [alphabetName, depth] of bounds) {
    const r = run(name, alphabetName, depth);
    expect(r.findings).toEqual([]);
    expect(r.depthCompleted).toBe(depth);
  }
}

describe("the alphabets", () => {
  it("have the documented sizes on the small topology, and every command is valid there", () => {
    const sizes = (["ioapic", "msi", "full"] as const).map((n) => alphabet(n, small).length);
    expect(sizes).toEqual([16, 11, 37]);
    const parsed = parseCommands(JSON.parse(JSON.stringify(alphabet("full", small))), small);
    expect(parsed.ok).toBe(true);
  });

  it("use each vector with one trigger mode only (vectors.ts, D17)", () => {
    const level = new Set(pinVectors(5, true));
    const edge = new Set([...pinVectors(5, false), ...irteVectors(0, false), ...irteVectors(1, false)]);
    for (const v of level) expect(edge.has(v)).toBe(false);
    expect(msiVectors(0, false)).toHaveLength(2);
  });
});

describe("explore", () => {
  it("finds the seed bug D1 on qemu-7.2 at its minimal depth: 3 (stale reset route, wrong vector), 4 misrouted", () => {
    const r = run("qemu-7.2", "ioapic", 4);
    expect(r.depthCompleted).toBe(4);
    expect(summary(r)).toEqual([
      // On qemu-7.2 the assert D18 forgets would be delivered through the stale route: D1 too.
      { sig: "ioapic.write/missing-delivery", length: 2, known: ["D1+D18"] },
      // QEMU re-services an edge pin whose asserted line is asserted again (real-qemu.md).
      { sig: "line.set/spurious-delivery", length: 3, known: ["D22"] },
      { sig: "ioapic.write/spurious-delivery", length: 3, known: ["D2e"] },
      { sig: "ioapic.write/wrong-vector", length: 3, known: ["D1", "D2"] },
      { sig: "ioapic.write/misrouted-delivery", length: 4, known: ["D1", "D2"] },
    ]);
    const misrouted = r.findings[4]?.commands ?? [];
    // The fuzz-shrunk D1: low word level masked, high word to cpu1, line 1, low word unmasked.
    expect(misrouted.map((c) => c.op)).toEqual(["ioapic.write", "ioapic.write", "line.set", "ioapic.write"]);
    expect(check(small, variant("qemu-7.2")(), misrouted, "delivery-log").ok).toBe(false);
  });

  it("passes over the divergences `accept` refuses: a longer one takes their signature", () => {
    const refused = new Set<string>();
    const r = run("qemu-7.2", "ioapic", 4, {
      accept: (commands, signature) => {
        if (!signature.endsWith("ioapic.write/missing-delivery") || commands.length > 2) return true;
        refused.add(JSON.stringify(commands));
        return false;
      },
    });
    expect(refused.size).toBeGreaterThan(0);
    const missing = r.findings.find((f) => f.key.endsWith("ioapic.write/missing-delivery"));
    expect(missing?.commands.length).toBe(3);
    expect(r.findings.every((f) => !refused.has(JSON.stringify(f.commands)))).toBe(true);
  });

  it("stops at the first divergence `accept` takes, when not asked for every signature", () => {
    const r = run("qemu-7.2", "ioapic", 4, { allSignatures: false, accept: (commands) => commands.length > 2 });
    expect(r.findings).toHaveLength(1);
    expect(r.findings[0]?.commands).toHaveLength(3);
    expect(r.depthCompleted).toBe(2);
  });

  it("stops at the first divergence unless asked for every signature: the shortest (D18, 2 commands)", () => {
    const r = run("qemu-7.2", "ioapic", 8, { allSignatures: false });
    expect(r.depthCompleted).toBe(1);
    expect(r.stopped).toBe(false);
    expect(summary(r)).toEqual([{ sig: "ioapic.write/missing-delivery", length: 2, known: ["D1+D18"] }]);
    expect(r.findings[0]?.divergence.step).toBe(1);
  });

  it("reports no divergence on the model wrapped as an implementation (ioapic to depth 5, full to depth 3)", () => {
    expectNoDivergence("model", [
      ["ioapic", 5],
      ["full", 3],
    ]);
  });

  it("qemu-8.0 on the ioapic alphabet: D18 at 2, D22 and D2e at 3, nothing else up to depth 4", () => {
    expect(summary(run("qemu-8.0", "ioapic", 4))).toEqual([
      { sig: "ioapic.write/missing-delivery", length: 2, known: ["D18"] },
      { sig: "line.set/spurious-delivery", length: 3, known: ["D22"] },
      { sig: "ioapic.write/spurious-delivery", length: 3, known: ["D2e"] },
    ]);
  });

  it("irqfd-cache: no divergence up to depth 4 (ioapic) and 6 (msi)", () => {
    expectNoDivergence("irqfd-cache", [
      ["ioapic", 4],
      ["msi", 6],
    ]);
  });

  it("stops cleanly when asked, reporting the depth completed", () => {
    let calls = 0;
    const r = run("irqfd-cache", "ioapic", 8, { stop: () => ++calls > 20 });
    expect(r.stopped).toBe(true);
    expect(r.depthCompleted).toBe(2); // 1 + 11 expansions make depths 1 and 2; the 21st call is at depth 3
    expect(r.largestFrontier).toBeGreaterThan(0);
  });

  it("expands each reachable (reference set, implementation) pair once: counts equal a brute-force enumeration", () => {
    const commands = alphabet("ioapic", small);
    const depth = 3;
    const seen = new Set<string>();
    const visit = (prefix: readonly Command[]) => {
      const impl = variant("qemu-8.0")();
      impl.reset(small);
      const cursor = new RefinementCursor(small, "delivery-log");
      for (const c of prefix) if (cursor.advance(c, impl.apply(c)) !== null) return;
      seen.add(`${cursor.states.map(stateDigest).sort().join("\n")}#${impl.digest?.()}`);
      if (prefix.length < depth) for (const c of commands) visit([...prefix, c]);
    };
    visit([]);
    const r = run("qemu-8.0", "ioapic", depth);
    expect(r.states).toBe(seen.size);
  });
});
