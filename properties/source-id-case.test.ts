/**
 * The source-ID check's cases, worked out by hand for a requester on bus 3 (03:00.0) and
 * one on bus 0, and held against the model's check: a request passes it exactly in the
 * cases VT-d §9.10 lets through.
 */
import { describe, expect, it } from "vitest";
import { FaultReason, remapThrough } from "../model/interrupt-remapping.ts";
import { irteWords } from "./profiles/encode.ts";
import { busRanges } from "./profiles/uniform.ts";
import { SOURCE_ID_CASES, type SourceIdCase, sourceIdCase } from "./source-id-case.ts";

const PASSES: ReadonlySet<SourceIdCase> = new Set([
  "not checked",
  "requester ID equal",
  "requester ID equal under SQ",
  "bus is the range's only bus",
  "bus inside the range",
  "bus at the range's start",
  "bus at the range's end",
]);

const irte = (svt: number, sid: number, sq = 0) => irteWords({ vector: 0x40, dest: 0, svt, sid, sq });

/** [requester ID, SVT, SID, SQ, case]. */
const CASES: readonly (readonly [number, number, number, number, SourceIdCase])[] = [
  [0x0300, 0, 0x1234, 0, "not checked"],
  [0x0300, 1, 0x0300, 0, "requester ID equal"],
  [0x0300, 1, 0x0304, 1, "requester ID equal under SQ"],
  [0x0300, 1, 0x0306, 2, "requester ID equal under SQ"],
  [0x0300, 1, 0x0307, 3, "requester ID equal under SQ"],
  [0x0300, 1, 0x0301, 1, "requester ID differs"],
  [0x0300, 1, 0x0304, 0, "requester ID differs"],
  [0x0300, 2, 0x0303, 0, "bus is the range's only bus"],
  [0x0300, 2, 0x0204, 0, "bus inside the range"],
  [0x0300, 2, 0x03ff, 0, "bus at the range's start"],
  [0x0300, 2, 0x0203, 0, "bus at the range's end"],
  [0x0300, 2, 0x04ff, 0, "bus below the range"],
  [0x0300, 2, 0x0002, 0, "bus above the range"],
  [0x0300, 2, 0x0403, 0, "empty bus range"],
  [0x0008, 2, 0x00ff, 0, "bus at the range's start"],
  [0x0008, 2, 0x0100, 0, "empty bus range"],
  [0x0008, 3, 0x0008, 0, "reserved SVT"],
];

describe("sourceIdCase", () => {
  it.each(CASES)("requester %i, SVT %i, SID %i, SQ %i: %s", (requesterId, svt, sid, sq, expected) => {
    expect(sourceIdCase(irte(svt, sid, sq), requesterId)).toBe(expected);
  });

  it("names every case in the table above", () => {
    expect(new Set(CASES.map((c) => c[4]))).toEqual(new Set(SOURCE_ID_CASES));
  });

  it.each(CASES)(
    "agrees with the model's check: requester %i, SVT %i, SID %i, SQ %i (%s)",
    (requesterId, svt, sid, sq, c) => {
      const r = remapThrough(irte(svt, sid, sq), 0, { address: 0, data: 0 }, false, requesterId, false);
      const faultedOnSid = r.kind === "fault" && r.reason === FaultReason.SOURCE_ID;
      expect(faultedOnSid).toBe(!PASSES.has(c));
    },
  );
});

describe("the uniform generator's SVT = 10b ranges", () => {
  const casesOn = (bus: number) => new Set(busRanges(bus).map((sid) => sourceIdCase(irte(2, sid), (bus << 8) | 0x08)));

  it("put a requester on an inner bus in every bus-range case", () => {
    // Every SVT = 10b case names the bus.
    expect(casesOn(3)).toEqual(new Set(SOURCE_ID_CASES.filter((c) => c.includes("bus"))));
  });

  it("keep to the cases a bus at either end of 0..0xff can meet", () => {
    expect(casesOn(0)).toEqual(
      new Set(["bus is the range's only bus", "bus at the range's start", "bus below the range", "empty bus range"]),
    );
    expect(casesOn(0xff)).toEqual(
      new Set(["bus is the range's only bus", "bus at the range's end", "bus above the range", "empty bus range"]),
    );
  });
});
