/** Turning names and paths from the command line into variants, profiles and topologies. */
import { isAbsolute, relative, resolve as resolvePath } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";
import { definitionProblem, type VariantDefinition, variantFromDefinition } from "../impl/variants/definition.ts";
import { findVariant, VARIANTS, type Variant } from "../impl/variants/index.ts";
import { TOPOLOGIES, type Topology } from "../model/topology.ts";
import { findProfile, PROFILES, type Profile } from "../properties/profiles/index.ts";
import { parseTopology } from "../properties/topology-file.ts";
import { InputError, UsageError } from "./errors.ts";
import { EXEC_PREFIX, execVariant } from "./exec.ts";
import { readJsonInput } from "./files.ts";
import type { VariantSpec } from "./job.ts";

/**
 * The repository's counterexample store, wherever irqcheck is run from: `--out` and
 * `regress` default to it.
 */
export function defaultStore(): string {
  return fileURLToPath(new URL("../counterexamples", import.meta.url));
}

/** A path as the user would type it from here: relative below the working directory, else absolute. */
export function displayPath(path: string): string {
  const rel = relative(process.cwd(), resolvePath(path));
  return rel === "" ? "." : rel.startsWith("..") || isAbsolute(rel) ? resolvePath(path) : rel;
}

/** Topology files are a few hundred bytes. */
const TOPOLOGY_MAX_BYTES = 2 ** 20;

export function resolveVariants(names: readonly string[]): Variant[] {
  if (names.includes("all")) return [...VARIANTS];
  return names.map((name) => {
    const v = findVariant(name);
    if (v === undefined) {
      throw new UsageError(
        `unknown variant "${name}" (known: ${VARIANTS.map((x) => x.name).join(", ")}, all; or --impl PATH)`,
      );
    }
    return v;
  });
}

/**
 * Load a user's variant module (`--impl PATH`, .ts, .mts or .js). Its default export (or
 * `variant`) is a definition `{name, extends, <component>: (Base) => class extends Base
 * {...}}` (impl/variants/definition.ts), or a `{name, create}` object; or it exports a
 * function `createImplementation` returning an Implementation. `exec:CMD` is a program
 * in any language speaking the exec protocol (docs/protocol.md).
 */
export async function loadImplementation(path: string): Promise<Variant> {
  if (path.startsWith(EXEC_PREFIX)) return execVariant(path.slice(EXEC_PREFIX.length));
  const url = pathToFileURL(resolvePath(path)).href;
  let mod: Record<string, unknown>;
  try {
    // tsImport loads a .ts module wherever it lives (a plain import of a .ts file outside a
    // "type": "module" package is compiled as CommonJS and fails in a cycle).
    mod = interopNamespace(
      (/\.[cm]?ts$/.test(path) ? await tsImport(url, import.meta.url) : await import(url)) as Record<string, unknown>,
    );
  } catch (e) {
    // The whole message on one line: a compiler's first line is only "Transform failed
    // with 1 error:"; the file, line, column and reason follow it.
    const why = (e instanceof Error ? e.message : String(e))
      .split("\n")
      .map((l) => l.trim())
      .filter((l) => l !== "")
      .join(" ");
    throw new UsageError(`--impl ${path}: the module failed to load: ${why}`);
  }
  const exported = mod.variant ?? mod.default;
  if (typeof exported === "object" && exported !== null && "extends" in exported) {
    const problem = definitionProblem(
      exported,
      VARIANTS.map((v) => v.name),
    );
    if (problem !== null) throw new UsageError(`--impl ${path}: ${problem}`);
    const d = exported as VariantDefinition;
    const base = findVariant(d.extends);
    if (base === undefined) throw new UsageError(`--impl ${path}: unknown variant "${d.extends}"`);
    return variantFromDefinition(d, base, path);
  }
  const candidate = exported as Partial<Variant> | undefined;
  if (candidate !== undefined && typeof candidate.create === "function" && typeof candidate.name === "string") {
    const name = candidate.name;
    // Findings are filed and replayed under the name: it must be one, and not a built-in's.
    if (!/^\S(.{0,98}\S)?$/.test(name))
      throw new UsageError(
        `--impl ${path}: variant.name: expected 1 to 100 characters, not blank at either end, got ${JSON.stringify(name)}`,
      );
    if (findVariant(name) !== undefined)
      throw new UsageError(
        `--impl ${path}: variant.name: "${name}" is a built-in variant's name; give yours its own (e.g. "${name}+my-change")`,
      );
    return { summary: "user variant", mirrors: path, ...candidate } as Variant;
  }
  if (typeof mod.createImplementation === "function") {
    const create = mod.createImplementation as Variant["create"];
    return { name: `impl:${path}`, summary: "user variant", mirrors: path, create };
  }
  throw new UsageError(
    `--impl ${path}: expected an export "variant" ({name, create}) or a function "createImplementation"; found ${
      Object.keys(mod)
        .filter((k) => k !== "default")
        .join(", ") || "no exports"
    }`,
  );
}

