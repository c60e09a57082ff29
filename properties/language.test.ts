import { describe, expect, it } from "vitest";
import { defaultTopology } from "../model/topology.ts";
import { commandToJson, parseCommand, parseCommands } from "./language.ts";

const topology = defaultTopology();

describe("the command parser rejects bad values with {path, code, message}", () => {
  const cases: [string, unknown, string, string][] = [
    ["an unknown op", { op: "ioapic.poke" }, "$.op", "unknown-op"],
    ["pin 24", { op: "line.set", pin: 24, level: 1 }, "$.pin", "too_big"],
    ["vector 256", { op: "ioapic.eoi", vector: 256 }, "$.vector", "out-of-range"],
    ["a 33-bit value", { op: "ioapic.write", reg: 0x10, value: "0x1ffffffff" }, "$.value", "out-of-range"],
    ["a missing field", { op: "ioapic.write", reg: 0x10 }, "$.value", "invalid_union"],
    ["a level of 2", { op: "line.set", pin: 5, level: 2 }, "$.level", "invalid_union"],
    ["an extra field", { op: "cpu.eoi", cpu: 0, vector: 3 }, "$", "unrecognized_keys"],
    ["a 129-bit IRTE", { op: "irte.write", index: 0, irte: `0x1${"0".repeat(32)}` }, "$.irte", "bad-irte"],
    ["a cpu the topology lacks", { op: "cpu.accept", cpu: 4 }, "$.cpu", "out-of-range"],
    ["an MSI-X vector the device lacks", { op: "msi.fire", dev: 1, vec: 2 }, "$.vec", "out-of-range"],
    ["not an object", 42, "$", "invalid_type"],
  ];
  it.each(cases)("%s", (_, input, path, code) => {
    const r = parseCommand(input, topology);
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues[0]).toMatchObject({ path, code });
    expect(r.issues[0]?.message.length).toBeGreaterThan(10);
  });

  it("reports every bad command of a list with its index", () => {
    const r = parseCommands(
      [{ op: "cpu.eoi", cpu: 0 }, { op: "line.set", pin: 99, level: 1 }, { op: "nope" }],
      topology,
    );
    expect(r.ok).toBe(false);
    if (r.ok) return;
    expect(r.issues.map((i) => i.path)).toEqual(["$[1].pin", "$[2].op"]);
  });

  it("accepts hex strings and numbers, and round-trips through its JSON form", () => {
    const c = { op: "msi.program", dev: 0, vec: 1, address: 0xfee01000, data: 0x8031 } as const;
    const viaHex = parseCommand(commandToJson(c), topology);
    expect(viaHex).toEqual({ ok: true, value: c });
    expect(commandToJson(c)).toEqual({ op: "msi.program", dev: 0, vec: 1, address: "0xfee01000", data: "0x8031" });
  });
});
