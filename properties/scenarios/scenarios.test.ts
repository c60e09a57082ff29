/**
 * The scenario library: well-formed, the reference model allows exactly the
 * outcomes each scenario writes down from the spec, and every variant's result is computed
 * and, where it diverges, explained by a known divergence of impl/manifest.ts.
 */
import { describe, expect, it } from "vitest";
import { PASSING_VARIANTS } from "../../impl/manifest.ts";
import { explainByFix } from "../../impl/triage.ts";
import { VARIANTS } from "../../impl/variants/index.ts";
import { commandToJson, parseCommands } from "../language.ts";
import { ignoresMaskImplementation } from "../reference-implementation.ts";
import { at, delivered } from "./build.ts";
import { checkScenario, commandsOf, findScenario, referenceMismatches, SCENARIOS, scenarioColumn } from "./index.ts";
import type { Scenario } from "./types.ts";

function scenario(name: string): Scenario {
  const s = findScenario(name);
  if (s === undefined) throw new Error(`no scenario ${name}`);
  return s;
}

describe("the library", () => {
  it("has at least 25 uniquely named scenarios, each citing the spec and checking at least one step", () => {
    expect(SCENARIOS.length).toBeGreaterThanOrEqual(25);
    expect(new Set(SCENARIOS.map((s) => s.name)).size).toBe(SCENARIOS.length);
    for (const s of SCENARIOS) {
      expect(s.checks, s.name).toMatch(/§|D\d+/);
      expect(
        s.steps.some((x) => "outcomes" in x),
        s.name,
      ).toBe(true);
    }
  });

  it("includes the seeds D1, D2, D3, D7 and D9", () => {
    const seeds = SCENARIOS.map((s) => /^(D\d+)-/.exec(s.name)?.[1]).filter((id) => id !== undefined);
    expect(seeds).toEqual(["D1", "D2", "D3", "D7", "D9"]);
  });

  it.each(SCENARIOS.map((s) => [s.name, s] as const))("%s is valid in the command language", (_, s) => {
    const r = parseCommands(commandsOf(s).map(commandToJson), s.topology);
    expect(r.ok ? [] : r.issues).toEqual([]);
  });
});

describe("the reference model passes every scenario (observations written from the spec)", () => {
  it.each(SCENARIOS.map((s) => [s.name, s] as const))("%s", (_, s) => {
    expect(referenceMismatches(s)).toEqual([]);
  });

  it("a scenario that expects the wrong destination is reported at its step", () => {
    const s = scenario("physical-destination");
    const wrong: Scenario = {
      ...s,
      steps: [...commandsOf(s).slice(0, -1), at({ op: "line.set", pin: 14, level: 1 }, delivered(2, 0x85, "level"))],
    };
    expect(referenceMismatches(wrong)).toEqual([
      {
        step: 2,
        expected: ["deliver apic_id=2 vector=0x85 level fixed"],
        reference: ["deliver apic_id=1 vector=0x85 level fixed"],
      },
    ]);
  });

  it("a nondeterministic step must allow every outcome the scenario lists, and only those", () => {
    const s = scenario("lowest-priority-one-of-set");
    const narrowed: Scenario = {
      ...s,
      steps: [...commandsOf(s).slice(0, -1), at({ op: "line.pulse", pin: 14 }, delivered(0, 0x87, "edge", "lowest"))],
    };
    expect(referenceMismatches(narrowed)[0]?.reference).toHaveLength(2);
  });
});

describe("variants on the scenarios (delivery-log)", () => {
  const verdicts = VARIANTS.flatMap((v) =>
    SCENARIOS.map((s) =>
      checkScenario(s, {
        ...v,
        explain: (commands, signature) =>
          explainByFix(v, { topology: s.topology, commands, property: "delivery-log", signature }),
      }),
    ),
  );

  it("every divergence of a variant on a scenario is a known divergence", () => {
    const unexplained = verdicts.filter((v) => !v.ok && v.known.length === 0);
    expect(unexplained).toEqual([]);
  });

  it.each(PASSING_VARIANTS)("%s passes every scenario", (name) => {
    expect(verdicts.filter((v) => v.variant === name && !v.ok).map((v) => v.scenario)).toEqual([]);
  });

  it("qemu-7.2 misroutes D1 at the unmask and delivers the old vector in D2; qemu-8.0 does neither", () => {
    const get = (variant: string, name: string) => verdicts.find((v) => v.variant === variant && v.scenario === name);
    expect(get("qemu-7.2", "D1-unmask-after-retarget")).toMatchObject({
      ok: false,
      step: 8,
      signature: "qemu-7.2/delivery-log/ioapic.write/misrouted-delivery",
    });
    expect(get("qemu-7.2", "D2-unmask-with-new-vector")).toMatchObject({ ok: false, known: ["D1", "D2"] });
    expect(get("qemu-8.0", "D1-unmask-after-retarget")?.ok).toBe(true);
    expect(get("qemu-8.0", "D2-unmask-with-new-vector")?.ok).toBe(true);
    // qemu-8.0 needs both: a faulting path for the IOAPIC (D3) and fault recording (D21).
    expect(get("qemu-8.0", "D3-invalid-irte-ioapic")).toMatchObject({ ok: false, known: ["D3+D21"] });
  });

  it("scenarioColumn counts a variant's passes for irqcheck matrix", () => {
    const seeds = SCENARIOS.filter((s) => /^D\d/.test(s.name));
    const v72 = VARIANTS.find((v) => v.name === "qemu-7.2");
    if (v72 === undefined) throw new Error("no qemu-7.2");
    expect(scenarioColumn(v72, seeds)).toEqual({
      passed: 0,
      total: 5,
      diverged: seeds.map((s) => s.name),
    });
  });

  it("a system that ignores the mask fails the masking scenarios", () => {
    const broken = { name: "broken-ignores-mask", summary: "", mirrors: "", create: ignoresMaskImplementation };
    const failed = SCENARIOS.filter((s) => !checkScenario(s, broken).ok).map((s) => s.name);
    expect(failed).toEqual(expect.arrayContaining(["edge-masked-ignored", "level-masked-pending"]));
  });
});
