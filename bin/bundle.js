// Running irqcheck's TypeScript as one compiled bundle instead of through tsx: tsx
// compiles each module on load and wraps every function in a `__name` call, which costs
// about 30% of a campaign's time. The bundle (esbuild) is built on first run into
// dist/bundle/, and rebuilt when any source file it was built from has changed size or
// modification time. Where it cannot be built (no esbuild, a read-only checkout), the
// sources run through tsx as before. IRQCHECK_NO_BUNDLE=1 forces that.
//
//   node bin/bundle.js ENTRY.ts [ARGS...]   runs one TypeScript entry compiled (bench/)
import { randomBytes } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
/** Builds kept per entry set: an older one may still be loaded by a running campaign's workers. */
const KEEP_BUILDS = 4;
/** The command and its sandbox worker, built together. */
export const CLI_ENTRIES = ["cli/main.ts", "cli/worker.ts"];
/** Tells a worker thread which build its parent loaded, so both run the same code. */
export const BUNDLE_ENV = "IRQCHECK_BUNDLE_DIR";

/** The output file of `entry` (a path relative to the root, e.g. "cli/main.ts") in a build. */
function outputOf(buildDir, entry) {
  return join(buildDir, entry.replace(/\.ts$/, ".js"));
}

/**
 * Each module keeps its own `import.meta.url` (paths to package.json, bin/worker.js, ...);
 * each source's size and time are noted before it is read, into `stamps`: an edit during
 * the build leaves a build that the next run finds stale, never one that looks fresh.
 */
function sourcesAsWritten(stamps) {
  return {
    name: "sources-as-written",
    setup(build) {
      build.onLoad({ filter: /\.ts$/ }, (args) => {
        const s = statSync(args.path);
        stamps.set(args.path, [args.path, s.size, s.mtimeMs]);
        const contents = readFileSync(args.path, "utf8")
          .replaceAll("import.meta.url", JSON.stringify(pathToFileURL(args.path).href))
          .replaceAll("import.meta.dirname", JSON.stringify(dirname(args.path)))
          .replaceAll("import.meta.filename", JSON.stringify(args.path));
        return { contents, loader: "ts" };
      });
    },
  };
}

/** The build recorded as latest for this entry set, if every file it was built from is unchanged. */
function freshBuild(cacheDir) {
  let latest;
  try {
    latest = JSON.parse(readFileSync(join(cacheDir, "latest.json"), "utf8"));
    for (const [path, size, mtimeMs] of latest.inputs) {
      const s = statSync(path);
      if (s.size !== size || s.mtimeMs !== mtimeMs) return null;
    }
  } catch {
    return null;
  }
  return join(cacheDir, latest.build);
}

async function build(cacheDir, entries) {
  const esbuild = await import("esbuild");
  const id = `${Date.now().toString(36)}-${randomBytes(4).toString("hex")}`;
  const buildDir = join(cacheDir, id);
  const stamps = new Map();
  const result = await esbuild.build({
    absWorkingDir: ROOT,
    entryPoints: entries.map((e) => ({ in: join(ROOT, e), out: e.replace(/\.ts$/, "") })),
    outdir: buildDir,
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    sourcemap: "linked",
    metafile: true,
    logLevel: "silent",
    plugins: [sourcesAsWritten(stamps)],
  });
  const inputs = Object.keys(result.metafile.inputs).map((p) => {
    const path = resolve(ROOT, p);
    if (stamps.has(path)) return stamps.get(path);
    const s = statSync(path);
    return [path, s.size, s.mtimeMs];
  });
  const latestTmp = join(cacheDir, `latest.json.${id}`);
  writeFileSync(latestTmp, JSON.stringify({ build: id, inputs }));
  renameSync(latestTmp, join(cacheDir, "latest.json"));
  pruneBuilds(cacheDir, id);
  return buildDir;
}

/** Removes all but the newest few builds (ids sort by time). */
function pruneBuilds(cacheDir, current) {
  const builds = readdirSync(cacheDir, { withFileTypes: true })
    .filter((d) => d.isDirectory() && d.name !== current)
    .map((d) => d.name)
    .sort()
    .reverse();
  for (const old of builds.slice(KEEP_BUILDS - 1)) rmSync(join(cacheDir, old), { recursive: true, force: true });
}

/**
 * A fresh build of `entries` (paths relative to the root), built now if needed; null when
 * the bundle is off or cannot be built.
 */
export async function bundleDir(entries) {
  if (process.env.IRQCHECK_NO_BUNDLE === "1") return null;
  const cacheDir = join(ROOT, "dist", "bundle", entries.map((e) => e.replace(/\W/g, "_")).join("+"));
  const fresh = freshBuild(cacheDir);
  if (fresh !== null) return fresh;
  try {
    mkdirSync(cacheDir, { recursive: true });
    return await build(cacheDir, entries);
  } catch {
    return null;
  }
}

/** The module `entry` of the entry set `entries`, compiled, or through tsx if it cannot be. */
export async function importEntry(entries, entry) {
  const dir = await bundleDir(entries);
  if (dir !== null) {
    process.setSourceMapsEnabled(true);
    process.env[BUNDLE_ENV] = dir;
    return import(pathToFileURL(outputOf(dir, entry)).href);
  }
  delete process.env[BUNDLE_ENV];
  const { register } = await import("tsx/esm/api");
  register();
  return import(pathToFileURL(join(ROOT, entry)).href);
}

/**
 * The module `entry` from the build its parent thread loaded (bin/worker.js), if that build
 * has it (a bench/ entry's build has no sandbox worker), else as importEntry does.
 */
export async function importEntryOfParent(entries, entry) {
  const dir = process.env[BUNDLE_ENV];
  const file = dir === undefined ? undefined : outputOf(dir, entry);
  if (file === undefined || !existsSync(file)) return importEntry(entries, entry);
  process.setSourceMapsEnabled(true);
  return import(pathToFileURL(file).href);
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const entry = process.argv[2];
  if (entry === undefined) {
    process.stderr.write("usage: node bin/bundle.js ENTRY.ts [ARGS...]\n");
    process.exit(2);
  }
  // The entry sees its own arguments as if it had been run directly.
  process.argv.splice(1, 1);
  const path = relative(ROOT, resolve(entry));
  await importEntry([path], path);
}
