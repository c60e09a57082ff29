/**
 * Every known divergence says where a real system showed it, or why none can here; each
 * `irqcheck real` scenario a divergence cites exists and, on the variant of a QEMU the
 * divergence lists, diverges from the reference in a way that divergence's fix explains.
 * (impl/real/nested.test.ts holds that real QEMU agrees with the variant on each scenario.)
 */
import { describe, expect, it } from "vitest";
import { TOPOLOGIES, type Topology } from "../model/topology.ts";
import { check } from "../properties/checker.ts";
import { signatureOf } from "../properties/signature.ts";
import { KNOWN_DIVERGENCES } from "./manifest.ts";
import { SCENARIOS } from "./real/scenarios.ts";
import { triage } from "./triage.ts";
import { findVariant } from "./variants/index.ts";

const small = TOPOLOGIES.small as Topology;
/** The variants real QEMU 7.2 and 10.0.2 are compared with. */
const RELEASES = ["qemu-7.2", "qemu-8.2"];

function citedScenarios(text: string): string[] {
  return [...text.matchAll(/irqcheck real ([a-z0-9-]+)/g)].map((m) => m[1] ?? "");
}

/** The explanations of a scenario's divergence on `variant`, or null if it refines the reference. */
function explanations(variant: string, scenario: string): string[] | null {
  const v = findVariant(variant);
  const commands = SCENARIOS[scenario]?.commands;
  if (v === undefined || commands === undefined) throw new Error(`${variant}/${scenario}`);
  const r = check(small, v.create(), commands, "guest-visible");
  if (r.ok) return null;
  const c = {
    topology: small,
    commands,
    property: "guest-visible" as const,
    signature: signatureOf(v.name, r.divergence),
  };
  return [...triage(v, c, null).known];
}

describe("real-system evidence in the manifest", () => {
  it.each(KNOWN_DIVERGENCES.map((d) => [d.id, d] as const))("%s says where a real system showed it", (_, d) => {
    expect(d.realSystem.length).toBeGreaterThan(20);
    const wrongSystem = /^(QEMU|KVM)/.test(d.explanation);
    if (wrongSystem) expect(d.realSystem).toMatch(/irqcheck real|^None here|^Not run yet/);
  });

  const cited = KNOWN_DIVERGENCES.flatMap((d) => citedScenarios(d.realSystem).map((s) => [d.id, s, d] as const));
  it("cites scenarios for most divergences", () => {
    expect(new Set(cited.map(([id]) => id)).size).toBeGreaterThanOrEqual(10);
  });

  it.each(cited)("%s: scenario %s diverges on a release variant, explained by it", (id, scenario, d) => {
    expect(Object.keys(SCENARIOS)).toContain(scenario);
    const found = RELEASES.filter((v) => d.variants.includes(v)).map((v) => explanations(v, scenario));
    expect(
      found.some((e) => e?.some((x) => x.split("+").includes(id))),
      JSON.stringify(found),
    ).toBe(true);
  });
});
