/**
 * The counterexample store: one folder per variant, one file per signature. Saving is
 * atomic and never overwrites: write a temporary file, then hard-link it to its final
 * name (link fails if the name exists), then remove the temporary.
 */
import { linkSync, mkdirSync, readdirSync, readFileSync, statSync, unlinkSync, writeFileSync } from "node:fs";
import { basename, join } from "node:path";
import { type Counterexample, parseCounterexample, serializeCounterexample } from "../properties/counterexample.ts";
import { InputError, UsageError } from "./errors.ts";

export function fileNameFor(c: Counterexample): string {
  const [, property, op, difference] = c.signature.split("/");
  return `${property}--${op}--${difference}.json`.replace(/[^A-Za-z0-9._-]/g, "_");
}

/** Save unless a counterexample with the same signature is already there. */
export function saveCounterexample(dir: string, c: Counterexample): { file: string; saved: boolean } {
  const folder = join(dir, c.variant.replace(/[^A-Za-z0-9._-]/g, "_"));
  mkdirSync(folder, { recursive: true });
  const file = join(folder, fileNameFor(c));
  const tmp = join(folder, `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  writeFileSync(tmp, serializeCounterexample(c), { flag: "wx" });
  try {
    linkSync(tmp, file);
    return { file, saved: true };
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST") return { file, saved: false };
    throw e;
  } finally {
    unlinkSync(tmp);
  }
}

export function readCounterexample(file: string): Counterexample {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new UsageError(`${file}: cannot read: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(file, [
      { path: "$", code: "invalid-json", message: e instanceof Error ? e.message : String(e) },
    ]);
  }
  const r = parseCounterexample(json);
  if (!r.ok) throw new InputError(file, r.issues);
  return r.value;
}

/** Every counterexample file under `dir` (recursively), sorted. */
export function listCounterexamples(dir: string): string[] {
  let entries: string[];
  try {
    if (statSync(dir).isFile()) return [dir];
    entries = readdirSync(dir);
  } catch (e) {
    throw new UsageError(`${dir}: cannot read directory: ${(e as NodeJS.ErrnoException).code ?? String(e)}`);
  }
  const out: string[] = [];
  for (const name of entries.sort()) {
    if (name.startsWith(".")) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...listCounterexamples(path));
    else if (name.endsWith(".json")) out.push(path);
  }
  return out;
}
