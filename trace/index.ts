/** Trace import: QEMU `log`-backend traces -> irqcheck commands. */
export type { ImportOptions } from "./import.ts";
export { importQemuTrace } from "./import.ts";
export type { Result, TraceIssue, TraceIssueCode } from "./issues.ts";
export type { EventName, TraceEvent } from "./qemu-events.ts";
export {
  EVENT_FORMATS,
  isEventName,
  parseApicDeliverIrq,
  parseIoapicClearRemoteIrr,
  parseIoapicEoiBroadcast,
  parseIoapicEoiDelayedReassert,
  parseIoapicMemRead,
  parseIoapicMemWrite,
  parseIoapicSetIrq,
  parseIoapicSetRemoteIrr,
} from "./qemu-events.ts";
export type { LinePosition, LineToken, SkipCode, TraceLine } from "./qemu-log.ts";
export { excerpt, splitLines, stripPrefix, tokenizeLine } from "./qemu-log.ts";
export type { InitialRte } from "./rte-options.ts";
export { parseRteOption, parseRteOptions, rtePreamble } from "./rte-options.ts";
export type {
  Expectation,
  ExpectationBody,
  ExpectationKind,
  ImportedTrace,
  ReadCheck,
  SkippedLine,
  TracedCommand,
  TraceWarning,
  TraceWarningCode,
  VersionEvidence,
} from "./types.ts";
