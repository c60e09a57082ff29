import type { Mutant } from "./list.ts";

/** The source with the mutant applied; throws if `from` does not occur exactly once. */
export function mutate(source: string, m: Mutant): string {
  const at = source.indexOf(m.from);
  if (at < 0 || source.indexOf(m.from, at + 1) >= 0) {
    throw new Error(
      `${m.file}: mutant ${m.id}: expected its text exactly once, found it ${at < 0 ? "nowhere" : "twice or more"}`,
    );
  }
  return source.slice(0, at) + m.to + source.slice(at + m.from.length);
}
