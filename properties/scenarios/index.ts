/** The scenario library: every named scenario, and how to run them. */
import { INTX_SCENARIOS } from "./intx.ts";
import { IOAPIC_SCENARIOS } from "./ioapic.ts";
import { REMAPPING_SCENARIOS } from "./remapping.ts";
import { SEED_SCENARIOS } from "./seeds.ts";
import type { Scenario } from "./types.ts";

export type { ReferenceMismatch, ScenarioColumn, ScenarioVerdict } from "./run.ts";
export { checkScenario, commandsOf, referenceMismatches, scenarioColumn } from "./run.ts";
export type { CheckedStep, LapicExpectation, Scenario, ScenarioStep } from "./types.ts";

export const SCENARIOS: readonly Scenario[] = [
  ...IOAPIC_SCENARIOS,
  ...REMAPPING_SCENARIOS,
  ...SEED_SCENARIOS,
  ...INTX_SCENARIOS,
];

export function findScenario(name: string): Scenario | undefined {
  return SCENARIOS.find((s) => s.name === name);
}
