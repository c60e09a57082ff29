/**
 * The work a sandbox worker does on the parent's behalf (cli/sandbox.ts): everything
 * that runs the implementation under test. Tasks and results are plain data, so they
 * cross the thread boundary by structured clone.
 */

import { explainByFix, type Triage, triage } from "../impl/triage.ts";
import type { Command } from "../model/commands.ts";
import type { Topology } from "../model/topology.ts";
import { type CampaignProgress, type CampaignResult, type Finding, shrinkToSignature } from "../properties/campaign.ts";
import { type CheckResult, check, type Property } from "../properties/checker.ts";
import { type ExploreConfig, type ExploreProgress, type ExploreResult, explore } from "../properties/explore.ts";
import { type FaultInfo, guard, guardFactory, ImplementationFault } from "../properties/fault.ts";
import type { ImplementationFactory } from "../properties/implementation.ts";
import { type Replay, replayRun } from "../properties/replay.ts";
import { checkScenario, findScenario, type ScenarioVerdict } from "../properties/scenarios/index.ts";
import { type Signature, signatureOf } from "../properties/signature.ts";
import { baselineOf, type JobSpec, jobVariant, runJob, type VariantSpec } from "./job.ts";
import type { WatchWriter } from "./run-watch.ts";

interface Run {
  readonly variant: VariantSpec;
  readonly topology: Topology;
  readonly commands: readonly Command[];
  readonly property: Property;
}

export type Task =
  | { readonly kind: "campaign"; readonly spec: JobSpec }
  | ({ readonly kind: "check" } & Run)
  /** Check, and shrink a divergence keeping its signature (a fault found outside a campaign). */
  | ({ readonly kind: "shrink" } & Run)
  | ({ readonly kind: "replay" } & Run)
  | {
      readonly kind: "explore";
      readonly variant: VariantSpec;
      readonly config: Omit<ExploreConfig, "create" | "stop" | "onProgress" | "now">;
      readonly timeMs: number | null;
    }
  | { readonly kind: "scenario"; readonly variant: VariantSpec; readonly scenario: string }
  /** Triage a finding (impl/triage.ts) against `baseline`, or the variant's default baseline. */
  | ({ readonly kind: "triage"; readonly signature: Signature; readonly baseline?: string } & Run);

/** A replay that faulted: the steps before the faulting command, replayed again, and the fault. */
export interface GuardedReplay {
  readonly replay: Replay;
  readonly fault: (FaultInfo & { readonly step: number }) | null;
}

export type ExploreOutcome =
  | { readonly kind: "done"; readonly result: ExploreResult }
  | { readonly kind: "fault"; readonly fault: FaultInfo; readonly commands: readonly Command[] };

/** Messages a campaign or an exploration streams before its result. */
export type CampaignMessage =
  | { readonly kind: "progress"; readonly progress: CampaignProgress }
  | { readonly kind: "finding"; readonly finding: Finding }
  | { readonly kind: "explore-progress"; readonly progress: ExploreProgress };

export type TaskResult = CheckResult | GuardedReplay | ExploreOutcome | ScenarioVerdict | CampaignResult | Triage;

export async function runTask(task: Task, watch: WatchWriter, post: (m: CampaignMessage) => void): Promise<TaskResult> {
  switch (task.kind) {
    case "campaign":
      return runJob(task.spec, {
        onProgress: (progress) => post({ kind: "progress", progress }),
        onFinding: (finding) => post({ kind: "finding", finding }),
        onRunStart: (run) => watch.setRun(run),
        shouldStop: () => watch.stopRequested,
      });
    case "check":
      return check(task.topology, (await watchedFactory(task.variant, watch))(), task.commands, task.property);
    case "shrink":
      return shrunk(task, await watchedFactory(task.variant, watch));
    case "replay":
      return guardedReplay(task, await watchedFactory(task.variant, watch));
    case "explore": {
      const create = await watchedFactory(task.variant, watch);
      const started = Date.now();
      try {
        const result = explore({
          ...task.config,
          create: () => guard(create()),
          onProgress: (progress) => post({ kind: "explore-progress", progress }),
          stop: () => watch.stopRequested || (task.timeMs !== null && Date.now() - started >= task.timeMs),
        });
        return { kind: "done", result };
      } catch (e) {
        if (e instanceof ImplementationFault) return { kind: "fault", fault: e.fault, commands: e.commands };
        throw e;
      }
    }
    case "triage": {
      const v = await jobVariant(task.variant);
      return triage(v, task, baselineOf(v, task.baseline));
    }
    case "scenario": {
      const s = findScenario(task.scenario);
      if (s === undefined) throw new Error(`no scenario ${task.scenario}`);
      const v = await jobVariant(task.variant);
      const create = await watchedFactory(task.variant, watch);
      return checkScenario(s, {
        name: v.name,
        create,
        explain: (commands, signature) =>
          explainByFix(v, { topology: s.topology, commands, property: "delivery-log", signature }),
      });
    }
  }
}

/** The variant's factory, timed from the moment it is called (a constructor can hang too). */
async function watchedFactory(variant: VariantSpec, watch: WatchWriter): Promise<ImplementationFactory> {
  const create = guardFactory((await jobVariant(variant)).create);
  return () => {
    watch.runStarted();
    return create();
  };
}

/** The sequence shrunk to the same signature (a fault found outside a campaign); `ok` if it does not diverge. */
function shrunk(run: Run, create: ImplementationFactory): CheckResult {
  const first = check(run.topology, create(), run.commands, run.property);
  if (first.ok) return first;
  const commands = shrinkToSignature(
    run.topology,
    create,
    run.property,
    run.commands,
    signatureOf("", first.divergence),
  );
  return check(run.topology, create(), commands, run.property);
}

function guardedReplay(run: Run, create: ImplementationFactory): GuardedReplay {
  const first = check(run.topology, create(), run.commands, run.property);
  const fault =
    first.ok || first.divergence.fault === undefined
      ? null
      : { ...first.divergence.fault, step: first.divergence.step };
  try {
    const upTo = fault === null ? run.commands : run.commands.slice(0, fault.step);
    return { replay: replayRun(run.topology, guard(create()), upTo, run.property), fault };
  } catch (e) {
    // The steps before a fault failed this time (an implementation that is not deterministic).
    if (!(e instanceof ImplementationFault)) throw e;
    return { replay: { steps: [], divergence: null }, fault: { ...e.fault, step: Math.max(0, e.commands.length - 1) } };
  }
}
