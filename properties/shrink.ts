/**
 * Shrinking a diverging command sequence. Greedy: drop the tail after the divergence,
 * then delete chunks (halves down to single commands) while the sequence still fails
 * the same way; repeat to a fixpoint; then, for short sequences, try deleting every pair
 * of commands (a step that one deletion at a time cannot take: two commands that only
 * matter together, such as a mask and its unmask); last, move single commands to other
 * positions and keep a move when it lets a deletion through (a different order can need
 * fewer commands: a line raised before the RTE is programmed, not after), and likewise
 * change one field of a command (a bit of a register write, or of every write to that
 * register; a flag; a line level), or move what one vCPU does to vCPU 0; then clear
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
  const moved = improveWhile(paired, stillFails, REORDER_MAX, movesThenDeletions);
  const changed = improveWhile(moved, stillFails, VARIANT_MAX, changesThenDeletions);
  const retargeted = improveWhile(changed, stillFails, VARIANT_MAX, onVcpuZeroThenDeletions);
  const simpler = clearValueBits(retargeted, stillFails);
  return simpler === retargeted ? retargeted : shrink(simpler, stillFails, budget);
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

/** Largest sequence the reordering pass is tried on (it is cubic: 12 is about 1,700 candidates). */
const REORDER_MAX = 12;

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

/** Largest sequence the value-change pass is tried on (up to 64 variants a command, times the deletions). */
const VARIANT_MAX = 8;

/**
 * One-field changes of a command: a bit of an IOAPIC register value, a flag of an IR
 * control or table command, the level of a line, an MSI-X mask, vCPU 0 for another.
 */
function* fieldVariants(c: Command): Iterable<Command> {
  switch (c.op) {
    case "ioapic.write":
      for (let bit = 0; bit < 32; bit++) yield { ...c, value: (c.value ^ (1 << bit)) >>> 0 };
      return;
    case "ir.control":
      yield { ...c, ire: !c.ire };
      yield { ...c, cfi: !c.cfi };
      return;
    case "ir.table":
      yield { ...c, eime: !c.eime };
      return;
    case "line.set":
      yield { ...c, level: c.level === 1 ? 0 : 1 };
      return;
    case "msi.mask":
      yield { ...c, masked: !c.masked };
      return;
    case "cpu.accept":
    case "cpu.eoi":
      if (c.cpu !== 0) yield { ...c, cpu: 0 };
      return;
    default:
      return;
  }
}

/**
 * Every sequence with one field of one command changed - alone, and also in every
 * command on the same thing (sameFieldChange) - and then one other command (not the last)
 * removed: a masked entry from the start, a physical destination in every
 * write, or CFI clear instead of set can make a command unnecessary that no deletion or
 * bit clear removes alone.
 */
function* changesThenDeletions(best: Command[]): Iterable<Command[]> {
  for (let i = 0; i < best.length; i++) {
    const c = best[i];
    if (c === undefined) continue;
    for (const v of fieldVariants(c)) {
      const changed = [best.map((x, k) => (k === i ? v : x))];
      const everywhere = best.map((x) => sameFieldChange(c, v, x));
      if (everywhere.some((x, k) => x !== best[k] && k !== i)) changed.push(everywhere);
      for (const seq of changed) {
        for (let drop = 0; drop < seq.length - 1; drop++) if (drop !== i) yield seq.filter((_, k) => k !== drop);
      }
    }
  }
}

/**
 * `x` with the change that turned `c` into `v` applied too, where it is the same kind of
 * command on the same thing: the same bits of every write to that IOAPIC register, the
 * same vCPU in every accept and EOI of it. Otherwise `x` itself.
 */
function sameFieldChange(c: Command, v: Command, x: Command): Command {
  if (c.op === "ioapic.write" && v.op === "ioapic.write" && x.op === "ioapic.write" && x.reg === c.reg)
    return { ...x, value: (x.value ^ c.value ^ v.value) >>> 0 };
  if ((c.op === "cpu.accept" || c.op === "cpu.eoi") && (v.op === "cpu.accept" || v.op === "cpu.eoi"))
    if ((x.op === "cpu.accept" || x.op === "cpu.eoi") && x.cpu === c.cpu) return { ...x, cpu: v.cpu };
  return x;
}

/** IOAPIC RTE bit 11: logical destination mode (82093AA §3.2.4). */
const RTE_DEST_MODE_LOGICAL = 1 << 11;

/**
 * The sequence with one vCPU's part moved to vCPU 0, the reset destination: its accepts and
 * EOIs on vCPU 0 and every RTE to APIC ID 0 in physical mode (destination words 0, logical
 * mode cleared) - then one command (not the last) removed. A bug shown on another vCPU needs a
 * destination write that vCPU 0 does not, but moving it takes three coordinated changes that
 * no one-field change makes.
 */
function* onVcpuZeroThenDeletions(best: Command[]): Iterable<Command[]> {
  const cpus = new Set(
    best.flatMap((c) => ((c.op === "cpu.accept" || c.op === "cpu.eoi") && c.cpu !== 0 ? [c.cpu] : [])),
  );
  for (const cpu of cpus) {
    const moved = best.map((c): Command => {
      if ((c.op === "cpu.accept" || c.op === "cpu.eoi") && c.cpu === cpu) return { ...c, cpu: 0 };
      if (c.op !== "ioapic.write" || c.reg < 0x10) return c;
      if (c.reg % 2 === 1) return { ...c, value: 0 };
      return { ...c, value: (c.value & ~RTE_DEST_MODE_LOGICAL) >>> 0 };
    });
    for (let drop = 0; drop < moved.length - 1; drop++) yield moved.filter((_, k) => k !== drop);
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
