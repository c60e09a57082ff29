/**
 * --kvm nested: a real, unmodified KVM (Debian's kvm_amd) inside QEMU TCG, which emulates
 * AMD SVM with nested paging (shared/docs/real-qemu.md, "A real, unmodified KVM nested in
 * QEMU TCG"). The outer QEMU boots the Debian kernel with an initramfs of busybox, the KVM
 * modules, the inner QEMU with the libraries ldd lists and its firmware, and the guest; the
 * jobs (inner QEMU arguments and scenarios) ride in a second, per-run cpio appended to it.
 * scripts/nested-init.sh runs them and reports every inner boot on the second serial port.
 * When an inner QEMU dies inside a sequence the outer machine stops, and the runner boots a
 * fresh one that resumes after that sequence (qemu.ts runNested).
 */
import { execFileSync, spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BootOutput } from "./boots.ts";
import { CpioWriter } from "./cpio.ts";
import { cacheDir, type KernelBuild, type QemuBuild, sharedLibraries } from "./install.ts";

export const BUSYBOX = "/bin/busybox";
const INIT_SCRIPT = new URL("./scripts/nested-init.sh", import.meta.url);
/** Firmware the inner QEMU loads for -bios qboot -kernel guest.elf (multiboot option ROMs). */
const FIRMWARE = ["multiboot_dma.bin", "multiboot.bin", "linuxboot_dma.bin", "linuxboot.bin", "kvmvapic.bin"];
/** The module kvm_amd and what it depends on (irqbypass, kvm, ccp), loaded in that order. */
const KVM_MODULE = "kvm_amd";

/** Paths inside the nested machine. */
export const INNER = {
  qemu: "/qemu/qemu-system-x86_64",
  firmware: "/fw",
  qboot: "/fw/qboot.rom",
  guest: "/guest.elf",
  /** guest/ivshmem-server.c, statically linked; the init script starts one per MSI-X device. */
  ivshmemServer: "/ivshmem-server",
} as const;

/** Why busybox-static is unusable as /init's shell, or null. */
export function busyboxProblem(): string | null {
  if (!existsSync(BUSYBOX)) return `${BUSYBOX} is missing (apt-get install busybox-static)`;
  try {
    execFileSync("ldd", [BUSYBOX], { stdio: "ignore" });
    return `${BUSYBOX} is dynamically linked (apt-get install busybox-static)`;
  } catch {
    return null; // ldd: "not a dynamic executable"
  }
}

function moduleName(file: string): string {
  return file.replace(/\.ko(\.xz|\.zst)?$/, "").replace(/-/g, "_");
}

function moduleFiles(dir: string, found = new Map<string, string>()): Map<string, string> {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const p = join(dir, e.name);
    if (e.isDirectory()) moduleFiles(p, found);
    else if (/\.ko(\.xz|\.zst)?$/.test(e.name)) found.set(moduleName(e.name), p);
  }
  return found;
}

function moduleBytes(path: string): Uint8Array {
  if (path.endsWith(".ko")) return readFileSync(path);
  const tool = path.endsWith(".xz") ? "xz" : "zstd";
  return execFileSync(tool, ["-dc", path], { maxBuffer: 1 << 28 });
}

/** The `depends=` entry of a module's .modinfo section. */
function dependsOf(ko: Uint8Array): string[] {
  const text = Buffer.from(ko).toString("latin1");
  const at = text.indexOf("\0depends=");
  if (at < 0) return [];
  const value = text.slice(at + 9, text.indexOf("\0", at + 9));
  return value === "" ? [] : value.split(",").map((d) => d.replace(/-/g, "_"));
}

/** kvm_amd and its dependencies, dependencies first, as [name, bytes]. */
export function kvmModules(kernel: KernelBuild): [string, Uint8Array][] {
  const files = moduleFiles(kernel.modules);
  const order: [string, Uint8Array][] = [];
  const visit = (name: string) => {
    if (order.some(([n]) => n === name)) return;
    const file = files.get(name);
    if (file === undefined) throw new Error(`kernel ${kernel.release}: module ${name} not found in ${kernel.modules}`);
    const bytes = moduleBytes(file);
    for (const d of dependsOf(bytes)) visit(d);
    order.push([name, bytes]);
  };
  visit(KVM_MODULE);
  return order;
}

