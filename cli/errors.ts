/**
 * Errors the user can fix: bad usage or bad input. They print as one line (or one line
 * per issue) and exit 2; anything else is our bug and prints its stack only with --debug.
 */
import type { Issue } from "../properties/language.ts";

export class UsageError extends Error {
  override readonly name = "UsageError";
}

/** Bad input in a file: one line per issue, each naming the file and the JSON path. */
export class InputError extends Error {
  override readonly name = "InputError";
  constructor(
    readonly file: string,
    readonly issues: readonly Issue[],
  ) {
    super(issues.map((i) => `${file}: ${i.path}: ${i.message} (${i.code})`).join("\n"));
  }
}

export const EXIT = { OK: 0, DIVERGED: 1, USAGE: 2 } as const;
