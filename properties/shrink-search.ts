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
 * RTE's low word the same write with another vector (bit 0), the mask flipped, or the
 * trigger mode flipped (82093AA §3.2.4): the fields a vector change, a pending level
 * interrupt or an unmask release depend on; and a write of its vector to the IOAPIC's EOI
 * register (IOxAPIC version 0x20, Linux's io_apic_eoi_vector), which ends a level
 * interrupt in one command where an accept and a local APIC EOI take two. The search
 * needs the implementation's `digest()` (equal digests mean equal futures) and is skipped
 * without it; a crash or hang of the implementation during the search ends it with the
 * greedy result.
 */

import { bit, get32, set32 } from "../model/bits.ts";
import type { Command } from "../model/commands.ts";
import { RteLow, rteOfRegister } from "../model/ioapic.ts";
import type { Topology } from "../model/topology.ts";
import type { Property } from "./checker.ts";
import { type ExploreResult, explore } from "./explore.ts";
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
const SEARCH_MAX_LENGTH = 9;

/** Nodes expanded at most: about a second's work on the default topology. */
const SEARCH_MAX_EXPANSIONS = 3000;

/** The explorer's limit on alphabet indices (a path is a byte array). */
const ALPHABET_MAX = 256;

/** Other values of the low-word fields a shorter mechanism may need. */
const LOW_WORD_NEIGHBOURS = [bit(0), RteLow.trigger, RteLow.mask] as const;

/**
 * Greedy shrinking (shrink.ts), then `search` from its result; a shorter form found that way
 * is only as short as the neighbourhood allows, so the greedy passes go on from it.
 */
export function shrinkThenSearch(
  sequence: readonly Command[],
  stillFails: StillFails,
  search: (greedy: readonly Command[]) => Command[],
): Command[] {
  const greedy = shrink(sequence, stillFails);
  const searched = search(greedy);
  return searched.length < greedy.length ? shrink(searched, stillFails) : greedy;
}

/** The counterexample's commands and their near neighbours, each once, in first-use order. */
export function neighbourhood(commands: readonly Command[]): Command[] {
  const alphabet = new Map<string, Command>();
  const add = (c: Command) => {
    const key = JSON.stringify(c);
    if (!alphabet.has(key)) alphabet.set(key, c);
  };
  for (const c of commands) {
    add(c);
    if (c.op !== "ioapic.write" || rteOfRegister(c.reg & 0xff)?.high !== false) continue;
    for (const field of LOW_WORD_NEIGHBOURS) add({ ...c, value: set32(c.value, field, get32(c.value, field) ^ 1) });
    add({ op: "ioapic.eoi", vector: get32(c.value, RteLow.vector) });
  }
  return [...alphabet.values()];
}

/**
 * A shortest sequence over `neighbourhood(commands)` that diverges with the target's
 * signature and still fails the same way (`stillFails`: the triage class too), if it is
 * shorter than `commands`; else `commands`.
 */
export function searchShorter(commands: readonly Command[], target: SearchTarget, stillFails: StillFails): Command[] {
  if (commands.length < 2 || commands.length > SEARCH_MAX_LENGTH) return [...commands];
  // A crash or hang is not searched for: it would end the search at the first sequence reaching it.
  if (target.signature.difference.startsWith("implementation-")) return [...commands];
  if (target.create().digest === undefined) return [...commands];
  const alphabet = neighbourhood(commands);
  if (alphabet.length > ALPHABET_MAX) return [...commands];
  let expansions = 0;
  let result: ExploreResult;
  try {
    result = explore({
      topology: target.topology,
      alphabet,
      create: () => guard(target.create()),
      variant: target.signature.variant,
      property: target.property,
      depth: commands.length - 1,
      allSignatures: true,
      stop: () => ++expansions > SEARCH_MAX_EXPANSIONS,
    });
  } catch (e) {
    // The implementation crashed or hung on a sequence of the search: the greedy result stands.
    if (e instanceof ImplementationFault) return [...commands];
    throw e;
  }
  const wanted = formatSignature(target.signature);
  const found = result.findings.find((f) => f.key === wanted);
  if (found === undefined || !stillFails(found.commands).fails) return [...commands];
  return [...found.commands];
}
