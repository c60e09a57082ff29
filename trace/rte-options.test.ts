import { describe, expect, it } from "vitest";
import { parseRteOption, parseRteOptions, rtePreamble } from "./rte-options.ts";
import { write } from "./test-helpers.ts";

describe("--rte PIN=0xHEX", () => {
  it("splits the sample's initial RTE into its two words", () => {
    expect(parseRteOption("5=0x0100000000008031")).toEqual({
      ok: true,
      value: { pin: 5, low: 0x8031, high: 0x01000000 },
    });
    expect(parseRteOption("23=0xFF00000000000000")).toEqual({
      ok: true,
      value: { pin: 23, low: 0, high: 0xff000000 },
    });
    expect(parseRteOption("0=0x00000000000000000000010000")).toMatchObject({ ok: true, value: { low: 0x10000 } });
  });

  it.each([
    ["5:0x8031", "rte-syntax"],
    ["5=8031", "rte-syntax"],
    ["pin5=0x8031", "rte-syntax"],
    ["5=0x", "rte-syntax"],
    ["-1=0x8031", "rte-syntax"],
    ["24=0x8031", "rte-pin-range"],
    ["5=0x10100000000008031", "rte-value-range"],
    ["5=0xc031", "rte-read-only-bit"],
    ["5=0x9031", "rte-read-only-bit"],
  ])("rejects %s as %s", (text, code) => {
    const r = parseRteOption(text, "--rte[2]");
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues).toHaveLength(1);
      expect(r.issues[0]).toMatchObject({ path: "--rte[2]", code });
    }
  });

  it("explains which read-only bit", () => {
    const r = parseRteOption("5=0x010000000000c031");
    expect(r.ok ? "" : r.issues[0]?.message).toMatch(/bit 14 \(remote IRR\)/);
  });

  it("reports every bad option and duplicate pins", () => {
    const r = parseRteOptions(["5=0x8031", "30=0x1", "5=0x10000", "x"]);
    expect(r.ok).toBe(false);
    if (!r.ok) {
      expect(r.issues.map((i) => [i.path, i.code])).toEqual([
        ["--rte[1]", "rte-pin-range"],
        ["--rte[2]", "rte-duplicate-pin"],
        ["--rte[3]", "rte-syntax"],
      ]);
    }
    expect(parseRteOptions([])).toEqual({ ok: true, value: [] });
  });
});

describe("rtePreamble", () => {
  it("writes each RTE high word then low word, pins in ascending order, on line 0", () => {
    const r = parseRteOptions(["11=0x0200000000018025", "5=0x0100000000008031"]);
    expect(r.ok).toBe(true);
    if (r.ok) {
      expect(rtePreamble(r.value)).toEqual([
        write(0, 0x1b, 0x01000000),
        write(0, 0x1a, 0x8031),
        write(0, 0x27, 0x02000000),
        write(0, 0x26, 0x18025),
      ]);
    }
  });
});
