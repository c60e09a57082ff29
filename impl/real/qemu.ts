/**
 * Run command sequences in a real QEMU + KVM guest (qboot, multiboot guest from guest/),
 * many sequences per boot, and return them as StepResults like any implementation.
 */
import { execFileSync, spawn } from "node:child_process";
import { accessSync, constants, existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Command } from "../../model/commands.ts";
import type { Topology } from "../../model/topology.ts";
import type { StepResult } from "../../properties/implementation.ts";
import { encodeScenario, type MachineOptions, sequenceProblem, topologyProblem } from "./encode.ts";
import { parseSerial } from "./serial.ts";

export const QEMU = "qemu-system-x86_64";
export const QBOOT = "/usr/share/qemu/qboot.rom";
const ROOT = fileURLToPath(new URL("../../", import.meta.url));
export const GUEST_DIR = join(ROOT, "guest");
export const GUEST_ELF = join(GUEST_DIR, "build", "guest.elf");

export interface RealQemuOptions extends MachineOptions {
  /** Seconds before `timeout` kills one boot; default 30 s + 50 ms per command. */
  readonly timeoutSeconds?: number;
}

export interface RealQemuRun {
  /** One StepResult[] per input sequence, in order. */
  readonly results: StepResult[][];
  readonly boots: number;
  /** Wall time of each QEMU process, seconds. */
  readonly bootSeconds: readonly number[];
  readonly wallSeconds: number;
  readonly sequencesPerSecond: number;
  readonly qemuVersion: string;
  /** The QEMU command line of the first boot (scenario path elided). */
  readonly commandLine: readonly string[];
}

let availability: { ok: true } | { ok: false; why: string } | undefined;

/** Whether this machine can run the real guest: /dev/kvm, QEMU, qboot, gcc -m32, timeout. */
export function qemuAvailable(): { ok: true } | { ok: false; why: string } {
  availability ??= probe();
  return availability;
}

function probe(): { ok: true } | { ok: false; why: string } {
  try {
    accessSync("/dev/kvm", constants.R_OK | constants.W_OK);
  } catch {
    return { ok: false, why: "/dev/kvm is missing or not writable" };
  }
  if (!existsSync(QBOOT)) return { ok: false, why: `${QBOOT} is missing (apt-get install qemu-system-x86)` };
  const tools: [string, string[], string][] = [
    [QEMU, ["--version"], "qemu-system-x86_64 not found (apt-get install qemu-system-x86)"],
    ["timeout", ["--version"], "coreutils timeout not found"],
    [
      "gcc",
      ["-m32", "-ffreestanding", "-c", "-x", "c", "-", "-o", "/dev/null"],
      "gcc -m32 does not work (apt-get install gcc-multilib)",
    ],
  ];
  for (const [cmd, args, why] of tools) {
    try {
      // Only gcc reads stdin: feeding a tool that exits first fails with EPIPE.
      const input = cmd === "gcc" ? "int x;\n" : "";
      execFileSync(cmd, args, { input, stdio: ["pipe", "ignore", "ignore"], timeout: 30_000 });
    } catch {
      return { ok: false, why };
    }
  }
  return { ok: true };
}

export function qemuVersion(): string {
  return execFileSync(QEMU, ["--version"], { encoding: "utf8" }).split("\n")[0] ?? "";
}

/** Build guest/build/guest.elf with guest/build.sh when it is missing or older than a source. */
export function buildGuest(): string {
  const sources = readdirSync(GUEST_DIR).filter((f) => /\.(c|h|S|ld|sh)$/.test(f));
  const built = existsSync(GUEST_ELF) ? statSync(GUEST_ELF).mtimeMs : 0;
  if (sources.some((f) => statSync(join(GUEST_DIR, f)).mtimeMs > built)) {
    execFileSync("sh", [join(GUEST_DIR, "build.sh")], { stdio: ["ignore", "ignore", "pipe"] });
  }
  return GUEST_ELF;
}

