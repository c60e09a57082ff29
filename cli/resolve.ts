/** Turning names and paths from the command line into variants, profiles and topologies. */
import { readFileSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import { tsImport } from "tsx/esm/api";
import { definitionProblem, type VariantDefinition, variantFromDefinition } from "../impl/variants/definition.ts";
import { findVariant, VARIANTS, type Variant } from "../impl/variants/index.ts";
import { TOPOLOGIES, type Topology } from "../model/topology.ts";
import { findProfile, PROFILES, type Profile } from "../properties/profiles/index.ts";
import { parseTopology } from "../properties/topology-file.ts";
import { InputError, UsageError } from "./errors.ts";

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
 * function `createImplementation` returning an Implementation.
 */
export async function loadImplementation(path: string): Promise<Variant> {
  const url = pathToFileURL(resolvePath(path)).href;
  let mod: Record<string, unknown>;
  try {
    // tsx's own loader: a .ts file outside any "type": "module" package loads too.
    mod = interopNamespace((await tsImport(url, import.meta.url)) as Record<string, unknown>);
  } catch (e) {
    const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
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
    return { summary: "user variant", mirrors: path, ...candidate } as Variant;
  }
  if (typeof mod.createImplementation === "function") {
    const create = mod.createImplementation as Variant["create"];
    return { name: `impl:${path}`, summary: "user variant", mirrors: path, create };
  }
  throw new UsageError(
    `--impl ${path}: expected an export "variant" ({name, create}) or a function "createImplementation"; found ${Object.keys(mod).join(", ") || "no exports"}`,
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

export function resolveProfile(name: string): Profile {
  const p = findProfile(name);
  if (p === undefined) throw new UsageError(`unknown profile "${name}" (known: ${Object.keys(PROFILES).join(", ")})`);
  return p;
}

/** A built-in topology name, or a JSON file. */
export function resolveTopology(nameOrFile: string): Topology {
  if (Object.hasOwn(TOPOLOGIES, nameOrFile)) {
    const t = TOPOLOGIES[nameOrFile];
    if (t !== undefined) return t;
  }
  let text: string;
  try {
    text = readFileSync(nameOrFile, "utf8");
  } catch {
    throw new UsageError(
      `--topology: "${nameOrFile}" is neither a built-in topology (${Object.keys(TOPOLOGIES).join(", ")}) nor a readable file`,
    );
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (e) {
    throw new InputError(nameOrFile, [
      { path: "$", code: "invalid-json", message: e instanceof Error ? e.message : String(e) },
    ]);
  }
  const r = parseTopology(json);
  if (!r.ok) throw new InputError(nameOrFile, r.issues);
  return r.value;
}
