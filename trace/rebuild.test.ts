import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { importQemuTrace } from "./import.ts";
import { broadcast, eoiRegister, fixture, lineSet, write } from "./test-helpers.ts";
import type { ImportedTrace } from "./types.ts";

const W = (addr: number, regsel: number, val: number, size = 4) =>
  `ioapic_mem_write ioapic mem write addr 0x${addr.toString(16)} regsel: 0x${regsel.toString(16)} size 0x${size.toString(16)} val 0x${val.toString(16)}`;

/** Lines of a trace file, each with its newline. */
const trace = (...lines: string[]) => lines.map((l) => `${l}\n`).join("");

function ok(text: string, ioapicVersion?: number): ImportedTrace {
  const r = importQemuTrace(text, ioapicVersion === undefined ? {} : { ioapicVersion });
  if (!r.ok) throw new Error(JSON.stringify(r.issues));
  return r.value;
}

describe("selector tracking", () => {
  it("takes the selector of a first access from its logged regsel", () => {
    const t = ok(`${W(0x10, 0x1a, 0x8031)}\n`);
    expect(t.commands).toEqual([write(1, 0x1a, 0x8031)]);
    expect(t.warnings).toEqual([]);
  });

  it("uses the logged regsel and warns when lines are missing", () => {
    const t = ok(trace(W(0, 0x0, 0x1a), W(0x10, 0x1b, 0x1)));
    expect(t.commands).toEqual([write(2, 0x1b, 0x1)]);
    expect(t.warnings.map((w) => [w.line, w.code])).toEqual([[2, "selector-mismatch"]]);
  });

  it("keeps only the low 8 bits of an IOREGSEL write", () => {
    const t = ok(trace(W(0, 0x0, 0x31a), W(0x10, 0x1a, 0x1)));
    expect(t.commands).toEqual([write(2, 0x1a, 0x1)]);
    expect(t.warnings).toEqual([]);
  });

  it("treats an aliased offset as the register it aliases", () => {
    const t = ok(trace(W(0x100, 0x0, 0x1a), W(0x310, 0x1a, 0x8031), W(0x140, 0x1a, 0x31)));
    expect(t.commands.map((c) => c.command)).toEqual([
      { op: "ioapic.write", reg: 0x1a, value: 0x8031 },
      { op: "ioapic.eoi", vector: 0x31 },
    ]);
  });
});

describe("EOI register", () => {
  it("does not replay the broadcast the register ran, but does replay a later LAPIC one", () => {
    const t = ok(
      trace(
        W(0x40, 0x1a, 0x31),
        "ioapic_eoi_broadcast EOI broadcast for vector 49",
        "ioapic_eoi_broadcast EOI broadcast for vector 49",
      ),
    );
    expect(t.commands).toEqual([eoiRegister(1, 0x31), broadcast(3, 49)]);
    expect(t.expectations).toEqual([{ line: 2, afterLine: 1, kind: "eoi-broadcast", vector: 0x31 }]);
    expect(t.ioapicVersion).toEqual({ value: 0x20, line: 1, from: "eoi-register" });
  });

  it("warns when no broadcast follows (version 0x11, or not traced)", () => {
    const t = ok(trace(W(0x40, 0x1a, 0x31), "ioapic_eoi_broadcast EOI broadcast for vector 50", W(0x40, 0x1a, 0x32)));
    expect(t.commands).toEqual([eoiRegister(1, 0x31), broadcast(2, 50), eoiRegister(3, 0x32)]);
    expect(t.warnings.map((w) => [w.line, w.code])).toEqual([
      [1, "eoi-register-without-broadcast"],
      [3, "eoi-register-without-broadcast"],
    ]);
  });

  it("passes the full 32-bit value, as QEMU does, and ignores other sizes", () => {
    const t = ok(
      trace(W(0x40, 0x1a, 0x131), "ioapic_eoi_broadcast EOI broadcast for vector 305", W(0x40, 0x1a, 0x31, 1)),
    );
    expect(t.commands).toEqual([eoiRegister(1, 0x131)]);
    expect(t.skipped.map((s) => [s.line, s.code])).toEqual([[3, "no-effect"]]);
  });
});

