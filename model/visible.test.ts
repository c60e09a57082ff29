/**
 * The guest-view comparison given the views of the step before: parts the same object on
 * both sides since then are not compared again, and an implementation's part is believed
 * unchanged only when sealed (frozen all the way down).
 */
import { describe, expect, it } from "vitest";
import { initialState, visible } from "./machine.ts";
import { defaultTopology } from "./topology.ts";
import { type GuestVisible, type LapicVisible, seal, visibleEqual } from "./visible.ts";

const topology = defaultTopology();
interface MutableLapic {
  irr: number[];
  isr: number[];
  tmr: number[];
}
const copyLapics = (v: GuestVisible): MutableLapic[] =>
  v.lapics.map((l: LapicVisible) => ({ irr: l.irr.slice(), isr: l.isr.slice(), tmr: l.tmr.slice() }));

describe("visibleEqual since an earlier step", () => {
  it("compares an implementation's LAPIC it returned again when not sealed: a change in place is seen", () => {
    const ref = visible(initialState(topology));
    const lapics = copyLapics(ref);
    const impl0: GuestVisible = { ...ref, rtes: ref.rtes.slice(), lapics };
    expect(visibleEqual(ref, impl0)).toBe(true);
    // The implementation reuses its objects and changes one in place.
    const l0 = lapics[0];
    if (l0 === undefined) throw new Error("no LAPIC 0");
    l0.irr[2] = 2;
    const impl1: GuestVisible = { ...impl0 };
    expect(visibleEqual(ref, impl1, { a: ref, b: impl0 })).toBe(false);
  });

  it("believes sealed parts that are the same objects on both sides (the comparison is skipped)", () => {
    const ref = visible(initialState(topology));
    const different = copyLapics(ref);
    const first = different[0];
    if (first === undefined) throw new Error("no LAPIC 0");
    first.irr[2] = 2;
    const sealedList = seal(different);
    const impl: GuestVisible = { ...ref, lapics: sealedList };
    // Without an earlier step, the LAPICs are compared and differ.
    expect(visibleEqual(ref, impl)).toBe(false);
    // Claiming these very objects were equal before makes the comparison trust them.
    expect(visibleEqual(ref, impl, { a: ref, b: impl })).toBe(true);
    // The same list unsealed is compared again.
    const unsealed: GuestVisible = { ...ref, lapics: copyLapics(impl) };
    expect(visibleEqual(ref, unsealed, { a: ref, b: unsealed })).toBe(false);
  });

  it("a LAPIC pair found equal is not compared again, and a different pair after it still is", () => {
    const ref = visible(initialState(topology));
    // Every vCPU of the reference shares its reset LAPIC; the implementation's do too,
    // except the last, a distinct object whose IRR differs.
    const reset = copyLapics(ref)[0];
    if (reset === undefined) throw new Error("no LAPIC 0");
    const pending = { irr: reset.irr.map((w, i) => (i === 1 ? 4 : w)), isr: reset.isr, tmr: reset.tmr };
    const lapics = ref.lapics.map((_, cpu) => (cpu === ref.lapics.length - 1 ? pending : reset));
    expect(visibleEqual(ref, { ...ref, lapics })).toBe(false);
    expect(visibleEqual(ref, { ...ref, lapics: ref.lapics.map(() => reset) })).toBe(true);
  });

  it("seal freezes all the way down", () => {
    const l = seal({ irr: [0, 0, 0, 0, 0, 0, 0, 0], isr: [0, 0, 0, 0, 0, 0, 0, 0], tmr: [0, 0, 0, 0, 0, 0, 0, 0] });
    expect(Object.isFrozen(l) && Object.isFrozen(l.irr) && Object.isFrozen(l.isr) && Object.isFrozen(l.tmr)).toBe(true);
    expect(() => {
      (l.irr as number[])[0] = 1;
    }).toThrow(TypeError);
  });
});
