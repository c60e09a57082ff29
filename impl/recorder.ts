/**
 * What the implementation did during a step, in QEMU trace-event style. Every call
 * across the userspace/kernel boundary and every route or irqfd change is recorded
 * here, so a counterexample shows it next to the deliveries.
 */
import type { Observation } from "../model/observations.ts";

export class Recorder {
  trace: string[] = [];
  observations: Observation[] = [];

  event(line: string): void {
    this.trace.push(line);
  }

  observe(o: Observation): void {
    this.observations.push(o);
  }

  /** Take and clear the step's record. */
  take(): { trace: string[]; observations: Observation[] } {
    const out = { trace: this.trace, observations: this.observations };
    this.trace = [];
    this.observations = [];
    return out;
  }
}
