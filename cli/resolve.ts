/** Turning names and paths from the command line into variants, profiles and topologies. */
import { readFileSync } from "node:fs";
import { resolve as resolvePath } from "node:path";
import { pathToFileURL } from "node:url";
import { findVariant, VARIANTS, type Variant } from "../impl/variants/index.ts";
import { TOPOLOGIES, type Topology } from "../model/topology.ts";
import { findProfile, PROFILES, type Profile } from "../properties/profiles/index.ts";
import { parseTopology } from "../properties/topology-file.ts";
import { InputError, UsageError } from "./errors.ts";
import { EXEC_PREFIX, execVariant } from "./exec.ts";

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
 * Load a user's variant module (`--impl PATH`, .ts or .js). It must export `variant`
 * (a `{name, create}` object) or a default export of that shape, or a function
 * `createImplementation` returning an Implementation. `exec:CMD` is a program in any
 * language speaking the exec protocol (docs/protocol.md).
 */
export async function loadImplementation(path: string): Promise<Variant> {
  if (path.startsWith(EXEC_PREFIX)) return execVariant(path.slice(EXEC_PREFIX.length));
  const url = pathToFileURL(resolvePath(path)).href;
  let mod: Record<string, unknown>;
  try {
    mod = (await import(url)) as Record<string, unknown>;
  } catch (e) {
    const why = e instanceof Error ? e.message.split("\n")[0] : String(e);
    throw new UsageError(`--impl ${path}: the module failed to load: ${why}`);
  }
  const candidate = (mod.variant ?? mod.default) as Partial<Variant> | undefined;
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
