/**
 * Where the real systems are: a QEMU binary with its firmware (the system's, a prefix
 * install, a build directory, or QEMU 10.0 unpacked by scripts/debian-fetch.sh) and the
 * Debian kernels for --kvm nested, all found on disk without network access.
 */
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, readFileSync, realpathSync, statSync } from "node:fs";
import { homedir } from "node:os";
import { basename, delimiter, dirname, join } from "node:path";

/** The cache scripts/debian-fetch.sh unpacks into: $IRQCHECK_CACHE, else ~/.cache/irqcheck. */
export function cacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.IRQCHECK_CACHE ?? join(env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "irqcheck");
}

export const FETCH_SCRIPT = "impl/real/scripts/debian-fetch.sh";

/** A QEMU to run the guest on: the binary, its firmware directory (-L) and qboot (-bios). */
export interface QemuBuild {
  readonly binary: string;
  readonly firmwareDir: string;
  readonly qboot: string;
  /** First line of `--version`, e.g. "QEMU emulator version 10.0.2 (Debian …)". */
  readonly version: string;
}

/** "10.0.2" out of the `--version` line. */
export function shortVersion(version: string): string {
  return /version (\d+\.\d+\.\d+)/.exec(version)?.[1] ?? version;
}

function onPath(command: string, env: NodeJS.ProcessEnv): string | null {
  if (command.includes("/")) return existsSync(command) ? command : null;
  for (const dir of (env.PATH ?? "").split(delimiter)) {
    const p = join(dir, command);
    if (dir !== "" && existsSync(p)) return p;
  }
  return null;
}

/**
 * The firmware directories QEMU itself would look in, next to the binary: a build
 * directory's pc-bios/ (qemu/build/qemu-system-x86_64) and a prefix install's share/qemu
 * (<prefix>/bin/qemu-system-x86_64, Debian's /usr/bin and the unpacked 10.0 alike).
 */
export function firmwareCandidates(binary: string): string[] {
  const dir = dirname(binary);
  return [join(dir, "pc-bios"), join(dir, "..", "share", "qemu"), join(dir, "..", "pc-bios")];
}

/**
 * Resolve `--qemu` (a path, a command on PATH, or "10.0" for the unpacked backports QEMU)
 * and `--firmware` (a directory holding qboot.rom, or the qboot ROM itself). Throws a
 * one-line reason when something is missing.
 */
export function resolveQemu(
  spec: { qemu?: string | undefined; firmware?: string | undefined },
  env: NodeJS.ProcessEnv = process.env,
): QemuBuild {
  const wanted = spec.qemu ?? "qemu-system-x86_64";
  const named = wanted === "10.0" ? join(cacheDir(env), "qemu-10.0", "usr", "bin", "qemu-system-x86_64") : wanted;
  const found = onPath(named, env);
  if (found === null)
    throw new Error(
      wanted === "10.0"
        ? `QEMU 10.0 is not unpacked in ${cacheDir(env)} (run ${FETCH_SCRIPT} qemu-10.0 as root)`
        : `${wanted}: no such QEMU binary (apt-get install qemu-system-x86, or give --qemu PATH)`,
    );
  const binary = realpathSync(found);
  let qboot: string;
  if (spec.firmware !== undefined) {
    if (!existsSync(spec.firmware)) throw new Error(`--firmware ${spec.firmware}: no such file or directory`);
    qboot = statSync(spec.firmware).isDirectory() ? join(spec.firmware, "qboot.rom") : spec.firmware;
    if (!existsSync(qboot)) throw new Error(`--firmware ${spec.firmware}: no qboot.rom there`);
  } else {
    const dir = firmwareCandidates(binary).find((d) => existsSync(join(d, "qboot.rom")));
    if (dir === undefined)
      throw new Error(`${binary}: no qboot.rom in ${firmwareCandidates(binary).join(" or ")} (give --firmware DIR)`);
    qboot = join(dir, "qboot.rom");
  }
  let version: string;
  try {
    version = execFileSync(binary, ["--version"], { encoding: "utf8", timeout: 30_000 }).split("\n")[0] ?? "";
  } catch (e) {
    throw new Error(`${binary} --version failed: ${(e as Error).message.split("\n")[0]}`);
  }
  if (!/QEMU emulator version/.test(version)) throw new Error(`${binary} --version: not a QEMU ("${version}")`);
  return { binary, firmwareDir: realpathSync(dirname(qboot)), qboot: realpathSync(qboot), version };
}

/** A Debian kernel unpacked by scripts/debian-fetch.sh: vmlinuz and its module tree. */
export interface KernelBuild {
  /** "6.1" or "6.12": the name --kernel takes. */
  readonly name: string;
  /** `uname -r`, e.g. "6.1.0-50-amd64". */
  readonly release: string;
  readonly vmlinuz: string;
  readonly modules: string;
  /** The .deb it came from. */
  readonly packages: string;
}

export const KERNELS = ["6.1", "6.12"] as const;

export function resolveKernel(name: string, env: NodeJS.ProcessEnv = process.env): KernelBuild {
  if (!(KERNELS as readonly string[]).includes(name))
    throw new Error(`--kernel: expected ${KERNELS.join(" or ")}, got "${name}"`);
  const root = join(cacheDir(env), `kernel-${name}`);
  const boot = join(root, "boot");
  const vmlinuz = existsSync(join(root, ".complete"))
    ? readdirSync(boot).find((f) => f.startsWith("vmlinuz-"))
    : undefined;
  if (vmlinuz === undefined)
    throw new Error(`kernel ${name} is not unpacked in ${root} (run ${FETCH_SCRIPT} kernel-${name} as root)`);
  const release = vmlinuz.slice("vmlinuz-".length);
  const packagesFile = join(root, ".packages");
  const packages = existsSync(packagesFile) ? readFileSync(packagesFile, "utf8").trim() : "";
  return { name, release, vmlinuz: join(boot, vmlinuz), modules: join(root, "lib", "modules", release), packages };
}

/** The shared libraries `ldd` lists for a binary, the dynamic loader included. */
export function sharedLibraries(binary: string): string[] {
  const out = execFileSync("ldd", [binary], { encoding: "utf8", timeout: 30_000 });
  const libs: string[] = [];
  for (const line of out.split("\n")) {
    const m = /=>\s*(\/\S+)/.exec(line) ?? /^\s*(\/\S+)\s+\(/.exec(line);
    if (m?.[1] !== undefined) libs.push(m[1]);
    else if (/not found/.test(line)) throw new Error(`${basename(binary)}: ${line.trim()}`);
  }
  return libs;
}
