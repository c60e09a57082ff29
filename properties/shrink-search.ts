/**
 * The shrinker's last step: a bounded breadth-first search (explore.ts) for a shorter
 * sequence that fails the same way, over the counterexample's own neighbourhood. Greedy
 * deletions and one-field changes keep the mechanism a counterexample found; a shorter
 * one can need another mechanism. D8 on irqfd-cache is the example: a campaign may find it
 * with the cached route's vector changed through an IRTE (IR on, IRTE write, RTE in
 * remappable format: 7 commands), while the shortest form changes it with two RTE writes
 * (6). No deletion leads from one to the other; a search over the commands the first one
 * uses, and their near values, does.
 *
 * The alphabet: every distinct command of the counterexample, and for each write of an
 * RTE's low word the same write with another vector (bit 0), the mask, the trigger mode or
 * the destination mode flipped (82093AA §3.2.4): the fields a vector change, a pending
 * level interrupt, an unmask release or the target vCPU depend on; a write of its vector
 * to the IOAPIC's EOI register (IOxAPIC version 0x20, Linux's io_apic_eoi_vector), which
 * ends a level interrupt in one command where an accept and a local APIC EOI take two;
 * each local APIC accept or EOI also on the first vCPU. With two or more pins, each pin's
 * part is searched first (a small alphabet, and a shorter form often needs one pin).
 * Findings with the target signature that fail another way (triage: D20 and its D8
 * look-alikes) are passed over. The search needs the implementation's `digest()` (equal
 * digests mean equal futures) and is skipped without it; a crash or hang of the
 * implementation during the search ends it with the greedy result.
 */

import { bit, get32, set32 } from "../model/bits.ts";
import type { Command } from "../model/commands.ts";
import { RteLow, rteOfRegister } from "../model/ioapic.ts";
import type { Topology } from "../model/topology.ts";
import type { Property } from "./checker.ts";
import { explore } from "./explore.ts";
import { guard, ImplementationFault } from "./fault.ts";
import type { ImplementationFactory } from "./implementation.ts";
import { type StillFails, shrink } from "./shrink.ts";
import { formatSignature, type Signature } from "./signature.ts";

export interface SearchTarget {
  readonly topology: Topology;
  readonly create: ImplementationFactory;
  readonly property: Property;
  /** The divergence kind to keep; its variant names the search's findings. */
  readonly signature: Signature;
}

/** Longest counterexample searched below (the search tries every length up to one less). */
const SEARCH_MAX_LENGTH = 10;

/**
 * Nodes expanded at most, over all of a search's alphabets. On the default topology a node
 * costs about 1.5 ms, so a search that finds nothing stops after about 30 s; only 9- and
 * 10-command greedy results get that far (D20's rte-state form from 9 commands to 8 took
 * 17,934), while 7 commands exhaust their space in under a second.
 */
const SEARCH_MAX_EXPANSIONS = 20_000;

/** The least a campaign's search may expand, however soon it met the divergence. */
const SEARCH_MIN_EXPANSIONS = 3000;

/**
 * A campaign's search budget for a divergence first met at run `runs`: five nodes per run
 * it took, within [SEARCH_MIN_EXPANSIONS, SEARCH_MAX_EXPANSIONS]. Shrinking effort follows
 * how rare the divergence is: D20, met after thousands of runs, gets the whole budget; an
 * 8-command divergence met every thousand runs (D7 on msi-direct) is not worth 30 s of a
 * campaign, and will be met again. Deterministic, as the run a divergence is met at is.
 */
export function searchBudget(runs: number): number {
  return Math.min(SEARCH_MAX_EXPANSIONS, Math.max(SEARCH_MIN_EXPANSIONS, 5 * runs));
}

/** The explorer's limit on alphabet indices (a path is a byte array). */
const ALPHABET_MAX = 256;

/** Other values of the low-word fields a shorter mechanism may need. */
const LOW_WORD_NEIGHBOURS = [bit(0), RteLow.trigger, RteLow.mask, RteLow.destMode] as const;

/**
 * Greedy shrinking (shrink.ts), then `search` from its result; a shorter form found that way
 * is only as short as the neighbourhood allows, so the greedy passes and the search go on
 * from it until neither shortens it.
 */
