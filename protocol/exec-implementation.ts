/**
 * An implementation in another process, spoken to over the exec protocol
 * (docs/protocol.md). A program is started once per thread and kept for many runs; each
 * run begins with a `reset`. When the checker hands the whole sequence ahead (`prepare`),
 * it goes out as one `run` request, and the first `apply` reads every step's answer.
 *
 * The program's state belongs to the implementation object that last reset it: another
 * object (a shrinker's candidate, a replay) takes it over by resetting and re-running its
 * own history, so objects sharing one program never see each other's state.
 */
import type { Command } from "../model/commands.ts";
import { IOAPIC_NUM_PINS, type Topology } from "../model/topology.ts";
import type { Implementation, StepResult } from "../properties/implementation.ts";
import { commandToJson } from "../properties/language.ts";
import {
  answerSchema,
  applyRequest,
  type HelloAnswer,
  helloAnswerSchema,
  helloRequest,
  resetRequest,
  runRequest,
  stepAnswerSchema,
  toStepResult,
  visibleShapeProblem,
} from "./messages.ts";
import { ChildPipe } from "./pipe.ts";

/** How long one exchange may take before the program counts as hung. */
export const DEFAULT_TIMEOUT_MS = 10_000;

export interface Connection {
  readonly pipe: ChildPipe;
  readonly hello: HelloAnswer;
  /** The implementation object whose run the program's state is. */
  owner: object | null;
}

interface Request {
  readonly text: string;
  /** How many answer lines it gets. */
  readonly answers: number;
}

/** Start `program` and shake hands; throws ImplementationFault if it does not answer a hello. */
export function connect(program: string, timeoutMs = DEFAULT_TIMEOUT_MS): Connection {
  const pipe = new ChildPipe(program, timeoutMs);
  const [line = ""] = pipe.exchange(`${helloRequest()}\n`, 1, "the hello answer");
  const hello = helloAnswerSchema.safeParse(tryJson(line));
  if (!hello.success) {
    const issue = hello.error.issues[0];
    throw pipe.fail({
      kind: "answered badly",
      waitingFor: "the hello answer",
      reason: `expected {"type":"hello","protocol":1,"name":...,"capabilities":[...]}: ${issue?.path.join(".") || "$"}: ${issue?.message}`,
      line,
    });
  }
  return { pipe, hello: hello.data, owner: null };
}

/** One live connection per program in this thread, replaced after a fault. */
const connections = new Map<string, Connection>();

export function sharedConnection(program: string, timeoutMs = DEFAULT_TIMEOUT_MS): Connection {
  const c = connections.get(program);
  if (c !== undefined && !c.pipe.failed) return c;
  const fresh = connect(program, timeoutMs);
  connections.set(program, fresh);
  return fresh;
}

