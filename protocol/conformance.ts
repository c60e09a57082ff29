/**
 * The conformance kit behind `irqcheck protocol-check`: a fixed set of sequences (seeded
 * runs of each profile) sent to a program, checking that it shakes hands, answers every
 * command with a well-formed step of the topology's shape, answers the same sequence the
 * same way twice, answers a batched `run` as it answers one `apply` at a time, survives a
 * bad request, and (when announced) describes and digests deterministically. Whether the
 * answers are *right* is the campaign's question (`irqcheck fuzz --impl exec:...`).
 */
import type { Command } from "../model/commands.ts";
import type { Topology } from "../model/topology.ts";
import { runGenerator } from "../properties/campaign.ts";
import type { StepResult } from "../properties/implementation.ts";
import type { Profile } from "../properties/profiles/index.ts";
import { type Connection, ExecImplementation, sharedConnection } from "./exec-implementation.ts";
import { ImplementationFault } from "./fault.ts";
import { resetRequest } from "./messages.ts";

export interface CheckOutcome {
  readonly name: string;
  readonly ok: boolean;
  /** One line: what was seen, or the first thing wrong. */
  readonly detail: string;
}

export interface ConformanceOptions {
  readonly program: string;
  readonly topology: Topology;
  readonly profiles: readonly Profile[];
  /** Seeded sequences per profile. */
  readonly sequences: number;
  readonly maxCommands: number;
  readonly timeoutMs: number;
}

interface Sequence {
  readonly label: string;
  readonly commands: readonly Command[];
}

export function conformanceSequences(
  topology: Topology,
  profiles: readonly Profile[],
  count: number,
  maxCommands: number,
): Sequence[] {
  return profiles.flatMap((p) => {
    const generate = runGenerator(p, topology, maxCommands);
    return Array.from({ length: count }, (_, k) => ({
      label: `${p.name}#${k}`,
      commands: generate(`protocol-check/${k}`),
    }));
  });
}

const stepKey = (r: StepResult) => JSON.stringify([r.observations, r.visible, r.trace]);

/** The first step where two answer lists differ, as a one-line description, or null. */
function firstDifference(
  a: readonly StepResult[],
  b: readonly StepResult[],
  commands: readonly Command[],
): string | null {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    const x = a[i];
    const y = b[i];
    if (x === undefined || y === undefined) return `${a.length} answers, then ${b.length}`;
    if (stepKey(x) !== stepKey(y)) {
      const part =
        JSON.stringify(x.observations) !== JSON.stringify(y.observations)
          ? "observations"
          : JSON.stringify(x.visible) !== JSON.stringify(y.visible)
            ? "visible state"
            : "trace";
      return `step #${i} (${commands[i]?.op}): the ${part} differ`;
    }
  }
  return null;
}

export function runConformance(o: ConformanceOptions): CheckOutcome[] {
  const out: CheckOutcome[] = [];
  const check = (name: string, body: () => string) => {
    try {
      out.push({ name, ok: true, detail: body() });
    } catch (e) {
      const detail = e instanceof ImplementationFault || e instanceof ConformanceFailure ? e.message : String(e);
      out.push({ name, ok: false, detail: detail.split("\n")[0] ?? "" });
    }
  };
  let connection: Connection | null = null;
  check("hello", () => {
    connection = sharedConnection(o.program, o.timeoutMs);
    const h = connection.hello;
    return `name ${h.name}, protocol ${h.protocol}, capabilities ${h.capabilities.join(",") || "none"}`;
  });
  const hello = (connection as Connection | null)?.hello;
  if (hello === undefined) return out;

  const sequences = conformanceSequences(o.topology, o.profiles, o.sequences, o.maxCommands);
  const total = sequences.reduce((n, s) => n + s.commands.length, 0);
  const run = (s: Sequence, batched: boolean): StepResult[] => {
    const impl = new ExecImplementation(o.program, o.timeoutMs);
    impl.reset(o.topology);
    if (batched) impl.prepare(s.commands);
    return s.commands.map((c) => {
      try {
        return impl.apply(c);
      } catch (e) {
        if (e instanceof ImplementationFault) throw new ConformanceFailure(`${s.label}: ${e.message}`);
        throw e;
      }
    });
  };
  const first = new Map<string, StepResult[]>();
  check("answers", () => {
    for (const s of sequences) first.set(s.label, run(s, false));
    return `${total} commands in ${sequences.length} sequences (${o.profiles.map((p) => p.name).join(",")}), one apply each: every answer a well-formed step`;
  });
  if (first.size < sequences.length) return out;
  const againstFirst = (name: string, batched: boolean, what: string) =>
    check(name, () => {
      for (const s of sequences) {
        const diff = firstDifference(first.get(s.label) ?? [], run(s, batched), s.commands);
        if (diff !== null) throw new ConformanceFailure(`${s.label}: ${diff} ${what}`);
      }
      return `${sequences.length} sequences answered identically ${what}`;
    });
  againstFirst("determinism", false, "the second time");
  againstFirst("batching", true, "as one run request");

  check("bad request", () => {
    const c = sharedConnection(o.program, o.timeoutMs);
    c.owner = null;
    const bad = JSON.stringify({ type: "apply", command: { op: "no.such-op" } });
    const read = JSON.stringify({ type: "apply", command: { op: "ioapic.read", reg: "0x01" } });
    const lines = c.pipe.exchange(`${resetRequest(o.topology)}\n${bad}\n${read}\n`, 3, "reset, a bad command, a read");
    const types = lines.map((l) => (JSON.parse(l) as { type?: unknown }).type);
    if (types[1] !== "error")
      throw new ConformanceFailure(`an unknown command was answered with "${types[1]}", expected "error"`);
    if (types[2] !== "step")
      throw new ConformanceFailure(`after an error answer, a read got "${types[2]}", expected "step"`);
    return "an unknown command gets an error answer, and the program keeps answering";
  });

  const sample = sequences[0];
  if (sample !== undefined) {
    check("describe", () => {
      if (!hello.capabilities.includes("describe")) return "not announced (reports show no internal state)";
      const impl = new ExecImplementation(o.program, o.timeoutMs);
      impl.reset(o.topology);
      for (const c of sample.commands) impl.apply(c);
      return `${impl.describe().length} lines after ${sample.label}`;
    });
    check("digest", () => {
      if (!hello.capabilities.includes("digest")) return "not announced (irqcheck explore needs it)";
      const digests = () => {
        const impl = new ExecImplementation(o.program, o.timeoutMs);
        impl.reset(o.topology);
        const d = [impl.digest?.() ?? ""];
        for (const c of sample.commands) {
          impl.apply(c);
          d.push(impl.digest?.() ?? "");
        }
        return d;
      };
      const a = digests();
      const b = digests();
      const i = a.findIndex((d, k) => d !== b[k]);
      if (i >= 0)
        throw new ConformanceFailure(`${sample.label}: the digest after ${i} commands differs the second time`);
      return `${a.length} digests along ${sample.label} equal the second time, ${new Set(a).size} distinct`;
    });
  }
  return out;
}

class ConformanceFailure extends Error {}
