/**
 * `irqcheck real`: run a saved counterexample, a built-in scenario or one generated run
 * in a real QEMU + KVM guest (impl/real, guest/) and print it as `replay` does; or run an
 * agreement campaign of a profile in real QEMU against a TypeScript variant.
 */
import { existsSync } from "node:fs";
import { compareWithAbort, knownAbort } from "../impl/real/aborts.ts";
import {
  drawRuns,
  type Explanation,
  explain,
  needsIommu,
  needsMsix,
  type RealCampaign,
  runRealCampaign,
} from "../impl/real/campaign.ts";
import { asRealMachine, type MachineOptions, sequenceProblem, topologyProblem } from "../impl/real/encode.ts";
import { KERNELS } from "../impl/real/install.ts";
import { type RealSystem, resolveSystem, runOnRealQemu, type SystemSpec, systemName } from "../impl/real/qemu.ts";
import { SCENARIOS } from "../impl/real/scenarios.ts";
import type { Variant } from "../impl/variants/index.ts";
import type { Command } from "../model/commands.ts";
import { TOPOLOGIES, type Topology } from "../model/topology.ts";
import { type Agreement, runImplementation, stepDiff } from "../properties/agreement.ts";
import { checkResults } from "../properties/checker.ts";
import type { ImplementationFactory, StepResult } from "../properties/implementation.ts";
import { modelImplementation } from "../properties/reference-implementation.ts";
import { formatCommand, formatStep } from "../properties/report.ts";
import { closestAllowed } from "../properties/signature.ts";
import { parse, parseCount } from "./args.ts";
import { EXIT, UsageError } from "./errors.ts";
import type { Io } from "./io.ts";
import { resolveProfile, resolveTopology, resolveVariants } from "./resolve.ts";
import { readCounterexample } from "./store.ts";

export const REAL_HELP = `usage: irqcheck real FILE|SCENARIO [--irqchip split|off] [--iommu] [--variant NAME] [--cpus N] [SYSTEM] [--json]
       irqcheck real --profile NAME --seed S --run R [--irqchip …] [--variant NAME] [SYSTEM] [--json]
       irqcheck real --campaign N [--profile linux] [--seed S] [--max-commands 40] [--irqchip …] [--variant NAME] [SYSTEM] [--json]
SYSTEM: [--qemu PATH|10.0] [--firmware DIR|ROM] [--kvm host|nested] [--kernel ${KERNELS.join("|")}]
Runs command sequences in a real QEMU + KVM guest (qemu-system-x86_64 -accel kvm -machine q35,
kernel-irqchip=split|off, qboot, the guest in guest/; needs qemu-system-x86, gcc-multilib).
--qemu: the QEMU binary (default $IRQCHECK_QEMU, else qemu-system-x86_64 on PATH; "10.0" = the one
impl/real/scripts/debian-fetch.sh unpacked), its firmware found beside it (build dir pc-bios/,
<prefix>/share/qemu) or given by --firmware. --kvm host (default) uses /dev/kvm; --kvm nested boots
Debian's kernel --kernel (default 6.1; unpacked by debian-fetch.sh, needs busybox-static) under QEMU
TCG and runs the QEMU on its KVM: no /dev/kvm needed, one outer boot per command.
FILE is a saved counterexample; SCENARIO one of ${Object.keys(SCENARIOS).join(", ")} (2 vCPUs, pin 10).
Every step is printed with the guest's serial lines and reads; the step where real QEMU diverges from
the reference (guest-visible) is marked '>', and real QEMU is compared step by step with --variant
(default: the counterexample's variant, else for split qemu-7.2 on QEMU 7.x and qemu-8.2 on newer, with
@linux-6.1 over --kernel 6.1, and reference for off). Disagreements are explained by a host quirk (Q1),
a known model error (M1, M2, M4, M5) or a known QEMU abort (A1) (impl/real/EVIDENCE.md), or reported
as unexplained.
--cpus N keeps the first N vCPUs of the topology (the guest runs 1 or 2; commands aimed at the
others then reach no CPU). --iommu adds -device intel-iommu,intremap=on (default: when the
commands use IR). --campaign N draws runs 0, 1, … of --profile on topology small (--topology),
keeps N the guest can run, and reports agreement counts and every disagreement.
Exit 1: the run diverges from the reference (single run) or a disagreement no host quirk explains
(campaign); 2: bad usage, or real QEMU is unavailable.`;

interface Machine extends MachineOptions {
  readonly topology: Topology;
}

