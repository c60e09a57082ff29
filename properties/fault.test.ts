/** properties/fault.ts: what a guarded implementation turns into a crash, and what it lets through. */
import { describe, expect, it } from "vitest";
import { findVariant } from "../impl/variants/index.ts";
import { defaultTopology } from "../model/topology.ts";
import { check } from "./checker.ts";
import { guard, ImplementationFault, malformedStepResult } from "./fault.ts";
import { checkWithFeedback, TraceShapes } from "./guidance/feedback.ts";
import type { Implementation, StepResult } from "./implementation.ts";

const topology = defaultTopology();
const base = findVariant("qemu-8.0");
if (base === undefined) throw new Error("no qemu-8.0");
const good = (): StepResult => {
  const impl = base.create();
  impl.reset(topology);
  return impl.apply({ op: "line.pulse", pin: 5 });
};

describe("malformedStepResult", () => {
  it("accepts what a built-in variant returns", () => {
    expect(malformedStepResult(good(), topology)).toBeNull();
  });

  const broken: [string, (r: StepResult) => unknown, RegExp][] = [
    ["null", () => null, /step result is null/],
    ["a promise", () => Promise.resolve(good()), /no observations array/],
    ["no visible", (r) => ({ ...r, visible: undefined }), /no visible object/],
    [
      "an unknown observation",
      (r) => ({ ...r, observations: [{ kind: "poke" }] }),
      /observations\[0\] has kind "poke"/,
    ],
    [
      "a delivery without a vector",
      (r) => ({ ...r, observations: [{ kind: "deliver", apicId: 0, trigger: "edge", mode: "fixed" }] }),
      /\(deliver\) has vector undefined/,
    ],
    [
      "a delivery with a bad trigger",
      (r) => ({ ...r, observations: [{ kind: "deliver", apicId: 0, vector: 1, trigger: "both", mode: "fixed" }] }),
      /trigger "both"/,
    ],
    [
      "a read of a negative value",
      (r) => ({ ...r, observations: [{ kind: "read", reg: 0, value: -1 }] }),
      /\(read\) has value -1/,
    ],
    ["trace lines that are not strings", (r) => ({ ...r, trace: [1] }), /trace array of strings/],
    [
      "one LAPIC too few",
      (r) => ({ ...r, visible: { ...r.visible, lapics: r.visible.lapics.slice(1) } }),
      /lapics is not an array of 4/,
    ],
    [
      "a short IRR",
      (r) => ({ ...r, visible: { ...r.visible, lapics: r.visible.lapics.map((l) => ({ ...l, irr: [0] })) } }),
      /lapics\[0\] needs irr, isr and tmr as 8 words/,
    ],
    [
      "MSI-X pending bits of another topology",
      (r) => ({ ...r, visible: { ...r.visible, msiPending: [] } }),
      /msiPending is not an array of 2/,
    ],
  ];
  it.each(broken)("rejects %s", (_, alter, message) => {
    expect(malformedStepResult(alter(good()), topology)).toMatch(message);
  });
});

describe("guard and check", () => {
  const hostile = (apply: Implementation["apply"]): Implementation => {
    const impl = base.create();
    return { name: "hostile", reset: (t) => impl.reset(t), apply, describe: () => [] };
  };

  it("a throw of anything is a crash at its command, with the error text", () => {
    const r = check(
      topology,
      hostile(() => {
        throw "a string";
      }),
      [{ op: "line.pulse", pin: 5 }],
      "delivery-log",
    );
    expect(r.ok).toBe(false);
    if (!r.ok) expect(r.divergence.fault).toEqual({ kind: "crashed", message: 'threw "a string"' });
  });

  it("a result whose getter throws is a crash, not irqcheck's error", () => {
    const trap = {
      get observations(): never {
        throw new Error("gotcha");
      },
    };
    const r = check(
      topology,
      hostile(() => trap as never),
      [{ op: "line.pulse", pin: 5 }],
      "delivery-log",
    );
    expect(!r.ok && r.divergence.fault?.message).toBe("Error: gotcha");
  });

  it("guard names the commands since the last reset, the faulting one last", () => {
    const impl = base.create();
    let applies = 0;
    const g = guard({
      name: "second-apply-throws",
      reset: (t) => {
        applies = 0;
        impl.reset(t);
      },
      apply: (c) => {
        if (++applies === 2) throw new RangeError("second");
        return impl.apply(c);
      },
      describe: () => [],
    });
    const thrown = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        return e;
      }
      return null;
    };
    for (const pins of [
      [5, 6],
      [7, 8],
    ] as const) {
      g.reset(topology);
      g.apply({ op: "line.pulse", pin: pins[0] });
      const e = thrown(() => g.apply({ op: "line.pulse", pin: pins[1] }));
      expect(e).toBeInstanceOf(ImplementationFault);
      expect((e as ImplementationFault).fault).toEqual({ kind: "crashed", message: "RangeError: second" });
      expect((e as ImplementationFault).commands).toEqual(pins.map((pin) => ({ op: "line.pulse", pin })));
    }
  });

  it("a coverage() that throws or answers a non-number is a crash at its command in a guided run", () => {
    const commands = [
      { op: "line.pulse", pin: 5 },
      { op: "line.pulse", pin: 6 },
    ] as const;
    for (const [coverage, message] of [
      [
        () => {
          throw new TypeError("no flags");
        },
        "TypeError: no flags",
      ],
      [() => -1, "malformed coverage(): -1, expected a whole number below 2^31"],
    ] as const) {
      const impl = base.create();
      let calls = 0;
      const r = checkWithFeedback(
        topology,
        { ...impl, coverage: () => (++calls === 2 ? coverage() : 0) },
        commands,
        "delivery-log",
        new TraceShapes(),
      ).result;
      expect(r.ok).toBe(false);
      if (!r.ok) {
        expect(r.divergence.fault).toEqual({ kind: "crashed", message });
        expect(r.divergence.step).toBe(2);
      }
    }
  });
});