/** The cached initramfs for (kernel, inner QEMU, guest and its ivshmem server), built on first use; its path. */
export function baseInitramfs(kernel: KernelBuild, qemu: QemuBuild, guestElf: string, ivshmemServer: string): string {
  const files: [string, Uint8Array, number][] = [];
  files.push(["init", readFileSync(INIT_SCRIPT), 0o755]);
  files.push(["bin/busybox", readFileSync(BUSYBOX), 0o755]);
  kvmModules(kernel).forEach(([name, bytes], i) => {
    files.push([`modules/${i}-${name}.ko`, bytes, 0o644]);
  });
  files.push([INNER.qemu, readFileSync(qemu.binary), 0o755]);
  for (const lib of sharedLibraries(qemu.binary)) files.push([lib, readFileSync(lib), 0o755]);
  files.push([INNER.qboot, readFileSync(qemu.qboot), 0o644]);
  for (const f of FIRMWARE) {
    const p = join(qemu.firmwareDir, f);
    if (existsSync(p)) files.push([`${INNER.firmware}/${f}`, readFileSync(p), 0o644]);
  }
  files.push([INNER.guest, readFileSync(guestElf), 0o755]);
  files.push([INNER.ivshmemServer, readFileSync(ivshmemServer), 0o755]);
  const hash = createHash("sha256");
  for (const [path, bytes, mode] of files) hash.update(`${path}\0${mode}\0${bytes.length}\0`).update(bytes);
  const dir = join(cacheDir(), "initramfs");
  const out = join(dir, `${kernel.release}-${hash.digest("hex").slice(0, 16)}.cpio`);
  if (existsSync(out)) return out;
  const cpio = new CpioWriter();
  for (const [path, bytes, mode] of files) cpio.file(path, bytes, mode);
  mkdirSync(dir, { recursive: true });
  // Test workers may build the same archive at once: each writes its own file, rename is atomic.
  const part = `${out}.${process.pid}.part`;
  writeFileSync(part, cpio.finish());
  renameSync(part, out);
  return out;
}

/** One inner QEMU invocation list: its arguments (without -initrd and -serial), scenario, time limit. */
export interface NestedJob {
  /** Its number in the report (B and A lines): the job's index among all of the run's jobs. */
  readonly index: number;
  /** The first sequence to run, as the scenario's header also says (a resumed job's is past 0). */
  readonly first: number;
  readonly args: readonly string[];
  readonly scenario: Uint8Array;
  readonly timeoutSeconds: number;
  /** ivshmem servers to start before each inner boot (qemu.ts ivshmemServers). */
  readonly servers: readonly { readonly socket: string; readonly vectors: number }[];
}

export function jobsArchive(jobs: readonly NestedJob[]): Uint8Array {
  const cpio = new CpioWriter();
  const enc = new TextEncoder();
  for (const job of jobs) {
    const dir = `jobs/${String(job.index).padStart(3, "0")}`;
    if (job.args.some((a) => /\s/.test(a)))
      throw new Error(`nested job ${job.index}: an argument contains white space`);
    cpio.file(`${dir}/first`, enc.encode(`${job.first}\n`));
    cpio.file(`${dir}/args`, enc.encode(`${job.args.join("\n")}\n`));
    cpio.file(`${dir}/timeout`, enc.encode(`${job.timeoutSeconds}\n`));
    cpio.file(`${dir}/servers`, enc.encode(job.servers.map((s) => `${s.socket} ${s.vectors}\n`).join("")));
    cpio.file(`${dir}/scenario.bin`, job.scenario);
  }
  return cpio.finish();
}

export interface NestedReport {
  /** Per job, its inner boots in order. */
  readonly boots: BootOutput[][];
  /** `uname -r` inside. */
  readonly kernelRelease: string;
  readonly notes: readonly string[];
  readonly complete: boolean;
  readonly fatal: string | null;
  /** The job whose inner QEMU died inside a sequence, after which the outer machine stopped. */
  readonly aborted: number | null;
}

