/**
 * The scenario library's data: named, hand-written command sequences whose expected
 * reference observations come from the specification, not from the model.
 */
import type { Command } from "../../model/commands.ts";
import type { Observation } from "../../model/observations.ts";
import type { Topology } from "../../model/topology.ts";

/** LAPIC registers after a step, as vector lists (each listed register must hold exactly these). */
export interface LapicExpectation {
  /** Index into topology.cpus. */
  readonly cpu: number;
  readonly irr?: readonly number[];
  readonly isr?: readonly number[];
  readonly tmr?: readonly number[];
}

/** A step whose reference outcome is written down. */
export interface CheckedStep {
  readonly command: Command;
  /**
   * Every outcome the architecture allows for this step, each the step's observations (in
   * any order within the step). One entry for a deterministic step; several where the spec
   * leaves a choice (lowest priority, an IRTE changed without invalidation).
   */
  readonly outcomes: readonly (readonly Observation[])[];
  /** LAPIC state after the step, in every allowed outcome. */
  readonly lapic?: readonly LapicExpectation[];
}

/** A plain command is a step whose outcome the scenario does not state. */
export type ScenarioStep = Command | CheckedStep;

export interface Scenario {
  /** Unique, kebab-case; seeds of semantics.md §8 start with their id (`D1-…`). */
  readonly name: string;
  /** What it checks, citing the spec section. */
  readonly checks: string;
  /** The kvm-unit-tests case or the semantics.md divergence it takes its idea from. */
  readonly idea?: string;
  readonly topology: Topology;
  readonly steps: readonly ScenarioStep[];
}

export function isChecked(s: ScenarioStep): s is CheckedStep {
  return "outcomes" in s;
}

export function commandOf(s: ScenarioStep): Command {
  return isChecked(s) ? s.command : s;
}
