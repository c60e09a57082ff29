/** JUnit XML for CI: one test suite per variant, one test case per divergence signature. */
import type { CampaignReport } from "./finding.ts";

function esc(s: string): string {
  return s.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

export function junitXml(reports: readonly CampaignReport[]): string {
  const suites = reports.map((r) => {
    const cases =
      r.divergences.length === 0
        ? [
            `    <testcase classname="irqcheck.${esc(r.variant)}" name="no divergence in ${r.runs} runs" time="${r.seconds.toFixed(3)}"/>`,
          ]
        : r.divergences.map(
            (d) =>
              `    <testcase classname="irqcheck.${esc(r.variant)}" name="${esc(d.signature)}" time="0">\n      <failure message="${esc(d.title)}">${esc(`known: ${d.known.join(",") || "none"}\nirqcheck replay ${d.file}`)}</failure>\n    </testcase>`,
          );
    return `  <testsuite name="irqcheck fuzz ${esc(r.variant)}" tests="${cases.length}" failures="${r.divergences.length}" time="${r.seconds.toFixed(3)}">\n${cases.join("\n")}\n  </testsuite>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuites>\n${suites.join("\n")}\n</testsuites>\n`;
}
