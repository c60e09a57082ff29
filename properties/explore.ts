/**
 * Exhaustive bounded exploration: breadth-first over every command sequence up
 * to a depth, from a finite alphabet, as TLC explores a TLA+ spec. A node is the pair
 * (the set of reference states still consistent with the run — what RefinementCursor
 * follows —, the implementation's state); pairs are keyed by a canonical encoding (the
 * reference states' numbers, below, and a hash of `Implementation.digest()`), so each is
 * expanded once. BFS makes the first divergence a shortest one.
 *
 * The reference side is memoised: reference states are few beside the pairs (2,876 against
 * 13,943 for qemu-8.0 to depth 8; most implementation states differ in internals the guest
 * cannot see), so each distinct one (`stateDigest`) is numbered once, with its view, and
 * its outcomes under each alphabet command are computed once. Reference states are
 * immutable (copy-on-write), so a memoised outcome is the one `step` would return.
 *
 * Implementations are mutable and cannot be cloned: a node's implementation state is
 * re-created by `reset` and replaying its path, which costs the node's depth in commands.
 * Two cheaper ways back are tried first, each proven by the digest (equal digests mean
 * equal futures, implementation.ts): a command that left the digest unchanged (an EOI
 * with nothing in service, a line already at that level) needs nothing, and an RTE write
 * or a line change is often undone by writing the old value back (`undoOf`).
 */
import { createHash } from "node:crypto";
import type { Command } from "../model/commands.ts";
import { rteOfRegister } from "../model/ioapic.ts";
import { initialState, type MachineState, stateDigest, step, visible } from "../model/machine.ts";
import type { Observation } from "../model/observations.ts";
import type { Topology } from "../model/topology.ts";
import type { GuestVisible } from "../model/visible.ts";
import { check, type Divergence, type Property, stepMatches } from "./checker.ts";
import type { Implementation, ImplementationFactory, StepResult } from "./implementation.ts";
import { formatSignature, type Signature, signatureOf } from "./signature.ts";

export interface ExploreConfig {
  readonly topology: Topology;
  readonly alphabet: readonly Command[];
  readonly create: ImplementationFactory;
  /** The variant name findings are classified under (signature.ts). */
  readonly variant: string;
  readonly property: Property;
  readonly depth: number;
  /**
   * Keep going after a divergence (its node is not expanded: the run has no reference
   * state left), keeping the shortest counterexample of every signature.
   */
  readonly allSignatures: boolean;
  /**
   * Whether a divergence with this signature counts (a bug told apart from look-alikes that
   * share its signature, as a campaign's triage does). A divergence it refuses is passed
   * over, like any divergent node not expanded, and a later one may still take its
   * signature. Default: every divergence counts.
   */
  readonly accept?: (commands: readonly Command[], signature: string) => boolean;
  /** Asked before each node expansion; true stops the search cleanly (`--time`). */
  readonly stop?: () => boolean;
  /** Called every few hundred expansions and after each completed depth. */
  readonly onProgress?: (p: ExploreProgress) => void;
  readonly now?: () => number;
}

export interface ExploreStats {
  /** Distinct (reference set, implementation) pairs reached, the initial one included. */
  readonly states: number;
  /** Commands applied to a node (each child, duplicate or not). */
  readonly transitions: number;
  readonly largestFrontier: number;
  readonly elapsedMs: number;
}

export interface ExploreProgress extends ExploreStats {
  /** The depth whose sequences are being tried (1-based). */
  readonly depth: number;
  readonly expanded: number;
  readonly frontier: number;
  /** True once every sequence of length `depth` has been tried. */
  readonly depthDone: boolean;
}

export interface ExploreFinding {
  readonly signature: Signature;
  readonly key: string;
  readonly commands: readonly Command[];
  /** As `check` reports it on a fresh implementation (history included). */
  readonly divergence: Divergence;
}

export interface ExploreResult extends ExploreStats {
  /** Every sequence of at most this many commands was tried (and refines, but for findings). */
  readonly depthCompleted: number;
  /** `stop` ended the search before the depth bound. */
  readonly stopped: boolean;
  /** In BFS order: each is a shortest sequence with its signature. */
  readonly findings: readonly ExploreFinding[];
}

