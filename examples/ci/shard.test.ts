/**
 * Sharding a guided campaign over machines (the GitHub Actions matrix and the Kubernetes
 * Indexed Job beside this file): N shards, each `fuzz --shard K/N` with its own
 * counterexample and corpus folders, merged afterwards with `irqcheck merge`, give the
 * same counterexamples and the same corpus as one machine running the same runs with N
 * jobs (shard K/N with one job and job K of N are the same stream of runs).
 */
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { main } from "../../cli/main.ts";

const scratch = mkdtempSync(join(tmpdir(), "irqcheck-shards-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

async function irqcheck(...argv: string[]): Promise<number> {
  return main(argv, { out: () => {}, err: () => {} });
}

/** Every file under `dir` with its path relative to `dir`, recursively, sorted. */
function files(dir: string): string[] {
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((d) => d.isFile())
    .map((d) => join(d.parentPath, d.name).slice(dir.length + 1))
    .sort();
}

/** A counterexample's content without its date: signature, commands, run, run seed. */
function content(file: string): unknown {
  const { provenance, ...rest } = JSON.parse(readFileSync(file, "utf8")) as { provenance: { date: string } };
  const { date: _, ...kept } = provenance;
  return { ...rest, provenance: kept };
}

const SHARDS = 3;
// --fail-on any: qemu-8.0's findings are known divergences, which alone exit 0.
const campaign = ["--variant", "qemu-8.0", "--runs", "450", "--seed", "5", "--fail-on", "any"];

describe("a campaign sharded over machines and merged", () => {
  it(`equals one machine running the same runs (${SHARDS} shards, qemu-8.0, 450 guided runs)`, async () => {
    for (let k = 0; k < SHARDS; k++) {
      const dir = join(scratch, `shard-${k}`);
      const code = await irqcheck(
        "fuzz",
        ...campaign,
        "--jobs",
        "1",
        "--shard",
        `${k}/${SHARDS}`,
        "--out",
        join(dir, "counterexamples"),
        "--corpus",
        join(dir, "corpus"),
      );
      expect(code).toBe(1);
    }
    const shards = Array.from({ length: SHARDS }, (_, k) => join(scratch, `shard-${k}`));
    const merged = join(scratch, "merged");
    expect(
      await irqcheck(
        "merge",
        ...shards.map((d) => join(d, "counterexamples")),
        "--out",
        join(merged, "counterexamples"),
      ),
    ).toBe(0);
    expect(
      await irqcheck("merge", "--corpus", ...shards.map((d) => join(d, "corpus")), "--out", join(merged, "corpus")),
    ).toBe(0);

    const one = join(scratch, "one");
    const code = await irqcheck(
      "fuzz",
      ...campaign,
      "--jobs",
      String(SHARDS),
      "--out",
      join(one, "counterexamples"),
      "--corpus",
      join(one, "corpus"),
    );
    expect(code).toBe(1);

    const cex = files(join(one, "counterexamples"));
    expect(cex.length).toBeGreaterThan(1);
    // The same findings (one file per signature and triage). Which job's shrunk run a
    // 3-job machine saves first depends on timing, so the commands may differ; both diverge
    // the same way on qemu-8.0.
    expect(files(join(merged, "counterexamples"))).toEqual(cex);
    const kind = (file: string) => {
      const c = content(file) as { signature: string; known: string[]; classification: string; variant: string };
      return [c.variant, c.signature, c.classification, c.known];
    };
    for (const f of cex)
      expect(kind(join(merged, "counterexamples", f))).toEqual(kind(join(one, "counterexamples", f)));
    const corpus = files(join(one, "corpus"));
    expect(corpus.length).toBeGreaterThan(10);
    expect(files(join(merged, "corpus"))).toEqual(corpus);
  });
});
