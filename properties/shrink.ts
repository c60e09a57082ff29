/**
 * Shrinking a diverging command sequence. Greedy: drop the tail after the divergence,
 * then delete chunks (halves down to single commands) while the sequence still fails
 * the same way; repeat to a fixpoint; then, for short sequences, try deleting every pair
 * of commands (a step that one deletion at a time cannot take: two commands that only
 * matter together, such as a mask and its unmask). `fails` decides what "the same way"
 * means (the campaign passes a signature comparison).
 */
import type { Command } from "../model/commands.ts";

export type StillFails = (commands: readonly Command[]) => { fails: boolean; step: number };

export function shrink(commands: readonly Command[], stillFails: StillFails, budget = 5000): Command[] {
  let best = commands.slice();
  const first = stillFails(best);
  if (!first.fails) return best;
  best = best.slice(0, first.step + 1);
  let tries = 0;
  let improved = true;
  while (improved && tries < budget) {
    improved = false;
    for (let chunk = Math.max(1, best.length >> 1); chunk >= 1; chunk >>= 1) {
      for (let start = best.length - chunk; start >= 0 && tries < budget; start--) {
        const candidate = [...best.slice(0, start), ...best.slice(start + chunk)];
        tries++;
        const r = stillFails(candidate);
        if (r.fails) {
          best = candidate.slice(0, r.step + 1);
          improved = true;
          start = Math.min(start, best.length - chunk + 1);
        }
      }
    }
  }
  return pairDeletion(best, stillFails);
}

/** Largest sequence the quadratic pair pass is tried on. */
const PAIR_PASS_MAX = 16;

function pairDeletion(commands: Command[], stillFails: StillFails): Command[] {
  let best = commands;
  let improved = best.length <= PAIR_PASS_MAX;
  while (improved) {
    improved = false;
    search: for (let i = 0; i < best.length - 1; i++) {
      for (let j = i + 1; j < best.length - 1; j++) {
        const candidate = best.filter((_, k) => k !== i && k !== j);
        const r = stillFails(candidate);
        if (r.fails) {
          best = candidate.slice(0, r.step + 1);
          improved = true;
          break search;
        }
      }
    }
  }
  return best;
}
