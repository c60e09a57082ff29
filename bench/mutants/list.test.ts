import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MUTANTS } from "./list.ts";
import { mutate } from "./mutate.ts";

describe("the planted-bug list", () => {
  it.each(MUTANTS.map((m) => [m.id, m] as const))("%s applies to its file exactly once and changes it", (_id, m) => {
    const source = readFileSync(new URL(`../../${m.file}`, import.meta.url), "utf8");
    const mutated = mutate(source, m);
    expect(mutated).not.toBe(source);
    expect(mutated.length - source.length).toBe(m.to.length - m.from.length);
  });

  it("names each mutant once", () => {
    expect(new Set(MUTANTS.map((m) => m.id)).size).toBe(MUTANTS.length);
  });

  it("refuses a mutant whose text is gone, naming the file", () => {
    const m = MUTANTS[0];
    if (m === undefined) throw new Error("no mutants");
    expect(() => mutate("nothing here", m)).toThrow(`${m.file}: mutant ${m.id}`);
  });
});
