/** Placeholder replaced by the timeline page renderer. */
import type { Counterexample } from "../properties/counterexample.ts";
import type { Replay } from "../properties/replay.ts";

export interface TimelineInput {
  readonly counterexample: Counterexample;
  readonly file: string;
  readonly variant: string;
  readonly property: string;
  readonly replay: Replay;
}

export function renderTimeline(input: TimelineInput): string {
  return `<!doctype html><title>${input.file}</title><pre>${input.replay.steps.length} steps</pre>`;
}