describe("line changes and consequences", () => {
  it("reads any non-zero level as asserted and drops inputs that are not pins", () => {
    const t = ok(
      trace(
        "ioapic_set_irq vector: 7 level: 2",
        "ioapic_set_irq vector: -1 level: 1",
        "ioapic_set_irq vector: 23 level: 0",
      ),
    );
    expect(t.commands).toEqual([lineSet(1, 7, 1), lineSet(3, 23, 0)]);
    expect(t.skipped.map((s) => [s.line, s.code])).toEqual([[2, "out-of-range"]]);
  });

  it("records a consequence before any command with afterLine null, and a delayed reassert by pin", () => {
    const t = ok(
      trace(
        "ioapic_set_remote_irr set remote irr for pin 5",
        "ioapic_eoi_broadcast EOI broadcast for vector 49",
        "ioapic_clear_remote_irr clear remote irr for pin 5 vector 49",
        "ioapic_eoi_delayed_reassert delayed reassert on EOI broadcast for vector 5",
        "ioapic_set_remote_irr set remote irr for pin 24",
      ),
    );
    expect(t.expectations).toEqual([
      { line: 1, afterLine: null, kind: "remote-irr-set", pin: 5 },
      { line: 3, afterLine: 2, kind: "remote-irr-clear", pin: 5, vector: 49 },
      { line: 4, afterLine: 2, kind: "delayed-reassert", pin: 5 },
    ]);
    expect(t.skipped.map((s) => [s.line, s.code])).toEqual([[5, "out-of-range"]]);
  });

  it("uses an unterminated last line that parses, with a warning", () => {
    const t = ok(`ioapic_set_irq vector: 5 level: 1\n${W(0x10, 0x1a, 0x80)}`);
    expect(t.commands).toEqual([lineSet(1, 5, 1), write(2, 0x1a, 0x80)]);
    expect(t.warnings.map((w) => [w.line, w.code])).toEqual([[2, "unterminated-last-line"]]);
  });
});

describe("files that rebuild nothing", () => {
  const issue = (text: string) => {
    const r = importQemuTrace(text, { path: "bug.log" });
    return r.ok ? null : r.issues;
  };

  it("empty", () => {
    expect(issue(fixture("empty.log"))).toEqual([{ path: "bug.log", code: "empty", message: "the trace is empty" }]);
    expect(issue("\n  \r\n\n")).toMatchObject([{ code: "empty" }]);
  });

  it("binary garbage", () => {
    const issues = issue(fixture("garbage.log"));
    expect(issues).toHaveLength(1);
    expect(issues?.[0]?.code).toBe("binary");
    expect(issues?.[0]?.message).not.toMatch(/\n/);
  });

  it("only unknown lines", () => {
    expect(issue(fixture("unknown-only.log"))).toEqual([
      {
        path: "bug.log",
        code: "no-ioapic-events",
        message: "no IOAPIC events in 7 lines; record with -trace 'ioapic_*' (log backend)",
      },
    ]);
  });

  it("only consequences", () => {
    expect(issue("ioapic_set_remote_irr set remote irr for pin 5\n")).toEqual([
      {
        path: "bug.log",
        code: "no-ioapic-events",
        message:
          "1 IOAPIC events but none that rebuilds a command in 1 lines; record with -trace 'ioapic_*' (log backend)",
      },
    ]);
  });

  it("never throws, whatever the input", () => {
    const fragment = fc.oneof(
      fc.string(),
      fc.constantFrom(
        "ioapic_set_irq vector: ",
        "ioapic_mem_write ioapic mem write addr 0x",
        "ioapic_mem_read ioapic mem read addr 0x10 regsel: 0x1a size 0x4 retval 0x",
        "ioapic_eoi_broadcast EOI broadcast for vector ",
        "4187@1700000000.104512:",
        "\n",
        "\r\n",
        "\u0000",
      ),
      fc.integer({ min: -5, max: 0x1_0000_0000 }).map(String),
    );
    fc.assert(
      fc.property(fc.array(fragment, { maxLength: 30 }), (parts) => {
        const r = importQemuTrace(parts.join(""));
        expect(r.ok || r.issues.length === 1).toBe(true);
      }),
      { numRuns: 500 },
    );
  });
});
