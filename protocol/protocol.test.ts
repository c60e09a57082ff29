/**
 * The exec protocol: the schema file is the zod schemas', the TypeScript server answers
 * as documented, and a program behind the synchronous bridge is checked like an in-process
 * implementation, batching included; a program that crashes, hangs or answers garbage
 * becomes an ImplementationFault naming what was awaited and the offending line.
 */

import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { findVariant } from "../impl/variants/index.ts";
import type { Command } from "../model/commands.ts";
import { defaultTopology, TOPOLOGIES } from "../model/topology.ts";
import { runCampaign } from "../properties/campaign.ts";
import { check } from "../properties/checker.ts";
import { findProfile, PROFILES } from "../properties/profiles/index.ts";
import { modelImplementation } from "../properties/reference-implementation.ts";
import { ExecImplementation, sharedConnection } from "./exec-implementation.ts";
import { ImplementationFault } from "./fault.ts";
import { answerSchema, resetRequest } from "./messages.ts";
import { ChildPipe } from "./pipe.ts";
import { protocolJsonSchema } from "./schema.ts";
import { ProtocolServer } from "./server.ts";

const topology = defaultTopology();
const scratch = mkdtempSync(join(tmpdir(), "irqcheck-protocol-"));
afterAll(() => rmSync(scratch, { recursive: true, force: true }));
const serve = (variant?: string) =>
  `node ${join(import.meta.dirname, "..", "bin", "irqcheck.js")} serve-model${variant === undefined ? "" : ` --variant ${variant}`}`;

/** A shell script as a program under test. */
function script(name: string, body: string): string {
  const file = join(scratch, name);
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}
const HELLO = `read line; echo '{"type":"hello","protocol":1,"name":"fake","capabilities":[]}'`;

describe("docs/protocol.schema.json", () => {
  it("is what the zod schemas generate (irqcheck protocol-check --print-schema > docs/protocol.schema.json)", () => {
    const file = JSON.parse(readFileSync(join(import.meta.dirname, "..", "docs", "protocol.schema.json"), "utf8"));
    expect(file).toEqual(protocolJsonSchema());
  });
});

describe("ProtocolServer", () => {
  const answer = (line: string) => answerSchema.parse(JSON.parse(line));
  it("shakes hands, resets, answers a run with one step per command, and errors without dying", () => {
    const server = new ProtocolServer(modelImplementation());
    expect(answer(server.handle('{"type":"hello","protocol":1}')[0] ?? "")).toEqual({
      type: "hello",
      protocol: 1,
      name: "reference",
      capabilities: ["describe", "digest"],
    });
    expect(server.handle('{"type":"apply","command":{"op":"ioapic.read","reg":1}}').map(answer)[0]?.type).toBe("error");
    expect(server.handle(resetRequest(topology)).map(answer)).toEqual([{ type: "ready" }]);
    const steps = server
      .handle('{"type":"run","commands":[{"op":"ioapic.read","reg":"0x01"},{"op":"line.set","pin":3,"level":1}]}')
      .map(answer);
    expect(steps.map((s) => s.type)).toEqual(["step", "step"]);
    expect(steps[0]?.type === "step" && steps[0].observations).toEqual([{ kind: "read", reg: 1, value: 0x170020 }]);
    expect(server.handle('{"type":"apply","command":{"op":"cpu.eoi","cpu":9}}').map(answer)[0]).toMatchObject({
      type: "error",
      message: expect.stringContaining("cpu 9 does not exist"),
    });
    const cut = server.handle(
      '{"type":"run","commands":[{"op":"cpu.accept","cpu":0},{"op":"cpu.eoi","cpu":9},{"op":"cpu.accept","cpu":0}]}',
    );
    expect(cut.map(answer).map((a) => a.type)).toEqual(["step", "error", "error"]);
    expect(server.handle("not json").map(answer)[0]?.type).toBe("error");
    expect(server.handle('{"type":"digest"}').map(answer)[0]?.type).toBe("digest");
  });
});

