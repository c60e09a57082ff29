import { existsSync, readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { broadcast, eoiRegister, fixture, importFixture, lineSet, read, skippedCodes, write } from "./test-helpers.ts";

describe("acceptance sample: qemu-trace-pin5-migration.log", () => {
  const t = importFixture("qemu-trace-pin5-migration.log");

  it("is the shared sample, unchanged", () => {
    const shared = new URL("../../shared/samples/qemu-trace-pin5-migration.log", import.meta.url);
    if (!existsSync(shared)) return; // a clone without the shared folder: the copy is the sample
    expect(fixture("qemu-trace-pin5-migration.log")).toBe(readFileSync(shared, "utf8"));
  });

  it("rebuilds Linux's deferred move of pin 5 from APIC ID 1 to 3", () => {
    expect(t.commands).toEqual([
      lineSet(1, 5, 1), // device asserts; delivered to the old destination
      write(5, 0x1a, 0x18031), // mask_ioapic_irq
      lineSet(6, 5, 1), // device re-asserts while remote IRR is set
      read(7, 0x1a), // io_apic_sync
      broadcast(8, 49), // LAPIC EOI reaches the IOAPIC
      read(11, 0x1a), // io_apic_level_ack_pending
      write(14, 0x1b, 0x3000000), // new destination, APIC ID 3
      write(16, 0x1a, 0x18031), // low word, still masked
      write(18, 0x1a, 0x8031), // unmask: the pending level is delivered now
      broadcast(21, 49),
      lineSet(23, 5, 0),
    ]);
  });

  it("checks both reads against the logged values", () => {
    expect(t.checks).toEqual([
      { line: 7, reg: 0x1a, value: 0x1c031 },
      { line: 11, reg: 0x1a, value: 0x18031 },
    ]);
  });

  it("keeps the consequences as expectations on the command before them", () => {
    expect(t.expectations).toEqual([
      { line: 2, afterLine: 1, kind: "remote-irr-set", pin: 5 },
      { line: 9, afterLine: 8, kind: "remote-irr-clear", pin: 5, vector: 49 },
      { line: 19, afterLine: 18, kind: "remote-irr-set", pin: 5 },
      { line: 22, afterLine: 21, kind: "remote-irr-clear", pin: 5, vector: 49 },
    ]);
  });

  it("skips the console lines, kvm_run_exit and the cut last line", () => {
    expect(t.lines).toBe(24);
    expect(skippedCodes(t)).toEqual([
      [3, "console"],
      [12, "console"],
      [20, "other-event"],
      [24, "cut-short"],
    ]);
    expect(t.skipped[2]?.text).toBe("kvm_run_exit cpu_index 3, reason 2");
    expect(t.warnings).toEqual([]);
    expect(t.ioapicVersion).toBeNull();
  });
});

describe("edge pins under TCG (apic_deliver_irq traced)", () => {
  const t = importFixture("edge-pin-tcg.log");

  it("maps input 0 to pin 2 and keeps a masked edge and a double assert as they were", () => {
    expect(t.commands).toEqual([
      write(2, 0x19, 0x0),
      write(4, 0x18, 0x10023),
      write(6, 0x18, 0x23),
      lineSet(7, 4, 1),
      lineSet(9, 4, 0),
      write(12, 0x15, 0x0),
      write(14, 0x14, 0x30),
      lineSet(15, 2, 1), // ioapic_set_irq vector: 0 drives pin 2
      lineSet(17, 2, 0),
      write(19, 0x18, 0x10023),
      read(20, 0x18),
      lineSet(21, 4, 1), // dropped by QEMU: edge on a masked pin
      lineSet(22, 4, 0),
      write(24, 0x18, 0x23),
      lineSet(25, 4, 1),
      lineSet(27, 4, 1), // no edge detection: delivered again
      lineSet(29, 4, 0),
    ]);
    expect(t.checks).toEqual([{ line: 20, reg: 0x18, value: 0x10023 }]);
  });

  it("records each apic_deliver_irq after the line change that caused it", () => {
    const deliver = (line: number, afterLine: number, vector: number) => ({
      line,
      afterLine,
      kind: "apic-deliver",
      dest: 0,
      destMode: 0,
      deliveryMode: 0,
      vector,
      triggerMode: 0,
    });
    expect(t.expectations).toEqual([deliver(8, 7, 35), deliver(16, 15, 48), deliver(26, 25, 35), deliver(28, 27, 35)]);
    expect(skippedCodes(t)).toEqual([[10, "other-event"]]);
  });
});

describe("IR-mode IOAPIC, version 0x20: Linux ioapic_ir_ack_level", () => {
  const t = importFixture("ir-mode-eoi-register.log");

  it("turns EOI-register writes of the pin number into ioapic.eoi, not also eoi.broadcast", () => {
    expect(t.commands).toEqual([
      read(2, 0x01),
      write(4, 0x25, 0xb0000), // remappable: interrupt index 5, format bit 48
      write(6, 0x24, 0x1800a), // vector field = pin 10
      write(8, 0x24, 0x800a),
      lineSet(9, 10, 1),
      lineSet(12, 10, 0),
      broadcast(13, 65), // LAPIC EOI of the IRTE vector: matches no RTE
      eoiRegister(14, 10),
      lineSet(17, 10, 1),
      broadcast(19, 65),
      eoiRegister(20, 10),
      lineSet(24, 10, 0),
      broadcast(25, 65),
      eoiRegister(26, 10),
    ]);
  });

  it("attaches the broadcast the EOI register ran, and the re-delivery, to the ioapic.eoi", () => {
    expect(t.expectations).toEqual([
      { line: 10, afterLine: 9, kind: "remote-irr-set", pin: 10 },
      { line: 15, afterLine: 14, kind: "eoi-broadcast", vector: 10 },
      { line: 16, afterLine: 14, kind: "remote-irr-clear", pin: 10, vector: 10 },
      { line: 18, afterLine: 17, kind: "remote-irr-set", pin: 10 },
      { line: 21, afterLine: 20, kind: "eoi-broadcast", vector: 10 },
      { line: 22, afterLine: 20, kind: "remote-irr-clear", pin: 10, vector: 10 },
      { line: 23, afterLine: 20, kind: "remote-irr-set", pin: 10 }, // line still high
      { line: 27, afterLine: 26, kind: "eoi-broadcast", vector: 10 },
      { line: 28, afterLine: 26, kind: "remote-irr-clear", pin: 10, vector: 10 },
    ]);
  });

  it("reads the version from the VER read and agrees with --ioapic-version 0x20", () => {
    expect(t.checks).toEqual([{ line: 2, reg: 0x01, value: 0x170020 }]);
    expect(t.ioapicVersion).toEqual({ value: 0x20, line: 2, from: "ver-read" });
    expect(skippedCodes(t)).toEqual([[11, "other-event"]]);
    expect(t.warnings).toEqual([]);
  });

  it("warns when --ioapic-version contradicts the trace", () => {
    const v11 = importFixture("ir-mode-eoi-register.log", 0x11);
    expect(v11.warnings.map((w) => [w.line, w.code])).toEqual([[2, "version-mismatch"]]);
  });
});

describe("several pins interleaved, with accesses QEMU ignores", () => {
  const t = importFixture("interleaved-pins.log");

  it("rebuilds every pin's commands in trace order", () => {
    expect(t.commands).toEqual([
      write(2, 0x25, 0x1000000),
      write(4, 0x24, 0x18022),
      write(6, 0x24, 0x8022),
      lineSet(7, 10, 1),
      write(10, 0x27, 0x2000000),
      write(13, 0x26, 0x18025),
      lineSet(15, 11, 1),
      write(18, 0x19, 0x0),
      write(21, 0x18, 0x10024),
      write(24, 0x26, 0x8025),
      lineSet(27, 4, 1),
      lineSet(28, 4, 0),
      lineSet(34, 10, 0),
      broadcast(35, 34),
      lineSet(37, 11, 0),
      broadcast(38, 37),
      read(41, 0x26),
    ]);
    expect(t.checks).toEqual([{ line: 41, reg: 0x26, value: 0x8025 }]);
  });

  it("sees ioapic_service re-trace the coalesced pin 10 on every service", () => {
    const setIrr = t.expectations.filter((e) => e.kind === "remote-irr-set").map((e) => [e.line, e.afterLine]);
    expect(setIrr).toEqual([
      [8, 7],
      [11, 10],
      [14, 13],
      [16, 15],
      [19, 18],
      [22, 21],
      [25, 24],
      [26, 24],
    ]);
    expect(t.expectations.filter((e) => e.kind === "remote-irr-clear")).toEqual([
      { line: 36, afterLine: 35, kind: "remote-irr-clear", pin: 10, vector: 34 },
      { line: 39, afterLine: 38, kind: "remote-irr-clear", pin: 11, vector: 37 },
    ]);
  });

  it("skips input 24, a byte IOWIN write, offset 0x20 and reads that observe nothing", () => {
    expect(skippedCodes(t)).toEqual([
      [29, "out-of-range"],
      [30, "no-effect"],
      [31, "no-effect"],
      [32, "no-effect"],
      [33, "no-effect"],
    ]);
    expect(t.skipped.map((s) => s.reason)).toEqual([
      "input 24 is not an IOAPIC pin (0..23): QEMU ignores it",
      "QEMU ignores IOWIN writes of size 1 (only 4 acts)",
      "QEMU ignores writes to offset 0x20 (only 0x0, 0x10 and 0x40 act)",
      "IOREGSEL read: no command reads the selector",
      "reads of offset 0x40 return 0 in QEMU",
    ]);
    expect(t.warnings).toEqual([]);
  });
});

describe("version 0x11: Linux's level EOI by mask+edge, then restore", () => {
  const t = importFixture("v11-level-eoi-dance.log");

  it("rebuilds the reads and both hi-then-lo entry writes, remote IRR bit included as written", () => {
    expect(t.commands).toEqual([
      read(2, 0x01),
      write(4, 0x23, 0x2000000),
      write(6, 0x22, 0x18022),
      write(8, 0x22, 0x8022),
      lineSet(9, 9, 1),
      lineSet(11, 9, 0),
      read(13, 0x22), // __ioapic_read_entry: low word, remote IRR set
      read(15, 0x23),
      write(17, 0x23, 0x2000000), // masked and edge: QEMU clears remote IRR, untraced
      write(19, 0x22, 0x14022),
      write(21, 0x23, 0x2000000), // the original back
      write(23, 0x22, 0xc022),
      read(25, 0x22),
    ]);
    expect(t.checks).toEqual([
      { line: 2, reg: 0x01, value: 0x170011 },
      { line: 13, reg: 0x22, value: 0xc022 },
      { line: 15, reg: 0x23, value: 0x2000000 },
      { line: 25, reg: 0x22, value: 0x8022 },
    ]);
    expect(t.expectations).toEqual([{ line: 10, afterLine: 9, kind: "remote-irr-set", pin: 9 }]);
    expect(t.ioapicVersion).toEqual({ value: 0x11, line: 2, from: "ver-read" });
    expect(t.skipped).toEqual([]);
  });
});

describe("no prefix, CRLF line endings", () => {
  const t = importFixture("crlf-no-prefix.log");

  it("parses every line and truncates the IOREGSEL value to 8 bits", () => {
    expect(t.lines).toBe(17);
    expect(t.commands).toEqual([
      write(2, 0x1b, 0x0),
      write(4, 0x1a, 0x18031),
      write(6, 0x1a, 0x18031), // after IOREGSEL := 0x11a
      write(8, 0x1a, 0x8031),
      lineSet(9, 5, 1),
      read(13, 0x1a),
      broadcast(14, 49),
      lineSet(17, 5, 0),
    ]);
    expect(t.checks).toEqual([{ line: 13, reg: 0x1a, value: 0xc031 }]);
    expect(t.expectations.map((e) => [e.line, e.kind, e.afterLine])).toEqual([
      [10, "remote-irr-set", 9],
      [15, "remote-irr-clear", 14],
      [16, "remote-irr-set", 14], // EOI with the line still high: delivered again
    ]);
    expect(skippedCodes(t)).toEqual([[11, "unrecognised"]]);
    expect(t.warnings).toEqual([]);
  });
});

describe("a trace cut mid-line", () => {
  it("uses every whole line and reports the cut one", () => {
    const t = importFixture("cut-mid-line.log");
    expect(t.lines).toBe(10);
    expect(t.commands).toEqual([
      write(2, 0x17, 0x1000000),
      write(4, 0x16, 0x10041),
      write(6, 0x16, 0x41),
      lineSet(7, 3, 1),
      lineSet(8, 3, 0),
    ]);
    expect(t.skipped).toEqual([
      {
        line: 10,
        code: "cut-short",
        reason:
          'probably cut short (last line, no newline at end of file): ioapic_mem_write line does not match its format "ioapic mem write addr 0x%x regsel: 0x%x size 0x%x val 0x%x"',
        text: "901@1712000000.000170:ioapic_mem_write ioapic mem write addr 0x10 regsel: 0x16 si",
      },
    ]);
  });
});