/** A distinct reference state met by the search, numbered in the order it was met. */
interface RefState {
  readonly id: number;
  readonly state: MachineState;
  readonly visible: GuestVisible;
  /** Per alphabet index, `step`'s outcomes from this state, once computed. */
  readonly outcomes: (readonly RefOutcome[] | undefined)[];
}

interface RefOutcome {
  readonly observations: readonly Observation[];
  readonly next: RefState;
}

/** The reference states of one search, numbered by `stateDigest`, and their memoised steps. */
class ReferenceStates {
  private readonly byDigest = new Map<string, RefState>();

  constructor(
    private readonly topology: Topology,
    private readonly alphabet: readonly Command[],
  ) {}

  of(state: MachineState): RefState {
    const digest = stateDigest(state);
    const known = this.byDigest.get(digest);
    if (known !== undefined) return known;
    const ref: RefState = { id: this.byDigest.size, state, visible: visible(state), outcomes: [] };
    this.byDigest.set(digest, ref);
    return ref;
  }

  /** `step` from `ref` under alphabet command `i`. */
  outcomes(ref: RefState, i: number): readonly RefOutcome[] {
    const known = ref.outcomes[i];
    if (known !== undefined) return known;
    const computed = step(this.topology, ref.state, this.alphabet[i] as Command).map((o) => ({
      observations: o.observations,
      next: this.of(o.next),
    }));
    ref.outcomes[i] = computed;
    return computed;
  }
}

interface Node {
  /** Alphabet indices from the initial state. */
  readonly path: Uint8Array;
  /** The reference states consistent with the path, deduplicated, in number order (a canonical set). */
  readonly refs: readonly RefState[];
}

/**
 * RefinementCursor.advance without the divergence report: the reference states that
 * allow `actual` after alphabet command `i`, deduplicated and in number order, or null.
 */
function advance(
  references: ReferenceStates,
  property: Property,
  refs: readonly RefState[],
  i: number,
  actual: StepResult,
): RefState[] | null {
  const next: RefState[] = [];
  for (const ref of refs) {
    for (const o of references.outcomes(ref, i)) {
      const allowed = { observations: o.observations, visible: o.next.visible };
      if (!next.includes(o.next) && stepMatches(property, allowed, actual)) next.push(o.next);
    }
  }
  if (next.length === 0) return null;
  return next.sort((a, b) => a.id - b.id);
}

/**
 * Commands that put an RTE register or an input line back as it was in `before` (a
 * reference state the implementation agrees with), or null. An RTE write is undone by
 * writing the old value and reselecting the old IOREGSEL (a read, which changes nothing
 * else); whether it really is undone, delivery side effects included, the digest says.
 */
function undoOf(command: Command, before: MachineState): Command[] | null {
  if (command.op === "line.set") return [{ op: "line.set", pin: command.pin, level: command.level === 1 ? 0 : 1 }];
  if (command.op !== "ioapic.write") return null;
  const rte = rteOfRegister(command.reg & 0xff);
  if (rte === null) return null;
  const old = (rte.high ? before.ioapic.rteHigh : before.ioapic.rteLow)[rte.pin] ?? 0;
  return [
    { op: "ioapic.write", reg: command.reg, value: old },
    { op: "ioapic.read", reg: before.ioapic.sel },
  ];
}

/**
 * The pair's key: the reference states' numbers (exact) and a 160-bit hash of the
 * implementation's digest (a collision would merge two states).
 */
function pairKey(refs: readonly RefState[], implDigest: string): string {
  return `${refs.map((r) => r.id).join(",")}#${createHash("sha1").update(implDigest).digest("base64")}`;
}

