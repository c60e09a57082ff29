/**
 * `npm run bench:protocol`: campaign throughput over the exec protocol against the
 * in-process TypeScript implementation of the same design. Pairs: the reference model
 * in-process vs `irqcheck serve-model` over the protocol, and the in-process reference vs
 * examples/rust-vmm (the same translate-at-delivery design, in Rust; when cargo built it).
 * Each exec side is also measured without batching (one `apply` per command), to show what
 * `run` requests buy. Rounds interleave the sides over the same seeds after a warm-up
 * round; the ratio of summed commands/s is printed. Target: >= 30% with batching.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { defaultTopology } from "../model/topology.ts";
import { runCampaign } from "../properties/campaign.ts";
import type { Implementation, ImplementationFactory } from "../properties/implementation.ts";
import { PROFILES } from "../properties/profiles/index.ts";
import { modelImplementation } from "../properties/reference-implementation.ts";
import { ExecImplementation } from "../protocol/exec-implementation.ts";

const quick = process.argv.includes("--quick");
const runsPerRound = quick ? 300 : 1500;
const rounds = quick ? 3 : 5;
const topology = defaultTopology();
const root = join(import.meta.dirname, "..");

/** The same implementation without `prepare`: the checker then sends one apply per command. */
function unbatched(create: ImplementationFactory): ImplementationFactory {
  return () => {
    const impl = create();
    const plain: Implementation = {
      name: impl.name,
      reset: (t) => impl.reset(t),
      apply: (c) => impl.apply(c),
      describe: () => impl.describe(),
    };
    return plain;
  };
}

function rustBinary(): string | null {
  const crate = join(root, "examples", "rust-vmm");
  if (spawnSync("cargo", ["build", "--release", "--quiet"], { cwd: crate, stdio: "inherit" }).status !== 0) return null;
  const bin = join(crate, "target", "release", "rust-vmm-irq");
  return existsSync(bin) ? bin : null;
}

const serveModel = `node ${join(root, "bin", "irqcheck.js")} serve-model`;
const rust = rustBinary();
const sides: { name: string; create: ImplementationFactory }[] = [
  { name: "in-process reference", create: () => modelImplementation() },
  { name: "serve-model, batched", create: () => new ExecImplementation(serveModel) },
  { name: "serve-model, one apply per command", create: unbatched(() => new ExecImplementation(serveModel)) },
  ...(rust === null
    ? []
    : [
        { name: "rust-vmm, batched", create: () => new ExecImplementation(rust) },
        { name: "rust-vmm, one apply per command", create: unbatched(() => new ExecImplementation(rust)) },
      ]),
];
if (rust === null) process.stdout.write("rust-vmm skipped: cargo build failed or cargo is not on PATH\n");

const totals = sides.map(() => ({ commands: 0, ms: 0 }));
for (let round = 0; round <= rounds; round++) {
  for (const [i, side] of sides.entries()) {
    const t0 = performance.now();
    const r = runCampaign({
      topology,
      variant: side.name,
      create: side.create,
      profiles: Object.values(PROFILES),
      property: "delivery-log",
      seed: 100 + round,
      maxCommands: 40,
      runs: runsPerRound,
    });
    const ms = performance.now() - t0;
    if (r.findings.length > 0) throw new Error(`${side.name} diverged: ${r.findings[0]?.key}`);
    // Round 0 warms up every side (JIT, program start) and is not counted.
    const total = totals[i];
    if (round > 0 && total !== undefined) {
      total.commands += r.commands;
      total.ms += ms;
    }
  }
}

const rate = (i: number) => {
  const t = totals[i];
  return t === undefined ? 0 : t.commands / (t.ms / 1000);
};
const base = rate(0);
process.stdout.write(
  `campaign throughput, ${rounds} interleaved rounds of ${runsPerRound} runs (every profile, delivery-log), after a warm-up round\n`,
);
for (const [i, side] of sides.entries()) {
  process.stdout.write(
    `  ${side.name.padEnd(36)} ${rate(i).toFixed(0).padStart(7)} commands/s   ${((100 * rate(i)) / base).toFixed(0).padStart(4)}% of in-process\n`,
  );
}
