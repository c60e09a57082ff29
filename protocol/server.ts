/**
 * The answering side of the exec protocol for an Implementation written in TypeScript
 * (`irqcheck serve-model`): a known-good peer to test a harness against, and the
 * protocol's own executable definition. Pure: a request line in, answer lines out.
 */
import type { Topology } from "../model/topology.ts";
import type { Implementation } from "../properties/implementation.ts";
import { type Issue, parseCommand } from "../properties/language.ts";
import { parseTopology } from "../properties/topology-file.ts";
import { type Capability, PROTOCOL_VERSION, requestSchema, stepAnswer } from "./messages.ts";

function error(message: string): string {
  return JSON.stringify({ type: "error", message });
}

function issueText(issues: readonly Issue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join("; ");
}

export class ProtocolServer {
  private topology: Topology | null = null;

  constructor(private readonly impl: Implementation) {}

  get capabilities(): Capability[] {
    return this.impl.digest === undefined ? ["describe"] : ["describe", "digest"];
  }

  /** The answer lines to one request line (one per command of a `run`, else one). */
  handle(line: string): string[] {
    let json: unknown;
    try {
      json = JSON.parse(line);
    } catch {
      return [error(`not a JSON line: ${line.slice(0, 80)}`)];
    }
    const raw = (typeof json === "object" && json !== null ? json : {}) as {
      type?: unknown;
      command?: unknown;
      commands?: unknown;
    };
    // Commands are checked against the topology by the command language's own parser.
    if (raw.type === "apply") return this.run([raw.command], "$.command");
    if (raw.type === "run") {
      if (!Array.isArray(raw.commands)) return [error("$.commands: expected an array of commands")];
      return this.run(raw.commands, "$.commands");
    }
    const r = requestSchema.safeParse(json);
    if (!r.success) {
      const i = r.error.issues[0];
      return [error(`${i?.path.join(".") || "$"}: ${i?.message}`)];
    }
    const req = r.data;
    switch (req.type) {
      case "hello":
        return [
          JSON.stringify({
            type: "hello",
            protocol: PROTOCOL_VERSION,
            name: this.impl.name,
            capabilities: this.capabilities,
          }),
        ];
      case "reset": {
        const t = parseTopology(req.topology, "$.topology");
        if (!t.ok) return [error(issueText(t.issues))];
        this.topology = t.value;
        this.impl.reset(t.value);
        return [JSON.stringify({ type: "ready" })];
      }
      case "apply":
      case "run":
        return []; // answered above
      case "describe":
        return [JSON.stringify({ type: "describe", lines: this.impl.describe() })];
      case "digest":
        return this.impl.digest === undefined
          ? [error("no digest capability")]
          : [JSON.stringify({ type: "digest", digest: this.impl.digest() })];
    }
  }

  /** One step answer per command; from a command that cannot run on, an error for each. */
  private run(input: readonly unknown[], path: string): string[] {
    const topology = this.topology;
    let failed: string | null = topology === null ? "no reset yet" : null;
    return input.map((raw, i) => {
      if (failed !== null || topology === null) return error(`not run: ${failed}`);
      const c = parseCommand(raw, topology, input.length === 1 ? path : `${path}[${i}]`);
      if (c.ok) return stepAnswer(this.impl.apply(c.value));
      failed = issueText(c.issues);
      return error(failed);
    });
  }
}
