import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { join, relative } from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { BUNDLE_ENV, bundleDir, importEntryOfParent } from "./bundle.js";

const ROOT = join(import.meta.dirname, "..");
mkdirSync(join(ROOT, "dist"), { recursive: true });
const dir = mkdtempSync(join(ROOT, "dist", "bundle-test-"));
const entry = relative(ROOT, join(dir, "entry.ts"));
const depEntry = relative(ROOT, join(dir, "dep.ts"));
const cacheDirs = [entry, depEntry].map((e) => join(ROOT, "dist", "bundle", e.replace(/\W/g, "_")));
afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
  for (const c of cacheDirs) rmSync(c, { recursive: true, force: true });
});

writeFileSync(join(dir, "entry.ts"), 'export const here: string = import.meta.url;\nexport { n } from "./dep.ts";\n');
writeFileSync(join(dir, "dep.ts"), "export const n: number = 1;\n");

async function load(build: string): Promise<{ here: string; n: number }> {
  return import(pathToFileURL(join(build, entry.replace(/\.ts$/, ".js"))).href);
}

describe("bin/bundle.js", () => {
  it("builds once, keeps each module's import.meta.url, and rebuilds when a source it read changes", async () => {
    const first = await bundleDir([entry]);
    expect(first).not.toBeNull();
    const m1 = await load(first as string);
    expect(m1.here).toBe(pathToFileURL(join(dir, "entry.ts")).href);
    expect(m1.n).toBe(1);
    expect(await bundleDir([entry])).toBe(first);

    // Same size, later time: only the stamp tells the change.
    writeFileSync(join(dir, "dep.ts"), "export const n: number = 2;\n");
    const later = new Date(Date.now() + 5000);
    utimesSync(join(dir, "dep.ts"), later, later);
    const second = await bundleDir([entry]);
    expect(second).not.toBeNull();
    expect(second).not.toBe(first);
    expect((await load(second as string)).n).toBe(2);
  });

  it("a worker whose parent's build lacks its entry (a bench/ entry's) loads a build of its own", async () => {
    const parent = await bundleDir([entry]);
    expect(parent).not.toBeNull();
    process.env[BUNDLE_ENV] = parent as string;
    try {
      const dep = (await importEntryOfParent([depEntry], depEntry)) as { n: number };
      expect(typeof dep.n).toBe("number");
    } finally {
      delete process.env[BUNDLE_ENV];
    }
  });

  it("is off with IRQCHECK_NO_BUNDLE=1", async () => {
    process.env.IRQCHECK_NO_BUNDLE = "1";
    try {
      expect(await bundleDir([entry])).toBeNull();
    } finally {
      delete process.env.IRQCHECK_NO_BUNDLE;
    }
  });
});
