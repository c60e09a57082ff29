/**
 * The page's only stylesheet, inline. System fonts, no images. Wide screens get a
 * table that scrolls sideways; narrow ones a card per step with each cell labelled;
 * print gets landscape pages, whole rows and the highlight in colour.
 */
import { Html } from "./markup.ts";

const CSS = `
:root { --diverge: #b3261e; --diverge-bg: #fdecea; --expected: #1b6e20; --changed-bg: #fff4cc; --rule: #d0d0d0; }
body { font: 14px/1.4 system-ui, sans-serif; color: #1a1a1a; margin: 1rem; }
code, pre { font-family: ui-monospace, "DejaVu Sans Mono", monospace; font-size: 0.92em; }
h1 { font-size: 1.25rem; margin: 0 0 0.5rem; overflow-wrap: anywhere; }
h2 { font-size: 1.1rem; } h3 { font-size: 1rem; margin: 0.75rem 0 0.25rem; } h4 { margin: 0.5rem 0 0; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 0.1rem 1rem; margin: 0 0 1rem; }
dl.meta dt { font-weight: 600; } dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.verdict { font-weight: 600; } .verdict.diverged { color: var(--diverge); }
.timeline { overflow-x: auto; }
table { border-collapse: collapse; width: 100%; }
th, td { border-bottom: 1px solid var(--rule); padding: 0.3rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; position: sticky; top: 0; white-space: nowrap; }
td.pin code, td.pin span { display: block; } .fields, .line { font-size: 0.85em; }
.line.asserted { font-weight: 600; }
td.changed { background: var(--changed-bg); }
td.impl ul { list-style: none; margin: 0; padding: 0; } td.impl li { font-family: ui-monospace, monospace; font-size: 0.85em; }
ins { text-decoration: none; background: var(--changed-bg); } del { color: #777; }
details pre { margin: 0.25rem 0 0; font-size: 0.8em; white-space: pre-wrap; }
.read { display: block; font-size: 0.85em; }
tr.diverge { background: var(--diverge-bg); outline: 2px solid var(--diverge); }
.badge { display: block; color: var(--diverge); font-weight: 700; white-space: nowrap; }
td.differs span { display: block; font-weight: 600; white-space: nowrap; }
.expected { color: var(--expected); } .actual { color: var(--diverge); }
.divergence { border: 2px solid var(--diverge); padding: 0 1rem 1rem; margin-top: 1rem; }
.sides { display: grid; grid-template-columns: repeat(auto-fit, minmax(16rem, 1fr)); gap: 1rem; }
.side { padding: 0 0.75rem; border-left: 4px solid; } .side.expected { border-color: var(--expected); }
.side.actual { border-color: var(--diverge); } .side ul, ul.diff { padding-left: 1.2rem; color: #1a1a1a; }
@media (max-width: 760px) {
  table, tbody, tr, td { display: block; } thead { display: none; }
  tr { border: 1px solid var(--rule); margin: 0 0 0.75rem; }
  td { border: 0; position: relative; padding-left: 7.5rem; min-height: 1.2em; } td:empty { display: none; }
  td::before { content: attr(data-label); position: absolute; left: 0.5rem; width: 6.5rem; font-weight: 600; font-size: 0.85em; color: #555; }
  dl.meta { grid-template-columns: 1fr; } dl.meta dd { margin-bottom: 0.3rem; }
}
@media print {
  @page { size: landscape; margin: 1cm; }
  body { margin: 0; font-size: 10px; } * { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
  .timeline { overflow: visible; } th { position: static; } tr, .divergence { break-inside: avoid; }
}
`;

/** Trusted: written here, not derived from any input. */
export const STYLE = new Html(CSS);
