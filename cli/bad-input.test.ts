/**
 * Every input is checked before work starts. One table of bad inputs (flags, output paths,
 * topology files, counterexample files, traces, --impl modules), each held to the same
 * rule: exit 2, one line that names the flag, file or field and what was expected, no
 * stack trace, and nothing already saved changed (the store every case writes to is
 * compared byte for byte before and after).
 */
import { chmodSync, cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "./main.ts";
import { listCounterexamples } from "./store.ts";

const scratch = mkdtempSync(join(tmpdir(), "irqcheck-bad-input-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const at = (name: string) => join(scratch, name);

const SEED = "counterexamples/qemu-7.2/seed--linux-level-irq-move-pin5.json";
const TRACE = "trace/fixtures/qemu-trace-pin5-migration.log";
/** The store every writing case points at: it must come out unchanged. */
const STORE = at("store");

type Doc = Record<string, unknown> & { commands: unknown[]; topology: Record<string, unknown> };
const seedDoc = (): Doc => JSON.parse(readFileSync(SEED, "utf8")) as Doc;
const DEFAULT_TOPOLOGY = () => ({ ...seedDoc().topology, name: "t" });

/** A counterexample fixture: the seed file changed by `alter`. */
function counterexample(name: string, alter: (d: Doc) => unknown): string {
  const file = at(`${name}.json`);
  const d = seedDoc();
  writeFileSync(file, JSON.stringify(alter(d) ?? d));
  return file;
}

function topologyFile(name: string, alter: (t: Record<string, unknown>) => void): string {
  const t = DEFAULT_TOPOLOGY();
  alter(t);
  const file = at(`topology-${name}.json`);
  writeFileSync(file, JSON.stringify(t));
  return file;
}

function file(name: string, content: string | Buffer): string {
  writeFileSync(at(name), content);
  return at(name);
}

const isRoot = process.getuid?.() === 0;

/** [what, argv, what the one line must say]. */
type Case = readonly [string, () => readonly string[], RegExp];

const fuzz = (...a: string[]) => ["fuzz", "--jobs", "1", "--runs", "10", "--out", STORE, ...a];
const replay = (f: string, ...a: string[]) => ["replay", f, ...a];

const FLAGS: Case[] = [
  ["an unknown command", () => ["frobnicate"], /unknown command "frobnicate"/],
  ["an unknown flag", () => ["fuzz", "--frob"], /Unknown option '--frob'/],
  ["a flag of another command", () => ["regress", "--depth", "3"], /Unknown option '--depth'/],
  ["a value flag without its value", () => ["fuzz", "--out", STORE, "--time"], /--time/],
  ["--time 0", () => ["fuzz", "--out", STORE, "--time", "0"], /--time: expected a duration of at least 1ms, got "0"/],
  ["--time 0s", () => ["fuzz", "--out", STORE, "--time", "0s"], /--time: expected a duration of at least 1ms/],
  ["--time 0ms", () => ["fuzz", "--out", STORE, "--time", "0ms"], /--time: expected a duration of at least 1ms/],
  ["--time -1", () => ["fuzz", "--out", STORE, "--time", "-1"], /--time: expected a duration like 20s.*got "-1"/],
  ["--time -5s", () => ["fuzz", "--out", STORE, "--time", "-5s"], /--time: expected a duration like 20s/],
  ["--time soon", () => ["fuzz", "--out", STORE, "--time", "soon"], /--time: expected a duration like 20s/],
  ["--time 1e3", () => ["fuzz", "--out", STORE, "--time", "1e3"], /--time: expected a duration like 20s/],
  ["--time 10d", () => ["fuzz", "--out", STORE, "--time", "10d"], /--time: expected a duration like 20s/],
  ["--time 30000h", () => ["fuzz", "--out", STORE, "--time", "30000h"], /--time: expected at most 24 days/],
  ["--time empty", () => ["fuzz", "--out", STORE, "--time", ""], /--time: expected a duration/],
  ["--runs 0", () => ["fuzz", "--out", STORE, "--runs", "0"], /--runs: expected a whole number from 1 to \d+, got 0/],
  [
    "--runs -5",
    () => ["fuzz", "--out", STORE, "--runs", "-5"],
    /--runs: expected a whole number from 1 to \d+, got -5/,
  ],
  ["--runs 1.5", () => ["fuzz", "--out", STORE, "--runs", "1.5"], /--runs: expected a whole number .*got "1\.5"/],
  ["--runs ten", () => ["fuzz", "--out", STORE, "--runs", "ten"], /--runs: expected a whole number .*got "ten"/],
  [
    "--runs beyond 2^53",
    () => ["fuzz", "--out", STORE, "--runs", "99999999999999999999"],
    /--runs: expected a whole number from 1/,
  ],
  [
    "--seed -1",
    () => ["fuzz", "--out", STORE, "--seed", "-1"],
    /--seed: expected a whole number from 0 to 2147483647, got -1/,
  ],
  [
    "--seed 2^31",
    () => ["fuzz", "--out", STORE, "--seed", "2147483648"],
    /--seed: expected a whole number from 0 to 2147483647/,
  ],
  ["--seed abc", () => ["fuzz", "--out", STORE, "--seed", "abc"], /--seed: expected a whole number/],
  ["--jobs 0", () => ["fuzz", "--out", STORE, "--jobs", "0"], /--jobs: expected a whole number from 1 to 64, got 0/],
  ["--jobs 65", () => ["fuzz", "--out", STORE, "--jobs", "65"], /--jobs: expected a whole number from 1 to 64, got 65/],
  ["--jobs -2", () => ["fuzz", "--out", STORE, "--jobs", "-2"], /--jobs: expected a whole number from 1 to 64, got -2/],
  [
    "--max-commands 0",
    () => fuzz("--max-commands", "0"),
    /--max-commands: expected a whole number from 1 to 10000, got 0/,
  ],
  [
    "--max-commands 10001",
    () => fuzz("--max-commands", "10001"),
    /--max-commands: expected a whole number from 1 to 10000/,
  ],
  ["--shard 3/2", () => fuzz("--shard", "3/2"), /--shard: expected K\/N with 0 <= K < N, got "3\/2"/],
  ["--shard 0/0", () => fuzz("--shard", "0/0"), /--shard: expected K\/N/],
  ["--shard -1/2", () => fuzz("--shard", "-1/2"), /--shard: expected K\/N/],
  ["--shard a/b", () => fuzz("--shard", "a/b"), /--shard: expected K\/N/],
  ["--run-timeout 0", () => fuzz("--run-timeout", "0"), /--run-timeout: expected a duration of at least 1ms/],
  ["--run-timeout -1s", () => fuzz("--run-timeout", "-1s"), /--run-timeout: expected a duration like 20s/],
  ["--variant unknown", () => fuzz("--variant", "qemu-9.9"), /unknown variant "qemu-9\.9" \(known: qemu-7\.2/],
  ["--variant empty", () => fuzz("--variant", ""), /--variant: expected NAME, got an empty value/],
  ["--profile unknown", () => fuzz("--profile", "windows"), /unknown profile "windows"/],
  [
    "--property unknown",
    () => fuzz("--property", "liveness"),
    /--property: expected guest-visible or delivery-log, got "liveness"/,
  ],
  [
    "--topology unknown name",
    () => fuzz("--topology", "huge"),
    /--topology: unknown topology "huge" \(built-in: default/,
  ],
  [
    "--variant with --impl",
    () => fuzz("--variant", "qemu-7.2", "--impl", "examples/ire-notify.ts"),
    /use --variant or --impl, not both/,
  ],
  [
    "--time with --runs",
    () => ["fuzz", "--out", STORE, "--time", "1s", "--runs", "3"],
    /use --time or --runs, not both/,
  ],
  ["explore without a variant", () => ["explore", "--out", STORE], /give --variant or --impl/],
  [
    "explore --depth 0",
    () => ["explore", "--variant", "qemu-7.2", "--depth", "0"],
    /--depth: expected a whole number from 1 to 64, got 0/,
  ],
  [
    "explore --depth 65",
    () => ["explore", "--variant", "qemu-7.2", "--depth", "65"],
    /--depth: expected a whole number from 1 to 64, got 65/,
  ],
  [
    "explore --alphabet huge",
    () => ["explore", "--variant", "qemu-7.2", "--alphabet", "huge"],
    /--alphabet: expected ioapic or msi or full, got "huge"/,
  ],
  [
    "explore --time 0",
    () => ["explore", "--variant", "qemu-7.2", "--time", "0"],
    /--time: expected a duration of at least 1ms/,
  ],
  ["explore --variant nope", () => ["explore", "--variant", "nope", "--out", STORE], /unknown variant "nope"/],
  ["matrix --time 0", () => ["matrix", "--time", "0"], /--time: expected a duration of at least 1ms/],
  ["matrix --time -1", () => ["matrix", "--time", "-1"], /--time: expected a duration like 20s/],
  ["matrix --seed -1", () => ["matrix", "--seed", "-1"], /--seed: expected a whole number from 0/],
  ["scenarios --variant nope", () => ["scenarios", "--variant", "nope"], /unknown variant "nope"/],
  [
    "scenarios --run-timeout 0",
    () => ["scenarios", "--run-timeout", "0"],
    /--run-timeout: expected a duration of at least 1ms/,
  ],
  ["replay without a file", () => ["replay"], /irqcheck replay: expected 1 argument \(FILE\), got 0/],
  ["replay with two files", () => ["replay", SEED, SEED], /expected 1 argument \(FILE\), got 2/],
  ["replay --variant nope", () => replay(SEED, "--variant", "nope"), /unknown variant "nope"/],
  [
    "replay --property nope",
    () => replay(SEED, "--property", "nope"),
    /--property: expected guest-visible or delivery-log/,
  ],
  [
    "replay --run-timeout 0ms",
    () => replay(SEED, "--run-timeout", "0ms"),
    /--run-timeout: expected a duration of at least 1ms/,
  ],
  ["regress with two folders", () => ["regress", STORE, STORE], /expected at most 1 argument \(\[DIR\]\), got 2/],
  ["merge without a folder", () => ["merge", "--out", STORE], /expected at least 1 argument/],
  ["import-trace without --variant", () => ["import-trace", TRACE], /give --variant/],
  ["import-trace --variant nope", () => ["import-trace", TRACE, "--variant", "nope"], /unknown variant "nope"/],
  [
    "import-trace --cpus 0",
    () => ["import-trace", TRACE, "--variant", "qemu-7.2", "--cpus", "0"],
    /--cpus: expected a whole number from 1 to 32, got 0/,
  ],
  [
    "import-trace --cpus 33",
    () => ["import-trace", TRACE, "--variant", "qemu-7.2", "--cpus", "33"],
    /--cpus: expected a whole number from 1 to 32/,
  ],
  [
    "import-trace --cpus with --apic-ids",
    () => ["import-trace", TRACE, "--variant", "qemu-7.2", "--cpus", "2", "--apic-ids", "0,1"],
    /use --cpus or --apic-ids, not both/,
  ],
  [
    "import-trace --apic-ids 1,1",
    () => ["import-trace", TRACE, "--variant", "qemu-7.2", "--apic-ids", "1,1"],
    /--apic-ids: APIC IDs must be distinct/,
  ],
  [
    "import-trace --apic-ids 0,x",
    () => ["import-trace", TRACE, "--variant", "qemu-7.2", "--apic-ids", "0,x"],
    /--apic-ids: expected a whole number from 0 to 254, got "x"/,
  ],
  [
    "import-trace --apic-ids 255",
    () => ["import-trace", TRACE, "--variant", "qemu-7.2", "--apic-ids", "255"],
    /--apic-ids: expected a whole number from 0 to 254, got 255/,
  ],
  [
    "import-trace --ioapic-version 0x21",
    () => ["import-trace", TRACE, "--variant", "qemu-7.2", "--ioapic-version", "0x21"],
    /--ioapic-version: expected 0x11 .* got "0x21"/,
  ],
  [
    "import-trace --rte garbage",
    () => ["import-trace", TRACE, "--variant", "qemu-7.2", "--rte", "x"],
    /--rte\[0\]: "x" is not PIN=0xHEX/,
  ],
];

const OUTPUTS: Case[] = [
  [
    "--out is a file",
    () => ["fuzz", "--runs", "1", "--out", at("a-file")],
    /--out .*a-file: is a file, expected a directory/,
  ],
  [
    "--out below a file",
    () => ["fuzz", "--runs", "1", "--out", join(at("a-file"), "sub")],
    /--out .*a-file\/sub: .*a-file is a file, so the directory cannot be created/,
  ],
  [
    "explore --out is a file",
    () => ["explore", "--variant", "qemu-7.2", "--out", at("a-file")],
    /--out .*a-file: is a file, expected a directory/,
  ],
  ["merge --out is a file", () => ["merge", STORE, "--out", at("a-file")], /--out .*a-file: is a file/],
  ["--junit is a directory", () => fuzz("--junit", scratch), /--junit .*: is a directory, expected a file path/],
  [
    "--junit in a missing folder",
    () => fuzz("--junit", at("missing/report.xml")),
    /--junit .*missing\/report\.xml: the folder .*missing does not exist/,
  ],
  ["--junit ending in a slash", () => fuzz("--junit", `${at("reports")}/`), /--junit: expected a file path/],
  [
    "--junit below a file",
    () => fuzz("--junit", join(at("a-file"), "r.xml")),
    /--junit .*: .*a-file is not a directory/,
  ],
  [
    "replay --html is a directory",
    () => replay(SEED, "--html", scratch),
    /--html .*: is a directory, expected a file path/,
  ],
  [
    "replay --html in a missing folder",
    () => replay(SEED, "--html", at("missing/t.html")),
    /--html .*: the folder .*missing does not exist/,
  ],
  [
    "import-trace --save is a file",
    () => ["import-trace", TRACE, "--variant", "qemu-7.2", "--save", at("a-file")],
    /--save .*a-file: is a file, expected a directory/,
  ],
];

const TOPOLOGIES: Case[] = [
  [
    "a topology file that does not exist",
    () => fuzz("--topology", at("nope.json")),
    /nope\.json: cannot read the topology: ENOENT \(no such file or directory\)/,
  ],
  [
    "a topology that is a directory",
    () => fuzz("--topology", `${scratch}/`),
    /is a directory, expected a topology file/,
  ],
  [
    "a topology that is not JSON",
    () => fuzz("--topology", file("t-not-json.json", "{ cpus: 4 }")),
    /t-not-json\.json: \$: .*\(invalid-json\)/,
  ],
  ["a topology that is an array", () => fuzz("--topology", file("t-array.json", "[]")), /t-array\.json: \$: /],
  [
    "an empty topology file",
    () => fuzz("--topology", file("t-empty.json", "")),
    /t-empty\.json: \$: .*\(invalid-json\)/,
  ],
  [
    "msiDevices: []",
    () =>
      fuzz(
        "--topology",
        topologyFile("no-msi", (t) => {
          t.msiDevices = [];
        }),
      ),
    /topology-no-msi\.json: \$\.msiDevices: expected at least one MSI-X device/,
  ],
  [
    "irtEntries: 0",
    () =>
      fuzz(
        "--topology",
        topologyFile("irt0", (t) => {
          t.irtEntries = 0;
        }),
      ),
    /\$\.irtEntries: Too small/,
  ],
  [
    "irtEntries: 65537",
    () =>
      fuzz(
        "--topology",
        topologyFile("irt-big", (t) => {
          t.irtEntries = 65537;
        }),
      ),
    /\$\.irtEntries: Too big/,
  ],
  [
    "cpus: []",
    () =>
      fuzz(
        "--topology",
        topologyFile("no-cpus", (t) => {
          t.cpus = [];
        }),
      ),
    /\$\.cpus: Too small/,
  ],
  [
    "33 cpus",
    () =>
      fuzz(
        "--topology",
        topologyFile("cpus33", (t) => {
          t.cpus = Array.from({ length: 33 }, (_, apicId) => ({ apicId }));
        }),
      ),
    /\$\.cpus: Too big/,
  ],
  [
    "duplicate APIC IDs",
    () =>
      fuzz(
        "--topology",
        topologyFile("dup", (t) => {
          t.cpus = [{ apicId: 1 }, { apicId: 1 }];
        }),
      ),
    /\$\.cpus: APIC IDs must be distinct \(duplicate-apic-id\)/,
  ],
  [
    "APIC ID 255 in xAPIC mode",
    () =>
      fuzz(
        "--topology",
        topologyFile("id255", (t) => {
          t.cpus = [{ apicId: 255 }];
        }),
      ),
    /\$\.apicMode: APIC IDs above 254 need apicMode "x2apic"/,
  ],
  [
    "a negative APIC ID",
    () =>
      fuzz(
        "--topology",
        topologyFile("neg", (t) => {
          t.cpus = [{ apicId: -1 }];
        }),
      ),
    /\$\.cpus\[0\]\.apicId: Too small/,
  ],
  [
    "apicMode unknown",
    () =>
      fuzz(
        "--topology",
        topologyFile("mode", (t) => {
          t.apicMode = "x3apic";
        }),
      ),
    /\$\.apicMode: /,
  ],
  [
    "ioapicVersion 0x21",
    () =>
      fuzz(
        "--topology",
        topologyFile("ver", (t) => {
          t.ioapicVersion = 0x21;
        }),
      ),
    /\$\.ioapicVersion: /,
  ],
  [
    "MSI-X vectors 0",
    () =>
      fuzz(
        "--topology",
        topologyFile("vec0", (t) => {
          t.msiDevices = [{ requesterId: 8, vectors: 0 }];
        }),
      ),
    /\$\.msiDevices\[0\]\.vectors: Too small/,
  ],
  [
    "MSI-X vectors 33",
    () =>
      fuzz(
        "--topology",
        topologyFile("vec33", (t) => {
          t.msiDevices = [{ requesterId: 8, vectors: 33 }];
        }),
      ),
    /\$\.msiDevices\[0\]\.vectors: Too big/,
  ],
  [
    "requester ID 0x10000",
    () =>
      fuzz(
        "--topology",
        topologyFile("rid", (t) => {
          t.msiDevices = [{ requesterId: 0x10000, vectors: 1 }];
        }),
      ),
    /\$\.msiDevices\[0\]\.requesterId: Too big/,
  ],
  [
    "duplicate requester IDs",
    () =>
      fuzz(
        "--topology",
        topologyFile("dup-rid", (t) => {
          t.msiDevices = [
            { requesterId: 8, vectors: 1 },
            { requesterId: 8, vectors: 1 },
          ];
        }),
      ),
    /\$\.msiDevices: requester IDs must be distinct/,
  ],
  [
    "an unknown qemuModel",
    () =>
      fuzz(
        "--topology",
        topologyFile("model", (t) => {
          t.msiDevices = [{ requesterId: 8, vectors: 1, qemuModel: "e1000" }];
        }),
      ),
    /\$\.msiDevices\[0\]\.qemuModel: /,
  ],
  [
    "an INTx pin past the IOAPIC's 24",
    () =>
      fuzz(
        "--topology",
        topologyFile("intx-pin", (t) => {
          t.intxPins = [24];
        }),
      ),
    /\$\.intxPins\[0\]: Too big/,
  ],
  [
    "two INTx devices on one pin",
    () =>
      fuzz(
        "--topology",
        topologyFile("intx-dup", (t) => {
          t.intxPins = [16, 16];
        }),
      ),
    /\$\.intxPins: each pin carries one device's INTx/,
  ],
  [
    "faultRecords 0",
    () =>
      fuzz(
        "--topology",
        topologyFile("fr0", (t) => {
          t.faultRecords = 0;
        }),
      ),
    /\$\.faultRecords: Too small/,
  ],
  [
    "a missing field",
    () =>
      fuzz(
        "--topology",
        topologyFile("missing", (t) => {
          delete t.extDestId;
        }),
      ),
    /\$\.extDestId: /,
  ],
  [
    "an unknown field",
    () =>
      fuzz(
        "--topology",
        topologyFile("extra", (t) => {
          t.numa = 2;
        }),
      ),
    /\$: Unrecognized key: "numa"/,
  ],
  [
    "a string where a number goes",
    () =>
      fuzz(
        "--topology",
        topologyFile("str", (t) => {
          t.irtEntries = "8";
        }),
      ),
    /\$\.irtEntries: /,
  ],
  [
    "a topology over 1 MiB",
    () => fuzz("--topology", file("t-big.json", " ".repeat(2 ** 20 + 1))),
    /t-big\.json: 1\.0 MiB, larger than the 1 MiB a topology may be/,
  ],
];

const COUNTEREXAMPLES: Case[] = [
  [
    "a counterexample that does not exist",
    () => replay(at("nope.json")),
    /nope\.json: cannot read the counterexample: ENOENT/,
  ],
  ["a counterexample that is a directory", () => replay(scratch), /is a directory, expected a counterexample file/],
  ["an empty counterexample file", () => replay(file("empty.json", "")), /empty\.json: \$: .*\(invalid-json\)/],
  [
    "a counterexample that is not JSON",
    () => replay(file("garbage.json", "{ not json")),
    /garbage\.json: \$: .*\(invalid-json\)/,
  ],
  [
    "a binary counterexample",
    () => replay(file("binary.json", Buffer.from([0, 159, 146, 150, 255, 0, 1]))),
    /binary\.json: \$: .*\(invalid-json\)/,
  ],
  ["a counterexample that is an array", () => replay(counterexample("array", () => [])), /array\.json: \$: /],
  [
    "a counterexample of another format",
    () =>
      replay(
        counterexample("format", (d) => {
          d.format = "x";
        }),
      ),
    /format\.json: \$\.format: /,
  ],
  [
    "a counterexample of version 99",
    () =>
      replay(
        counterexample("v99", (d) => {
          d.version = 99;
        }),
      ),
    /v99\.json: \$\.version: expected version 1, found 99 \(unsupported-version\)/,
  ],
  [
    "a counterexample without a title",
    () =>
      replay(
        counterexample("no-title", (d) => {
          delete d.title;
        }),
      ),
    /no-title\.json: \$\.title: /,
  ],
  [
    "a counterexample with an unknown property",
    () =>
      replay(
        counterexample("prop", (d) => {
          d.property = "liveness";
        }),
      ),
    /prop\.json: \$\.property: /,
  ],
  [
    "a counterexample with a malformed signature",
    () =>
      replay(
        counterexample("sig", (d) => {
          d.signature = "oops";
        }),
      ),
    /sig\.json: \$\.signature: expected VARIANT\/PROPERTY\/OP\/DIFFERENCE, found "oops" \(bad-signature\)/,
  ],
  [
    "a counterexample with no commands",
    () =>
      replay(
        counterexample("none", (d) => {
          d.commands = [];
        }),
      ),
    /none\.json: \$\.commands: expected at least one command/,
  ],
  [
    "a counterexample with 20,001 commands",
    () =>
      replay(
        counterexample("many", (d) => {
          d.commands = Array.from({ length: 20_001 }, () => ({ op: "ir.fault-clear" }));
        }),
      ),
    /many\.json: \$\.commands: expected at most 20000 commands/,
  ],
  [
    "a counterexample over 16 MiB",
    () => replay(file("huge.json", " ".repeat(16 * 2 ** 20 + 1))),
    /huge\.json: 16\.0 MiB, larger than the 16 MiB a counterexample may be/,
  ],
  [
    "an unknown op",
    () =>
      replay(
        counterexample("op", (d) => {
          d.commands[0] = { op: "ioapic.poke" };
        }),
      ),
    /op\.json: \$\.commands\[0\]\.op: unknown command "ioapic\.poke"/,
  ],
  [
    "a command that is not an object",
    () =>
      replay(
        counterexample("cmd-str", (d) => {
          d.commands[0] = "ioapic.write";
        }),
      ),
    /cmd-str\.json: \$\.commands\[0\]: expected a command object/,
  ],
  [
    "pin 24",
    () =>
      replay(
        counterexample("pin", (d) => {
          d.commands[3] = { op: "line.set", pin: 24, level: 1 };
        }),
      ),
    /pin\.json: \$\.commands\[3\]\.pin: Too big/,
  ],
  [
    "a 33-bit register value",
    () =>
      replay(
        counterexample("value", (d) => {
          d.commands[1] = { op: "ioapic.write", reg: "0x10", value: "0x1ffffffff" };
        }),
      ),
    /\$\.commands\[1\]\.value: expected an unsigned 32-bit integer/,
  ],
  [
    "a register value that is not hex",
    () =>
      replay(
        counterexample("hex", (d) => {
          d.commands[1] = { op: "ioapic.write", reg: "0x10", value: "12ab" };
        }),
      ),
    /\$\.commands\[1\]\.value: expected an unsigned 32-bit integer/,
  ],
  [
    "line level 2",
    () =>
      replay(
        counterexample("level", (d) => {
          d.commands[0] = { op: "line.set", pin: 5, level: 2 };
        }),
      ),
    /\$\.commands\[0\]\.level: /,
  ],
  [
    "an unknown field in a command",
    () =>
      replay(
        counterexample("field", (d) => {
          d.commands[0] = { op: "line.pulse", pin: 5, when: 3 };
        }),
      ),
    /\$\.commands\[0\]: Unrecognized key: "when"/,
  ],
  [
    "IRTE index 65535 with 8 entries",
    () =>
      replay(
        counterexample("irte", (d) => {
          d.commands[0] = { op: "irte.write", index: 65535, irte: "0x1" };
        }),
      ),
    /irte\.json: \$\.commands\[0\]\.index: IRTE 65535 does not exist \(topology "default" has 8\)/,
  ],
  [
    "an IRTE that is not hex",
    () =>
      replay(
        counterexample("irte-hex", (d) => {
          d.commands[0] = { op: "irte.write", index: 0, irte: "zz" };
        }),
      ),
    /\$\.commands\[0\]\.irte: expected a 128-bit IRTE/,
  ],
  [
    "MSI-X device 5 of 2",
    () =>
      replay(
        counterexample("dev", (d) => {
          d.commands[0] = { op: "msi.fire", dev: 5, vec: 0 };
        }),
      ),
    /\$\.commands\[0\]\.dev: MSI device 5 does not exist/,
  ],
  [
    "MSI-X vector 9 of 2",
    () =>
      replay(
        counterexample("vec", (d) => {
          d.commands[0] = { op: "msi.fire", dev: 0, vec: 9 };
        }),
      ),
    /\$\.commands\[0\]\.vec: MSI-X vector 9 does not exist/,
  ],
  [
    "vCPU 9 of 4",
    () =>
      replay(
        counterexample("cpu", (d) => {
          d.commands[0] = { op: "cpu.accept", cpu: 9 };
        }),
      ),
    /\$\.commands\[0\]\.cpu: cpu 9 does not exist/,
  ],
  [
    "a topology without MSI-X devices inside a file",
    () =>
      replay(
        counterexample("topo", (d) => {
          d.topology.msiDevices = [];
        }),
      ),
    /topo\.json: \$\.topology\.msiDevices: expected at least one MSI-X device/,
  ],
  [
    "duplicate APIC IDs inside a file",
    () =>
      replay(
        counterexample("topo-dup", (d) => {
          d.topology.cpus = [{ apicId: 0 }, { apicId: 0 }];
        }),
      ),
    /topo-dup\.json: \$\.topology\.cpus: APIC IDs must be distinct/,
  ],
  [
    "an unknown variant inside a file",
    () =>
      replay(
        counterexample("variant", (d) => {
          d.variant = "qemu-6.0";
        }),
      ),
    /variant\.json: \$\.variant: no built-in variant "qemu-6\.0" .*give --variant NAME or --impl PATH \(unknown-variant\)/,
  ],
  [
    "a divergence step that is negative",
    () =>
      replay(
        counterexample("step", (d) => {
          (d.divergence as { step: number }).step = -1;
        }),
      ),
    /step\.json: \$\.divergence\.step: Too small/,
  ],
  [
    "provenance from an unknown source",
    () =>
      replay(
        counterexample("source", (d) => {
          (d.provenance as { source: string }).source = "magic";
        }),
      ),
    /source\.json: \$\.provenance\.source: /,
  ],
  [
    "a bad file in a regress folder",
    () => ["regress", at("regress-bad")],
    /regress-bad\/qemu-7\.2\/broken\.json: \$: .*\(invalid-json\)/,
  ],
  [
    "a bad file in a merge folder: nothing is copied",
    () => ["merge", at("regress-bad"), "--out", STORE],
    /broken\.json: \$: .*\(invalid-json\)/,
  ],
  ["a regress folder that does not exist", () => ["regress", at("nope-dir")], /nope-dir: cannot read: ENOENT/],
  [
    "a merge folder that does not exist",
    () => ["merge", at("nope-dir"), "--out", STORE],
    /nope-dir: cannot read: ENOENT/,
  ],
];

const TRACES: Case[] = [
  [
    "a trace that does not exist",
    () => ["import-trace", at("nope.log"), "--variant", "qemu-7.2"],
    /nope\.log: cannot read the trace: ENOENT/,
  ],
  [
    "a trace that is a directory",
    () => ["import-trace", scratch, "--variant", "qemu-7.2"],
    /is a directory, expected a trace file/,
  ],
  ["an empty trace", () => ["import-trace", "trace/fixtures/empty.log", "--variant", "qemu-7.2"], /empty\.log: /],
  ["a binary trace", () => ["import-trace", "trace/fixtures/garbage.log", "--variant", "qemu-7.2"], /garbage\.log: /],
  [
    "a trace with no IOAPIC events",
    () => ["import-trace", "trace/fixtures/unknown-only.log", "--variant", "qemu-7.2"],
    /unknown-only\.log: no IOAPIC events/,
  ],
];

const IMPL: Case[] = [
  ["an --impl that does not exist", () => fuzz("--impl", "nope.ts"), /--impl nope\.ts: the module failed to load/],
  [
    "an --impl without a factory",
    () => fuzz("--impl", file("no-export.ts", "export const x = 1;\n")),
    /expected an export "variant" .* found x/,
  ],
  [
    "an --impl that throws on load",
    () => fuzz("--impl", file("throws.ts", 'throw new Error("boom");\n')),
    /failed to load: Error: boom|failed to load: boom/,
  ],
  [
    "an --impl with a syntax error, shown whole",
    () => fuzz("--impl", file("syntax.ts", "export const variant = {\n  create() { return 1 +; },\n};\n")),
    /failed to load: Transform failed with 1 error: .*syntax\.ts:2:\d+: ERROR: /,
  ],
  [
    "an --impl whose variant has no name",
    () => fuzz("--impl", file("no-name.ts", "export const variant = { create: () => null };\n")),
    /expected an export "variant" \(\{name, create\}\)/,
  ],
  [
    "replay --impl that does not exist",
    () => replay(SEED, "--impl", at("nope.ts")),
    /--impl .*nope\.ts: the module failed to load/,
  ],
  [
    "explore --impl that does not exist",
    () => ["explore", "--impl", at("nope.ts"), "--out", STORE],
    /--impl .*nope\.ts: the module failed to load/,
  ],
];

const CASES: Case[] = [...FLAGS, ...OUTPUTS, ...TOPOLOGIES, ...COUNTEREXAMPLES, ...TRACES, ...IMPL];

/** Every file under the store, with its content. */
function snapshot(): Map<string, string> {
  return new Map(listCounterexamples(STORE).map((f) => [f, readFileSync(f, "utf8")]));
}

let before: Map<string, string>;
beforeAll(() => {
  mkdirSync(STORE, { recursive: true });
  cpSync("counterexamples/qemu-7.2", join(STORE, "qemu-7.2"), { recursive: true });
  file("a-file", "not a folder\n");
  mkdirSync(at("read-only"));
  chmodSync(at("read-only"), 0o555);
  mkdirSync(at("regress-bad/qemu-7.2"), { recursive: true });
  cpSync(SEED, at("regress-bad/qemu-7.2/seed.json"));
  file("regress-bad/qemu-7.2/broken.json", "{");
  before = snapshot();
});

describe("bad input: one line naming the flag, file or field; exit 2; no stack; nothing saved changed", () => {
  it(`holds ${CASES.length} cases (at least 150)`, () => {
    expect(CASES.length).toBeGreaterThanOrEqual(150);
  });

  it.each(CASES)("%s", async (_, argv, message) => {
    const out: string[] = [];
    const err: string[] = [];
    const code = await main([...argv()], { out: (l) => out.push(l), err: (l) => err.push(l) });
    const text = err.join("\n");
    expect(code, `${text}\n${out.join("\n")}`).toBe(2);
    expect(text).toMatch(message);
    expect(err).toHaveLength(1);
    expect(text.split("\n")).toHaveLength(1);
    expect(text).not.toMatch(/\bat .*\(.*:\d+:\d+\)|internal error/);
    expect(out).toEqual([]);
  });

  it.skipIf(isRoot)("an unwritable --out or --junit folder (skipped as root: root writes anywhere)", async () => {
    for (const [argv, message] of [
      [["fuzz", "--runs", "1", "--out", join(at("read-only"), "out")], /--out.*read-only.*: cannot write in .*EACCES/],
      [fuzz("--junit", join(at("read-only"), "r.xml")), /cannot write in .*read-only.*EACCES/],
    ] as const) {
      const err: string[] = [];
      expect(await main([...argv], { out: () => {}, err: (l) => err.push(l) })).toBe(2);
      expect(err.join("\n")).toMatch(message);
    }
  });

  it("left the store exactly as it was, with no temporary files", () => {
    expect(snapshot()).toEqual(before);
    expect(listCounterexamples(STORE).length).toBe(before.size);
  });

  it("accepts a UTF-8 byte-order mark in counterexample and topology files", async () => {
    const bom = file("bom.json", `\ufeff${readFileSync(SEED, "utf8")}`);
    const r = await main(["replay", bom, "--variant", "qemu-8.0"], { out: () => {}, err: () => {} });
    expect(r).toBe(0);
    const topology = file("bom-topology.json", `\ufeff${JSON.stringify(DEFAULT_TOPOLOGY())}`);
    const f = await main(
      [
        "fuzz",
        "--variant",
        "irqfd-cache",
        "--runs",
        "5",
        "--jobs",
        "1",
        "--topology",
        topology,
        "--out",
        at("bom-out"),
      ],
      {
        out: () => {},
        err: () => {},
      },
    );
    expect(f).toBe(0);
  });
});
