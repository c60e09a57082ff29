/**
 * `npm run bench:real`: agreement campaigns against real systems, per (QEMU, KVM) pair and
 * profile: QEMU 7.2 (the system's) and 10.0.2 (impl/real/scripts/debian-fetch.sh) on Debian's
 * KVM 6.1 and 6.12 nested in QEMU TCG, and this host's KVM for contrast. One outer boot per
 * pair and profile; bench/RESULTS-real.md is rewritten after each, so a cut-short run keeps
 * what finished. Flags: --runs N (300 per profile), --seed S (1), --max-commands N (40),
 * --pairs 7.2/6.1,10.0/6.12,7.2/host (default: all five), --profiles linux,uniform,ir,devices.
 */
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { cpus, totalmem } from "node:os";
import { parseArgs } from "node:util";
import { drawRuns, type RealCampaign, runRealCampaigns } from "../impl/real/campaign.ts";
import { resolveSystem, systemName } from "../impl/real/qemu.ts";
import { findVariant } from "../impl/variants/index.ts";
import { TOPOLOGIES } from "../model/topology.ts";
import { findProfile } from "../properties/profiles/index.ts";

const { values } = parseArgs({
  options: {
    runs: { type: "string", default: "300" },
    seed: { type: "string", default: "1" },
    "max-commands": { type: "string", default: "40" },
    pairs: { type: "string", default: "7.2/6.1,7.2/6.12,10.0/6.1,10.0/6.12,7.2/host" },
    profiles: { type: "string", default: "linux,uniform,ir,devices" },
  },
});
const runs = Number(values.runs);
const seed = Number(values.seed);
const maxCommands = Number(values["max-commands"]);
const topology = TOPOLOGIES.small;
if (topology === undefined) throw new Error("topology small missing");

const lines: string[] = [];
const rows: string[] = [];
const examples: string[] = [];
const notes: string[] = [];
const commit = (() => {
  try {
    return execFileSync("git", ["rev-parse", "--short", "HEAD"], { encoding: "utf8" }).trim();
  } catch {
    return "unknown";
  }
})();
const started = new Date().toISOString();

function write(): void {
  lines.length = 0;
  lines.push("# irqcheck against real QEMU + KVM: agreement campaigns", "");
  lines.push(`- machine: ${cpus()[0]?.model ?? "?"}, ${cpus().length} cores, ${(totalmem() / 2 ** 30).toFixed(0)} GiB`);
  lines.push(`- started: ${started}; commit ${commit}`);
  lines.push(
    `- command: npm run bench:real -- --runs ${runs} --seed ${seed} --max-commands ${maxCommands} --pairs ${values.pairs} --profiles ${values.profiles}`,
  );
  lines.push(
    "- topology small (2 vCPUs), kernel-irqchip=split; each run compared step by step with the variant of its QEMU and kernel (qemu-7.2 for 7.2, qemu-8.2 for 10.0; @linux-6.1 over KVM 6.1) and checked against the reference (guest-visible). Explanations: Q1 host quirk (guest/README.md); M1, M2, M4, M5 known model errors; A1 QEMU abort (impl/real/EVIDENCE.md).",
    "",
  );
  lines.push(
    "| QEMU | KVM | profile | variant | runs | skipped draws | agree | of which diverge from reference | host quirk | model error | QEMU abort | unexplained | refine reference | sequences/s |",
  );
  lines.push("| --- | --- | --- | --- | ---: | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |");
  lines.push(...rows, "");
  if (examples.length > 0)
    lines.push("## First run of each explanation, and every unexplained run", "", ...examples, "");
  if (notes.length > 0) lines.push("## Not run, and notes", "", ...notes, "");
  writeFileSync(new URL("./RESULTS-real.md", import.meta.url), `${lines.join("\n")}\n`);
}

