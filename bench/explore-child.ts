/**
 * One explorer measurement in a process of its own, as `irqcheck explore` runs: the
 * benchmark's earlier sections (other variants, campaigns) leave the JIT's caches and the
 * heap shaped by other code, which cost the explorer a third of its speed when it ran after
 * them in one process. Arguments: variant, time budget in ms (or "inf"), depth, and an
 * optional warm-up depth searched first. Prints the result as JSON (explore.ts reads it).
 */
import { exploreBench } from "./explore.ts";

const [variant, time, depth, warmDepth] = process.argv.slice(2);
if (variant === undefined || time === undefined || depth === undefined) {
  throw new Error("usage: explore-child.ts VARIANT TIME_MS|inf DEPTH [WARM_DEPTH]");
}
const ms = time === "inf" ? Number.POSITIVE_INFINITY : Number(time);
if (warmDepth !== undefined) exploreBench(variant, Number.POSITIVE_INFINITY, Number(warmDepth));
const r = exploreBench(variant, ms, Number(depth));
process.stdout.write(`${JSON.stringify({ ...r, shortest: [...r.shortest] })}\n`);
