/**
 * `irqcheck replay FILE --html OUT`: the counterexample as one self-contained page.
 * A header says what was replayed (title, variant, property, topology, known ids, file,
 * provenance); a timeline has one row per step (command, pin state, the implementation's
 * routes and irqfds, deliveries per APIC ID, faults); the diverging row is highlighted and
 * a panel below sets every allowed outcome beside what happened. No scripts, no requests:
 * a Content-Security-Policy forbids them, and every value from the file is escaped.
 */
import { hex } from "../model/bits.ts";
import { initialState, visible } from "../model/machine.ts";
import type { Divergence } from "../properties/checker.ts";
import type { Counterexample } from "../properties/counterexample.ts";
import type { Replay, ReplayStep } from "../properties/replay.ts";
import { formatCommand } from "../properties/report.ts";
import { formatSignature } from "../properties/signature.ts";
import { deliveriesTo, eventCell, faults, implStateCell } from "./html/cells.ts";
import { divergencePanel } from "./html/divergence.ts";
import { type Child, empty, h, htmlDocument } from "./html/markup.ts";
import { type PinSnapshot, pinCell, touchedPins } from "./html/pins.ts";
import { STYLE } from "./html/style.ts";

export interface TimelineInput {
  readonly counterexample: Counterexample;
  readonly file: string;
  readonly variant: string;
  readonly property: string;
  readonly replay: Replay;
}

export function renderTimeline(input: TimelineInput): string {
  const d = input.replay.divergence;
  const apicIds = input.counterexample.topology.cpus.map((c) => c.apicId);
  return htmlDocument(head(input.counterexample.title), [
    header(input),
    timeline(input),
    d === null ? "" : divergencePanel(d, apicIds),
  ]);
}

function head(title: string): Child {
  return [
    empty("meta", { charset: "utf-8" }),
    empty("meta", { name: "viewport", content: "width=device-width, initial-scale=1" }),
    empty("meta", {
      "http-equiv": "Content-Security-Policy",
      content: "default-src 'none'; style-src 'unsafe-inline'",
    }),
    h("title", {}, title),
    h("style", {}, STYLE),
  ];
}

/** Provenance fields as `key value` pairs; the file may carry fields this version does not know. */
function provenance(c: Counterexample): string {
  return Object.entries(c.provenance)
    .map(([k, v]) => `${k} ${typeof v === "string" ? v : JSON.stringify(v)}`)
    .join(" · ");
}

function header(input: TimelineInput): Child {
  const c = input.counterexample;
  const t = c.topology;
  const savedAgainst = input.variant === c.variant ? "" : ` (saved against ${c.variant})`;
  const rows: [string, string][] = [
    ["file", input.file],
    ["variant", `${input.variant}${savedAgainst}`],
    ["property", input.property],
    [
      "topology",
      `${t.name}: APIC IDs ${t.cpus.map((x) => x.apicId).join(",")} (${t.apicMode}, IOAPIC version ${hex(t.ioapicVersion, 2)})`,
    ],
    ["known divergence", c.known.length > 0 ? c.known.join(", ") : "none (new)"],
    ["signature", formatSignature(c.signature)],
    ["provenance", provenance(c)],
  ];
  return h(
    "header",
    {},
    h("h1", {}, c.title),
    h(
      "dl",
      { class: "meta" },
      rows.map(([k, v]) => [h("dt", {}, k), h("dd", {}, v)]),
    ),
    verdict(input),
  );
}

/** The run's outcome, in the words of the text report. */
function verdict(input: TimelineInput): Child {
  const d = input.replay.divergence;
  const n = input.replay.steps.length;
  if (d === null)
    return h("p", { class: "verdict" }, `no divergence: ${input.variant} refines the reference on all ${n} steps`);
  return h(
    "p",
    { class: "verdict diverged" },
    h("a", { href: "#divergence" }, `diverges at step #${d.step}`),
    ` of ${n}`,
  );
}

/** What every row needs besides its own step. */
interface RowContext {
  readonly pins: readonly number[];
  readonly apicIds: readonly number[];
  readonly extDestId: boolean;
  /** Pin state at power-on: what the first step changes. */
  readonly initial: PinSnapshot;
  readonly divergence: Divergence | null;
}

function timeline(input: TimelineInput): Child {
  const { topology } = input.counterexample;
  const steps = input.replay.steps;
  const ctx: RowContext = {
    pins: touchedPins(steps.map((s) => s.command)),
    apicIds: topology.cpus.map((c) => c.apicId),
    extDestId: topology.extDestId,
    initial: { visible: visible(initialState(topology)), lines: 0 },
    divergence: input.replay.divergence,
  };
  const columns = [
    "step",
    "command",
    ...ctx.pins.map((p) => `pin ${p}`),
    "implementation state",
    ...ctx.apicIds.map((id) => `APIC ID ${id}`),
    "faults",
  ];
  return h(
    "div",
    { class: "timeline" },
    h(
      "table",
      {},
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          columns.map((c) => h("th", { scope: "col" }, c)),
        ),
      ),
      h(
        "tbody",
        {},
        steps.map((s, i) => row(s, steps[i - 1], ctx)),
      ),
    ),
  );
}

function row(s: ReplayStep, previous: ReplayStep | undefined, ctx: RowContext): Child {
  const diverges = ctx.divergence?.step === s.index;
  const allowed = diverges ? (ctx.divergence?.allowed.map((a) => a.observations) ?? null) : null;
  const obs = s.result.observations;
  const before = previous === undefined ? ctx.initial : { visible: previous.result.visible, lines: previous.lines };
  return h(
    "tr",
    { id: `step-${s.index}`, class: diverges ? "step diverge" : "step", "data-step": s.index },
    h(
      "td",
      { class: "index", "data-label": "step" },
      `#${s.index}`,
      diverges ? h("span", { class: "badge" }, "▶ diverges") : "",
    ),
    commandCell(s, diverges),
    ctx.pins.map((p) => pinCell(p, { visible: s.result.visible, lines: s.lines }, before, ctx.extDestId)),
    implStateCell(s.implState, previous?.implState ?? []),
    ctx.apicIds.map((id) =>
      eventCell(deliveriesTo(id), { "data-label": `APIC ID ${id}`, "data-apic-id": id }, obs, allowed),
    ),
    eventCell(faults, { "data-label": "faults" }, obs, allowed),
  );
}

/** The command, the values its reads returned, and its trace events (open on the diverging step). */
function commandCell(s: ReplayStep, open: boolean): Child {
  const reads = s.result.observations.flatMap((o) =>
    o.kind === "read" ? [h("span", { class: "read" }, `returned ${hex(o.value)}`)] : [],
  );
  const trace = s.result.trace;
  return h(
    "td",
    { class: "command", "data-label": "command" },
    h("code", {}, formatCommand(s.command)),
    reads,
    trace.length === 0
      ? ""
      : h("details", { open }, h("summary", {}, `trace (${trace.length})`), h("pre", {}, trace.join("\n"))),
  );
}
