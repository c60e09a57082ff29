/** Flags several commands share, described once (cli/command.ts). */

import { findVariant, VARIANTS } from "../impl/variants/index.ts";
import { PROPERTIES, type Property } from "../properties/checker.ts";
import { durationMs, oneOf, switchFlag, text, type ValueFlag, value } from "./command.ts";
import { UsageError } from "./errors.ts";
import { DEFAULT_RUN_TIMEOUT_MS } from "./sandbox.ts";

export const property: ValueFlag<Property> = oneOf("NAME", "what is compared at each step", PROPERTIES, "delivery-log");

export const impl = text("PATH", "your own variant module (.ts, .mts or .js; see examples/)");

export const topology = (shownDefault: string) =>
  text("NAME|FILE", "a built-in topology (default, small, ...) or a topology JSON file", shownDefault);

export const out = text(
  "DIR",
  "where new counterexamples are saved, one folder per variant",
  "counterexamples/ of the irqcheck checkout, from any directory",
);

export const json = switchFlag("print one JSON document instead of text");

export const runTimeout: ValueFlag<number> = {
  kind: "value",
  meta: "T",
  help: "per-run budget: a run of the implementation that takes longer is a finding, 'implementation hung'",
  shownDefault: `${DEFAULT_RUN_TIMEOUT_MS / 1000}s`,
  convert: durationMs,
};

export const baseline = value(
  "NAME",
  "triage every finding against this built-in variant: inherited if it diverges the same way, NEW if not (default: the variant an --impl module extends)",
  (t, flag) => {
    if (findVariant(t) === undefined)
      throw new UsageError(`${flag}: unknown variant "${t}" (known: ${VARIANTS.map((v) => v.name).join(", ")})`);
    return t;
  },
);

export const failOn: ValueFlag<"new" | "any"> = oneOf(
  "WHAT",
  "which findings make the exit status 1: new (NEW and unexplained ones) or any",
  ["new", "any"],
  "new",
);

/** The exit statuses every command shares; `one` says what 1 means for it. */
export function exitStatus(zero: string, one: string): string {
  return `Exit status: 0 ${zero}; 1 ${one}; 2 bad usage or bad input (one line naming the flag, file or field); 3 an internal error of irqcheck (a bug: please report it, with --debug).`;
}
