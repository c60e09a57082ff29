/**
 * Which case of VT-d's source-ID check (§9.10, IRTE.SVT and SQ) a request from one
 * requester meets through one IRTE: the cases a correct check and a plausible wrong one
 * tell apart. With SVT = 10b, SID[15:8] is the start bus and SID[7:0] the end bus; a
 * range wider than one bus that holds the requester, or an empty one (start above end),
 * is where reading the two bytes the other way round changes the answer (D11).
 * Generator coverage (coverage.ts) names them.
 */
import { getField } from "../model/bits.ts";
import { Irte, type IrteWords, Svt, sqIgnoredBits } from "../model/interrupt-remapping.ts";

export const SOURCE_ID_CASES = [
  "not checked",
  "requester ID equal",
  "requester ID equal under SQ",
  "requester ID differs",
  "bus is the range's only bus",
  "bus inside the range",
  "bus at the range's start",
  "bus at the range's end",
  "bus below the range",
  "bus above the range",
  "empty bus range",
  "reserved SVT",
] as const;

export type SourceIdCase = (typeof SOURCE_ID_CASES)[number];

export function sourceIdCase(irte: IrteWords, requesterId: number): SourceIdCase {
  const sid = getField(irte, Irte.sid);
  switch (getField(irte, Irte.svt)) {
    case Svt.NONE:
      return "not checked";
    case Svt.REQUESTER_ID: {
      const diff = (sid ^ requesterId) & 0xffff;
      if (diff === 0) return "requester ID equal";
      return (diff & ~sqIgnoredBits(irte)) === 0 ? "requester ID equal under SQ" : "requester ID differs";
    }
    case Svt.BUS_RANGE: {
      const bus = requesterId >>> 8;
      const start = sid >>> 8;
      const end = sid & 0xff;
      if (start > end) return "empty bus range";
      if (bus < start) return "bus below the range";
      if (bus > end) return "bus above the range";
      if (start === end) return "bus is the range's only bus";
      if (bus === start) return "bus at the range's start";
      return bus === end ? "bus at the range's end" : "bus inside the range";
    }
    default:
      return "reserved SVT";
  }
}
