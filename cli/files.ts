/**
 * Every file irqcheck reads or writes goes through here, so every failure names the path
 * and the operation, inputs are bounded in size, and nothing is left half-written:
 * outputs are written to a temporary name beside the target and then linked (never
 * overwriting) or renamed into place; the temporary is removed on every path.
 */
import {
  accessSync,
  closeSync,
  constants,
  existsSync,
  fstatSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from "node:fs";
import { basename, dirname, join, resolve } from "node:path";
import type { Parsed } from "../properties/language.ts";
import { InputError, IoError, UsageError } from "./errors.ts";

const MiB = 2 ** 20;

/**
 * A text file given on the command line (counterexample, topology, trace, alphabet): at
 * most `limitBytes`, UTF-8, a leading byte-order mark dropped.
 */
export function readInputText(file: string, what: string, limitBytes: number): string {
  let fd: number;
  try {
    fd = openSync(file, "r");
  } catch (e) {
    throw new IoError(`read the ${what}`, file, e);
  }
  try {
    const size = fstatSync(fd).size;
    if (fstatSync(fd).isDirectory()) throw new UsageError(`${file}: is a directory, expected a ${what} file`);
    if (size > limitBytes)
      throw new UsageError(
        `${file}: ${(size / MiB).toFixed(1)} MiB, larger than the ${limitBytes / MiB} MiB a ${what} may be`,
      );
    const buffer = Buffer.alloc(size);
    let read = 0;
    while (read < size) {
      const n = readSync(fd, buffer, read, size - read, read);
      if (n === 0) break;
      read += n;
    }
    const text = buffer.subarray(0, read).toString("utf8");
    return text.charCodeAt(0) === 0xfeff ? text.slice(1) : text;
  } catch (e) {
    if (e instanceof UsageError) throw e;
    throw new IoError(`read the ${what}`, file, e);
  } finally {
    closeSync(fd);
  }
}

let tmpCounter = 0;

/** A temporary name beside `target`: hidden, unique to this process and call. */
function temporaryFor(target: string): string {
  return join(dirname(target), `.${basename(target)}.${process.pid}.${++tmpCounter}.tmp`);
}

function removeQuietly(path: string): void {
  try {
    unlinkSync(path);
  } catch {
    // Already gone (or never created): nothing to clean up.
  }
}

/**
 * Write `text` to `target` only if no file of that name exists: write a temporary, link
 * it to the name (link fails if the name exists), remove the temporary. Atomic: a reader
 * (or a kill -9) sees the whole file or none. Returns false if the name was taken.
 */
export function writeNewFile(target: string, text: string, what: string): boolean {
  const tmp = temporaryFor(target);
  try {
    writeFileSync(tmp, text, { flag: "wx" });
    linkSync(tmp, target);
    return true;
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === "EEXIST" && existsSync(target)) return false;
    throw new IoError(`write the ${what}`, target, e);
  } finally {
    removeQuietly(tmp);
  }
}

/**
 * Write or replace a report (--junit, --html): a temporary renamed over the target. A
 * target that exists and is not a regular file (/dev/null, /dev/stdout, a pipe) is
 * written in place: renaming over a device would replace it.
 */
export function writeReportFile(target: string, text: string, what: string): void {
  if (existsSync(target) && !statSync(target).isFile()) {
    try {
      writeFileSync(target, text);
      return;
    } catch (e) {
      throw new IoError(`write the ${what}`, target, e);
    }
  }
  const tmp = temporaryFor(target);
  try {
    writeFileSync(tmp, text, { flag: "wx" });
    renameSync(tmp, target);
  } catch (e) {
    removeQuietly(tmp);
    throw new IoError(`write the ${what}`, target, e);
  }
}

export function makeDirectory(dir: string, what: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (e) {
    throw new IoError(`create the ${what}`, dir, e);
  }
}

/** Creating a file in `dir` works (permissions, read-only or full file system): probe it. */
function probeWritable(flag: string, dir: string): void {
  try {
    accessSync(dir, constants.W_OK | constants.X_OK);
    const probe = temporaryFor(join(dir, "irqcheck-probe"));
    writeFileSync(probe, "probe", { flag: "wx" });
    unlinkSync(probe);
  } catch (e) {
    throw new IoError(`write in ${dir} (${flag})`, dir, e);
  }
}

/** The nearest existing ancestor of a path (for a directory that is still to be created). */
function existingAncestor(path: string): string {
  let p = resolve(path);
  while (!existsSync(p) && dirname(p) !== p) p = dirname(p);
  return p;
}

/**
 * An output directory (`--out`, `--save`), checked before any work: a directory or
 * nothing yet, and writable; created here, so the first finding can be saved at once.
 */
export function prepareOutputDirectory(flag: string, dir: string): void {
  if (existsSync(dir) && !statSync(dir).isDirectory())
    throw new UsageError(`${flag} ${dir}: is a file, expected a directory (or a path to create one at)`);
  const ancestor = existingAncestor(dir);
  if (!statSync(ancestor).isDirectory())
    throw new UsageError(`${flag} ${dir}: ${ancestor} is a file, so the directory cannot be created`);
  probeWritable(flag, ancestor);
  makeDirectory(dir, `${flag} directory`);
  probeWritable(flag, dir);
}

/** An output file (`--junit`, `--html`), checked before any work: not a directory; its folder exists and is writable. */
export function checkOutputFile(flag: string, file: string): void {
  if (file === "" || file.endsWith("/")) throw new UsageError(`${flag}: expected a file path, got "${file}"`);
  if (existsSync(file) && statSync(file).isDirectory())
    throw new UsageError(`${flag} ${file}: is a directory, expected a file path`);
  const parent = dirname(resolve(file));
  if (!existsSync(parent)) throw new UsageError(`${flag} ${file}: the folder ${parent} does not exist`);
  if (!statSync(parent).isDirectory()) throw new UsageError(`${flag} ${file}: ${parent} is not a directory`);
  probeWritable(flag, parent);
}

export function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch (e) {
    throw new IoError("read", path, e);
  }
}

export function listDirectory(dir: string): string[] {
  try {
    return readdirSync(dir);
  } catch (e) {
    throw new IoError("read the directory", dir, e);
  }
}

/**
 * A JSON input file read (within `maxBytes`), parsed and validated by `parse`; any problem
 * is an InputError naming the file and the JSON path.
 */
export function readJsonInput<T>(file: string, what: string, maxBytes: number, parse: (json: unknown) => Parsed<T>): T {
  const text = readInputText(file, what, maxBytes);
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(file, [
      { path: "$", code: "invalid-json", message: e instanceof Error ? e.message : String(e) },
    ]);
  }
  const r = parse(json);
  if (!r.ok) throw new InputError(file, r.issues);
  return r.value;
}
