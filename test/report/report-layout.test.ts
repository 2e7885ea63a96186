/// <reference lib="dom" />
/// <reference lib="dom.iterable" />
/**
 * report.html in the system Chromium (puppeteer-core) at 1280 and 390 px wide: no horizontal
 * overflow, the chart present with readable text (its plot at least half the page at 1280 px), the
 * headline present, excluded trials greyed. Screenshots go to results/report-screenshots/ (ignored by
 * git) for a person to look at, next to each run's copy under the results folder.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "puppeteer-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildReport } from "../../scripts/report/build-report";
import { REPORT_FILES, writeReport } from "../../scripts/report/write-report";
import { launch, openLocal } from "./browser";

const ROOT = join(__dirname, "../..");
const FIXTURE = join(__dirname, "../fixtures/results/sweep-3-sizes");
const SHOTS = join(ROOT, "results", "report-screenshots");
let tmp: string;
let full: string;
let partial: string;
let browser: Browser;

interface Layout {
  scrollWidth: number;
  clientWidth: number;
  plotWidth: number;
  minLabelHeight: number;
  headline: string[];
  excludedColor: string;
  validColor: string;
  excludedRows: number;
  summaryTrials: string[];
}

async function measure(file: string, width: number, shot: string): Promise<Layout> {
  const page = await openLocal(browser, file, width);
  try {
    await page.screenshot({ path: shot as `${string}.png`, fullPage: true });
    return await page.evaluate(() => {
      const visible = (e: Element): boolean => e.getBoundingClientRect().width > 0;
      const svg = [...document.querySelectorAll(".chart.rate svg")].find(visible);
      const domains = svg ? [...svg.querySelectorAll(".role-axis-domain")].map((d) => d.getBoundingClientRect().width) : [];
      const labels = svg ? [...svg.querySelectorAll(".role-axis-label text, .role-axis-title text")].map((t) => t.getBoundingClientRect().height) : [];
      const colorOf = (sel: string): string => {
        const td = document.querySelector(sel);
        return td ? getComputedStyle(td).color : "";
      };
      return {
        scrollWidth: document.documentElement.scrollWidth,
        clientWidth: document.documentElement.clientWidth,
        plotWidth: Math.max(0, ...domains),
        minLabelHeight: labels.length === 0 ? 0 : Math.min(...labels),
        headline: [...document.querySelectorAll("#headline li")].map((li) => li.textContent ?? ""),
        excludedColor: colorOf("tr.trial.excluded td"),
        validColor: colorOf("tr.trial.valid td"),
        excludedRows: document.querySelectorAll("tr.trial.excluded").length,
        summaryTrials: [...document.querySelectorAll("table.summary td[data-label='trials']")].map((td) => td.textContent ?? ""),
      };
    });
  } finally {
    await page.close();
  }
}

const rgb = (css: string): number[] => (css.match(/\d+/g) ?? []).slice(0, 3).map(Number);

beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "kumolab-layout-"));
  full = join(tmp, "full");
  cpSync(FIXTURE, full, { recursive: true });
  await writeReport(full, buildReport(full));
  // A partly run sweep: 2 vCPU complete, 4 vCPU only its two excluded trials, 8 vCPU never reached.
  partial = join(tmp, "partial");
  cpSync(FIXTURE, partial, { recursive: true });
  const lines = readFileSync(join(partial, "trials.jsonl"), "utf8").trim().split("\n");
  const keep = lines.filter((l) => {
    const r = JSON.parse(l) as { sizeId: string; trial: number };
    return r.sizeId === "c2-r4" || (r.sizeId === "c4-r16" && (r.trial === 2 || r.trial === 4));
  });
  writeFileSync(join(partial, "trials.jsonl"), `${keep.join("\n")}\n`);
  writeFileSync(join(partial, "timeline.jsonl"), "");
  await writeReport(partial, buildReport(partial));
  mkdirSync(SHOTS, { recursive: true });
  browser = await launch();
}, 120_000);

afterAll(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

describe("report.html in headless Chromium", () => {
  it.each([1280, 390])("at %d px: no horizontal overflow, readable chart, headline, excluded trials greyed", async (width) => {
    const shot = join(full, `report-${width}.png`);
    const m = await measure(join(full, REPORT_FILES.html), width, shot);
    cpSync(shot, join(SHOTS, `sweep-3-sizes-${width}.png`));
    expect(m.scrollWidth).toBeLessThanOrEqual(m.clientWidth);
    // The plot (x-axis line) is at least half the page at 1280 px; on a phone, the narrow chart fills most of it.
    expect(m.plotWidth).toBeGreaterThanOrEqual(width === 1280 ? 640 : 0.6 * width);
    // Axis labels and titles at least 11 px tall on screen (12–14 px fonts, not scaled down).
    expect(m.minLabelHeight).toBeGreaterThanOrEqual(11);
    expect(m.headline[0]).toBe("Peak: 4.90 MMH (1,361 msg/s) on m5.2xlarge (8 vCPU / 32 GiB), the mean of 3 valid trials (95 % CI 4.65–5.15).");
    // 360 ÷ 150, 144, 160 s → 2.4, 2.5, 2.25 MMH; 4 vCPU 4 and 4.235294: +72.8 % (2.383333 → 4.117647); the price 0.085 → 0.192 $/h: +125.9 %.
    expect(m.headline).toContain("Adding vCPUs stops paying after 2 vCPU: from 2 to 4 vCPU the rate rises 73 % but the price 126 %, so each million messages costs more.");
    expect(m.excludedRows).toBe(4);
    const [r, g, b] = rgb(m.excludedColor);
    expect(r).toBe(g);
    expect(g).toBe(b);
    expect(r).toBeGreaterThan(100);
    expect(m.excludedColor).not.toBe(m.validColor);
  });

  it.each([1280, 390])("a partly run sweep reads correctly at %d px", async (width) => {
    const shot = join(partial, `report-${width}.png`);
    const m = await measure(join(partial, REPORT_FILES.html), width, shot);
    cpSync(shot, join(SHOTS, `partial-${width}.png`));
    expect(m.scrollWidth).toBeLessThanOrEqual(m.clientWidth);
    expect(m.summaryTrials).toEqual(["3 valid of 4", "no valid trial — see why", "not run (0 of 4 planned)"]);
    expect(m.headline).toContain("No figure for m5.xlarge (no valid trial — see why), m5.2xlarge (not run (0 of 4 planned)).");
    expect(m.headline[0]).toMatch(/^Rate: 2\.38 MMH/);
  });
});
