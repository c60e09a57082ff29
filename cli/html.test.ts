/**
 * The `replay --html` timeline page: its text everywhere (every step, the highlighted
 * diverging row, escaping, nothing to fetch), and the page itself in headless Chromium
 * (content, no network requests, a screenshot) where Debian's chromium is installed.
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { chromium, type Page } from "playwright-core";
import { describe, expect, it } from "vitest";
import { findVariant } from "../impl/variants/index.ts";
import type { Counterexample } from "../properties/counterexample.ts";
import { replayRun } from "../properties/replay.ts";
import { escapeHtml } from "./html/markup.ts";
import { renderTimeline } from "./html.ts";
import { replay } from "./replay.ts";
import { readCounterexample } from "./store.ts";

const SEED_FILE = "counterexamples/qemu-7.2/seed--linux-level-irq-move-pin5.json";
const CHROMIUM = "/usr/bin/chromium";

/** The seed counterexample (possibly altered) replayed against `variant` and rendered. */
function render(variant: string, alter: (c: Counterexample) => Counterexample = (c) => c, file = SEED_FILE): string {
  const c = alter(readCounterexample(SEED_FILE));
  const v = findVariant(variant);
  if (v === undefined) throw new Error(`no variant ${variant}`);
  const run = replayRun(c.topology, v.create(), c.commands, c.property);
  return renderTimeline({ counterexample: c, file, variant, property: c.property, replay: run });
}

/** The markup of the table row for step `index`. */
function rowOf(html: string, index: number): string {
  const m = new RegExp(`<tr id="step-${index}"[^>]*>.*?</tr>`, "s").exec(html);
  if (m === null) throw new Error(`no row for step ${index}`);
  return m[0];
}

/** The text of a row's cell for the CPU with this APIC ID, tags stripped. */
function cpuCellText(row: string, apicId: number): string {
  const m = new RegExp(`<td[^>]*data-apic-id="${apicId}"[^>]*>(.*?)</td>`, "s").exec(row);
  return (m?.[1] ?? "").replace(/<[^>]*>/g, " ");
}

