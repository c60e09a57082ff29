/**
 * The counterexample store: one folder per variant, one file per signature and triage
 * (`delivery-log--msi.fire--missing-fault--known-D3_D10b.json`). Saving is
 * atomic and never overwrites (files.ts writeNewFile), so a campaign killed at any moment
 * leaves only whole files, and two campaigns sharing a folder never clobber each other.
 */
import { join } from "node:path";
import { type Counterexample, parseCounterexample, serializeCounterexample } from "../properties/counterexample.ts";
import { signatureLabel } from "../properties/signature.ts";
import { isDirectory, listDirectory, makeDirectory, readJsonInput, writeNewFile } from "./files.ts";

/** Counterexample files are a few KiB; this bounds what a hostile or broken file can cost. */
export const COUNTEREXAMPLE_MAX_BYTES = 16 * 2 ** 20;

const safe = (s: string) => s.replace(/[^A-Za-z0-9._-]/g, "_");

export function fileNameFor(c: Counterexample): string {
  const status = c.classification?.split(" ")[0];
  const triage = status === undefined ? "" : `--${status}${c.known.length === 0 ? "" : `-${c.known.join("_")}`}`;
  return `${safe(`${signatureLabel(c.signature).replaceAll("/", "--")}${triage}`)}.json`;
}

/** The folder a variant's counterexamples live in. */
export function variantFolder(dir: string, variant: string): string {
  return join(dir, safe(variant));
}

/** Save unless a counterexample with the same signature and triage is already there. */
export function saveCounterexample(dir: string, c: Counterexample): { file: string; saved: boolean } {
  const folder = variantFolder(dir, c.variant);
  makeDirectory(folder, "counterexample folder");
  const file = join(folder, fileNameFor(c));
  return { file, saved: writeNewFile(file, serializeCounterexample(c), "counterexample") };
}

export function readCounterexample(file: string): Counterexample {
  return readJsonInput(file, "counterexample", COUNTEREXAMPLE_MAX_BYTES, parseCounterexample);
}

/** Every counterexample file under `dir` (recursively), sorted; hidden files (temporaries) skipped. */
export function listCounterexamples(dir: string): string[] {
  if (!isDirectory(dir)) return [dir];
  const out: string[] = [];
  for (const name of listDirectory(dir).sort()) {
    if (name.startsWith(".")) continue;
    const path = join(dir, name);
    if (isDirectory(path)) out.push(...listCounterexamples(path));
    else if (name.endsWith(".json")) out.push(path);
  }
  return out;
}
