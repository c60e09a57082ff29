/**
 * The explorer's full alphabet reaches the fields the code decides on: logical and
 * lowest-priority destinations on the IOAPIC and in an IRTE, and an IRTE source-ID check
 * that SQ decides (fails with SQ = 0, passes with SQ = 01b), each checked on the model.
 */
import { describe, expect, it } from "vitest";
import { getField, parseHexWords } from "../model/bits.ts";
import type { Command } from "../model/commands.ts";
import { Irte } from "../model/interrupt-remapping.ts";
import { RteLow } from "../model/ioapic.ts";
import { initialState, step } from "../model/machine.ts";
import { TOPOLOGIES, type Topology } from "../model/topology.ts";
import { alphabet } from "./alphabet.ts";

const small = TOPOLOGIES.small as Topology;
const full = alphabet("full", small);
const irtes = full.flatMap((c) => (c.op === "irte.write" ? [parseHexWords(c.irte, 4) ?? []] : []));

/** The observations of the last command of a sequence, on the model (first outcome). */
function lastObservations(commands: readonly Command[]) {
  let state = initialState(small);
  let obs: readonly { kind: string; reason?: number }[] = [];
  for (const c of commands) {
    const o = step(small, state, c)[0];
    if (o === undefined) throw new Error("no outcome");
    state = o.next;
    obs = o.observations;
  }
  return obs;
}

describe("the full alphabet", () => {
  it("has a logical lowest-priority RTE low word and IRTE", () => {
    const lows = full.flatMap((c) => (c.op === "ioapic.write" && c.reg === 0x1a ? [c.value] : []));
    expect(lows.some((v) => getField([v], RteLow.destMode) === 1 && getField([v], RteLow.deliveryMode) === 1)).toBe(
      true,
    );
    expect(irtes.some((w) => getField(w, Irte.destMode) === 1 && getField(w, Irte.deliveryMode) === 1)).toBe(true);
  });

  it("has IRTEs whose source-ID check SQ decides: fault 0x26 with SQ = 0, delivery with SQ = 01b", () => {
    const svt1 = full.filter(
      (c): c is Extract<Command, { op: "irte.write" }> =>
        c.op === "irte.write" && getField(parseHexWords(c.irte, 4) ?? [], Irte.svt) === 1,
    );
    expect(svt1).toHaveLength(2);
    const outcomes = svt1.map((irte) => {
      const msi = full.filter((c) => c.op === "msi.program" || (c.op === "msi.mask" && !c.masked));
      const setup = full.filter((c) => c.op === "ir.control" && c.ire);
      const program = msi.find((c) => c.op === "msi.program");
      const unmask = msi.find((c) => c.op === "msi.mask");
      if (program === undefined || unmask === undefined) throw new Error("no MSI commands");
      return lastObservations([irte, ...setup, program, unmask, { op: "msi.fire", dev: 0, vec: 0 }]);
    });
    expect(
      outcomes.map((o) => o.map((x) => (x.kind === "fault" ? `fault 0x${x.reason?.toString(16)}` : x.kind))),
    ).toEqual([["fault 0x26"], ["deliver"]]);
  });
});
