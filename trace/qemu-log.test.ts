import { describe, expect, it } from "vitest";
import { splitLines, stripPrefix, tokenizeLine } from "./qemu-log.ts";

describe("timestamp prefixes", () => {
  const bare = "ioapic_set_irq vector: 5 level: 1";
  const event = { name: "ioapic_set_irq", vector: 5, level: 1 };

  it.each([
    ["none", bare, null],
    ["pid@sec.usec: (QEMU <= 10.0)", `4187@1700000000.104512:${bare}`, "4187@1700000000.104512:"],
    ["ISO 8601 (later QEMU)", `2025-07-21T18:43:28.089797Z ${bare}`, "2025-07-21T18:43:28.089797Z "],
  ])("%s", (_name, text, prefix) => {
    expect(stripPrefix(text)).toEqual({ prefix, body: bare });
    expect(tokenizeLine(text)).toEqual({ kind: "event", event, prefix });
  });

  it("accepts an indented paste", () => {
    expect(tokenizeLine(`    ${bare}  `)).toMatchObject({ kind: "event", event });
  });
});

describe("lines that are not IOAPIC events", () => {
  const code = (text: string, at = { terminated: true, last: false }) => {
    const t = tokenizeLine(text, at);
    return t.kind === "skip" ? t.code : t.kind;
  };

  it("classifies them", () => {
    expect(code("")).toBe("blank");
    expect(code("[    3.211045] ata_piix 0000:00:01.1: version 2.13")).toBe("console");
    expect(code("kvm_run_exit cpu_index 3, reason 2")).toBe("other-event");
    expect(code("4187@1700000000.1:kvm_irqchip_commit_routes")).toBe("other-event");
    expect(code("apic_local_deliver vector 236 delivery mode 0")).toBe("other-event");
    expect(code("Booting from ROM...")).toBe("unrecognised");
    expect(code("ioapic_set_irq vector: five level: 1")).toBe("malformed");
    expect(code("ioapic\u0000\u0001\u0002")).toBe("binary");
    expect(code("caf\ufffd")).toBe("binary");
  });

  it("calls an unparsable last line cut short, and an unterminated one whatever it is", () => {
    expect(code("ioapic_set_irq vector: 5 lev", { terminated: true, last: true })).toBe("cut-short");
    expect(code("[    3.2139", { terminated: true, last: true })).toBe("cut-short");
    expect(code("[    3.2139] done", { terminated: true, last: true })).toBe("console");
    expect(code("[    3.2139] done", { terminated: false, last: true })).toBe("cut-short");
    expect(code("ioapic_set_irq vector: 5 level: 1", { terminated: false, last: true })).toBe("event");
  });
});

describe("splitLines", () => {
  it("handles LF, CRLF, lone CR, a byte-order mark and a missing final newline", () => {
    expect(splitLines("")).toEqual([]);
    expect(splitLines("a\nb\n")).toEqual([
      { line: 1, text: "a", terminated: true },
      { line: 2, text: "b", terminated: true },
    ]);
    expect(splitLines("\ufeffa\r\nb\rc")).toEqual([
      { line: 1, text: "a", terminated: true },
      { line: 2, text: "b", terminated: true },
      { line: 3, text: "c", terminated: false },
    ]);
    expect(splitLines("a\n\n").map((l) => l.text)).toEqual(["a", ""]);
  });
});
