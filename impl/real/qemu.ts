/**
 * Run command sequences in a real QEMU + KVM guest (qboot, multiboot guest from guest/),
 * many sequences per boot, and return them as StepResults like any implementation. The
 * QEMU is any build (install.ts); KVM is this host's (/dev/kvm) or a Debian kernel's KVM
 * nested in QEMU TCG (nested.ts).
 */
import { execFileSync } from "node:child_process";
import {
  accessSync,
  constants,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from "node:fs";
import { readFile } from "node:fs/promises";
import { release, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "../../model/commands.ts";
import type { Topology } from "../../model/topology.ts";
import type { StepResult } from "../../properties/implementation.ts";
import { BootCollector, type BootOutput, type QemuAbort } from "./boots.ts";
import { encodeScenario, type MachineOptions, msixDevfn, sequenceProblem, topologyProblem } from "./encode.ts";
import { type KernelBuild, type QemuBuild, resolveKernel, resolveQemu, shortVersion } from "./install.ts";
import {
  baseInitramfs,
  busyboxProblem,
  INNER,
  jobsArchive,
  NESTED_BOOT_SECONDS,
  type NestedJob,
  outerArgs,
  parseNestedReport,
  runProcess,
} from "./nested.ts";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const GUEST_DIR = join(ROOT, "guest");
export const GUEST_ELF = join(GUEST_DIR, "build", "guest.elf");
/** guest/ivshmem-server.c, built beside the guest: the server an ivshmem-doorbell connects to. */
export const IVSHMEM_SERVER = join(GUEST_DIR, "build", "ivshmem-server");

/** The KVM the inner QEMU uses: this host's /dev/kvm, or a Debian kernel's nested in QEMU TCG. */
export type KvmSystem =
  | { readonly mode: "host"; readonly release: string }
  | { readonly mode: "nested"; readonly kernel: KernelBuild; readonly outer: QemuBuild };

/** The real system a run is checked against: a QEMU on a KVM. */
export interface RealSystem {
  readonly qemu: QemuBuild;
  readonly kvm: KvmSystem;
}

/** What `irqcheck real` was asked to run on (flags and IRQCHECK_QEMU). */
export interface SystemSpec {
  readonly qemu?: string;
  readonly firmware?: string;
  readonly kvm?: "host" | "nested";
  readonly kernel?: string;
}

/** "QEMU 10.0.2, KVM 6.12.95+deb12-amd64 (nested in TCG)". */
export function systemName(s: RealSystem): string {
  const kvm = s.kvm.mode === "host" ? `host KVM ${s.kvm.release}` : `KVM ${s.kvm.kernel.release} (nested in TCG)`;
  return `QEMU ${shortVersion(s.qemu.version)}, ${kvm}`;
}

function commandWorks(cmd: string, args: string[], input = ""): boolean {
  try {
    execFileSync(cmd, args, { input, stdio: ["pipe", "ignore", "ignore"], timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
}

/** Outer boots tried when the outer kernel panics under TCG before finishing its jobs. */
const OUTER_PANIC_BOOTS = 3;
/** Beyond the longest job's limit: the inner QEMU's `timeout -k`, and printing its block. */
const REPORT_SLACK_SECONDS = 60;

/** The system a spec names, or why it cannot run here (one line). */
export function resolveSystem(
  spec: SystemSpec,
  env: NodeJS.ProcessEnv = process.env,
): { ok: true; system: RealSystem } | { ok: false; why: string } {
  try {
    const qemu = resolveQemu({ qemu: spec.qemu ?? env.IRQCHECK_QEMU, firmware: spec.firmware }, env);
    if (!commandWorks("timeout", ["--version"])) return { ok: false, why: "coreutils timeout not found" };
    // Only gcc reads stdin: feeding a tool that exits first fails with EPIPE.
    if (!commandWorks("gcc", ["-m32", "-ffreestanding", "-c", "-x", "c", "-", "-o", "/dev/null"], "int x;\n"))
      return { ok: false, why: "gcc -m32 does not work (apt-get install gcc-multilib)" };
    if ((spec.kvm ?? "host") === "host") {
      try {
        accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
      } catch {
        return { ok: false, why: "/dev/kvm is missing or not writable (--kvm nested needs none)" };
      }
      return { ok: true, system: { qemu, kvm: { mode: "host", release: release() } } };
    }
    const kernel = resolveKernel(spec.kernel ?? "6.1", env);
    const busybox = busyboxProblem();
    if (busybox !== null) return { ok: false, why: busybox };
    // The outer machine is plain TCG: the system's QEMU if there is one, else the inner one.
    let outer: QemuBuild;
    try {
      outer = resolveQemu({}, env);
    } catch {
      outer = qemu;
    }
    return { ok: true, system: { qemu, kvm: { mode: "nested", kernel, outer } } };
  } catch (e) {
    return { ok: false, why: (e as Error).message };
  }
}

/** Build guest/build/guest.elf and ivshmem-server with guest/build.sh when one is missing or older than a source. */
export function buildGuest(): string {
  const sources = readdirSync(GUEST_DIR).filter((f) => /\.(c|h|S|ld|sh)$/.test(f));
  const built = existsSync(GUEST_ELF) && existsSync(IVSHMEM_SERVER) ? statSync(GUEST_ELF).mtimeMs : 0;
  if (sources.some((f) => statSync(join(GUEST_DIR, f)).mtimeMs > built)) {
    execFileSync("sh", [join(GUEST_DIR, "build.sh")], { stdio: ["ignore", "ignore", "pipe"] });
  }
  return GUEST_ELF;
}

/** The ivshmem server each MSI-X device's chardev connects to: its socket and vector count. */
export interface IvshmemServer {
  readonly socket: string;
  readonly vectors: number;
}

/** One server per topology MSI-X device when the machine has them (options.msix). */
export function ivshmemServers(topology: Topology, options: MachineOptions, socketDir: string): IvshmemServer[] {
  if (!options.msix) return [];
  return topology.msiDevices.map((d, i) => ({ socket: join(socketDir, `ivshmem${i}.sock`), vectors: d.vectors }));
}

/**
 * `-device ivshmem-doorbell` per MSI-X device, at the slot of its requester ID (so VT-d sees
 * the topology's source ID), its vectors backed by the server's eventfds, which QEMU binds
 * to KVM irqfds (ivshmem_enable_irqfd, ivshmem_vector_unmask); ioeventfd (the default)
 * signals them from the doorbell register in the kernel.
 */
function ivshmemArgs(topology: Topology, servers: readonly IvshmemServer[]): string[] {
  return servers.flatMap((s, i) => {
    const devfn = msixDevfn(topology.msiDevices[i]?.requesterId ?? 0) ?? 0;
    const addr = `${(devfn >> 3).toString(16)}.${devfn & 7}`;
    return [
      ...["-chardev", `socket,path=${s.socket},id=ivshmem${i}`],
      ...["-device", `ivshmem-doorbell,chardev=ivshmem${i},vectors=${s.vectors},addr=${addr}`],
    ];
  });
}

/** The inner QEMU's machine (shared/docs/real-qemu.md); the runner adds -initrd and -serial. */
export function qemuArgs(
  topology: Topology,
  options: MachineOptions,
  paths: { firmwareDir: string; qboot: string; guest: string; socketDir: string },
): string[] {
  return [
    ...["-accel", "kvm", "-machine", `q35,kernel-irqchip=${options.irqchip}`, "-m", "128"],
    ...["-smp", String(topology.cpus.length), "-L", paths.firmwareDir, "-bios", paths.qboot, "-kernel", paths.guest],
    ...(options.iommu ? ["-device", "intel-iommu,intremap=on"] : []),
    ...["-device", "pc-testdev", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"],
    ...ivshmemArgs(topology, ivshmemServers(topology, options, paths.socketDir)),
    ...["-display", "none", "-nodefaults", "-no-reboot"],
  ];
}

export interface RealQemuOptions extends MachineOptions {
  /** Seconds before `timeout` kills one inner boot; default 30 s (nested 60 s) + per command. */
  readonly timeoutSeconds?: number;
}

/** Sequences for one machine configuration. */
export interface RealJob {
  readonly topology: Topology;
  readonly sequences: readonly (readonly Command[])[];
  readonly options: RealQemuOptions;
}

export interface RealQemuRun {
  /** One StepResult[] per input sequence, in order; an aborted sequence's up to its abort. */
  readonly results: StepResult[][];
  /** Sequences during which QEMU died (e.g. an assertion): a finding each. */
  readonly aborts: readonly QemuAbort[];
  readonly boots: number;
  /** Wall time of each inner QEMU process, seconds. */
  readonly bootSeconds: readonly number[];
  /** Wall time of this job (nested: its share of the outer machine's, by inner boot time). */
  readonly wallSeconds: number;
  readonly sequencesPerSecond: number;
  readonly qemuVersion: string;
  /** systemName() of what it ran on. */
  readonly system: string;
  /** The inner QEMU command line of the first boot. */
  readonly commandLine: readonly string[];
  /** What went wrong around the run without spoiling it (nested: an outer kernel panic and the reboot). */
  readonly notes: readonly string[];
}

function checkJob(job: RealJob): void {
  const bad = topologyProblem(job.topology, job.options);
  if (bad !== null) throw new Error(bad);
  job.sequences.forEach((seq, i) => {
    const why = sequenceProblem(seq, job.topology, job.options);
    if (why !== null) throw new Error(`sequence ${i}, ${why}`);
  });
}

function timeLimit(job: RealJob, nested: boolean): number {
  const commands = job.sequences.reduce((n, s) => n + s.length, 0);
  return job.options.timeoutSeconds ?? Math.ceil(nested ? 60 + commands * 0.2 : 30 + commands * 0.05);
}

/**
 * Run every job's sequences in real QEMU, in order; with --kvm nested all jobs share one
 * boot of the outer machine. Sequences a guest cannot run are rejected up front with
 * `step N: why` (use sequenceProblem() to filter a campaign). A machine state the guest
 * cannot clear between sequences (e.g. an IRR bit below 0x10) makes it stop; the runner
 * then boots a fresh inner QEMU at that sequence.
 */
export async function runJobs(system: RealSystem, jobs: readonly RealJob[]): Promise<RealQemuRun[]> {
  for (const job of jobs) checkJob(job);
  buildGuest();
  return system.kvm.mode === "host" ? runOnHost(system, jobs) : runNested(system, system.kvm, jobs);
}

export async function runOnRealQemu(
  system: RealSystem,
  topology: Topology,
  sequences: readonly (readonly Command[])[],
  options: RealQemuOptions,
): Promise<RealQemuRun> {
  const [run] = await runJobs(system, [{ topology, sequences, options }]);
  if (run === undefined) throw new Error("no run");
  return run;
}

function summary(
  system: RealSystem,
  job: RealJob,
  collector: BootCollector,
  wallSeconds: number,
  commandLine: string[],
): RealQemuRun {
  return {
    results: collector.finish(),
    aborts: collector.aborts,
    boots: collector.bootSeconds.length,
    bootSeconds: collector.bootSeconds,
    wallSeconds,
    sequencesPerSecond: job.sequences.length / wallSeconds,
    qemuVersion: system.qemu.version,
    system: systemName(system),
    commandLine,
    notes: [],
  };
}

async function runOnHost(system: RealSystem, jobs: readonly RealJob[]): Promise<RealQemuRun[]> {
  const dir = mkdtempSync(join(tmpdir(), "irqcheck-real-"));
  const scenario = join(dir, "scenario.bin");
  const serial = join(dir, "serial.txt");
  const runs: RealQemuRun[] = [];
  try {
    for (const job of jobs) {
      const started = performance.now();
      const args = [
        ...qemuArgs(job.topology, job.options, { ...system.qemu, guest: GUEST_ELF, socketDir: dir }),
        ...["-initrd", scenario, "-serial", `file:${serial}`],
      ];
      const servers = ivshmemServers(job.topology, job.options, dir);
      const collector = new BootCollector(job.topology, job.sequences);
      let first: number | null = 0;
      while (first !== null) {
        writeFileSync(scenario, encodeScenario(job.topology, job.sequences, job.options, first));
        writeFileSync(serial, "");
        const t0 = performance.now();
        const limit = String(timeLimit(job, false));
        await startIvshmemServers(servers, Number(limit) + 10);
        const { code, stderr } = await runProcess("timeout", ["-k", "5", limit, system.qemu.binary, ...args]);
        const seconds = (performance.now() - t0) / 1000;
        first = collector.absorb({ first, code, stderr, seconds, serial: await readFile(serial, "utf8") });
      }
      const commandLine = [system.qemu.binary, ...args].map((a) =>
        a.startsWith(dir) ? "<scenario>" : a.replace(dir, "<tmp>"),
      );
      runs.push(summary(system, job, collector, (performance.now() - started) / 1000, commandLine));
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return runs;
}

/** Start one server per device; each returns once it listens and serves one QEMU. */
async function startIvshmemServers(servers: readonly IvshmemServer[], seconds: number): Promise<void> {
  for (const s of servers) {
    const r = await runProcess(IVSHMEM_SERVER, [s.socket, String(s.vectors), String(seconds)]);
    if (r.code !== 0) throw new Error(`${IVSHMEM_SERVER} ${s.socket}: exit ${r.code}: ${r.stderr.trim()}`);
  }
}

async function runNested(
  system: RealSystem,
  kvm: Extract<KvmSystem, { mode: "nested" }>,
  jobs: readonly RealJob[],
): Promise<RealQemuRun[]> {
  const base = baseInitramfs(kvm.kernel, system.qemu, GUEST_ELF, IVSHMEM_SERVER);
  const inner = { firmwareDir: INNER.firmware, qboot: INNER.qboot, guest: INNER.guest, socketDir: "/tmp" };
  /** Jobs `job` onward, job `job` from sequence `first`. */
  const nestedJobs = (job: number, first: number): NestedJob[] =>
    jobs.slice(job).map((j, k) => ({
      index: job + k,
      first: k === 0 ? first : 0,
      args: qemuArgs(j.topology, j.options, inner),
      scenario: encodeScenario(j.topology, j.sequences, j.options, k === 0 ? first : 0),
      timeoutSeconds: timeLimit(j, true),
      servers: ivshmemServers(j.topology, j.options, inner.socketDir),
    }));
  const dir = mkdtempSync(join(tmpdir(), "irqcheck-nested-"));
  try {
    const initrd = join(dir, "initrd.cpio");
    const console = join(dir, "console.txt");
    const report = join(dir, "report.txt");
    const notes: string[] = [];
    const collectors = jobs.map((job) => new BootCollector(job.topology, job.sequences));
    const next: (number | null)[] = jobs.map(() => 0);
    const innerBoots: BootOutput[][] = jobs.map(() => []);
    let wall = 0;
    let from = { job: 0, first: 0 };
    let outer: { code: number | null } = { code: null };
    let consoleTail = () => "";
    let complete = false;
    for (;;) {
      const run = nestedJobs(from.job, from.first);
      writeFileSync(initrd, Buffer.concat([readFileSync(base), jobsArchive(run)]));
      const b = await bootOuter(kvm, initrd, console, report, run, jobs.length, notes);
      wall += b.wall;
      outer = b.outer;
      consoleTail = () => b.lines.slice(-5).join(" | ").replace(/\s+/g, " ");
      complete = b.parsed.complete;
      if (b.parsed.fatal !== null) throw new Error(`nested KVM (${kvm.kernel.release}): ${b.parsed.fatal}`);
      if (!complete && b.parsed.boots.every((x) => x.length === 0))
        throw new Error(
          `nested machine (${kvm.outer.binary} -accel tcg, kernel ${kvm.kernel.release}) ran no job (exit ${outer.code}${outer.code === 124 ? ", timeout" : ""}): ${consoleTail()}`,
        );
      b.parsed.boots.forEach((boots, i) => {
        for (const boot of boots) {
          innerBoots[i]?.push(boot);
          next[i] = collectors[i]?.absorb(boot) ?? null;
        }
      });
      const aborted = b.parsed.aborted;
      if (aborted === null) break;
      const resume = next[aborted] ?? null;
      from = resume === null ? { job: aborted + 1, first: 0 } : { job: aborted, first: resume };
      const abort = collectors[aborted]?.aborts.at(-1);
      notes.push(
        `QEMU ended inside sequence ${abort?.sequence} of job ${aborted} (died, hung or out of time); a fresh outer machine resumed after it`,
      );
      if (from.job >= jobs.length) break;
    }
    const innerTotal = innerBoots.flat().reduce((t, b) => t + b.seconds, 0);
    return jobs.map((job, i) => {
      const collector = collectors[i];
      const boots = innerBoots[i] ?? [];
      if (collector === undefined || next[i] !== null || boots.length === 0) {
        const last = boots.at(-1);
        const inner =
          last === undefined
            ? "no inner boot"
            : `last inner boot from sequence ${last.first}, exit ${last.code}, next ${next[i]}: ${last.serial.trim().split("\n").slice(-2).join(" | ")} | ${last.stderr.trim().split("\n").slice(-2).join(" | ")}`;
        throw new Error(
          `nested machine stopped before job ${i} finished (outer exit ${outer.code}, ${complete ? "all jobs reported" : "report incomplete"}; ${inner}): ${consoleTail()}`,
        );
      }
      const share = innerTotal > 0 ? collector.bootSeconds.reduce((t, s) => t + s, 0) / innerTotal : 1 / jobs.length;
      const commandLine = [INNER.qemu, ...qemuArgs(job.topology, job.options, inner)];
      return { ...summary(system, job, collector, wall * share, commandLine), notes };
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * One boot of the outer machine over `run`. The outer kernel under TCG has been seen to
 * panic ("Fatal exception in interrupt", once in ~30 boots, twice in a row in one CI-like
 * run) and to fall silent: boot again, up to OUTER_PANIC_BOOTS times in all, and say so in
 * `notes`. Silence is told by the report port: /init writes a line before the first job and
 * a block after each inner boot, which its own `timeout` ends within the job's limit, so a
 * report quiet for longer than the longest job's limit (plus REPORT_SLACK_SECONDS) is a hung
 * outer machine, ended there rather than at the whole run's limit.
 */
async function bootOuter(
  kvm: Extract<KvmSystem, { mode: "nested" }>,
  initrd: string,
  console: string,
  report: string,
  run: readonly NestedJob[],
  jobCount: number,
  notes: string[],
) {
  // A restart re-runs a job from the middle: allow each job its limit twice.
  const limit = NESTED_BOOT_SECONDS + 2 * run.reduce((t, j) => t + j.timeoutSeconds, 0);
  const longestJob = Math.max(0, ...run.map((j) => j.timeoutSeconds));
  const boot = async () => {
    writeFileSync(console, "");
    writeFileSync(report, "");
    const started = performance.now();
    const outer = await runProcess(
      "timeout",
      [...["-k", "5", String(limit), kvm.outer.binary], ...outerArgs(kvm.outer, kvm.kernel, initrd, console, report)],
      { file: report, firstSeconds: NESTED_BOOT_SECONDS, seconds: longestJob + REPORT_SLACK_SECONDS },
    );
    const wall = (performance.now() - started) / 1000;
    const lines = readFileSync(console, "utf8").trim().split("\n");
    return { outer, wall, lines, parsed: parseNestedReport(await readFile(report, "utf8"), jobCount) };
  };
  let b = await boot();
  for (let attempt = 1; attempt < OUTER_PANIC_BOOTS; attempt++) {
    const panic = b.lines.filter((l) => /Kernel panic|BUG:|RIP: 0010|Oops/.test(l));
    const silent = b.outer.code === 124 || b.outer.stalled;
    if (b.parsed.complete || b.parsed.aborted !== null || (panic.length === 0 && !silent)) break;
    notes.push(
      panic.length > 0
        ? `the outer kernel ${kvm.kernel.release} panicked under TCG; booted again: ${panic.slice(0, 3).join(" | ")}`
        : `the outer machine (kernel ${kvm.kernel.release}) fell silent under TCG (${b.outer.stalled ? "its report quiet past the longest job's limit" : "until its timeout"}, after ${Math.round(b.wall)} s); booted again`,
    );
    b = await boot();
  }
  return b;
}
