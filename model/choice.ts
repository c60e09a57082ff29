/**
 * Enumerating the outcomes of a nondeterministic step. The model is written as ordinary
 * code that asks `choose(n)` wherever the architecture allows n alternatives (which CPU
 * of a lowest-priority set, which not-yet-invalidated IRTE form); `enumerate` runs it
 * once per combination of answers, depth first.
 */

/** Returns an index in [0, n). Must be called in the same order on every run. */
export type Choose = (n: number) => number;

export function enumerate<T>(run: (choose: Choose) => T): T[] {
  const results: T[] = [];
  const path: number[] = [];
  const widths: number[] = [];
  for (;;) {
    let depth = 0;
    const choose: Choose = (n) => {
      if (n <= 1) return 0;
      if (depth === path.length) path.push(0);
      widths[depth] = n;
      return path[depth++] ?? 0;
    };
    results.push(run(choose));
    path.length = depth;
    // Advance the deepest choice that still has an untried alternative.
    while (path.length > 0 && (path[path.length - 1] ?? 0) + 1 >= (widths[path.length - 1] ?? 0)) path.pop();
    if (path.length === 0) return results;
    path[path.length - 1] = (path[path.length - 1] ?? 0) + 1;
  }
}