/** The QEMU command line for one boot (shared/docs/real-qemu.md). */
export function qemuArgs(topology: Topology, options: MachineOptions, scenario: string, serial: string): string[] {
  return [
    ...["-accel", "kvm", "-machine", `q35,kernel-irqchip=${options.irqchip}`, "-m", "128"],
    ...["-smp", String(topology.cpus.length), "-bios", QBOOT, "-kernel", GUEST_ELF, "-initrd", scenario],
    ...(options.iommu ? ["-device", "intel-iommu,intremap=on"] : []),
    ...["-device", "pc-testdev", "-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"],
    ...["-serial", `file:${serial}`, "-display", "none", "-nodefaults", "-no-reboot"],
  ];
}

function run(cmd: string, args: string[]): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => {
      stderr += d.toString();
    });
    child.on("error", reject);
    child.on("close", (code) => resolve({ code, stderr }));
  });
}

/**
 * Run every sequence in real QEMU. Sequences a guest cannot run are rejected up front with
 * `step N: why`; use sequenceProblem() to filter a campaign. A machine state the guest cannot
 * clear between sequences (e.g. an IRR bit below 0x10) makes it stop; the runner then boots
 * a fresh QEMU at that sequence.
 */
export async function runOnRealQemu(
  topology: Topology,
  sequences: readonly (readonly Command[])[],
  options: RealQemuOptions,
): Promise<RealQemuRun> {
  const bad = topologyProblem(topology, options);
  if (bad !== null) throw new Error(bad);
  sequences.forEach((seq, i) => {
    const why = sequenceProblem(seq, topology, options);
    if (why !== null) throw new Error(`sequence ${i}, ${why}`);
  });
  const avail = qemuAvailable();
  if (!avail.ok) throw new Error(`real QEMU unavailable: ${avail.why}`);
  buildGuest();
  const dir = mkdtempSync(join(tmpdir(), "irqcheck-real-"));
  const scenario = join(dir, "scenario.bin");
  const serial = join(dir, "serial.txt");
  const results: StepResult[][] = [];
  const bootSeconds: number[] = [];
  const started = performance.now();
  let commandLine: string[] = [];
  try {
    let first = 0;
    while (first < sequences.length) {
      writeFileSync(scenario, encodeScenario(topology, sequences, options, first));
      writeFileSync(serial, "");
      const commands = sequences.slice(first).reduce((n, s) => n + s.length, 0);
      const limit = options.timeoutSeconds ?? Math.ceil(30 + commands * 0.05);
      const args = qemuArgs(topology, options, scenario, serial);
      if (commandLine.length === 0) commandLine = [QEMU, ...args];
      const t0 = performance.now();
      const { code, stderr } = await run("timeout", ["-k", "5", String(limit), QEMU, ...args]);
      bootSeconds.push((performance.now() - t0) / 1000);
      const parsed = parseSerial(await readFile(serial, "utf8"), topology);
      for (const [i, steps] of parsed.results) {
        if (i >= first && steps.length === sequences[i]?.length) results[i] = steps;
      }
      if (parsed.error !== null)
        throw new Error(`guest stopped at sequence ${results.length}: ${parsed.error} (qemu exit ${code})`);
      if (parsed.complete) break;
      if (parsed.restartAt !== null && parsed.restartAt > first) {
        first = parsed.restartAt;
        continue;
      }
      const last = stderr.trim().split("\n").slice(-3).join(" | ");
      throw new Error(
        `QEMU ended before the scenario did (exit ${code}${code === 124 ? ", timeout" : ""}; first sequence ${first}): ${last}`,
      );
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  for (let i = 0; i < sequences.length; i++) {
    if (results[i]?.length !== sequences[i]?.length) throw new Error(`sequence ${i}: the guest reported no result`);
  }
  const wallSeconds = (performance.now() - started) / 1000;
  return {
    results,
    boots: bootSeconds.length,
    bootSeconds,
    wallSeconds,
    sequencesPerSecond: sequences.length / wallSeconds,
    qemuVersion: qemuVersion(),
    commandLine: commandLine.map((a) => (a.startsWith(dir) ? "<scenario>" : a.replace(dir, "<tmp>"))),
  };
}