export function explore(config: ExploreConfig): ExploreResult {
  const { topology, alphabet, property } = config;
  if (alphabet.length > 256) throw new Error(`explore: alphabet of ${alphabet.length} commands (at most 256)`);
  const now = config.now ?? (() => performance.now());
  const started = now();
  const impl = config.create();
  const digestOf = (i: Implementation): string => {
    if (i.digest === undefined) throw new Error(`explore: implementation ${i.name} has no digest()`);
    return i.digest();
  };
  impl.reset(topology);
  const references = new ReferenceStates(topology, alphabet);
  const root: Node = { path: new Uint8Array(0), refs: [references.of(initialState(topology))] };
  const seen = new Set<string>([pairKey(root.refs, digestOf(impl))]);
  const findings: ExploreFinding[] = [];
  const found = new Set<string>();
  let transitions = 0;
  let largestFrontier = 1;
  let frontier: Node[] = [root];
  let depthCompleted = 0;

  const stats = (): ExploreStats => ({
    states: seen.size,
    transitions,
    largestFrontier,
    elapsedMs: now() - started,
  });
  const restore = (path: Uint8Array): void => {
    impl.reset(topology);
    for (const i of path) impl.apply(alphabet[i] as Command);
  };
  /**
   * A divergence: classified from what was allowed, replayed by `check` when its signature is
   * new. False when `accept` refused it (the search goes on as if it had not been met).
   */
  const record = (node: Node, last: number, result: StepResult): boolean => {
    const command = alphabet[last] as Command;
    const allowed = node.refs.flatMap((ref) =>
      references.outcomes(ref, last).map((o) => ({ observations: o.observations, visible: o.next.visible })),
    );
    const shallow = { property, step: node.path.length, command, allowed, actual: result, history: [] };
    const key = formatSignature(signatureOf(config.variant, shallow));
    if (found.has(key)) return true;
    const commands = [...node.path, last].map((i) => alphabet[i] as Command);
    if (config.accept !== undefined && !config.accept(commands, key)) return false;
    found.add(key);
    const r = check(topology, config.create(), commands, property);
    if (r.ok) throw new Error(`explore: ${config.variant} is not deterministic: a replay of a divergence passes`);
    findings.push({ signature: signatureOf(config.variant, r.divergence), key, commands, divergence: r.divergence });
    return true;
  };
  /** Back to the state of `node` (digest `here`) after `command`: undo it if that works, else replay. */
  const back = (node: Node, here: string, command: Command): void => {
    const undo = undoOf(command, (node.refs[0] as RefState).state);
    if (undo !== null) {
      for (const c of undo) impl.apply(c);
      if (digestOf(impl) === here) return;
    }
    restore(node.path);
  };

  /** Tries every command from `node`; false when the search should end (first divergence). */
  const expand = (node: Node, next: Node[]): boolean => {
    restore(node.path);
    const here = digestOf(impl);
    let at = here;
    for (let i = 0; i < alphabet.length; i++) {
      const command = alphabet[i] as Command;
      if (at !== here) back(node, here, alphabet[i - 1] as Command);
      const result = impl.apply(command);
      transitions++;
      at = digestOf(impl);
      const after = advance(references, property, node.refs, i, result);
      if (after === null) {
        if (record(node, i, result) && !config.allSignatures) return false;
        continue;
      }
      const key = pairKey(after, at);
      if (seen.has(key)) continue;
      seen.add(key);
      const path = new Uint8Array(node.path.length + 1);
      path.set(node.path);
      path[node.path.length] = i;
      next.push({ path, refs: after });
    }
    return true;
  };

  for (let depth = 1; depth <= config.depth; depth++) {
    const next: Node[] = [];
    for (let n = 0; n < frontier.length; n++) {
      if (config.stop?.() === true) return { ...stats(), depthCompleted, stopped: true, findings };
      if (!expand(frontier[n] as Node, next)) return { ...stats(), depthCompleted, stopped: false, findings };
      if ((n & 255) === 255) {
        config.onProgress?.({ ...stats(), depth, expanded: n + 1, frontier: frontier.length, depthDone: false });
      }
    }
    depthCompleted = depth;
    largestFrontier = Math.max(largestFrontier, next.length);
    config.onProgress?.({ ...stats(), depth, expanded: frontier.length, frontier: next.length, depthDone: true });
    frontier = next;
  }
  return { ...stats(), depthCompleted, stopped: false, findings };
}
