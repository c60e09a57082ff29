/**
 * A small generator language with two interpreters: fast-check arbitraries (vitest
 * property suites, with fast-check's shrinking) and a compiled sampler over a seeded
 * PRNG (the campaign loop, ~10x cheaper per command). One description of each profile
 * serves both, so the fuzzer and the test suite generate the same distribution.
 */
import fc from "fast-check";

export type Gen<T> =
  | { readonly k: "int"; readonly lo: number; readonly hi: number }
  | { readonly k: "const"; readonly value: T }
  | { readonly k: "oneof"; readonly items: readonly { readonly weight: number; readonly gen: Gen<T> }[] }
  | { readonly k: "record"; readonly fields: { readonly [K in keyof T]: Gen<T[K]> } }
  | { readonly k: "map"; readonly gen: Gen<unknown>; readonly f: (x: unknown) => T };

export const int = (lo: number, hi: number): Gen<number> => ({ k: "int", lo, hi });
export const constant = <T>(value: T): Gen<T> => ({ k: "const", value });
export const bool: Gen<boolean> = { k: "map", gen: int(0, 1), f: (x) => x === 1 };

/** Weighted choice; the first alternative is the one shrinking moves towards. */
export function oneof<T>(...items: readonly (readonly [number, Gen<T>])[]): Gen<T> {
  return { k: "oneof", items: items.map(([weight, gen]) => ({ weight, gen })) };
}

/** Uniform choice among constants; shrinks towards the first. */
export function elements<T>(values: readonly T[]): Gen<T> {
  return map(int(0, values.length - 1), (i) => values[i] as T);
}

export function record<T extends object>(fields: { readonly [K in keyof T]: Gen<T[K]> }): Gen<T> {
  return { k: "record", fields };
}

export function map<A, B>(gen: Gen<A>, f: (a: A) => B): Gen<B> {
  return { k: "map", gen: gen as Gen<unknown>, f: f as (x: unknown) => B };
}

/** A fast-check arbitrary for `g`. */
export function toArbitrary<T>(g: Gen<T>): fc.Arbitrary<T> {
  switch (g.k) {
    case "int":
      return fc.integer({ min: g.lo, max: g.hi }) as unknown as fc.Arbitrary<T>;
    case "const":
      return fc.constant(g.value);
    case "oneof":
      return fc.oneof(...g.items.map((i) => ({ weight: i.weight, arbitrary: toArbitrary(i.gen) })));
    case "record": {
      const fields = Object.fromEntries(Object.entries(g.fields).map(([k, v]) => [k, toArbitrary(v as Gen<unknown>)]));
      return fc.record(fields) as unknown as fc.Arbitrary<T>;
    }
    case "map":
      return toArbitrary(g.gen).map(g.f);
  }
}

/** A source of uniform doubles in [0, 1), such as seedrandom's generators. */
export type Random = () => number;

export type Sampler<T> = (random: Random) => T;

/** Compile `g` into a sampler (closures built once; no interpretation per draw). */
export function toSampler<T>(g: Gen<T>): Sampler<T> {
  switch (g.k) {
    case "int": {
      const { lo } = g;
      const span = g.hi - g.lo + 1;
      return ((random: Random) => lo + Math.floor(random() * span)) as unknown as Sampler<T>;
    }
    case "const": {
      const { value } = g;
      return () => value;
    }
    case "oneof": {
      const samplers = g.items.map((i) => toSampler(i.gen));
      const cumulative: number[] = [];
      let total = 0;
      for (const i of g.items) {
        total += i.weight;
        cumulative.push(total);
      }
      return (random) => {
        const x = random() * total;
        let i = 0;
        while (i < cumulative.length - 1 && x >= (cumulative[i] ?? 0)) i++;
        const s = samplers[i];
        if (s === undefined) throw new Error("empty oneof");
        return s(random);
      };
    }
    case "record": {
      const entries = Object.entries(g.fields).map(([k, v]) => [k, toSampler(v as Gen<unknown>)] as const);
      return (random) => {
        const out: Record<string, unknown> = {};
        for (const [k, s] of entries) out[k] = s(random);
        return out as T;
      };
    }
    case "map": {
      const inner = toSampler(g.gen);
      const { f } = g;
      return (random) => f(inner(random));
    }
  }
}
