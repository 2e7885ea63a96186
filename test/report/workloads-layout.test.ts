/// <reference lib="dom" />
/**
 * report.html of a run of three workloads (test/fixtures/results/workloads-2x3) in the system
 * Chromium at 1280 and 390 px: no horizontal overflow with the longer per-(size, workload) rows and
 * the Workloads table, which shows one row per (size, workload other than the baseline).
 */
import { cpSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Browser } from "puppeteer-core";
import { afterAll, beforeAll, expect, it } from "vitest";
import { buildReport } from "../../scripts/report/build-report";
import { REPORT_FILES, writeReport } from "../../scripts/report/write-report";
import { launch, openLocal } from "./browser";

let tmp: string;
let browser: Browser;
beforeAll(async () => {
  tmp = mkdtempSync(join(tmpdir(), "kumolab-workloads-layout-"));
  cpSync(join(__dirname, "../fixtures/results/workloads-2x3"), tmp, { recursive: true });
  await writeReport(tmp, buildReport(tmp));
  browser = await launch();
}, 60_000);
afterAll(async () => {
  await browser?.close();
  rmSync(tmp, { recursive: true, force: true });
});

it.each([1280, 390])("at %i px: no horizontal overflow; the Workloads table has its 4 rows", async (width) => {
  const page = await openLocal(browser, join(tmp, REPORT_FILES.html), width);
  try {
    const m = await page.evaluate(() => ({
      scrollWidth: document.documentElement.scrollWidth,
      clientWidth: document.documentElement.clientWidth,
      rows: [...document.querySelectorAll("table.workloads tr.workload")].map((tr) => [...tr.querySelectorAll("td")].slice(0, 2).map((td) => td.textContent ?? "").join(" / ")),
    }));
    expect(m.scrollWidth).toBeLessThanOrEqual(m.clientWidth);
    expect(m.rows).toEqual(["c5.large · 2 vCPU / dkim", "c5.large · 2 vCPU / smart", "m5.xlarge · 4 vCPU / dkim", "m5.xlarge · 4 vCPU / smart"]);
  } finally {
    await page.close();
  }
}, 60_000);
