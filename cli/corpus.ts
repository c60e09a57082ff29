/**
 * The corpus directory of guided campaigns (`fuzz --corpus DIR`, `merge --corpus`):
 * `DIR/<topology>/<profile>/<id>.json`, one kept run per file, named by its content hash.
 * Saving never overwrites (an existing name holds the same run), so merging shards'
 * corpora is copying files, and a nightly job continues from the last one's corpus.
 */
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { type CorpusEntry, parseCorpusEntry, serializeCorpusEntry } from "../properties/guidance/corpus.ts";
import { UsageError } from "./errors.ts";
import { readJsonInput } from "./files.ts";

const safe = (name: string) => name.replace(/[^A-Za-z0-9._-]/g, "_");

function corpusFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...corpusFiles(path));
    else if (name.endsWith(".json")) out.push(path);
  }
  return out;
}

/** Every entry under `dir`; a directory that does not exist yet is an empty corpus. */
/** A kept run is a few KiB; this bounds what a damaged file can cost. */
const CORPUS_ENTRY_MAX_BYTES = 2 ** 20;

export function loadCorpus(dir: string): CorpusEntry[] {
  if (!existsSync(dir)) return [];
  if (!statSync(dir).isDirectory()) throw new UsageError(`--corpus: ${dir} is not a directory`);
  return corpusFiles(dir).map((file) => readJsonInput(file, "corpus entry", CORPUS_ENTRY_MAX_BYTES, parseCorpusEntry));
}

/** Writes the entries not yet in `dir`; returns how many were new. */
export function saveCorpus(dir: string, entries: readonly CorpusEntry[]): number {
  let added = 0;
  for (const e of entries) {
    const folder = join(dir, safe(e.topology), safe(e.profile));
    mkdirSync(folder, { recursive: true });
    try {
      writeFileSync(join(folder, `${e.id}.json`), serializeCorpusEntry(e), { flag: "wx" });
      added++;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
  }
  return added;
}
