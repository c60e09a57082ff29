/**
 * Running a campaign's jobs, one sandbox worker each (cli/sandbox.ts; --jobs 1 too, so a
 * hang can always be stopped). Findings reach the caller as each is shrunk. A job whose
 * worker hangs or dies is reported with its run and restarted on a fresh worker after
 * that run, with what it had found. An error of irqcheck's own in one worker stops the
 * others. An abort of `stop` ends every job after its current run.
 */
import type { CampaignProgress, CampaignResult, Finding } from "../properties/campaign.ts";
import type { JobSpec } from "./job.ts";
import { Sandbox, type SandboxFault, type SandboxOutcome } from "./sandbox.ts";

export interface JobFault {
  readonly job: number;
  /** The run that hung or died (global index). */
  readonly run: number;
  readonly fault: SandboxFault;
  readonly spec: JobSpec;
}

export interface PoolEvents {
  readonly onProgress: (perJob: readonly (CampaignProgress | null)[]) => void;
  readonly onFinding: (f: Finding, job: number) => void;
  /** Must record the fault before it returns: the job restarts with `known()` right after. */
  readonly onFault: (f: JobFault) => void;
  /** Signature keys recorded so far (a restarted job does not shrink them again). */
  readonly known: () => readonly string[];
}

export interface PoolOptions {
  readonly runTimeoutMs: number;
  readonly stop?: AbortSignal;
}

const ZERO: CampaignProgress = { runs: 0, commands: 0, divergences: 0, signatures: 0, elapsedMs: 0 };

function add(a: CampaignProgress, b: CampaignProgress, elapsedMs: number): CampaignProgress {
  return {
    runs: a.runs + b.runs,
    commands: a.commands + b.commands,
    divergences: a.divergences + b.divergences,
    signatures: a.signatures + b.signatures,
    elapsedMs,
  };
}

/** Runs of `spec` done when `run` (which hung or died) ended. */
const runsThrough = (spec: JobSpec, run: number) => Math.floor((run - spec.firstRun) / spec.runStride) + 1;

/** The rest of a job after `run`, or null if its budget is spent. */
function resumeAfter(spec: JobSpec, run: number, known: readonly string[]): JobSpec | null {
  const runs = spec.runs === undefined ? undefined : spec.runs - runsThrough(spec, run);
  if ((runs !== undefined && runs <= 0) || (spec.deadline !== undefined && Date.now() >= spec.deadline)) return null;
  return { ...spec, firstRun: run + spec.runStride, known, ...(runs === undefined ? {} : { runs }) };
}

export async function runJobs(
  specs: readonly JobSpec[],
  events: PoolEvents,
  options: PoolOptions,
): Promise<CampaignResult[]> {
  const progress: (CampaignProgress | null)[] = specs.map(() => null);
  const sandboxes: Sandbox[] = [];
  const stopAll = () => {
    for (const s of sandboxes) s.stop();
  };
  options.stop?.addEventListener("abort", stopAll, { once: true });
  const startedAt = Date.now();

  const job = async (i: number, first: JobSpec): Promise<CampaignResult> => {
    let spec: JobSpec | null = first;
    let before = ZERO;
    const findings: Finding[] = [];
    while (spec !== null) {
      const base = before;
      const sandbox = new Sandbox({
        runTimeoutMs: options.runTimeoutMs,
        ...(spec.deadline === undefined ? {} : { deadline: spec.deadline }),
        onMessage: (m) => {
          if (m.kind === "progress") {
            progress[i] = add(base, m.progress, Date.now() - startedAt);
            events.onProgress(progress);
          } else if (m.kind === "finding") {
            findings.push(m.finding);
            events.onFinding(m.finding, i);
          }
        },
      });
      sandboxes[i] = sandbox;
      if (options.stop?.aborted === true) sandbox.stop();
      const r: SandboxOutcome<CampaignResult> = await sandbox.run<CampaignResult>({ kind: "campaign", spec });
      await sandbox.close();
      // The guidance's kept runs come back with the result (a worker that died keeps none).
      if (r.ok)
        return {
          ...add(base, r.value, Date.now() - startedAt),
          findings,
          ...(r.value.corpus === undefined ? {} : { corpus: r.value.corpus }),
        };
      const run: number = Math.max(r.fault.snapshot.run, spec.firstRun);
      events.onFault({ job: i, run, fault: r.fault, spec });
      const current = progress[i] ?? base;
      before = { ...current, runs: base.runs + runsThrough(spec, run), divergences: current.divergences + 1 };
      progress[i] = before;
      spec = options.stop?.aborted === true ? null : resumeAfter(spec, run, events.known());
    }
    return { ...before, findings };
  };

  try {
    return await Promise.all(specs.map((s, i) => job(i, s)));
  } catch (e) {
    stopAll();
    await Promise.all(sandboxes.map((s) => s.close()));
    throw e;
  } finally {
    options.stop?.removeEventListener("abort", stopAll);
  }
}
