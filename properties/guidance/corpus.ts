/**
 * The corpus: runs that reached new features, kept as a profile's steps. An entry is
 * named by a hash of its content, so shards that keep the same run write the same file
 * and merging corpora is a union of file names (cli/corpus.ts does the files).
 */
import { createHash } from "node:crypto";
import { z } from "zod";
import { issuesFromZod, type Parsed } from "../language.ts";

export const CORPUS_FORMAT = "irqcheck-corpus-entry";
export const CORPUS_VERSION = 1;

export interface CorpusEntry {
  /** Content hash (16 hex digits) of profile, topology and steps. */
  readonly id: string;
  readonly profile: string;
  /** The topology name the steps were drawn for (CPU and IRTE indices depend on it). */
  readonly topology: string;
  readonly steps: readonly unknown[];
}

export function corpusEntry(profile: string, topology: string, steps: readonly unknown[]): CorpusEntry {
  const id = createHash("sha1")
    .update(JSON.stringify([profile, topology, steps]))
    .digest("hex")
    .slice(0, 16);
  return { id, profile, topology, steps };
}

export function serializeCorpusEntry(e: CorpusEntry): string {
  return `${JSON.stringify({ format: CORPUS_FORMAT, version: CORPUS_VERSION, profile: e.profile, topology: e.topology, steps: e.steps })}\n`;
}

const entrySchema = z.strictObject({
  format: z.literal(CORPUS_FORMAT),
  version: z.literal(CORPUS_VERSION),
  profile: z.string().min(1),
  topology: z.string().min(1),
  steps: z.array(z.record(z.string(), z.unknown())).min(1),
});

/** Validates a parsed corpus file; the id is recomputed from the content. */
export function parseCorpusEntry(input: unknown): Parsed<CorpusEntry> {
  const r = entrySchema.safeParse(input);
  if (!r.success) return { ok: false, issues: issuesFromZod("$", r.error) };
  return { ok: true, value: corpusEntry(r.data.profile, r.data.topology, r.data.steps) };
}

/** Entries in a fixed order (by id), duplicates removed: the same corpus gives the same campaign. */
export function canonicalCorpus(entries: readonly CorpusEntry[]): CorpusEntry[] {
  const byId = new Map(entries.map((e) => [e.id, e]));
  return [...byId.values()].sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