describe("ExecImplementation over serve-model", () => {
  it("finds D1 on qemu-7.2 over the protocol at the same run, shrunk to the same commands, as in-process", () => {
    const v = findVariant("qemu-7.2");
    const linux = findProfile("linux");
    if (v === undefined || linux === undefined) throw new Error("qemu-7.2/linux missing");
    const hunt = (create: () => import("../properties/implementation.ts").Implementation) =>
      runCampaign({
        topology,
        variant: "qemu-7.2",
        create,
        profiles: [linux],
        property: "delivery-log",
        seed: 1,
        maxCommands: 40,
        runs: 300,
        stopWhen: (s) => s.difference === "misrouted-delivery",
      }).findings.find((f) => f.signature.difference === "misrouted-delivery");
    const local = hunt(v.create);
    const remote = hunt(() => new ExecImplementation(serve("qemu-7.2")));
    expect(local).toBeDefined();
    expect(remote?.run).toBe(local?.run);
    expect(remote?.commands).toEqual(local?.commands);
    expect(remote?.commands.length).toBe(4);
  });

  it("runs a whole sequence in one round trip when the checker hands it ahead, and passes the reference", () => {
    const program = serve();
    const connection = sharedConnection(program);
    const before = connection.pipe.exchanges;
    const r = runCampaign({
      topology,
      variant: "reference",
      create: () => new ExecImplementation(program),
      profiles: Object.values(PROFILES),
      property: "delivery-log",
      seed: 4,
      maxCommands: 40,
      runs: 200,
    });
    expect(r.findings).toEqual([]);
    expect(r.commands).toBeGreaterThan(2000);
    // One exchange per run (reset + run together), not one per command.
    expect(connection.pipe.exchanges - before).toBe(200);
  });

  it("keeps two implementation objects sharing one program apart", () => {
    const program = serve();
    const a = new ExecImplementation(program);
    const b = new ExecImplementation(program);
    const ref = modelImplementation();
    const small = TOPOLOGIES.small ?? topology;
    a.reset(small);
    b.reset(topology);
    ref.reset(small);
    const commands = [
      { op: "ioapic.write", reg: 0x10, value: 0x8031 },
      { op: "line.set", pin: 0, level: 1 },
      { op: "cpu.accept", cpu: 0 },
    ] as const;
    for (const c of commands) {
      b.apply({ op: "line.set", pin: 2, level: 1 });
      expect(a.apply(c)).toEqual(ref.apply(c));
    }
    expect(a.digest?.()).toBe(ref.digest?.());
  });

  it("describes the state after the last applied command even when the run went ahead", () => {
    const program = serve("irqfd-cache");
    const impl = new ExecImplementation(program);
    const local = findVariant("irqfd-cache")?.create();
    const commands = [
      { op: "ioapic.write", reg: 0x1b, value: 0x1000000 },
      { op: "ioapic.write", reg: 0x1a, value: 0x8031 },
      { op: "ioapic.write", reg: 0x1b, value: 0x2000000 },
    ] as const;
    impl.reset(topology);
    local?.reset(topology);
    impl.prepare(commands);
    for (const c of commands.slice(0, 2)) {
      impl.apply(c);
      local?.apply(c);
    }
    // The program ran all three; the route it describes must be the one after two.
    expect(impl.describe()).toEqual([
      "route gsi 5: addr 00000000fee01000 data 8031",
      "cache gsi 5: cookie - attached",
      "intx pin 16: userspace",
      "intx pin 17: userspace",
    ]);
    expect(impl.describe()).toEqual(local?.describe());
    expect(impl.describe().length).toBeGreaterThan(0);
  });
});

describe("ChildPipe", () => {
  it("pairs every answer with its own request over 20000 quick round trips (cat echoes each line)", () => {
    const pipe = new ChildPipe("cat", 5_000);
    for (let i = 0; i < 20_000; i++) expect(pipe.exchange(`${i}\n`, 1, `echo ${i}`)[0]).toBe(`${i}`);
    expect(pipe.exchanges).toBe(20_000);
    pipe.close();
  });
});