interface Comparator {
  readonly name: string;
  readonly create: ImplementationFactory;
  readonly variant?: Variant;
}

function comparator(name: string): Comparator {
  if (name === "reference") return { name, create: () => modelImplementation() };
  const v = resolveVariants([name])[0];
  if (v === undefined) throw new UsageError(`unknown variant "${name}"`);
  return { name: v.name, create: v.create, variant: v };
}

function irqchipOf(text: string | undefined): MachineOptions["irqchip"] {
  if (text === undefined || text === "split" || text === "off") return text ?? "split";
  throw new UsageError(`--irqchip: expected split or off, got "${text}"`);
}

function kvmOf(text: string | undefined): "host" | "nested" {
  if (text === undefined || text === "host" || text === "nested") return text ?? "host";
  throw new UsageError(`--kvm: expected host or nested, got "${text}"`);
}

function requireSystem(spec: SystemSpec): RealSystem {
  const a = resolveSystem(spec);
  if (!a.ok) throw new UsageError(`irqcheck real: real QEMU is unavailable here: ${a.why}`);
  return a.system;
}

/** The variant that mirrors a QEMU release in split mode over the KVM it runs on (impl/variants). */
function splitVariant(system: RealSystem): string {
  const major = Number(/version (\d+)\./.exec(system.qemu.version)?.[1] ?? "0");
  const kernel = system.kvm.mode === "nested" && system.kvm.kernel.name === "6.1" ? "@linux-6.1" : "";
  return `${major >= 8 ? "qemu-8.2" : "qemu-7.2"}${kernel}`;
}

/** The flags that select a system, to repeat in a reproduction command. */
function systemFlags(spec: SystemSpec): string {
  const flags = [
    spec.qemu === undefined ? "" : ` --qemu ${spec.qemu}`,
    spec.firmware === undefined ? "" : ` --firmware ${spec.firmware}`,
    spec.kvm === "nested" ? ` --kvm nested --kernel ${spec.kernel ?? "6.1"}` : "",
  ];
  return flags.join("");
}

function machineProblem(m: Machine, commands: readonly Command[]): string | null {
  return topologyProblem(m.topology, m) ?? sequenceProblem(commands, m.topology, m);
}

