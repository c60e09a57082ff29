/** `--impl exec:CMD`: a program speaking the exec protocol, as a variant. */
import type { Variant } from "../impl/variants/index.ts";
import { ExecImplementation, sharedConnection } from "../protocol/exec-implementation.ts";
import { ImplementationFault } from "../protocol/fault.ts";
import { UsageError } from "./errors.ts";

export const EXEC_PREFIX = "exec:";

/**
 * Starts the program (once per thread: every implementation object shares it) and takes
 * the variant name from its hello. A program that does not start or shake hands is a
 * usage error here, before any campaign.
 */
export function execVariant(program: string): Variant {
  if (program.trim() === "") throw new UsageError(`--impl ${EXEC_PREFIX}: expected a command after "${EXEC_PREFIX}"`);
  let name: string;
  try {
    name = sharedConnection(program).hello.name;
  } catch (e) {
    if (e instanceof ImplementationFault) throw new UsageError(`--impl ${EXEC_PREFIX}${program}: ${e.message}`);
    throw e;
  }
  return {
    name,
    summary: "a program speaking the exec protocol",
    mirrors: `${EXEC_PREFIX}${program}`,
    create: () => new ExecImplementation(program),
  };
}
