/**
 * Reading commands from untrusted input (counterexample files, `--impl` results, the
 * explorer's alphabet files). Errors are data: `{path, code, message}` per issue, never
 * an exception. Numbers may be JSON numbers or `0x` hex strings; `commandToJson` writes
 * register values, addresses and data in hex as QEMU's trace events print them.
 */
import { z } from "zod";
import { hex, parseHexWords } from "../model/bits.ts";
import type { Command } from "../model/commands.ts";
import { IOAPIC_NUM_PINS, type Topology } from "../model/topology.ts";

export interface Issue {
  readonly path: string;
  readonly code: string;
  readonly message: string;
}

export type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: Issue[] };

/** An unsigned integer of `width` bits, as a JSON number or a `0x` hex string. */
function uint(width: number) {
  const max = 2 ** width - 1;
  return z.union([z.number(), z.string()]).transform((v, ctx) => {
    const n = typeof v === "number" ? v : /^0x[0-9a-fA-F]+$/.test(v) ? Number.parseInt(v, 16) : Number.NaN;
    if (!Number.isInteger(n) || n < 0 || n > max) {
      ctx.addIssue({
        code: "custom",
        message: `expected an unsigned ${width}-bit integer (0..${hex(max)}), got ${JSON.stringify(v)}`,
        params: { code: "out-of-range" },
      });
      return z.NEVER;
    }
    return n;
  });
}

const irte128 = z.string().refine((s) => parseHexWords(s, 4) !== null, {
  message: "expected a 128-bit IRTE as a 0x hex string of at most 32 digits",
  params: { code: "bad-irte" },
});

const pin = z
  .number()
  .int()
  .min(0)
  .max(IOAPIC_NUM_PINS - 1);
const index = z.number().int().min(0);

/** One schema per op; the `op` field selects it. */
export const commandSchemas: Readonly<Record<Command["op"], z.ZodType>> = {
  "ioapic.write": z.strictObject({ op: z.literal("ioapic.write"), reg: uint(8), value: uint(32) }),
  "ioapic.read": z.strictObject({ op: z.literal("ioapic.read"), reg: uint(8) }),
  "ioapic.eoi": z.strictObject({ op: z.literal("ioapic.eoi"), vector: uint(8) }),
  "eoi.broadcast": z.strictObject({ op: z.literal("eoi.broadcast"), vector: uint(8) }),
  "line.set": z.strictObject({ op: z.literal("line.set"), pin, level: z.union([z.literal(0), z.literal(1)]) }),
  "line.pulse": z.strictObject({ op: z.literal("line.pulse"), pin }),
  "irte.write": z.strictObject({ op: z.literal("irte.write"), index: uint(16), irte: irte128 }),
  "iec.invalidate": z.union([
    z.strictObject({ op: z.literal("iec.invalidate"), global: z.literal(true) }),
    z.strictObject({ op: z.literal("iec.invalidate"), global: z.literal(false), index: uint(16), mask: uint(4) }),
  ]),
  "ir.table": z.strictObject({ op: z.literal("ir.table"), sizeLog2: uint(4), eime: z.boolean() }),
  "ir.control": z.strictObject({ op: z.literal("ir.control"), ire: z.boolean(), cfi: z.boolean() }),
  "ir.fault-clear": z.strictObject({ op: z.literal("ir.fault-clear") }),
  "msi.program": z.strictObject({
    op: z.literal("msi.program"),
    dev: index,
    vec: index,
    address: uint(32),
    data: uint(32),
  }),
  "msi.mask": z.strictObject({ op: z.literal("msi.mask"), dev: index, vec: index, masked: z.boolean() }),
  "msi.fire": z.strictObject({ op: z.literal("msi.fire"), dev: index, vec: index }),
  "cpu.accept": z.strictObject({ op: z.literal("cpu.accept"), cpu: index }),
  "cpu.eoi": z.strictObject({ op: z.literal("cpu.eoi"), cpu: index }),
};

