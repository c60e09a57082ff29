/**
 * The divergence panel under the timeline: every outcome the reference allowed next to
 * what the implementation did, then the guest-visible differences, in the words of
 * `irqcheck replay`'s text report (properties/report.ts).
 */

import { formatObservation, type Observation } from "../../model/observations.ts";
import type { Divergence } from "../../properties/checker.ts";
import { formatCommand, visibleDiff } from "../../properties/report.ts";
import { closestAllowed, differenceKind } from "../../properties/signature.ts";
import { type Child, h } from "./markup.ts";

function observationList(obs: readonly Observation[]): Child {
  if (obs.length === 0) return h("p", { class: "nothing" }, "nothing");
  return h(
    "ul",
    {},
    obs.map((o) => h("li", {}, h("code", {}, formatObservation(o)))),
  );
}

/** The reference's side: one block per allowed outcome, numbered when there are several. */
function expectedSide(d: Divergence): Child {
  const many = d.allowed.length > 1;
  return h(
    "div",
    { class: "side expected" },
    h("h3", {}, many ? `Reference allowed (${d.allowed.length} outcomes)` : "Reference expected"),
    d.allowed.map((a, i) => [many ? h("h4", {}, `outcome ${i + 1}`) : "", observationList(a.observations)]),
  );
}

function actualSide(d: Divergence): Child {
  return h("div", { class: "side actual" }, h("h3", {}, "Implementation did"), observationList(d.actual.observations));
}

/** What a guest could read back differently, against each allowed outcome in turn. */
function visibleDifferences(d: Divergence, apicIds: readonly number[]): Child {
  return d.allowed.map((a, i) => {
    const lines = visibleDiff(a.visible, d.actual.visible, apicIds);
    if (lines.length === 0) return "";
    const against = d.allowed.length > 1 ? ` (outcome ${i + 1} vs actual)` : "";
    return [
      h("h3", {}, `Guest-visible differences${against}`),
      h(
        "ul",
        { class: "diff" },
        lines.map((l) => h("li", {}, h("code", {}, l))),
      ),
    ];
  });
}

export function divergencePanel(d: Divergence, apicIds: readonly number[]): Child {
  const first = closestAllowed(d);
  const kind = first === undefined ? "" : `: ${differenceKind(first, d.actual)}`;
  return h(
    "section",
    { id: "divergence", class: "divergence" },
    h("h2", {}, h("a", { href: `#step-${d.step}` }, `Diverges at step #${d.step}`), ` (${d.property})${kind}`),
    h("p", {}, h("code", {}, formatCommand(d.command))),
    h("div", { class: "sides" }, expectedSide(d), actualSide(d)),
    visibleDifferences(d, apicIds),
  );
}
