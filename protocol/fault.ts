/**
 * A program under test that misbehaved: it exited, stopped answering, or answered
 * something that is not the protocol. Thrown from Implementation methods; a campaign
 * saves it as a finding like a divergence (the implementation under test is untrusted
 * code: its crash or hang is a result, not an irqcheck error).
 */
export type FaultKind = "crashed" | "hung" | "answered badly";

export interface FaultDetails {
  readonly kind: FaultKind;
  /** The program as given to `--impl exec:`. */
  readonly program: string;
  /** What irqcheck was waiting for, e.g. `the step of command #3 (ioapic.write)`. */
  readonly waitingFor: string;
  /** What went wrong, one line. */
  readonly reason: string;
  /** The offending answer line, when there was one. */
  readonly line?: string;
  /** The last lines the program wrote to stderr. */
  readonly stderrTail: string;
}

const LINE_SHOWN = 200;

export class ImplementationFault extends Error {
  override readonly name = "ImplementationFault";
  readonly kind: FaultKind;
  readonly program: string;
  readonly line: string | undefined;
  readonly stderrTail: string;

  constructor(d: FaultDetails) {
    const shown =
      d.line === undefined
        ? ""
        : `; the line: ${d.line.length > LINE_SHOWN ? `${d.line.slice(0, LINE_SHOWN)}... (${d.line.length} chars)` : d.line}`;
    const tail = d.stderrTail.trim() === "" ? "" : `\nstderr (last lines):\n${d.stderrTail.trimEnd()}`;
    super(`implementation ${d.kind}: exec:${d.program}, waiting for ${d.waitingFor}: ${d.reason}${shown}${tail}`);
    this.kind = d.kind;
    this.program = d.program;
    this.line = d.line;
    this.stderrTail = d.stderrTail;
  }
}