function joinPath(base: string, path: readonly PropertyKey[]): string {
  return path.reduce<string>((p, k) => (typeof k === "number" ? `${p}[${k}]` : `${p}.${String(k)}`), base);
}

/** Convert zod issues into ours, with a JSON path rooted at `base`. */
export function issuesFromZod(base: string, error: z.ZodError): Issue[] {
  return error.issues.map((i) => {
    const custom = i.code === "custom" ? (i.params as { code?: string } | undefined)?.code : undefined;
    const code = custom ?? i.code;
    return { path: joinPath(base, i.path), code, message: i.message };
  });
}

/** Checks that depend on the machine: CPU, device and vector indices must exist. */
function topologyIssues(c: Command, topology: Topology, path: string): Issue[] {
  const out: Issue[] = [];
  const range = (field: string, v: number, n: number, what: string) => {
    if (v >= n)
      out.push({
        path: `${path}.${field}`,
        code: "out-of-range",
        message: `${what} ${v} does not exist (topology "${topology.name}" has ${n})`,
      });
  };
  if (c.op === "cpu.accept" || c.op === "cpu.eoi") range("cpu", c.cpu, topology.cpus.length, "cpu");
  if (c.op === "irte.write") range("index", c.index, topology.irtEntries, "IRTE");
  if (c.op === "msi.program" || c.op === "msi.mask" || c.op === "msi.fire") {
    range("dev", c.dev, topology.msiDevices.length, "MSI device");
    const dev = topology.msiDevices[c.dev];
    if (dev !== undefined) range("vec", c.vec, dev.vectors, "MSI-X vector");
  }
  return out;
}

export function parseCommand(input: unknown, topology: Topology, path = "$"): Parsed<Command> {
  if (typeof input !== "object" || input === null || Array.isArray(input)) {
    return { ok: false, issues: [{ path, code: "invalid_type", message: "expected a command object" }] };
  }
  const op = (input as { op?: unknown }).op;
  const schema = typeof op === "string" ? commandSchemas[op as Command["op"]] : undefined;
  if (schema === undefined) {
    const known = Object.keys(commandSchemas).join(", ");
    return {
      ok: false,
      issues: [
        {
          path: `${path}.op`,
          code: "unknown-op",
          message: `unknown command ${JSON.stringify(op)} (expected one of ${known})`,
        },
      ],
    };
  }
  const r = schema.safeParse(input);
  if (!r.success) return { ok: false, issues: issuesFromZod(path, r.error) };
  const command = r.data as Command;
  const issues = topologyIssues(command, topology, path);
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: command };
}

export function parseCommands(input: unknown, topology: Topology, path = "$"): Parsed<Command[]> {
  if (!Array.isArray(input))
    return { ok: false, issues: [{ path, code: "invalid_type", message: "expected an array of commands" }] };
  const commands: Command[] = [];
  const issues: Issue[] = [];
  input.forEach((item, i) => {
    const r = parseCommand(item, topology, `${path}[${i}]`);
    if (r.ok) commands.push(r.value);
    else issues.push(...r.issues);
  });
  return issues.length > 0 ? { ok: false, issues } : { ok: true, value: commands };
}

/** JSON form of a command, with register values in hex. */
export function commandToJson(c: Command): Record<string, unknown> {
  switch (c.op) {
    case "ioapic.write":
      return { op: c.op, reg: hex(c.reg, 2), value: hex(c.value) };
    case "ioapic.read":
      return { op: c.op, reg: hex(c.reg, 2) };
    case "ioapic.eoi":
    case "eoi.broadcast":
      return { op: c.op, vector: hex(c.vector, 2) };
    case "msi.program":
      return { op: c.op, dev: c.dev, vec: c.vec, address: hex(c.address, 8), data: hex(c.data) };
    default:
      return { ...c };
  }
}