export async function real(argv: readonly string[], io: Io): Promise<number> {
  const { values, positionals } = parse(
    "real",
    argv,
    {
      irqchip: { type: "string" },
      iommu: { type: "boolean" },
      variant: { type: "string" },
      cpus: { type: "string" },
      campaign: { type: "string" },
      profile: { type: "string" },
      seed: { type: "string" },
      run: { type: "string" },
      "max-commands": { type: "string" },
      topology: { type: "string" },
      qemu: { type: "string" },
      firmware: { type: "string" },
      kvm: { type: "string" },
      kernel: { type: "string" },
      json: { type: "boolean" },
      help: { type: "boolean" },
    },
    true,
  );
  if (values.help) {
    io.out(REAL_HELP);
    return EXIT.OK;
  }
  const irqchip = irqchipOf(values.irqchip);
  const kvm = kvmOf(values.kvm);
  if (values.kernel !== undefined && kvm !== "nested") throw new UsageError("--kernel needs --kvm nested");
  if (values.kernel !== undefined && !(KERNELS as readonly string[]).includes(values.kernel))
    throw new UsageError(`--kernel: expected ${KERNELS.join(" or ")}, got "${values.kernel}"`);
  const spec: SystemSpec = {
    ...(values.qemu === undefined ? {} : { qemu: values.qemu }),
    ...(values.firmware === undefined ? {} : { firmware: values.firmware }),
    kvm,
    ...(kvm === "nested" ? { kernel: values.kernel ?? "6.1" } : {}),
  };
  const defaultVariant = (system: RealSystem) => (irqchip === "split" ? splitVariant(system) : "reference");
  const seed = parseCount("--seed", values.seed ?? "1", 0);
  const maxCommands = parseCount("--max-commands", values["max-commands"] ?? "40", 1, 10_000);
  const generated = values.campaign !== undefined || values.run !== undefined;
  if (generated && positionals.length > 0)
    throw new UsageError("irqcheck real: FILE and --campaign/--run exclude each other");
  if (values.campaign !== undefined && values.run !== undefined)
    throw new UsageError("use --campaign or --run, not both");
  if (generated) {
    const topology = resolveTopology(values.topology ?? "small");
    const profile = resolveProfile(values.profile ?? "linux");
    if (values.variant !== undefined) comparator(values.variant);
    if (values.run !== undefined) {
      const run = parseCount("--run", values.run, 0);
      const draw = drawRuns(profile, topology, seed, 1, maxCommands, irqchip, run);
      const drawn = draw.runs[0];
      if (drawn === undefined) throw new UsageError(`run ${run}: the guest cannot run it: ${draw.skipped[0]?.why}`);
      return single(io, values.json === true, spec, {
        title: `${profile.name} profile, seed ${seed}, run ${run} (${drawn.commands.length} commands)`,
        source: `--profile ${profile.name} --seed ${seed} --run ${run}`,
        commands: drawn.commands,
        machine: { topology, irqchip, iommu: values.iommu === true || drawn.iommu, msix: drawn.msix },
        compare: (system) => comparator(values.variant ?? defaultVariant(system)),
      });
    }
    const count = parseCount("--campaign", values.campaign ?? "", 1, 100_000);
    const bad = topologyProblem(topology, { irqchip, iommu: false });
    if (bad !== null) throw new UsageError(bad);
    const system = requireSystem(spec);
    const compare = comparator(values.variant ?? defaultVariant(system));
    const draw = drawRuns(profile, topology, seed, count, maxCommands, irqchip);
    const campaign = await runRealCampaign(system, topology, draw, irqchip, compare);
    const repro = (run: number) =>
      `irqcheck real --profile ${profile.name} --seed ${seed} --run ${run} --max-commands ${maxCommands} --topology ${topology.name} --irqchip ${irqchip} --variant ${compare.name}${systemFlags(spec)}`;
    return printCampaign(io, values.json === true, campaign, {
      header: `profile ${profile.name}, seed ${seed}, topology ${topology.name}, kernel-irqchip=${irqchip}, compared with ${compare.name}`,
      system: systemName(system),
      compare: compare.name,
      repro,
    });
  }
  const [target, ...extra] = positionals;
  if (target === undefined || extra.length > 0)
    throw new UsageError("irqcheck real: expected one counterexample FILE or SCENARIO, or --campaign N, or --run R");
  const loaded = load(target);
  const cpus = values.cpus === undefined ? undefined : parseCount("--cpus", values.cpus, 1, 2);
  const topology =
    cpus === undefined ? loaded.topology : { ...loaded.topology, cpus: loaded.topology.cpus.slice(0, cpus) };
  if (cpus === undefined && topology.cpus.length > 2)
    throw new UsageError(
      `${target}: topology ${topology.name} has ${topology.cpus.length} vCPUs and the real guest runs 1 or 2: add --cpus 2 (commands aimed at APIC IDs 2.. then reach no CPU)`,
    );
  if (values.variant !== undefined) comparator(values.variant);
  return single(io, values.json === true, spec, {
    title: loaded.title,
    source: target,
    commands: loaded.commands,
    machine: {
      topology,
      irqchip,
      iommu: values.iommu === true || needsIommu(loaded.commands),
      msix: needsMsix(loaded.commands),
    },
    compare: (system) =>
      comparator(
        values.variant ??
          (loaded.variant !== undefined && irqchip === "split" ? loaded.variant : defaultVariant(system)),
      ),
  });
}

function load(target: string): { title: string; commands: readonly Command[]; topology: Topology; variant?: string } {
  const scenario = Object.hasOwn(SCENARIOS, target) ? SCENARIOS[target] : undefined;
  if (scenario !== undefined && !existsSync(target)) {
    const topology = TOPOLOGIES.small;
    if (topology === undefined) throw new Error("topology small missing");
    return { title: scenario.title, commands: scenario.commands, topology };
  }
  const c = readCounterexample(target);
  return { title: c.title, commands: c.commands, topology: c.topology, variant: c.variant };
}

interface SingleRun {
  readonly title: string;
  readonly source: string;
  readonly commands: readonly Command[];
  readonly machine: Machine;
  /** The variant to compare with, chosen once the QEMU version is known. */
  readonly compare: (system: RealSystem) => Comparator;
}

