/**
 * The per-step cells after the pin state: the implementation's routes and irqfds, the
 * deliveries to each CPU and the faults. On the diverging step a cell that differs from
 * what the reference allowed shows both, "expected" over "actual".
 */
import { hex } from "../../model/bits.ts";
import { formatObservation, type Observation } from "../../model/observations.ts";
import { type Child, h } from "./markup.ts";

/** Picks the events a column shows out of a step's observations, as sortable text. */
export type Column = (obs: readonly Observation[]) => string[];

/** Deliveries accepted by the LAPIC with this APIC ID: vector, trigger, mode if not fixed. */
export function deliveriesTo(apicId: number): Column {
  return (obs) =>
    obs.flatMap((o) =>
      o.kind === "deliver" && o.apicId === apicId
        ? [`${hex(o.vector, 2)} ${o.trigger}${o.mode === "fixed" ? "" : ` ${o.mode}`}`]
        : [],
    );
}

/** VT-d faults recorded during the step. */
export const faults: Column = (obs) => obs.flatMap((o) => (o.kind === "fault" ? [formatObservation(o)] : []));

/** A column's events as one line; order within a step is not guest-visible, so sorted. */
function summary(column: Column, obs: readonly Observation[]): string {
  return column(obs).sort().join(", ");
}

/**
 * One event cell. `allowed` is null on an ordinary step; on the diverging step it holds
 * every outcome the reference allowed, and the cell shows them when the actual differs.
 */
export function eventCell(
  column: Column,
  attrs: Readonly<Record<string, string | number>>,
  actual: readonly Observation[],
  allowed: readonly (readonly Observation[])[] | null,
): Child {
  const did = summary(column, actual);
  const expected = [...new Set((allowed ?? []).map((o) => summary(column, o)))];
  if (allowed === null || expected.every((e) => e === did)) return h("td", { ...attrs, class: "events" }, did);
  const text = (s: string) => (s === "" ? "nothing" : s);
  return h(
    "td",
    { ...attrs, class: "events differs" },
    h("span", { class: "expected" }, `expected ${expected.map(text).join(" or ")}`),
    h("span", { class: "actual" }, `actual ${text(did)}`),
  );
}

/** The implementation's `describe()` lines, new ones marked, vanished ones struck out. */
export function implStateCell(after: readonly string[], before: readonly string[]): Child {
  const added = after.map((line) => (before.includes(line) ? line : h("ins", { title: "changed by this step" }, line)));
  const removed = before.filter((line) => !after.includes(line)).map((line) => h("del", {}, line));
  const items = [...added, ...removed];
  return h(
    "td",
    { class: "impl", "data-label": "implementation state" },
    items.length === 0
      ? ""
      : h(
          "ul",
          {},
          items.map((i) => h("li", {}, i)),
        ),
  );
}