/** A module compiled as CommonJS arrives as `{default: exports}`; its exports are the namespace. */
function interopNamespace(ns: Record<string, unknown>): Record<string, unknown> {
  const d = ns.default;
  if (typeof d === "object" && d !== null && (d as { __esModule?: unknown }).__esModule === true) {
    return d as Record<string, unknown>;
  }
  return ns;
}

/**
 * How a finding records the --impl it came from: a module path made absolute (so `replay`
 * finds it from anywhere); anything else (such as an `exec:` command line) as given.
 */
export function implReference(spec: VariantSpec): { impl: string } | Record<string, never> {
  if (!("implPath" in spec)) return {};
  const p = spec.implPath;
  return { impl: /^[a-z]+:/.test(p) ? p : resolvePath(p) };
}

/** A variant to run in a sandbox: its spec (plain data) and its name. */
export interface ChosenVariant {
  readonly spec: VariantSpec;
  readonly name: string;
}

/**
 * The variant a command runs: `--impl PATH`, else `--variant NAME`, else the one a
 * counterexample file names (an unknown name there names the file and the field).
 */
export async function chooseVariant(
  given: { readonly impl?: string | undefined; readonly variant?: string | undefined },
  fromFile?: { readonly file: string; readonly variant: string; readonly impl?: string | undefined },
): Promise<ChosenVariant> {
  if (
    given.impl === undefined &&
    given.variant === undefined &&
    fromFile?.impl !== undefined &&
    findVariant(fromFile.variant) === undefined
  )
    return chooseVariant({ impl: fromFile.impl });
  if (given.impl !== undefined)
    return { spec: { implPath: given.impl }, name: (await loadImplementation(given.impl)).name };
  if (given.variant !== undefined) {
    const [v] = resolveVariants([given.variant]);
    if (v === undefined) throw new UsageError("--variant: no variant");
    return { spec: { name: v.name }, name: v.name };
  }
  if (fromFile === undefined) throw new UsageError("give --variant NAME or --impl PATH");
  const v = findVariant(fromFile.variant);
  if (v === undefined)
    throw new InputError(fromFile.file, [
      {
        path: "$.variant",
        code: "unknown-variant",
        message: `no built-in variant "${fromFile.variant}" (known: ${VARIANTS.map((x) => x.name).join(", ")}); give --variant NAME or --impl PATH`,
      },
    ]);
  return { spec: { name: v.name }, name: v.name };
}

export function resolveProfile(name: string): Profile {
  const p = findProfile(name);
  if (p === undefined) throw new UsageError(`unknown profile "${name}" (known: ${Object.keys(PROFILES).join(", ")})`);
  return p;
}

/** A built-in topology name, or a JSON file. */
export function resolveTopology(nameOrFile: string, flag = "--topology"): Topology {
  if (Object.hasOwn(TOPOLOGIES, nameOrFile)) {
    const t = TOPOLOGIES[nameOrFile];
    if (t !== undefined) return t;
  }
  if (!/[./\\]/.test(nameOrFile))
    throw new UsageError(
      `${flag}: unknown topology "${nameOrFile}" (built-in: ${Object.keys(TOPOLOGIES).join(", ")}; or a JSON file path)`,
    );
  return readJsonInput(nameOrFile, "topology", TOPOLOGY_MAX_BYTES, parseTopology);
}