function report(c: RealCampaign, qemu: string, kvm: string, profile: string, variant: string, flags: string): void {
  const o = c.outcomes;
  const agree = o.filter((x) => x.agreement.agree);
  const quirk = o.filter((x) => x.explanation?.kind === "host-quirk").length;
  const aborts = o.filter((x) => x.explanation?.kind === "qemu-abort").length;
  const modelErrors: Record<string, number> = {};
  for (const x of o)
    if (x.explanation?.kind === "model-error") modelErrors[x.explanation.id] = (modelErrors[x.explanation.id] ?? 0) + 1;
  const unexplained = o.filter((x) => !x.agreement.agree && x.explanation === null);
  const wall = c.machines.reduce((t, m) => t + m.wallSeconds, 0);
  for (const n of new Set(c.machines.flatMap((m) => m.notes)))
    notes.push(`- ${profile} on QEMU ${qemu} / KVM ${kvm}: ${n}`);
  const me =
    Object.entries(modelErrors)
      .map(([id, n]) => `${id} ${n}`)
      .join(", ") || "0";
  rows.push(
    `| ${qemu} | ${kvm} | ${profile} | ${variant} | ${o.length} | ${c.skipped.length} | ${agree.length} | ${agree.filter((x) => !x.reference.ok).length} | ${quirk} | ${me} | ${aborts} | ${unexplained.length} | ${o.filter((x) => x.reference.ok).length} | ${(o.length / wall).toFixed(2)} |`,
  );
  const repro = (run: number) =>
    `irqcheck real --profile ${profile} --seed ${seed} --run ${run} --max-commands ${maxCommands} --variant ${variant}${flags}`;
  const seen = new Set<string>();
  for (const x of o) {
    if (x.agreement.agree) continue;
    const id = x.explanation?.id ?? "UNEXPLAINED";
    if (id !== "UNEXPLAINED" && seen.has(id)) continue;
    seen.add(id);
    examples.push(
      `- ${id} on QEMU ${qemu} / KVM ${kvm}, ${profile} run ${x.run}, step #${x.agreement.step}: ${x.agreement.diff.join("; ")}`,
      `  \`${repro(x.run)}\``,
    );
  }
  console.log(rows.at(-1));
}

for (const pair of (values.pairs ?? "").split(",")) {
  const [qemu = "", kvm = ""] = pair.split("/");
  const spec = {
    ...(qemu === "10.0" ? { qemu: "10.0" } : {}),
    ...(kvm === "host" ? { kvm: "host" as const } : { kvm: "nested" as const, kernel: kvm }),
  };
  const r = resolveSystem(spec);
  if (!r.ok) {
    notes.push(`- QEMU ${qemu} / KVM ${kvm}: ${r.why}`);
    write();
    continue;
  }
  const variant = findVariant(`${qemu === "10.0" ? "qemu-8.2" : "qemu-7.2"}${kvm === "6.1" ? "@linux-6.1" : ""}`);
  if (variant === undefined) throw new Error("variant missing");
  const flags = `${qemu === "10.0" ? " --qemu 10.0" : ""}${kvm === "host" ? "" : ` --kvm nested --kernel ${kvm}`}`;
  console.log(`# ${systemName(r.system)}`);
  for (const name of (values.profiles ?? "").split(",")) {
    const profile = findProfile(name);
    if (profile === undefined) throw new Error(`profile ${name} missing`);
    const draw = drawRuns(profile, topology, seed, runs, maxCommands, "split");
    if (draw.runs.length === 0) {
      notes.push(
        `- ${name} on QEMU ${qemu} / KVM ${kvm}: none of ${draw.skipped.length} draws can run in the guest (first: ${draw.skipped[0]?.why})`,
      );
      write();
      continue;
    }
    try {
      const [c] = await runRealCampaigns(r.system, topology, [{ draw, create: variant.create, variant }], "split");
      if (c !== undefined) report(c, qemu, kvm, name, variant.name, flags);
    } catch (e) {
      notes.push(`- ${name} on QEMU ${qemu} / KVM ${kvm}: failed: ${(e as Error).message.split("\n")[0]}`);
      console.log(notes.at(-1));
    }
    write();
  }
}
