/** `irqcheck merge DIR...`: the union of shards' counterexample folders, one file per signature. */
import { parse } from "./args.ts";
import { EXIT, UsageError } from "./errors.ts";
import type { Io } from "./io.ts";
import { listCounterexamples, readCounterexample, saveCounterexample } from "./store.ts";

export async function merge(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse("merge", argv, { out: { type: "string" }, help: { type: "boolean" } }, true);
  if (values.help) {
    io.out(
      "usage: irqcheck merge DIR... [--out DIR]\nCopies every counterexample into --out (default counterexamples/), skipping signatures already there.",
    );
    return EXIT.OK;
  }
  if (positionals.length === 0) throw new UsageError("irqcheck merge: expected one or more DIR");
  const out = values.out ?? "counterexamples";
  let added = 0;
  let duplicates = 0;
  for (const dir of positionals) {
    for (const file of listCounterexamples(dir)) {
      const r = saveCounterexample(out, readCounterexample(file));
      if (r.saved) {
        added++;
        io.out(`added ${r.file} (from ${file})`);
      } else duplicates++;
    }
  }
  io.out(`merged ${positionals.length} folders into ${out}: ${added} added, ${duplicates} already present`);
  return EXIT.OK;
}
