/** cli/files.ts: atomic, never-overwriting saves; every failure names the path and the operation; no temporaries left. */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { IoError, UsageError } from "./errors.ts";
import { prepareOutputDirectory, readInputText, writeNewFile, writeReportFile } from "./files.ts";

const scratch = mkdtempSync(join(tmpdir(), "irqcheck-files-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));

describe("writeNewFile", () => {
  it("writes a new file, refuses to overwrite one, and leaves no temporary either way", () => {
    const target = join(scratch, "a.json");
    expect(writeNewFile(target, "one", "counterexample")).toBe(true);
    expect(writeNewFile(target, "two", "counterexample")).toBe(false);
    expect(readFileSync(target, "utf8")).toBe("one");
    expect(readdirSync(scratch).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("a folder that is gone: an IoError naming the path and the operation", () => {
    const target = join(scratch, "gone", "b.json");
    expect(() => writeNewFile(target, "x", "counterexample")).toThrow(
      new IoError("write the counterexample", target, Object.assign(new Error(), { code: "ENOENT" })),
    );
  });
});

describe("writeReportFile", () => {
  it("a full device: ENOSPC with the path, and the device is left a device", () => {
    expect(() => writeReportFile("/dev/full", "<xml/>", "JUnit report")).toThrow(
      /^\/dev\/full: cannot write the JUnit report: ENOSPC \(no space left on device\)$/,
    );
    expect(existsSync("/dev/full")).toBe(true);
  });

  it("replaces a regular file whole, without a temporary left", () => {
    const target = join(scratch, "report.xml");
    writeFileSync(target, "old");
    writeReportFile(target, "new", "JUnit report");
    expect(readFileSync(target, "utf8")).toBe("new");
    expect(readdirSync(scratch).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });
});

describe("inputs and output folders", () => {
  it("drops a UTF-8 byte-order mark and bounds the size", () => {
    const f = join(scratch, "bom.json");
    writeFileSync(f, "\ufeff{}");
    expect(readInputText(f, "topology", 100)).toBe("{}");
    expect(() => readInputText(f, "topology", 2)).toThrow(UsageError);
  });

  it("creates a missing --out folder, and refuses a file", () => {
    const dir = join(scratch, "new", "out");
    prepareOutputDirectory("--out", dir);
    expect(existsSync(dir)).toBe(true);
    const file = join(scratch, "plain");
    writeFileSync(file, "");
    expect(() => prepareOutputDirectory("--out", file)).toThrow(/--out .*plain: is a file, expected a directory/);
  });
});
