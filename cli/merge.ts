/** `irqcheck merge DIR...`: the union of shards' counterexample folders, one file per signature. */
import { defineCommand, switchFlag } from "./command.ts";
import { loadCorpus, saveCorpus } from "./corpus.ts";
import { EXIT, UsageError } from "./errors.ts";
import { isDirectory, prepareOutputDirectory } from "./files.ts";
import { out } from "./flags.ts";
import type { Io } from "./io.ts";
import { defaultStore, displayPath } from "./resolve.ts";
import { listCounterexamples, readCounterexample, saveCounterexample } from "./store.ts";

export const MERGE = defineCommand({
  name: "merge",
  summary: "Copies every counterexample of the given folders into --out, skipping signatures already there.",
  positionals: { shown: "DIR...", min: 1, max: Number.POSITIVE_INFINITY },
  description: [
    "Folders left by killed campaigns merge too: saving is atomic, so they hold only whole files.",
    "Every file is read and checked before anything is copied.",
  ],
  flags: { out, corpus: switchFlag("merge guided campaigns' corpus folders instead (--out required)") },
  exit: "Exit status: 0 merged; 2 bad usage or bad input (an invalid file: nothing is copied); 3 an internal error of irqcheck.",
});

export async function merge(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals, help } = MERGE.parse(argv);
  if (help) {
    io.out(MERGE.help());
    return EXIT.OK;
  }
  if (values.corpus === true) return mergeCorpora(positionals, values.out, io);
  const outDir = values.out ?? defaultStore();
  // Earliest run first, so shards of one campaign merge to what one machine would have kept.
  const sources = positionals
    .flatMap((dir) => listCounterexamples(dir).map((file) => ({ file, c: readCounterexample(file) })))
    .sort((a, b) => (a.c.provenance.run ?? Number.MAX_SAFE_INTEGER) - (b.c.provenance.run ?? Number.MAX_SAFE_INTEGER));
  prepareOutputDirectory("--out", outDir);
  let added = 0;
  let duplicates = 0;
  for (const { file, c } of sources) {
    const r = saveCounterexample(outDir, c);
    if (r.saved) {
      added++;
      io.out(`added ${r.file} (from ${file})`);
    } else duplicates++;
  }
  io.out(
    `merged ${positionals.length} folders into ${displayPath(outDir)}: ${added} added, ${duplicates} already present`,
  );
  return EXIT.OK;
}

function mergeCorpora(dirs: readonly string[], out: string | undefined, io: Io): number {
  if (out === undefined) throw new UsageError("irqcheck merge --corpus: expected --out DIR");
  let loaded = 0;
  let added = 0;
  for (const dir of dirs) {
    if (!isDirectory(dir)) throw new UsageError(`irqcheck merge --corpus: ${dir}: not a directory`);
    const entries = loadCorpus(dir);
    loaded += entries.length;
    added += saveCorpus(out, entries);
  }
  io.out(`merged ${dirs.length} corpora into ${out}: ${added} runs added, ${loaded - added} already present`);
  return EXIT.OK;
}