describe("a misbehaving program is an ImplementationFault", () => {
  const faultOf = (program: string, timeoutMs = 10_000): ImplementationFault => {
    try {
      // As check() drives it (check itself turns the fault into a finding).
      const impl = new ExecImplementation(program, timeoutMs);
      const commands: Command[] = [{ op: "line.set", pin: 1, level: 1 }];
      impl.reset(topology);
      impl.prepare?.(commands);
      for (const c of commands) impl.apply(c);
    } catch (e) {
      if (e instanceof ImplementationFault) return e;
      throw e;
    }
    throw new Error("no fault");
  };

  it("crashed: exit status, what was awaited and the stderr tail", () => {
    const f = faultOf(script("crash.sh", `${HELLO}\nread line; echo 'panicked at ioapic.rs:12' >&2; exit 3`));
    expect(f.kind).toBe("crashed");
    expect(f.message).toMatch(/exited with status 3 after 0 of 2 answer line/);
    expect(f.message).toContain("waiting for the step of command #0 (line.set)");
    expect(f.stderrTail).toContain("panicked at ioapic.rs:12");
  });

  it("hung: no answer within the timeout", () => {
    const f = faultOf(script("hang.sh", `${HELLO}\nexec sleep 30`), 300);
    expect(f.kind).toBe("hung");
    expect(f.message).toContain("no answer within 0.3s");
  });

  it("answered badly: the offending line, for garbage, a wrong shape and an error answer", () => {
    const garbage = faultOf(script("garbage.sh", `${HELLO}\nread line; echo '{"type":"ready"}'; echo 'step!'; cat`));
    expect(garbage.kind).toBe("answered badly");
    expect(garbage.line).toBe("step!");
    expect(garbage.message).toContain("not a JSON line");
    const shape = faultOf(
      script(
        "shape.sh",
        `${HELLO}\nread line; echo '{"type":"ready"}'; echo '{"type":"step","observations":[],"visible":{},"trace":[]}'; cat`,
      ),
    );
    expect(shape.kind).toBe("answered badly");
    expect(shape.message).toMatch(/visible\.ioapicId/);
    const refused = faultOf(
      script(
        "refuse.sh",
        `${HELLO}\nread line; echo '{"type":"ready"}'; echo '{"type":"error","message":"no IOAPIC"}'; cat`,
      ),
    );
    expect(refused.message).toContain("the program answered an error: no IOAPIC");
  });

  it("answered badly: a line nobody asked for (a second hello)", () => {
    const f = faultOf(
      script(
        "twice.sh",
        `read line; echo '{"type":"hello","protocol":1,"name":"twice","capabilities":[]}'\n${HELLO.slice(HELLO.indexOf("echo"))}\nread line; echo '{"type":"ready"}'; cat > /dev/null`,
      ),
    );
    expect(f.kind).toBe("answered badly");
    expect(f.line).toContain('"type":"hello"');
  });

  it("answered badly: a hello that is not protocol 1", () => {
    expect(() =>
      sharedConnection(
        script("old.sh", `read line; echo '{"type":"hello","protocol":0,"name":"x","capabilities":[]}'`),
      ),
    ).toThrow(/answered badly.*hello answer.*protocol/);
  });

  it("a fault is not the end: the next run starts the program again", () => {
    const counter = join(scratch, "starts");
    const program = script(
      "flaky.sh",
      `echo start >> ${counter}\n${HELLO}\nif [ $(wc -l < ${counter}) -eq 1 ]; then exit 1; fi\nexec ${serve()}`,
    );
    // The first start crashes after the hello (a finding); the second is a real server.
    const first = check(topology, new ExecImplementation(program), [{ op: "cpu.eoi", cpu: 0 }], "delivery-log");
    expect(first.ok ? null : first.divergence.fault?.kind).toBe("crashed");
    expect(check(topology, new ExecImplementation(program), [{ op: "cpu.eoi", cpu: 0 }], "delivery-log").ok).toBe(true);
  });
});
