/**
 * Errors the user can fix: bad usage, bad input, an output path that cannot be written.
 * They print as one line (or one line per issue) and exit 2; anything else is irqcheck's
 * own bug, exits 3 and prints its stack only with --debug.
 */
import type { Issue } from "../properties/language.ts";

export class UsageError extends Error {
  override readonly name: string = "UsageError";
}

/** Bad input in a file: one line per issue, each naming the file and the JSON path. */
export class InputError extends UsageError {
  override readonly name = "InputError";
  constructor(
    readonly file: string,
    readonly issues: readonly Issue[],
  ) {
    super(issues.map((i) => `${file}: ${i.path}: ${i.message} (${i.code})`).join("\n"));
  }
}

const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: "no such file or directory",
  EACCES: "permission denied",
  EPERM: "operation not permitted",
  EROFS: "read-only file system",
  ENOSPC: "no space left on device",
  EDQUOT: "disk quota exceeded",
  EISDIR: "is a directory",
  ENOTDIR: "a path component is not a directory",
  EEXIST: "already exists",
  EMFILE: "too many open files",
  EIO: "input/output error",
  ENAMETOOLONG: "name too long",
};

/** A file-system operation failed: names the operation, the path and the reason. */
export class IoError extends UsageError {
  override readonly name = "IoError";
  constructor(operation: string, path: string, cause: unknown) {
    const code = (cause as NodeJS.ErrnoException | null)?.code;
    const why =
      code === undefined
        ? cause instanceof Error
          ? cause.message
          : String(cause)
        : `${code} (${ERRNO_TEXT[code] ?? "system error"})`;
    super(`${path}: cannot ${operation}: ${why}`);
  }
}

export const EXIT = { OK: 0, DIVERGED: 1, USAGE: 2, INTERNAL: 3 } as const;
