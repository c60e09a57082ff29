/**
 * The difference kind of a divergence is computed against the allowed outcome closest to
 * what happened, not the first one the reference listed.
 */
import { describe, expect, it } from "vitest";
import { lapicReset } from "../model/lapic.ts";
import type { Observation } from "../model/observations.ts";
import type { GuestVisible } from "../model/visible.ts";
import type { AllowedOutcome } from "./checker.ts";
import { closestOutcome, differenceKind } from "./signature.ts";

function state(irrOfCpu1 = 0): GuestVisible {
  const lapics = [0, 1].map((cpu) => {
    const l = lapicReset();
    if (cpu === 1) l.irr[0] = irrOfCpu1;
    return l;
  });
  return { ioapicId: 0, rtes: [0x10000, 0], lapics, faultRecords: [null], faultOverflow: false, msiPending: [] };
}

const deliver = (apicId: number, vector = 1): Observation => ({
  kind: "deliver",
  apicId,
  vector,
  trigger: "level",
  mode: "lowest",
});

describe("the closest allowed outcome", () => {
  // A lowest-priority level interrupt the reference may send to APIC 0 or 1; the
  // implementation sent it to APIC 1 and also latched the (illegal) vector 1 in its IRR.
  const toCpu0: AllowedOutcome = { observations: [deliver(0)], visible: state() };
  const toCpu1: AllowedOutcome = { observations: [deliver(1)], visible: state() };
  const actual: AllowedOutcome = { observations: [deliver(1)], visible: state(0b10) };

  it("is the outcome with the same delivery, whatever the reference's order", () => {
    expect(closestOutcome([toCpu0, toCpu1], actual)).toBe(toCpu1);
    expect(closestOutcome([toCpu1, toCpu0], actual)).toBe(toCpu1);
  });

  it("makes the difference a LAPIC-state difference, not a misrouted delivery", () => {
    const closest = closestOutcome([toCpu0, toCpu1], actual);
    if (closest === undefined) throw new Error("no outcome");
    expect(differenceKind(closest, actual)).toBe("lapic-state");
    expect(differenceKind(toCpu0, actual)).toBe("misrouted-delivery");
  });

  it("weighs a differing fault above any delivery and a delivery above register state", () => {
    const fault: Observation = { kind: "fault", reason: 0x22, index: 0, sourceId: 0 };
    const faulted: AllowedOutcome = { observations: [fault], visible: state(0b10) };
    const delivered: AllowedOutcome = { observations: [deliver(1), deliver(0)], visible: state() };
    const did: AllowedOutcome = { observations: [deliver(1)], visible: state(0b10) };
    expect(closestOutcome([faulted, delivered], did)).toBe(delivered);
    expect(closestOutcome([], did)).toBeUndefined();
  });
});