function tryJson(line: string): unknown {
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

export class ExecImplementation implements Implementation {
  readonly name: string;
  readonly digest?: () => string;
  private connection: Connection;
  private topology: Topology | null = null;
  /** Commands applied since the reset. */
  private history: Command[] = [];
  /** Commands sent ahead in a `run` whose answers `apply` has not taken yet. */
  private ahead: Command[] = [];
  /** Answer lines of the batch received and not yet taken. */
  private received: string[] = [];
  /** How many of the batch's first answer lines answer the catch-up (a reset, a replay). */
  private preamble = 0;

  constructor(
    private readonly program: string,
    private readonly timeoutMs = DEFAULT_TIMEOUT_MS,
  ) {
    this.connection = sharedConnection(program, timeoutMs);
    this.name = this.connection.hello.name;
    if (this.connection.hello.capabilities.includes("digest")) this.digest = () => this.query("digest").digest;
  }

  reset(topology: Topology): void {
    this.topology = topology;
    this.history = [];
    this.ahead = [];
    if (this.connection.pipe.failed) this.connection = sharedConnection(this.program, this.timeoutMs);
    if (this.connection.owner === this) this.connection.owner = null;
  }

  /** The whole run at once: `reset` and `run` in one write. */
  prepare(commands: readonly Command[]): void {
    if (this.history.length > 0 || commands.length === 0) return;
    const catchUp = this.catchUp();
    const requests = [...catchUp, { text: runRequest(commands.map(commandToJson)), answers: commands.length }];
    this.connection.pipe.send(
      requests.map((r) => `${r.text}\n`).join(""),
      requests.reduce((n, r) => n + r.answers, 0),
      `the steps of a run of ${commands.length} commands`,
    );
    this.connection.owner = this;
    this.ahead = commands.slice();
    this.received = [];
    this.preamble = catchUp.reduce((n, r) => n + r.answers, 0);
  }

  apply(command: Command): StepResult {
    if (this.ahead[0] === command && this.connection.owner === this) return this.step(command, this.nextAhead(command));
    const [line = ""] = this.exchange(
      [...this.catchUp(), { text: applyRequest(commandToJson(command)), answers: 1 }],
      this.stepName(command),
    );
    return this.step(command, line);
  }

  /** The answer to the next command of the batch; the first call reads the whole batch. */
  private nextAhead(command: Command): string {
    if (this.received.length === 0) {
      this.received = this.connection.pipe.receive(this.preamble + this.ahead.length, this.stepName(command));
      this.checkCatchUp(this.received.splice(0, this.preamble));
      this.preamble = 0;
    }
    this.ahead.shift();
    return this.received.shift() ?? "";
  }

  describe(): readonly string[] {
    if (!this.connection.hello.capabilities.includes("describe")) return [];
    return this.query("describe").lines;
  }

  private query<T extends "describe" | "digest">(type: T) {
    const [line = ""] = this.exchange(
      [...this.catchUp(), { text: JSON.stringify({ type }), answers: 1 }],
      `the ${type} answer`,
    );
    const a = this.answer(line, `the ${type} answer`);
    if (a.type !== type) this.bad(`the ${type} answer`, `expected a "${type}" answer, got "${a.type}"`, line);
    return a as Extract<typeof a, { type: T }>;
  }

  /**
   * Requests that bring the program to exactly reset + history: nothing when it is there,
   * else a reset and the history again (its answers were checked the first time).
   */
  private catchUp(): Request[] {
    if (this.topology === null) throw new Error(`${this.name}: apply before reset`);
    if (this.connection.owner === this && this.ahead.length === 0) return [];
    this.ahead = [];
    this.received = [];
    this.preamble = 0;
    const out = [{ text: resetRequest(this.topology), answers: 1 }];
    if (this.history.length > 0)
      out.push({ text: runRequest(this.history.map(commandToJson)), answers: this.history.length });
    return out;
  }

  /** Send the requests in one write; returns the answers of the last one. */
  private exchange(requests: readonly Request[], waitingFor: string): string[] {
    const text = requests.map((r) => `${r.text}\n`).join("");
    const total = requests.reduce((n, r) => n + r.answers, 0);
    const lines = this.connection.pipe.exchange(text, total, waitingFor);
    this.connection.owner = this;
    const last = requests[requests.length - 1]?.answers ?? 0;
    this.checkCatchUp(lines.slice(0, total - last));
    return lines.slice(total - last);
  }

  /** The answers to a reset and a replayed history: "ready" and steps (checked the first time). */
  private checkCatchUp(lines: readonly string[]): void {
    for (const line of lines) {
      const a = this.answer(line, "the answer to a reset or a replayed run");
      if (a.type !== "ready" && a.type !== "step")
        this.bad("the answer to a reset", `expected "ready" or "step", got "${a.type}"`, line);
    }
  }

  private step(command: Command, line: string): StepResult {
    const what = this.stepName(command);
    const a = this.answer(line, what);
    if (a.type !== "step") return this.bad(what, `expected a "step" answer, got "${a.type}"`, line);
    const result = toStepResult(a);
    const problem = this.topology === null ? null : visibleShapeProblem(result.visible, this.topology, IOAPIC_NUM_PINS);
    if (problem !== null) this.bad(what, problem, line);
    this.history.push(command);
    return result;
  }

  private stepName(command: Command): string {
    return `the step of command #${this.history.length} (${command.op})`;
  }

  private answer(line: string, waitingFor: string) {
    const json = tryJson(line);
    if (json === undefined) return this.bad(waitingFor, "not a JSON line", line);
    // Steps are most lines: their own schema is a third cheaper than the union's.
    const r = ((json as { type?: unknown }).type === "step" ? stepAnswerSchema : answerSchema).safeParse(json);
    if (!r.success) {
      const issue = r.error.issues[0];
      return this.bad(waitingFor, `${issue?.path.join(".") || "$"}: ${issue?.message}`, line);
    }
    if (r.data.type === "error") return this.bad(waitingFor, `the program answered an error: ${r.data.message}`, line);
    return r.data;
  }

  private bad(waitingFor: string, reason: string, line: string): never {
    throw this.connection.pipe.fail({ kind: "answered badly", waitingFor, reason, line });
  }
}
