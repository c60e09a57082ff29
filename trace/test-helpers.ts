/** Shorthands for the expected command sequences in trace tests. */
import { readFileSync } from "node:fs";
import { importQemuTrace } from "./import.ts";
import type { ImportedTrace, TracedCommand } from "./types.ts";

export function fixture(name: string): string {
  return readFileSync(new URL(`./fixtures/${name}`, import.meta.url), "utf8");
}

/** Imports a fixture and fails the test with the issues if it is not ok. */
export function importFixture(name: string, ioapicVersion?: number): ImportedTrace {
  const r = importQemuTrace(fixture(name), {
    path: name,
    ...(ioapicVersion === undefined ? {} : { ioapicVersion }),
  });
  if (!r.ok) throw new Error(`${name}: ${JSON.stringify(r.issues)}`);
  return r.value;
}

export const write = (line: number, reg: number, value: number): TracedCommand => ({
  command: { op: "ioapic.write", reg, value },
  line,
});
export const read = (line: number, reg: number): TracedCommand => ({ command: { op: "ioapic.read", reg }, line });
export const eoiRegister = (line: number, vector: number): TracedCommand => ({
  command: { op: "ioapic.eoi", vector },
  line,
});
export const broadcast = (line: number, vector: number): TracedCommand => ({
  command: { op: "eoi.broadcast", vector },
  line,
});
export const lineSet = (line: number, pin: number, level: 0 | 1): TracedCommand => ({
  command: { op: "line.set", pin, level },
  line,
});

/** `[line, code]` of each skipped line, for compact assertions. */
export function skippedCodes(t: ImportedTrace): [number, string][] {
  return t.skipped.map((s) => [s.line, s.code]);
}
