/**
 * Shrinking a diverging command sequence. Greedy: drop the tail after the divergence,
 * then delete chunks (halves down to single commands) while the sequence still fails
 * the same way; repeat to a fixpoint; then, for short sequences, try deleting every pair
 * of commands (a step that one deletion at a time cannot take: two commands that only
 * matter together, such as a mask and its unmask); last, move single commands to other
 * positions and keep a move when it lets a deletion through (a different order can need
 * fewer commands: a line raised before the RTE is programmed, not after); then clear
 * single bits of register values (a physical destination instead of a logical one can
 * make another command unnecessary) and start again if that helped. `fails` decides
 * what "the same way" means (the campaign passes a signature comparison).
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
  const paired = improveWhile(best, stillFails, PAIR_PASS_MAX, pairDeletions);
  const reordered = improveWhile(paired, stillFails, REORDER_MAX, movesThenDeletions);
  const simpler = clearValueBits(reordered, stillFails);
  return simpler === reordered ? reordered : shrink(simpler, stillFails, budget);
}

/**
 * Repeats: take the first candidate (in the order `candidates` yields them) that still
 * fails the same way, cut it after its diverging step; until no candidate fails.
 */
function improveWhile(
  start: Command[],
  stillFails: StillFails,
  maxLength: number,
  candidates: (best: Command[]) => Iterable<Command[]>,
): Command[] {
  let best = start;
  while (best.length <= maxLength) {
    let next: Command[] | null = null;
    for (const candidate of candidates(best)) {
      const r = stillFails(candidate);
      if (r.fails) {
        next = candidate.slice(0, r.step + 1);
        break;
      }
    }
    if (next === null) break;
    best = next;
  }
  return best;
}

/** Largest sequence the quadratic pair pass is tried on. */
const PAIR_PASS_MAX = 16;

/** Every sequence with two commands (not the last) removed. */
function* pairDeletions(best: Command[]): Iterable<Command[]> {
  for (let i = 0; i < best.length - 1; i++) {
    for (let j = i + 1; j < best.length - 1; j++) yield best.filter((_, k) => k !== i && k !== j);
  }
}

/** Largest sequence the reordering pass is tried on (it is cubic). */
const REORDER_MAX = 10;

/** Every sequence with one command moved elsewhere and then one command (not the last) removed. */
function* movesThenDeletions(best: Command[]): Iterable<Command[]> {
  for (let from = 0; from < best.length - 1; from++) {
    for (let to = 0; to < best.length - 1; to++) {
      if (to === from) continue;
      const moved = [...best];
      const [c] = moved.splice(from, 1);
      if (c === undefined) continue;
      moved.splice(to, 0, c);
      for (let drop = 0; drop < moved.length - 1; drop++) yield moved.filter((_, k) => k !== drop);
    }
  }
}

/** Clears single set bits of IOAPIC register values while the sequence still fails the same way. */
function clearValueBits(commands: Command[], stillFails: StillFails): Command[] {
  let best = commands;
  for (let i = 0; i < best.length; i++) {
    for (let bit = 31; bit >= 0; bit--) {
      const c = best[i];
      if (c?.op !== "ioapic.write" || ((c.value >>> bit) & 1) === 0) continue;
      const candidate = [...best];
      candidate[i] = { ...c, value: (c.value & ~(1 << bit)) >>> 0 };
      const r = stillFails(candidate);
      if (r.fails && r.step === best.length - 1) best = candidate;
    }
  }
  return best;
}
