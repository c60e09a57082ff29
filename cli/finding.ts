/**
 * A finding, from divergence to disk to report, in one place for fuzz, explore and
 * import-trace: label it with the known divergences it matches (impl/manifest.ts), let
 * the optional triage step classify it, build the counterexample, save it at once
 * (atomically, never overwriting), and print its lines. Findings are keyed by their typed
 * signature, so the same kind found twice is saved once.
 */
import { explainFinding } from "../impl/manifest.ts";
import type { Command } from "../model/commands.ts";
import type { Topology } from "../model/topology.ts";
import type { Divergence } from "../properties/checker.ts";
import { buildCounterexample, type Counterexample, type Provenance } from "../properties/counterexample.ts";
import { formatSignature, type Signature, signatureLabel } from "../properties/signature.ts";
import type { Io } from "./io.ts";
import { saveCounterexample } from "./store.ts";
import { TOOL } from "./version.ts";

export interface NewFinding {
  readonly signature: Signature;
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
  readonly property: string;
  readonly known: readonly string[];
  readonly classification: string | null;
  readonly length: number;
  readonly step: number;
  readonly run: number | null;
  readonly title: string;
  /** Set when the implementation crashed or hung rather than diverged. */
  readonly fault: string | null;
}

/** The triage seam: what to say of a finding (NEW, inherited, explained by a fix), stored and printed. */
export type Classify = (c: Counterexample) => string | undefined;

export interface RecorderOptions {
  readonly out: string;
  readonly topology: Topology;
  readonly source: Provenance["source"];
  readonly io: Io;
  /** Print each finding's lines as it is saved (false under --json). */
  readonly human: boolean;
  readonly classify?: Classify;
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

  /** Build, classify, save and print a finding; a signature recorded before is returned as it was. */
  record(f: NewFinding): SavedFinding {
    const key = formatSignature(f.signature);
    const seen = this.byKey.get(key);
    if (seen !== undefined) return seen;
    const o = this.options;
    const base = buildCounterexample({
      variant: f.signature.variant,
      signature: f.signature,
      known: explainFinding(f.signature.variant, `${f.signature.op}/${f.signature.difference}`).map((k) => k.id),
      topology: o.topology,
      commands: f.commands,
      divergence: f.divergence,
      provenance: { tool: TOOL, date: new Date().toISOString(), source: o.source, ...f.provenance },
    });
    const classification = o.classify?.(base);
    const c = classification === undefined ? base : { ...base, classification };
    const stored = saveCounterexample(o.out, c);
    const fault = f.divergence.fault;
    const saved: SavedFinding = {
      file: stored.file,
      saved: stored.saved,
      variant: f.signature.variant,
      signature: key,
      property: f.signature.property,
      known: c.known,
      classification: classification ?? null,
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
  const tags = `[${s.known.join(",") || "unexplained"}]${s.classification === null ? "" : ` ${s.classification}`}`;
  return [
    `  ${s.saved ? "NEW " : "seen"} ${signatureLabel(f.signature)}  ${tags} ${s.length} commands${where}`,
    `       ${s.title}`,
    `       ${s.saved ? "saved" : "already saved"}: irqcheck replay ${s.file}`,
  ];
}