async function single(io: Io, json: boolean, spec: SystemSpec, s: SingleRun): Promise<number> {
  const { topology } = s.machine;
  const why = machineProblem(s.machine, s.commands);
  if (why !== null) throw new UsageError(`${s.source}: the real guest cannot run this: ${why}`);
  const system = requireSystem(spec);
  const compare = s.compare(system);
  const run = await runOnRealQemu(system, topology, [s.commands], s.machine);
  const results = run.results[0] ?? [];
  const reference = checkResults(topology, s.commands.slice(0, results.length), results, "guest-visible");
  const abort = run.aborts[0];
  const agreement = compareWithAbort(
    topology,
    s.commands,
    runImplementation(asRealMachine(topology), compare.create(), s.commands),
    results,
    abort,
  );
  const ctx = {
    topology: asRealMachine(topology),
    commands: s.commands,
    real: results,
    create: compare.create,
    ...(compare.variant === undefined ? {} : { variant: compare.variant }),
  };
  const known = abort !== undefined && !agreement.agree ? knownAbort(abort, agreement.command) : null;
  const explanation =
    known !== null ? { kind: "qemu-abort" as const, ...known } : explain(system, s.machine, ctx, agreement);
  const ids = topology.cpus.map((c) => c.apicId);
  const referenceDiff = reference.ok
    ? []
    : (() => {
        const d = reference.divergence;
        const first = closestAllowed(d);
        return first === undefined ? [] : stepDiff({ ...first, trace: [] }, d.actual, ids);
      })();
  const machine = `-machine q35,kernel-irqchip=${s.machine.irqchip}${s.machine.iommu ? " -device intel-iommu,intremap=on" : ""}${s.machine.msix ? " -device ivshmem-doorbell" : ""}`;
  if (json) {
    io.out(
      JSON.stringify(
        {
          source: s.source,
          title: s.title,
          qemu: run.qemuVersion,
          system: run.system,
          kvm:
            system.kvm.mode === "host"
              ? { mode: "host", release: system.kvm.release }
              : { mode: "nested", kernel: system.kvm.kernel.release, package: system.kvm.kernel.packages },
          machine,
          topology: topology.name,
          cpus: ids,
          seconds: run.wallSeconds,
          notes: run.notes,
          steps: s.commands.map((command, i) => ({ command, serial: results[i]?.trace ?? [] })),
          reference: reference.ok
            ? { diverged: false }
            : { diverged: true, step: reference.divergence.step, diff: referenceDiff },
          variant: agreementJson(compare.name, agreement, explanation),
        },
        null,
        2,
      ),
    );
    return reference.ok ? EXIT.OK : EXIT.DIVERGED;
  }
  io.out(`# ${s.title}`);
  io.out(
    `# ${s.source}: ${s.commands.length} commands on real ${run.system} (${run.qemuVersion}), ${machine}, topology ${topology.name} (APIC IDs ${ids.join(",")}); ${run.wallSeconds.toFixed(2)} s`,
  );
  for (const n of run.notes) io.out(`# note: ${n}`);
  const at = reference.ok ? -1 : reference.divergence.step;
  s.commands.forEach((command, index) => {
    const result: StepResult = results[index] ?? { observations: [], visible: emptyVisible(), trace: [] };
    for (const line of formatStep(index, { command, result }, index === at ? ">" : " ")) io.out(line);
  });
  if (reference.ok) io.out(`real QEMU refines the reference on all ${s.commands.length} steps (guest-visible)`);
  else {
    io.out(`  DIVERGES from the reference at step #${at} (guest-visible); reference expected vs real QEMU:`);
    for (const l of referenceDiff) io.out(`    ${l}`);
  }
  for (const l of agreementLines(compare.name, agreement, explanation)) io.out(l);
  return reference.ok ? EXIT.OK : EXIT.DIVERGED;
}

/** formatStep needs a visible state only for its type; the guest always reports one per step. */
function emptyVisible(): StepResult["visible"] {
  return { ioapicId: 0, rtes: [], lapics: [], faultRecords: [], faultOverflow: false, msiPending: [] };
}

function agreementLines(name: string, a: Agreement, why: Explanation | null): string[] {
  if (a.agree) return [`${name} agrees with real QEMU on all ${a.steps} steps (visible state and reads)`];
  return [
    `${name} disagrees with real QEMU at step #${a.step} ${formatCommand(a.command)}; ${name} vs real QEMU:`,
    ...a.diff.map((l) => `    ${l}`),
    ...(why === null ? [] : [`    explained (${why.kind}): ${why.id}, ${why.summary}`]),
  ];
}

function agreementJson(name: string, a: Agreement, why: Explanation | null) {
  return a.agree
    ? { name, agree: true }
    : { name, agree: false, step: a.step, command: a.command, diff: a.diff, explained: why };
}

interface CampaignReport {
  readonly header: string;
  /** systemName(): the QEMU and the KVM it ran on. */
  readonly system: string;
  readonly compare: string;
  readonly repro: (run: number) => string;
}

