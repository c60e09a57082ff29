/**
 * The exec protocol's messages (docs/protocol.md): one JSON object per line, requests on
 * the program's stdin, answers on its stdout. The zod schemas here are the definition;
 * docs/protocol.schema.json is generated from them (`irqcheck protocol-check --print-schema`)
 * and a test fails when the two disagree.
 *
 * Commands are the command language of properties/language.ts, exactly as counterexample
 * files spell them; answers use the shapes of model/observations.ts and model/visible.ts
 * with plain JSON numbers.
 */
import { z } from "zod";
import type { Observation } from "../model/observations.ts";
import type { Topology } from "../model/topology.ts";
import type { GuestVisible } from "../model/visible.ts";
import type { StepResult } from "../properties/implementation.ts";
import { commandSchemas } from "../properties/language.ts";
import { topologySchema } from "../properties/topology-file.ts";

export const PROTOCOL_VERSION = 1;

/**
 * Optional abilities a program announces in its hello: `describe` (internal state lines for
 * reports) and `digest` (a canonical state encoding, which `irqcheck explore` needs).
 */
export const CAPABILITIES = ["describe", "digest"] as const;
export type Capability = (typeof CAPABILITIES)[number];

const u32 = z.number().int().min(0).max(0xffffffff);
const u8 = z.number().int().min(0).max(0xff);

export const commandSchema = z.union(Object.values(commandSchemas) as [z.ZodType, z.ZodType, ...z.ZodType[]]);

// ---------------------------------------------------------------- requests (stdin)

export const helloRequestSchema = z.strictObject({ type: z.literal("hello"), protocol: z.literal(PROTOCOL_VERSION) });
/** Power on with this topology, every register at its reset value. */
export const resetRequestSchema = z.strictObject({ type: z.literal("reset"), topology: topologySchema });
/** One command: answered by one `step`. */
export const applyRequestSchema = z.strictObject({ type: z.literal("apply"), command: commandSchema });
/** A whole sequence: answered by one `step` per command, in order (batching). */
export const runRequestSchema = z.strictObject({ type: z.literal("run"), commands: z.array(commandSchema) });
export const describeRequestSchema = z.strictObject({ type: z.literal("describe") });
export const digestRequestSchema = z.strictObject({ type: z.literal("digest") });

export const requestSchema = z.discriminatedUnion("type", [
  helloRequestSchema,
  resetRequestSchema,
  applyRequestSchema,
  runRequestSchema,
  describeRequestSchema,
  digestRequestSchema,
]);

// ---------------------------------------------------------------- answers (stdout)

export const helloAnswerSchema = z.strictObject({
  type: z.literal("hello"),
  protocol: z.literal(PROTOCOL_VERSION),
  /** Becomes the variant name: the counterexample folder and the signatures' prefix. */
  name: z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/),
  capabilities: z.array(z.enum(CAPABILITIES)),
});

export const readyAnswerSchema = z.strictObject({ type: z.literal("ready") });

const observationSchema = z.discriminatedUnion("kind", [
  z.strictObject({
    kind: z.literal("deliver"),
    apicId: u32,
    vector: u8,
    trigger: z.enum(["edge", "level"]),
    mode: z.enum(["fixed", "lowest", "smi", "nmi", "init", "startup", "reserved", "extint"]),
  }),
  z.strictObject({ kind: z.literal("fault"), reason: u8, index: z.number().int().min(0).max(0xffff), sourceId: u32 }),
  z.strictObject({ kind: z.literal("read"), reg: u8, value: u32 }),
]);

const words256 = z.array(u32).length(8);

const visibleSchema = z.strictObject({
  ioapicId: z.number().int().min(0).max(15),
  /** Each pin's RTE as IOWIN reads return it: [low0, high0, low1, high1, ...]. */
  rtes: z.array(u32),
  /** Indexed like topology.cpus; 256-bit registers as eight words, vector 0 in bit 0 of word 0. */
  lapics: z.array(z.strictObject({ irr: words256, isr: words256, tmr: words256 })),
  faultRecords: z.array(
    z.strictObject({ reason: u8, index: z.number().int().min(0).max(0xffff), sourceId: u32 }).nullable(),
  ),
  faultOverflow: z.boolean(),
  msiPending: z.array(u32),
});

export const stepAnswerSchema = z.strictObject({
  type: z.literal("step"),
  observations: z.array(observationSchema),
  visible: visibleSchema,
  trace: z.array(z.string()),
});

export const describeAnswerSchema = z.strictObject({ type: z.literal("describe"), lines: z.array(z.string()) });
export const digestAnswerSchema = z.strictObject({ type: z.literal("digest"), digest: z.string() });
/** The program could not do what was asked (an unsupported command, a bad request). */
export const errorAnswerSchema = z.strictObject({ type: z.literal("error"), message: z.string() });

export const answerSchema = z.discriminatedUnion("type", [
  helloAnswerSchema,
  readyAnswerSchema,
  stepAnswerSchema,
  describeAnswerSchema,
  digestAnswerSchema,
  errorAnswerSchema,
]);

export type HelloAnswer = z.infer<typeof helloAnswerSchema>;

// ---------------------------------------------------------------- encoding

export function helloRequest(): string {
  return JSON.stringify({ type: "hello", protocol: PROTOCOL_VERSION });
}

export function resetRequest(topology: Topology): string {
  return JSON.stringify({ type: "reset", topology });
}

/** Commands go out as counterexample files spell them (commandToJson: registers in hex). */
export function applyRequest(command: Record<string, unknown>): string {
  return JSON.stringify({ type: "apply", command });
}

export function runRequest(commands: readonly Record<string, unknown>[]): string {
  return JSON.stringify({ type: "run", commands });
}

export function stepAnswer(result: StepResult): string {
  return JSON.stringify({
    type: "step",
    observations: result.observations,
    visible: result.visible,
    trace: result.trace,
  });
}

/** The StepResult of a validated step answer. */
export function toStepResult(answer: z.infer<typeof stepAnswerSchema>): StepResult {
  return {
    observations: answer.observations as Observation[],
    visible: answer.visible as GuestVisible,
    trace: answer.trace,
  };
}

/** Shape checks that need the topology: one entry per pin, CPU, fault register and device. */
export function visibleShapeProblem(v: GuestVisible, topology: Topology, pins: number): string | null {
  if (v.rtes.length !== 2 * pins) return `visible.rtes has ${v.rtes.length} words, expected ${2 * pins}`;
  if (v.lapics.length !== topology.cpus.length)
    return `visible.lapics has ${v.lapics.length} entries, expected ${topology.cpus.length} (one per CPU)`;
  if (v.faultRecords.length !== topology.faultRecords)
    return `visible.faultRecords has ${v.faultRecords.length} entries, expected ${topology.faultRecords}`;
  if (v.msiPending.length !== topology.msiDevices.length)
    return `visible.msiPending has ${v.msiPending.length} entries, expected ${topology.msiDevices.length} (one per MSI device)`;
  return null;
}
