/**
 * What watching a run costs (cli/run-watch.ts): the same campaign runs with and without a
 * RunWatch installed (each command's JSON appended to shared memory, each run's start
 * stamped), interleaved, after a warm-up. Prints commands/s of each and the ratio.
 *
 *   node bin/bundle.js bench/watch-overhead.ts [--runs 3000] [--rounds 5] [--variant qemu-8.2]
 */
import { parseArgs } from "node:util";
import { sharedWatchMemory, WatchWriter } from "../cli/run-watch.ts";
import { findVariant } from "../impl/variants/index.ts";
import { defaultTopology } from "../model/topology.ts";
import { runCampaign } from "../properties/campaign.ts";
import { watchRuns } from "../properties/fault.ts";
import { PROFILES } from "../properties/profiles/index.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "3000" },
    rounds: { type: "string", default: "5" },
    variant: { type: "string", default: "qemu-8.2" },
  },
});
const v = findVariant(values.variant);
if (v === undefined) throw new Error(`no variant ${values.variant}`);
const runs = Number(values.runs);

function commandsPerSecond(watched: boolean, seed: number): number {
  const writer = new WatchWriter(sharedWatchMemory());
  watchRuns(watched ? writer : null);
  const started = performance.now();
  const r = runCampaign({
    topology: defaultTopology(),
    variant: v?.name ?? "",
    create:
      v?.create ??
      (() => {
        throw new Error("no variant");
      }),
    profiles: Object.values(PROFILES),
    property: "delivery-log",
    seed,
    maxCommands: 40,
    runs,
    onRunStart: (run) => (watched ? writer.setRun(run) : undefined),
  });
  watchRuns(null);
  return r.commands / ((performance.now() - started) / 1000);
}

commandsPerSecond(true, 99);
commandsPerSecond(false, 99);
const plain: number[] = [];
const watched: number[] = [];
for (let i = 0; i < Number(values.rounds); i++) {
  plain.push(commandsPerSecond(false, i));
  watched.push(commandsPerSecond(true, i));
}
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? Number.NaN;
process.stdout.write(
  `${v.name}, ${runs} runs x ${values.rounds} rounds, interleaved: plain ${median(plain).toFixed(0)} commands/s, watched ${median(watched).toFixed(0)} commands/s, watched/plain ${(median(watched) / median(plain)).toFixed(3)}\n`,
);