/** Runs per explanation id, e.g. { Q1: 147, M1: 3 }. */
function countsById(runs: readonly { explanation: Explanation | null }[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const r of runs) if (r.explanation !== null) counts[r.explanation.id] = (counts[r.explanation.id] ?? 0) + 1;
  return counts;
}

function printCampaign(io: Io, json: boolean, c: RealCampaign, r: CampaignReport): number {
  const o = c.outcomes;
  const agree = o.filter((x) => x.agreement.agree);
  const quirks = o.filter((x) => x.explanation?.kind === "host-quirk");
  const modelErrors = o.filter((x) => x.explanation?.kind === "model-error");
  const aborts = o.filter((x) => x.explanation?.kind === "qemu-abort");
  const unexplained = o.filter((x) => !x.agreement.agree && x.explanation === null);
  const refines = o.filter((x) => x.reference.ok);
  const diverging = agree.filter((x) => !x.reference.ok);
  const wall = c.machines.reduce((t, m) => t + m.wallSeconds, 0);
  const commands = o.reduce((n, x) => n + x.commands.length, 0);
  const boots = c.machines.reduce((n, m) => n + m.boots, 0);
  const rate = o.length / wall;
  const disagreement = (x: (typeof o)[number]) => {
    const a = x.agreement;
    if (a.agree) return null;
    return {
      run: x.run,
      commands: x.commands.length,
      step: a.step,
      command: formatCommand(a.command),
      diff: a.diff,
      explained: x.explanation?.id ?? null,
      reproduce: r.repro(x.run),
    };
  };
  const listed = [...unexplained, ...quirks, ...modelErrors, ...aborts].sort((a, b) => a.run - b.run).map(disagreement);
  if (json) {
    io.out(
      JSON.stringify(
        {
          campaign: r.header,
          system: r.system,
          sequences: o.length,
          commands,
          skipped: c.skipped.length,
          qemu: c.machines[0]?.qemuVersion ?? "",
          boots,
          seconds: wall,
          notes: [...new Set(c.machines.flatMap((m) => m.notes))],
          sequencesPerSecond: rate,
          agree: agree.length,
          hostQuirk: quirks.length,
          modelError: modelErrors.length,
          qemuAbort: aborts.length,
          explainedBy: countsById(o),
          unexplained: unexplained.length,
          refineReference: refines.length,
          divergeFromReferenceAsVariant: diverging.length,
          disagreements: listed,
        },
        null,
        2,
      ),
    );
    return unexplained.length === 0 ? EXIT.OK : EXIT.DIVERGED;
  }
  const byId = (runs: typeof o) =>
    Object.entries(countsById(runs))
      .map(([id, n]) => `${id} ${n}`)
      .join(", ");
  io.out(`real QEMU campaign: ${r.header}`);
  io.out(`  on ${r.system} (${c.machines[0]?.qemuVersion ?? "QEMU"})`);
  io.out(
    `  ${o.length} sequences (${commands} commands): ${boots} boots, ${wall.toFixed(1)} s, ${rate.toFixed(1)} sequences/s`,
  );
  for (const n of new Set(c.machines.flatMap((m) => m.notes))) io.out(`  note: ${n}`);
  if (c.skipped.length > 0)
    io.out(`  skipped ${c.skipped.length} runs the guest cannot run (first: ${c.skipped[0]?.why})`);
  io.out(
    `  agree with ${r.compare} on every step: ${agree.length} (of which ${diverging.length} diverge from the reference, as ${r.compare} does)`,
  );
  io.out(
    `  disagree, explained by a host quirk: ${quirks.length}${quirks.length > 0 ? ` (${byId(quirks)})` : ""} (equal on every step before it)`,
  );
  io.out(
    `  disagree, explained by a known model error: ${modelErrors.length}${modelErrors.length > 0 ? ` (${byId(modelErrors)})` : ""} (equal on every step before it)`,
  );
  if (aborts.length > 0)
    io.out(`  disagree, real QEMU died (a known QEMU bug no variant models): ${aborts.length} (${byId(aborts)})`);
  io.out(`  disagree, unexplained: ${unexplained.length}`);
  io.out(`  refine the reference (guest-visible): ${refines.length}`);
  for (const d of listed) {
    if (d === null) continue;
    io.out(
      `  run ${d.run} (${d.commands} commands), step #${d.step} ${d.command}: ${d.explained ?? "UNEXPLAINED"}; ${d.diff.join("; ")}`,
    );
    io.out(`    reproduce: ${d.reproduce}`);
  }
  return unexplained.length === 0 ? EXIT.OK : EXIT.DIVERGED;
}