describe("timeline page (text)", () => {
  it("has one row per step, and only the diverging step #11 is highlighted with expected vs actual", () => {
    const html = render("qemu-7.2");
    const rows = [...html.matchAll(/<tr id="step-(\d+)" class="([^"]*)"/g)];
    expect(rows.map((r) => Number(r[1]))).toEqual([...Array(12).keys()]);
    expect(rows.filter((r) => r[2]?.includes("diverge")).map((r) => r[1])).toEqual(["11"]);
    const diverging = rowOf(html, 11);
    expect(cpuCellText(diverging, 3)).toMatch(/expected 0x31 level.*actual nothing/s);
    expect(cpuCellText(diverging, 1)).toMatch(/expected nothing.*actual 0x31 level/s);
    expect(html).toContain("deliver apic_id=3 vector=0x31 level fixed");
    expect(html).toContain("APIC ID 3 IRR: expected {0x31}, actual {}");
    expect(rowOf(html, 2)).toContain("route gsi 5: addr 00000000fee01000 data 8031");
  });

  it("decodes the RTE of every touched pin with the line level", () => {
    const step3 = rowOf(render("qemu-7.2"), 3);
    expect(step3).toContain('data-pin="5"');
    expect(step3).toContain("0x010000000000c031");
    expect(step3).toContain("vec 0x31 · dest 0x1 phys · level · unmasked · remote IRR 1");
    expect(step3).toContain("line 1");
  });

  it("escapes every value taken from the file and refers to nothing outside the page", () => {
    const evil = `<script>alert("x")</script> & 'q'`;
    const html = render(
      "qemu-7.2",
      (c) => ({
        ...c,
        title: evil,
        known: ["<D1>"],
        provenance: { ...c.provenance, profile: '"><img src=x onerror=alert(1)>' },
      }),
      "a<b>.json",
    );
    expect(html).not.toMatch(/<script|<img|<D1>|<b>/);
    expect(html).toContain(escapeHtml(evil));
    expect(html).toContain("&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt; &amp; &#39;q&#39;");
    expect(html).toContain("a&lt;b&gt;.json");
    expect(html).not.toMatch(/<[a-z][^>]*\s(src=|href="(?!#))|url\(|@import/);
    expect(html).toContain(`content="${escapeHtml("default-src 'none'; style-src 'unsafe-inline'")}"`);
  });

  it("says so and highlights nothing when the variant refines the reference (qemu-8.2)", () => {
    const html = render("qemu-8.2");
    expect(html).toContain("no divergence: qemu-8.2 refines the reference on all 12 steps");
    expect(html).toContain("(saved against qemu-7.2)");
    expect(html).not.toMatch(/class="step diverge"|id="divergence"/);
  });
});

/** A JavaScript expression evaluated in the page, as text (tsconfig has no DOM types). */
async function inPage(page: Page, expression: string): Promise<string> {
  return String(await page.evaluate(expression));
}

// Without Chromium the test is skipped, and one line says what is missing.
const noChromium = !existsSync(CHROMIUM);
if (noChromium) console.warn(`timeline page: Chromium test skipped: no ${CHROMIUM} (apt-get install chromium)`);

describe("timeline page (Chromium)", () => {
  it.skipIf(noChromium)(
    "renders the seed counterexample in headless Chromium: 12 steps, step #11 highlighted, no requests, screenshot",
    async () => {
      // The screenshots stay for a human to look at; the page itself is removed.
      const scratch = mkdtempSync(join(tmpdir(), "irqcheck-html-"));
      const out = join(scratch, "timeline.html");
      const code = await replay([SEED_FILE, "--html", out], { out: () => {}, err: () => {} });
      expect(code).toBe(1);

      const browser = await chromium.launch({
        executablePath: CHROMIUM,
        args: [
          "--headless",
          "--no-sandbox",
          "--disable-gpu",
          "--disable-quic",
          "--no-first-run",
          "--disable-background-networking",
          "--disable-component-update",
          "--disable-sync",
        ],
      });
      try {
        const page = await browser.newPage({ viewport: { width: 1400, height: 900 } });
        const requests: string[] = [];
        page.on("request", (r) => requests.push(r.url()));
        const url = pathToFileURL(out).href;
        await page.goto(url);

        expect(await page.locator("tbody tr.step").count()).toBe(12);
        const diverging = page.locator("tr.diverge");
        expect(await diverging.count()).toBe(1);
        expect(await diverging.getAttribute("data-step")).toBe("11");
        const background = (selector: string) =>
          inPage(page, `getComputedStyle(document.querySelector("${selector}")).backgroundColor`);
        expect(await background("tr.diverge")).not.toBe(await background("tr.step"));
        expect(await diverging.locator('td[data-apic-id="3"] .expected').textContent()).toBe("expected 0x31 level");
        expect(await diverging.locator('td[data-apic-id="3"] .actual').textContent()).toBe("actual nothing");
        expect(await diverging.locator('td[data-apic-id="1"] .actual').textContent()).toBe("actual 0x31 level");
        expect(await page.locator(".side.expected").textContent()).toContain("deliver apic_id=3 vector=0x31");
        expect(await page.locator(".side.actual").textContent()).toContain("deliver apic_id=1 vector=0x31");
        await page.screenshot({ path: join(scratch, "timeline.png"), fullPage: true });

        // A narrow window gets one card per step and no sideways scrolling.
        await page.setViewportSize({ width: 420, height: 900 });
        expect(Number(await inPage(page, "document.documentElement.scrollWidth"))).toBeLessThanOrEqual(420);
        await page.screenshot({ path: join(scratch, "timeline-narrow.png"), fullPage: true });

        expect(requests).toEqual([url]);
        console.info(`timeline screenshots: ${join(scratch, "timeline.png")}, ${join(scratch, "timeline-narrow.png")}`);
      } finally {
        await browser.close();
        rmSync(out, { force: true });
      }
    },
  );
});
