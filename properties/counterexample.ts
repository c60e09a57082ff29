/**
 * The counterexample file: a versioned JSON document whose authority is its command
 * list (with the topology, variant and property it runs under). Seed, run and path are
 * provenance only: generation is not promised stable across versions, the commands are.
 * Reading validates everything and reports `{path, code, message}` issues.
 */
import { z } from "zod";
import type { Command } from "../model/commands.ts";
import { formatObservation, type Observation } from "../model/observations.ts";
import type { Topology } from "../model/topology.ts";
import type { Divergence } from "./checker.ts";
import type { FaultInfo } from "./fault.ts";
import { commandToJson, type Issue, issuesFromZod, type Parsed, parseCommands } from "./language.ts";
import { formatCommand } from "./report.ts";
import { closestAllowed, formatSignature, parseSignature, type Signature } from "./signature.ts";
import { parseTopology } from "./topology-file.ts";

export const COUNTEREXAMPLE_FORMAT = "irqcheck-counterexample";
export const COUNTEREXAMPLE_VERSION = 1;
/**
 * Shrunk counterexamples hold a few dozen commands; a replay costs about 0.2 ms per
 * command, so this bound keeps a hostile or runaway file to a few seconds and bounded memory.
 */
export const COUNTEREXAMPLE_MAX_COMMANDS = 20_000;

export interface Provenance {
  readonly tool: string;
  readonly date: string;
  readonly source: "fuzz" | "explore" | "import-trace" | "scenario";
  readonly profile?: string;
  readonly seed?: number;
  readonly run?: number;
  readonly runSeed?: string;
  readonly originalLength?: number;
  readonly traceFile?: string;
  /** The --impl module it was found in (absolute path), so `replay FILE` can load it again. */
  readonly impl?: string;
}

export interface Counterexample {
  readonly title: string;
  readonly variant: string;
  readonly property: "guest-visible" | "delivery-log";
  readonly signature: Signature;
  /** Known divergence ids the manifest matches (empty: news). */
  readonly known: readonly string[];
  /**
   * What the triage step said of the finding when it was saved (e.g. NEW, inherited,
   * explained by a fix); absent when no triage ran.
   */
  readonly classification?: string;
  readonly topology: Topology;
  readonly commands: readonly Command[];
  /** What happened when it was saved: informational; `regress` recomputes it. */
  readonly divergence: {
    readonly step: number;
    readonly expected: readonly (readonly string[])[];
    readonly actual: readonly string[];
    /** The implementation crashed or hung at `step` (properties/fault.ts), with its error text. */
    readonly fault?: FaultInfo;
  };
  readonly provenance: Provenance;
}

const provenanceSchema = z.looseObject({
  tool: z.string(),
  date: z.string(),
  source: z.enum(["fuzz", "explore", "import-trace", "scenario"]),
});

const fileSchema = z.object({
  format: z.literal(COUNTEREXAMPLE_FORMAT),
  version: z.number(),
  title: z.string().min(1),
  variant: z.string().min(1),
  property: z.enum(["guest-visible", "delivery-log"]),
  signature: z.string(),
  known: z.array(z.string()),
  classification: z.string().optional(),
  topology: z.unknown(),
  commands: z
    .array(z.unknown())
    .min(1, { message: "expected at least one command" })
    .max(COUNTEREXAMPLE_MAX_COMMANDS, {
      message: `expected at most ${COUNTEREXAMPLE_MAX_COMMANDS} commands (a shrunk counterexample holds a few dozen)`,
    }),
  divergence: z.object({
    step: z.number().int().min(0),
    expected: z.array(z.array(z.string())),
    actual: z.array(z.string()),
    fault: z
      .object({ kind: z.enum(["crashed", "hung"]), message: z.string(), atReset: z.boolean().optional() })
      .optional(),
  }),
  provenance: provenanceSchema,
});

