/**
 * A finding, from divergence to disk to report, in one place for fuzz, explore and
 * import-trace: take its triage (impl/triage.ts: new, inherited, known or unexplained, and
 * the known divergences whose fixes remove it), build the counterexample, save it at once
 * (atomically, never overwriting), and print its lines. Findings are keyed by their typed
 * signature and their triage, so the same kind of bug found twice is saved once and two
 * bugs that share a signature are both kept.
 */
import type { Command } from "../model/commands.ts";
import type { Topology } from "../model/topology.ts";
import type { Divergence } from "../properties/checker.ts";
import { buildCounterexample, type Counterexample, type Provenance } from "../properties/counterexample.ts";
import {
  type Classification,
  findingKey,
  formatSignature,
  type Signature,
  signatureLabel,
} from "../properties/signature.ts";
import type { Io } from "./io.ts";
import { saveCounterexample } from "./store.ts";
import { TOOL } from "./version.ts";

export interface NewFinding {
  readonly signature: Signature;
  /** Its triage; null: not triaged (an implementation crash or hang), reported as unexplained. */
  readonly classification: Classification | null;
  readonly commands: readonly Command[];
  readonly divergence: Divergence;
  /** Where it came from, beyond tool, date and source (run, seed, profile, trace file). */
  readonly provenance?: Omit<Provenance, "tool" | "date" | "source">;
  /** Milliseconds from the start of the campaign to the run that found it. */
  readonly msToFind?: number;
}

export interface SavedFinding {
  readonly file: string;
  /** False: a counterexample with this signature was already in the store. */
  readonly saved: boolean;
  readonly variant: string;
  /** The whole signature (formatSignature). */
  readonly signature: string;
  /** What the finding is kept apart by: its signature and its triage (findingKey). */
  readonly key: string;
  readonly property: string;
  readonly known: readonly string[];
  /** new, inherited, known or unexplained. */
  readonly status: string;
  /** The variant it was triaged against, if any. */
  readonly baseline: string | null;
  readonly length: number;
  readonly step: number;
  readonly run: number | null;
  readonly title: string;
  /** Set when the implementation crashed or hung rather than diverged. */
  readonly fault: string | null;
}

export interface RecorderOptions {
  readonly out: string;
  readonly topology: Topology;
  readonly source: Provenance["source"];
  readonly io: Io;
  /** Print each finding's lines as it is saved (false under --json). */
  readonly human: boolean;
}

export class FindingRecorder {
  private readonly byKey = new Map<string, SavedFinding>();

  constructor(private readonly options: RecorderOptions) {}

  /** Signature keys recorded so far. */
  keys(): string[] {
    return [...this.byKey.keys()];
  }

  /** Every finding recorded, in the order recorded. */
  entries(): SavedFinding[] {
    return [...this.byKey.values()];
  }

  /** Build, save and print a finding; one recorded before (same signature and triage) is returned as it was. */
  record(f: NewFinding): SavedFinding {
    const key = findingKey(f.signature, f.classification);
    const seen = this.byKey.get(key);
    if (seen !== undefined) return seen;
    const o = this.options;
    const cls = f.classification;
    const c: Counterexample = buildCounterexample({
      variant: f.signature.variant,
      signature: f.signature,
      known: cls?.known ?? [],
      classification:
        cls === null ? "unexplained" : `${cls.status}${cls.baseline === null ? "" : ` (baseline ${cls.baseline})`}`,
      topology: o.topology,
      commands: f.commands,
      divergence: f.divergence,
      provenance: { tool: TOOL, date: new Date().toISOString(), source: o.source, ...f.provenance },
    });
    const stored = saveCounterexample(o.out, c);
    const fault = f.divergence.fault;
    const saved: SavedFinding = {
      file: stored.file,
      saved: stored.saved,
      variant: f.signature.variant,
      signature: formatSignature(f.signature),
      key,
      property: f.signature.property,
      known: c.known,
      status: cls?.status ?? "unexplained",
      baseline: cls?.baseline ?? null,
      length: f.commands.length,
      step: f.divergence.step,
      run: f.provenance?.run ?? null,
      title: c.title,
      fault: fault === undefined ? null : `implementation ${fault.kind}: ${fault.message}`,
    };
    this.byKey.set(key, saved);
    if (o.human) for (const line of findingLines(f, saved)) o.io.out(line);

    return saved;
  }
}

function findingLines(f: NewFinding, s: SavedFinding): string[] {
  const where =
    s.run === null ? "" : `, run ${s.run}${f.msToFind === undefined ? "" : ` (${(f.msToFind / 1000).toFixed(2)}s)`}`;
  const known = s.known.length === 0 ? "" : ` [${s.known.join(",")}]`;
  const against =
    s.baseline === null ? "" : s.status === "new" ? ` (${s.baseline} does not diverge)` : ` (as ${s.baseline})`;
  return [
    `  ${STATUS_LABEL[s.status] ?? s.status} ${signatureLabel(f.signature)}${known}${against} ${s.length} commands${where}`,
    `       ${s.title}`,
    `       ${s.saved ? "saved" : "already saved"}: irqcheck replay ${s.file}`,
  ];
}

/** Fixed-width status words, so a report's signatures line up. */
const STATUS_LABEL: Readonly<Record<string, string>> = {
  new: "NEW        ",
  unexplained: "UNEXPLAINED",
  inherited: "inherited  ",
  known: "known      ",
};

/** Whether a finding should fail a run: news (new or unexplained), unless every finding should. */
export function failsRun(s: SavedFinding, failOn: "new" | "any"): boolean {
  return failOn === "any" || s.status === "new" || s.status === "unexplained";
}

/** What `fuzz` reports of one variant's campaign (text, --json, --junit). */
export interface CampaignReport {
  readonly variant: string;
  readonly seed: number;
  readonly runs: number;
  readonly commands: number;
  readonly seconds: number;
  readonly commandsPerSecond: number;
  readonly divergences: readonly (SavedFinding & {
    /** Later runs with the same signature (run them alone with --runs/--shard or `real --run`). */
    readonly repeats: readonly number[];
  })[];
}
