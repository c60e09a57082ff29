/**
 * Measuring fairly on a shared machine: every side of a comparison runs once to warm up
 * (JIT, caches; never a cold first side), then the sides alternate A B A B ...; each
 * measurement records wall time and the CPU time of this process (user + system, every
 * thread), so a ratio per CPU-second is not skewed by other load; results are medians with
 * the range.
 */
import { cpus, loadavg } from "node:os";

export interface Sample {
  readonly wallMs: number;
  readonly cpuMs: number;
  /** Units of work done (commands). */
  readonly work: number;
}

export interface Stat {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export function stat(xs: readonly number[]): Stat {
  const s = [...xs].sort((a, b) => a - b);
  return { median: s[(s.length - 1) >> 1] ?? Number.NaN, min: s[0] ?? Number.NaN, max: s[s.length - 1] ?? Number.NaN };
}

const cpuMs = () => {
  const u = process.cpuUsage();
  return (u.user + u.system) / 1000;
};

export async function measure(run: () => number | Promise<number>): Promise<Sample> {
  const c0 = cpuMs();
  const t0 = performance.now();
  const work = await run();
  return { wallMs: performance.now() - t0, cpuMs: cpuMs() - c0, work };
}

/** One warm-up run of each side, then `rounds` rounds of every side in turn. */
export async function interleave<K extends string>(
  sides: Readonly<Record<K, () => number | Promise<number>>>,
  rounds: number,
): Promise<Record<K, Sample[]>> {
  const names = Object.keys(sides) as K[];
  for (const n of names) await sides[n]();
  const out = Object.fromEntries(names.map((n) => [n, [] as Sample[]])) as Record<K, Sample[]>;
  for (let r = 0; r < rounds; r++) for (const n of names) out[n].push(await measure(sides[n]));
  return out;
}

/** Work per CPU-second and per wall-second of each sample. */
export function rates(samples: readonly Sample[]): { cpu: Stat; wall: Stat } {
  return {
    cpu: stat(samples.map((s) => s.work / (s.cpuMs / 1000))),
    wall: stat(samples.map((s) => s.work / (s.wallMs / 1000))),
  };
}

/** The machine's load, to print beside the figures (the machine may be shared). */
export function load(): string {
  const [one, five] = loadavg();
  return `load average ${one?.toFixed(2)} (1 min), ${five?.toFixed(2)} (5 min) on ${cpus().length} cores`;
}