/** Parse the nested machine's second serial port (format: scripts/nested-init.sh). */
export function parseNestedReport(text: string, jobs: number): NestedReport {
  const boots: BootOutput[][] = Array.from({ length: jobs }, () => []);
  const notes: string[] = [];
  let kernelRelease = "";
  let complete = false;
  let fatal: string | null = null;
  let aborted: number | null = null;
  let open: {
    job: number;
    first: number;
    code: number | null;
    seconds: number;
    serial: string[];
    stderr: string[];
  } | null = null;
  for (const raw of text.split("\n")) {
    const line = raw.replace(/\r$/, "");
    if (open !== null) {
      if (line === "E") {
        boots[open.job]?.push({
          first: open.first,
          code: open.code,
          seconds: open.seconds,
          serial: open.serial.join("\n"),
          stderr: open.stderr.join("\n"),
        });
        open = null;
      } else if (line.startsWith("! ")) open.stderr.push(line.slice(2));
      else open.serial.push(line);
      continue;
    }
    const b = /^B (\d+) (\d+) (\d+) ([\d.]+) ([\d.]+)$/.exec(line);
    if (b !== null) {
      open = {
        job: Number(b[1]),
        first: Number(b[2]),
        code: Number(b[3]),
        seconds: Number(b[5]) - Number(b[4]),
        serial: [],
        stderr: [],
      };
    } else if (line.startsWith("N kernel ")) kernelRelease = line.slice(9);
    else if (line.startsWith("N ")) notes.push(line.slice(2));
    else if (line.startsWith("X ")) fatal = line.slice(2);
    else if (/^A \d+$/.test(line)) aborted = Number(line.slice(2));
    else if (line === "Q") complete = true;
  }
  return { boots, kernelRelease, notes, complete, fatal, aborted };
}

/** The outer QEMU's arguments: TCG, -cpu max (SVM), the kernel, two serial ports. */
export function outerArgs(
  outer: QemuBuild,
  kernel: KernelBuild,
  initrd: string,
  consoleFile: string,
  reportFile: string,
): string[] {
  return [
    ...["-accel", "tcg", "-cpu", "max", "-m", "2G", "-smp", "2", "-machine", "q35"],
    ...["-L", outer.firmwareDir, "-bios", outer.qboot, "-kernel", kernel.vmlinuz, "-initrd", initrd],
    ...["-append", "console=ttyS0 rdinit=/init panic=-1 quiet"],
    ...["-serial", `file:${consoleFile}`, "-serial", `file:${reportFile}`],
    ...["-display", "none", "-nodefaults", "-no-reboot"],
  ];
}

/** Seconds the outer machine needs before its first job: kernel, module load (shared/docs/real-qemu.md). */
export const NESTED_BOOT_SECONDS = 120;

/**
 * A process's output file going quiet: `seconds` without growth (`firstSeconds` while it is
 * still empty) means the process hangs.
 */
export interface QuietLimit {
  readonly file: string;
  readonly firstSeconds: number;
  readonly seconds: number;
}

export interface ProcessEnd {
  readonly code: number | null;
  readonly stderr: string;
  /** Ended by `quiet`: SIGTERM after the file stopped growing (`timeout` passes it on to its command). */
  readonly stalled: boolean;
}

export function runProcess(cmd: string, args: readonly string[], quiet?: QuietLimit): Promise<ProcessEnd> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    let stalled = false;
    child.stderr.on("data", (d: Buffer) => {
      stderr = (stderr + d.toString()).slice(-4000);
    });
    let size = -1;
    let since = performance.now();
    const watch =
      quiet === undefined
        ? undefined
        : setInterval(() => {
            const now = existsSync(quiet.file) ? statSync(quiet.file).size : 0;
            if (now !== size) {
              size = now;
              since = performance.now();
              return;
            }
            const limit = size === 0 ? quiet.firstSeconds : quiet.seconds;
            if (!stalled && performance.now() - since >= limit * 1000) {
              stalled = true;
              child.kill("SIGTERM");
            }
          }, 1000);
    child.on("error", (e) => {
      clearInterval(watch);
      reject(e);
    });
    child.on("close", (code) => {
      clearInterval(watch);
      resolve({ code, stderr, stalled });
    });
  });
}
