import { fc, test } from "@fast-check/vitest";
import { describe, expect, it } from "vitest";
import type { Command } from "../model/commands.ts";
import { defaultTopology } from "../model/topology.ts";
import { sequenceArbitrary } from "./arbitraries.ts";
import { check, PROPERTIES } from "./checker.ts";
import { findProfile } from "./profiles/index.ts";
import { ignoresMaskImplementation, modelImplementation } from "./reference-implementation.ts";

const topology = defaultTopology();
const uniform = findProfile("uniform");
if (uniform === undefined) throw new Error("uniform profile missing");
const sequences = sequenceArbitrary(uniform, topology, 40);

describe("the checker, checked", () => {
  // The model wrapped as an implementation, choosing among allowed outcomes at random,
  // must refine itself under both properties.
  test.prop([sequences, fc.integer({ min: 0, max: 2 ** 31 - 1 })], { numRuns: 10_000 })(
    "the reference model as an implementation passes both properties",
    (commands, seed) => {
      let x = seed;
      const pick = (n: number) => {
        x = (x * 1103515245 + 12345) % 2 ** 31;
        return x % n;
      };
      for (const property of PROPERTIES) {
        const r = check(topology, modelImplementation({ pick }), commands, property);
        expect(r.ok).toBe(true);
      }
    },
  );

  it("catches an IOAPIC that ignores the mask bit and shrinks it to at most 4 commands", () => {
    const details = fc.check(
      fc.property(sequences, (commands) => check(topology, ignoresMaskImplementation(), commands, "guest-visible").ok),
      { seed: 42, numRuns: 2000 },
    );
    expect(details.failed).toBe(true);
    const counterexample = details.counterexample?.[0] as Command[] | undefined;
    expect(counterexample).toBeDefined();
    expect(counterexample?.length).toBeLessThanOrEqual(4);
    expect(counterexample?.some((c) => c.op === "line.set" || c.op === "line.pulse")).toBe(true);
  });

  it("reports the diverging step, the allowed outcomes and the history", () => {
    const commands: Command[] = [
      { op: "ioapic.write", reg: 0x1a, value: 0x18031 }, // pin 5 level, masked
      { op: "line.set", pin: 5, level: 1 },
    ];
    const r = check(topology, ignoresMaskImplementation(), commands, "delivery-log");
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.divergence.step).toBe(1);
    expect(r.divergence.command).toEqual(commands[1]);
    expect(r.divergence.history).toHaveLength(1);
    expect(r.divergence.allowed).toHaveLength(1);
    expect(r.divergence.allowed[0]?.observations).toEqual([]);
    expect(r.divergence.actual.observations).toEqual([
      { kind: "deliver", apicId: 0, vector: 0x31, trigger: "level", mode: "fixed" },
    ]);
  });
});
