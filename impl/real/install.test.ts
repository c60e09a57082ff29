/** Finding a QEMU and its firmware the way a developer lays them out: build directory, prefix install. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { resolveKernel, resolveQemu, shortVersion } from "./install.ts";

const root = mkdtempSync(join(tmpdir(), "irqcheck-install-"));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A stand-in qemu-system-x86_64 that answers --version like QEMU does. */
function fakeQemu(dir: string, version = "QEMU emulator version 10.1.50 (v10.1.0-1234-gdeadbeef)"): string {
  mkdirSync(dir, { recursive: true });
  const p = join(dir, "qemu-system-x86_64");
  writeFileSync(p, `#!/bin/sh\necho '${version}'\necho 'Copyright (c) 2003-2025'\n`);
  chmodSync(p, 0o755);
  return p;
}

function rom(dir: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, "qboot.rom"), "rom");
}

describe("resolveQemu", () => {
  it("a build directory: qemu-system-x86_64 with pc-bios/ beside it", () => {
    const build = join(root, "qemu", "build");
    const bin = fakeQemu(build);
    rom(join(build, "pc-bios"));
    const q = resolveQemu({ qemu: bin });
    expect(q.qboot).toBe(join(build, "pc-bios", "qboot.rom"));
    expect(q.firmwareDir).toBe(join(build, "pc-bios"));
    expect(shortVersion(q.version)).toBe("10.1.50");
  });

  it("a prefix install: <prefix>/bin and <prefix>/share/qemu", () => {
    const prefix = join(root, "prefix");
    const bin = fakeQemu(join(prefix, "bin"), "QEMU emulator version 9.2.0");
    rom(join(prefix, "share", "qemu"));
    expect(resolveQemu({ qemu: bin }).firmwareDir).toBe(join(prefix, "share", "qemu"));
  });

  it("--firmware as a directory or as the ROM itself; a missing one is a one-line error", () => {
    const bin = fakeQemu(join(root, "bare"));
    rom(join(root, "fw"));
    expect(resolveQemu({ qemu: bin, firmware: join(root, "fw") }).qboot).toBe(join(root, "fw", "qboot.rom"));
    expect(resolveQemu({ qemu: bin, firmware: join(root, "fw", "qboot.rom") }).firmwareDir).toBe(join(root, "fw"));
    expect(() => resolveQemu({ qemu: bin })).toThrow(/no qboot\.rom in .* \(give --firmware DIR\)/);
    expect(() => resolveQemu({ qemu: bin, firmware: join(root, "nope") })).toThrow(/--firmware .*nope: no such file/);
  });

  it("not a QEMU, no such binary, 10.0 not unpacked", () => {
    const dir = join(root, "liar");
    const bin = fakeQemu(dir, "Python 3.11");
    rom(join(dir, "pc-bios"));
    expect(() => resolveQemu({ qemu: bin })).toThrow(/not a QEMU/);
    expect(() => resolveQemu({ qemu: join(root, "missing") })).toThrow(/no such QEMU binary/);
    expect(() => resolveQemu({ qemu: "10.0" }, { IRQCHECK_CACHE: join(root, "cache") })).toThrow(
      /QEMU 10\.0 is not unpacked in .*debian-fetch\.sh qemu-10\.0/,
    );
  });
});

describe("resolveKernel", () => {
  it("names the fetch script when the kernel is missing, rejects other versions", () => {
    expect(() => resolveKernel("6.12", { IRQCHECK_CACHE: join(root, "cache") })).toThrow(
      /debian-fetch\.sh kernel-6\.12/,
    );
    expect(() => resolveKernel("5.10")).toThrow('--kernel: expected 6.1 or 6.12, got "5.10"');
  });

  it("finds vmlinuz and the module tree of an unpacked kernel", () => {
    const k = join(root, "cache", "kernel-6.1");
    mkdirSync(join(k, "boot"), { recursive: true });
    mkdirSync(join(k, "lib", "modules", "6.1.0-99-amd64"), { recursive: true });
    writeFileSync(join(k, "boot", "vmlinuz-6.1.0-99-amd64"), "");
    writeFileSync(join(k, ".complete"), "");
    const kernel = resolveKernel("6.1", { IRQCHECK_CACHE: join(root, "cache") });
    expect(kernel.release).toBe("6.1.0-99-amd64");
    expect(kernel.modules).toBe(join(k, "lib", "modules", "6.1.0-99-amd64"));
  });
});
