/** `irqcheck merge DIR...`: the union of shards' counterexample folders, one file per signature. */
import { existsSync } from "node:fs";
import { parse } from "./args.ts";
import { loadCorpus, saveCorpus } from "./corpus.ts";
import { EXIT, UsageError } from "./errors.ts";
import type { Io } from "./io.ts";
import { listCounterexamples, readCounterexample, saveCounterexample } from "./store.ts";

export async function merge(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    "merge",
    argv,
    { out: { type: "string" }, corpus: { type: "boolean" }, help: { type: "boolean" } },
    true,
  );
  if (values.help) {
    io.out(
      "usage: irqcheck merge DIR... [--out DIR]\n       irqcheck merge --corpus DIR... --out DIR\nCopies every counterexample into --out (default counterexamples/), skipping signatures already there;\nwith --corpus, every kept run of guided campaigns' corpus directories into the corpus --out.",
    );
    return EXIT.OK;
  }
  if (positionals.length === 0) throw new UsageError("irqcheck merge: expected one or more DIR");
  if (values.corpus === true) return mergeCorpora(positionals, values.out, io);
  const out = values.out ?? "counterexamples";
  let added = 0;
  let duplicates = 0;
  // Earliest run first, so shards of one campaign merge to what one machine would have kept.
  const all = positionals
    .flatMap((dir) => listCounterexamples(dir).map((file) => ({ file, c: readCounterexample(file) })))
    .sort((a, b) => (a.c.provenance.run ?? Number.MAX_SAFE_INTEGER) - (b.c.provenance.run ?? Number.MAX_SAFE_INTEGER));
  for (const { file, c } of all) {
    const r = saveCounterexample(out, c);
    if (r.saved) {
      added++;
      io.out(`added ${r.file} (from ${file})`);
    } else duplicates++;
  }
  io.out(`merged ${positionals.length} folders into ${out}: ${added} added, ${duplicates} already present`);
  return EXIT.OK;
}

function mergeCorpora(dirs: readonly string[], out: string | undefined, io: Io): number {
  if (out === undefined) throw new UsageError("irqcheck merge --corpus: expected --out DIR");
  let loaded = 0;
  let added = 0;
  for (const dir of dirs) {
    if (!existsSync(dir)) throw new UsageError(`irqcheck merge --corpus: ${dir}: no such directory`);
    const entries = loadCorpus(dir);
    loaded += entries.length;
    added += saveCorpus(out, entries);
  }
  io.out(`merged ${dirs.length} corpora into ${out}: ${added} runs added, ${loaded - added} already present`);
  return EXIT.OK;
}
