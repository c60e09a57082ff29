/**
 * Mutating a kept run, as AFL's havoc stage does with bytes, on a profile's steps: one to
 * four of splice (the head of this run, the tail of another), insert fresh steps, delete a
 * range, duplicate a step elsewhere, replace a step by a fresh one, or change one value
 * of a step (a field taken from a fresh step of the same kind). Steps, not commands, so
 * the profile's driver lowers the mutant and it keeps the profile's discipline.
 */
import type { Random, Sampler } from "../gen.ts";

export interface MutationSource {
  /** Draws a fresh step of the profile. */
  readonly fresh: Sampler<unknown>;
  /** Another kept run of the same profile, for splicing. */
  readonly other: (random: Random) => readonly unknown[];
  /** The most steps a mutant may have. */
  readonly maxSteps: number;
}

const below = (random: Random, n: number) => Math.floor(random() * n);

/** The discriminant of a step: the uniform profile's `op`, the others' `k`. */
function kindOf(step: unknown): unknown {
  if (typeof step !== "object" || step === null) return undefined;
  const s = step as Record<string, unknown>;
  return s.op ?? s.k;
}

/** One field of `step` from a fresh step of the same kind; the step itself if none is found. */
function changeValue(step: unknown, src: MutationSource, random: Random): unknown {
  const kind = kindOf(step);
  for (let tries = 0; tries < 16; tries++) {
    const fresh = src.fresh(random);
    if (kindOf(fresh) !== kind || typeof fresh !== "object" || fresh === null) continue;
    const keys = Object.keys(fresh).filter((k) => k !== "op" && k !== "k");
    if (keys.length === 0) return fresh;
    const key = keys[below(random, keys.length)] as string;
    return { ...(step as object), [key]: (fresh as Record<string, unknown>)[key] };
  }
  return step;
}

function mutateOnce(steps: unknown[], src: MutationSource, random: Random): unknown[] {
  const at = below(random, steps.length + 1);
  switch (below(random, 6)) {
    case 0: {
      const other = src.other(random);
      return [...steps.slice(0, at), ...other.slice(below(random, other.length + 1))];
    }
    case 1: {
      const fresh = Array.from({ length: 1 + below(random, 3) }, () => src.fresh(random));
      return [...steps.slice(0, at), ...fresh, ...steps.slice(at)];
    }
    case 2:
      return [...steps.slice(0, at), ...steps.slice(at + 1 + below(random, 3))];
    case 3: {
      const step = steps[below(random, steps.length)];
      return step === undefined ? steps : [...steps.slice(0, at), step, ...steps.slice(at)];
    }
    case 4:
      if (at >= steps.length) return steps;
      return [...steps.slice(0, at), src.fresh(random), ...steps.slice(at + 1)];
    default:
      if (at >= steps.length) return steps;
      return [...steps.slice(0, at), changeValue(steps[at], src, random), ...steps.slice(at + 1)];
  }
}

/** A mutant of `steps`: one to four stacked mutations, never empty, at most `maxSteps`. */
export function mutate(steps: readonly unknown[], src: MutationSource, random: Random): unknown[] {
  let out = steps.slice();
  const n = 1 + below(random, 4);
  for (let i = 0; i < n; i++) out = mutateOnce(out, src, random);
  if (out.length === 0) out.push(src.fresh(random));
  return out.slice(0, src.maxSteps);
}