export function shrinkThenSearch(
  sequence: readonly Command[],
  stillFails: StillFails,
  search: (greedy: readonly Command[]) => Command[],
): Command[] {
  let best = shrink(sequence, stillFails);
  for (;;) {
    const searched = search(best);
    if (searched.length >= best.length) return best;
    best = shrink(searched, stillFails);
  }
}

/**
 * The counterexample's commands and their near neighbours, each once, in first-use order.
 * A local APIC's accept or EOI is also offered on the first vCPU: with the destination
 * mode flipped to physical and the destination's high-word write left out, an RTE points
 * at APIC ID 0, and a shorter form often takes that path.
 */
export function neighbourhood(commands: readonly Command[]): Command[] {
  const alphabet = new Map<string, Command>();
  const add = (c: Command) => {
    const key = JSON.stringify(c);
    if (!alphabet.has(key)) alphabet.set(key, c);
  };
  for (const c of commands) {
    add(c);
    if (c.op === "cpu.accept" || c.op === "cpu.eoi") add({ ...c, cpu: 0 });
    if (c.op !== "ioapic.write" || rteOfRegister(c.reg & 0xff)?.high !== false) continue;
    for (const field of LOW_WORD_NEIGHBOURS) add({ ...c, value: set32(c.value, field, get32(c.value, field) ^ 1) });
    add({ op: "ioapic.eoi", vector: get32(c.value, RteLow.vector) });
  }
  return [...alphabet.values()];
}

/** The IOAPIC pin a command acts on (an RTE write, an input line), or null. */
function pinOf(c: Command): number | null {
  if (c.op === "ioapic.write") return rteOfRegister(c.reg & 0xff)?.pin ?? null;
  if (c.op === "line.set" || c.op === "line.pulse") return c.pin;
  return null;
}

/**
 * The alphabets searched, in order: with two or more IOAPIC pins in the counterexample,
 * first each pin's part of the neighbourhood (its RTE writes and line changes, and the
 * commands of no pin), since a shorter form often needs one pin where a campaign used two
 * (the same vector on two pins, D20); then the whole neighbourhood.
 */
export function searchAlphabets(commands: readonly Command[]): Command[][] {
  const whole = neighbourhood(commands);
  const pins = [...new Set(commands.map(pinOf).filter((p) => p !== null))];
  if (pins.length < 2) return [whole];
  const onePin = (pin: number) =>
    whole.filter((c) => {
      const p = pinOf(c);
      return p === null || p === pin;
    });
  return [...pins.map(onePin), whole];
}

/**
 * A shortest sequence, over the first of `searchAlphabets(commands)` that has one, that
 * diverges with the target's signature and still fails the same way (`stillFails`: the
 * triage class too), if it is shorter than `commands`; else `commands`.
 */
export function searchShorter(
  commands: readonly Command[],
  target: SearchTarget,
  stillFails: StillFails,
  budget = SEARCH_MAX_EXPANSIONS,
): Command[] {
  if (commands.length < 2 || commands.length > SEARCH_MAX_LENGTH) return [...commands];
  // A crash or hang is not searched for: it would end the search at the first sequence reaching it.
  if (target.signature.difference.startsWith("implementation-")) return [...commands];
  if (target.create().digest === undefined) return [...commands];
  const wanted = formatSignature(target.signature);
  let shorter: readonly Command[] | null = null;
  let expansions = 0;
  for (const alphabet of searchAlphabets(commands)) {
    if (alphabet.length > ALPHABET_MAX || expansions > budget) break;
    try {
      explore({
        topology: target.topology,
        alphabet,
        create: () => guard(target.create()),
        variant: target.signature.variant,
        property: target.property,
        depth: commands.length - 1,
        allSignatures: true,
        // Look-alikes (another signature, or the same one failing another way) are passed over.
        accept: (candidate, signature) => {
          if (signature !== wanted || !stillFails(candidate).fails) return false;
          shorter = candidate;
          return true;
        },
        // Breadth-first: the first sequence accepted is a shortest one over this alphabet.
        stop: () => shorter !== null || ++expansions > budget,
      });
    } catch (e) {
      // The implementation crashed or hung on a sequence of the search: the greedy result stands.
      if (e instanceof ImplementationFault) return [...commands];
      throw e;
    }
    if (shorter !== null) return [...shorter];
  }
  return [...commands];
}