/** A one-line human title, in the seed's terms: which command, what happened, what should have. */
export function titleOf(variant: string, d: Divergence, apicIds: readonly number[]): string {
  const what = (obs: readonly Observation[]) => {
    const o = obs.find((x) => x.kind !== "read");
    if (o === undefined) return "nothing";
    if (o.kind === "deliver") return `vector 0x${o.vector.toString(16)} to APIC ID ${o.apicId}`;
    if (o.kind === "fault") return `fault 0x${o.reason.toString(16)} for index ${o.index}`;
    return formatObservation(o);
  };
  const expected = closestAllowed(d)?.observations ?? [];
  const did = what(d.actual.observations);
  const should = what(expected);
  const base = `${variant}: step #${d.step} ${formatCommand(d.command)}`;
  if (d.fault?.atReset === true) return `${variant}: implementation ${d.fault.kind}: ${d.fault.message}`;
  if (d.fault !== undefined) return `${base}: implementation ${d.fault.kind}: ${d.fault.message}`;
  if (did === should)
    return `${base} leaves guest-visible state the reference does not allow (APIC IDs ${apicIds.join(",")})`;
  return `${base} delivers ${did}; the reference says ${should}`;
}

export function buildCounterexample(args: {
  variant: string;
  signature: Signature;
  known: readonly string[];
  classification?: string;
  topology: Topology;
  commands: readonly Command[];
  divergence: Divergence;
  provenance: Provenance;
}): Counterexample {
  const apicIds = args.topology.cpus.map((c) => c.apicId);
  return {
    title: titleOf(args.variant, args.divergence, apicIds),
    variant: args.variant,
    property: args.signature.property as Counterexample["property"],
    signature: args.signature,
    known: args.known,
    ...(args.classification === undefined ? {} : { classification: args.classification }),
    topology: args.topology,
    commands: args.commands,
    divergence: {
      step: args.divergence.step,
      expected: args.divergence.allowed.map((a) => a.observations.map(formatObservation)),
      actual: args.divergence.fault === undefined ? args.divergence.actual.observations.map(formatObservation) : [],
      ...(args.divergence.fault === undefined ? {} : { fault: args.divergence.fault }),
    },
    provenance: args.provenance,
  };
}

export function serializeCounterexample(c: Counterexample): string {
  const doc = {
    format: COUNTEREXAMPLE_FORMAT,
    version: COUNTEREXAMPLE_VERSION,
    title: c.title,
    variant: c.variant,
    property: c.property,
    signature: formatSignature(c.signature),
    known: c.known,
    ...(c.classification === undefined ? {} : { classification: c.classification }),
    topology: c.topology,
    commands: c.commands.map(commandToJson),
    divergence: c.divergence,
    provenance: c.provenance,
  };
  return `${JSON.stringify(doc, null, 2)}\n`;
}

function faultOf(f: { kind: FaultInfo["kind"]; message: string; atReset?: boolean | undefined }): FaultInfo {
  return { kind: f.kind, message: f.message, ...(f.atReset === undefined ? {} : { atReset: f.atReset }) };
}

/** Parse and validate a counterexample document (already JSON-decoded). */
export function parseCounterexample(input: unknown): Parsed<Counterexample> {
  if (typeof input === "object" && input !== null && "version" in input) {
    const v = (input as { version: unknown }).version;
    if (v !== COUNTEREXAMPLE_VERSION) {
      return {
        ok: false,
        issues: [
          {
            path: "$.version",
            code: "unsupported-version",
            message: `expected version ${COUNTEREXAMPLE_VERSION}, found ${JSON.stringify(v)}`,
          },
        ],
      };
    }
  }
  const r = fileSchema.safeParse(input);
  if (!r.success) return { ok: false, issues: issuesFromZod("$", r.error) };
  const topology = parseTopology(r.data.topology, "$.topology");
  if (!topology.ok) return topology;
  const commands = parseCommands(r.data.commands, topology.value, "$.commands");
  if (!commands.ok) return commands;
  const d = r.data;
  const signature = parseSignature(d.variant, d.signature);
  if (signature === null) {
    return {
      ok: false,
      issues: [
        {
          path: "$.signature",
          code: "bad-signature",
          message: `expected VARIANT/PROPERTY/OP/DIFFERENCE, found ${JSON.stringify(d.signature)}`,
        },
      ],
    };
  }
  return {
    ok: true,
    value: {
      title: d.title,
      variant: d.variant,
      property: d.property,
      signature,
      known: d.known,
      ...(d.classification === undefined ? {} : { classification: d.classification }),
      topology: topology.value,
      commands: commands.value,
      divergence: {
        step: d.divergence.step,
        expected: d.divergence.expected,
        actual: d.divergence.actual,
        ...(d.divergence.fault === undefined ? {} : { fault: faultOf(d.divergence.fault) }),
      },
      provenance: d.provenance as unknown as Provenance,
    },
  };
}

export type { Issue };
