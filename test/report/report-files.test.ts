import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { buildReport } from "../../scripts/report/build-report";
import { writeReport, REPORT_FILES } from "../../scripts/report/write-report";
import { CHART_LAYERS } from "../../scripts/report/chart";
import { dumpDom, screenshot } from "./chromium";

const FIXTURE = join(__dirname, "../fixtures/results/sweep-3-sizes");
let dir: string;
let svg: string;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "kumolab-report-files-"));
  cpSync(FIXTURE, dir, { recursive: true });
  await writeReport(dir, buildReport(dir));
  svg = readFileSync(join(dir, REPORT_FILES.svg), "utf8");
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The SVG elements drawn by one chart layer (Vega renders each layer as a group `<name>_marks`). */
function marksOf(layer: string): string[] {
  const m = new RegExp(`<g class="mark-[a-z]+ role-mark ${layer}_marks"[^>]*>([\\s\\S]*?)</g>`).exec(svg);
  return m?.[1]?.match(/role="graphics-symbol"/g) ?? [];
}

describe("report files", () => {
  it("writes the six files, and report.json holds the same rows", () => {
    for (const f of Object.values(REPORT_FILES)) expect(existsSync(join(dir, f)), f).toBe(true);
    const json = JSON.parse(readFileSync(join(dir, REPORT_FILES.json), "utf8")) as { rows: { sizeId: string; mmh: number | null }[] };
    expect(json.rows.map((r) => r.sizeId)).toEqual(["c2-r4", "c4-r16", "c8-r32"]);
    expect(json.rows[0]?.mmh).toBeCloseTo((360 / 150 + 360 / 144 + 360 / 160) / 3, 12);
    expect(readFileSync(join(dir, REPORT_FILES.markdown), "utf8")).toMatch(/^\| CPU \| RAM \| RATE \|/m);
  });

  it("chart.svg has a dot per trial with a rate (8 valid, 3 excluded), one error bar and one mean label per size, and the published series", () => {
    // 12 trials; the failed c4-r16 trial 4 has no traffic-gen summary, so no rate and no dot.
    expect(marksOf(CHART_LAYERS.trials)).toHaveLength(8);
    expect(marksOf(`${CHART_LAYERS.trials}excluded`)).toHaveLength(3);
    expect(marksOf(CHART_LAYERS.errorBars)).toHaveLength(3);
    expect(marksOf(CHART_LAYERS.meanLabels)).toHaveLength(3);
    // the mean labels, hand-worked: (2.4 + 2.5 + 2.25) / 3, (4 + 4.235294) / 2, (4.8 + 5 + 4.897959) / 3
    for (const v of ["2.38", "4.12", "4.90"]) expect(svg).toContain(`>${v}</text>`);
    expect(svg).toContain(">valid trial</text>");
    expect(svg).toContain(">published</text>");
  });

  it("chart.svg is well-formed XML (Chromium's XML parser; a broken copy is caught)", () => {
    const dom = dumpDom(join(dir, REPORT_FILES.svg));
    expect(dom).toContain("<svg");
    expect(dom).not.toMatch(/parsererror/i);
    const broken = join(dir, "broken.svg");
    writeFileSync(broken, svg.replace("</g>", ""));
    expect(dumpDom(broken)).toMatch(/parsererror/i);
  });

  it("report.html is self-contained: no scripts, no external resources", () => {
    const html = readFileSync(join(dir, REPORT_FILES.html), "utf8");
    expect(html).not.toMatch(/<script/i);
    // Links to the published pages are plain anchors; nothing is loaded from anywhere.
    expect(html).not.toMatch(/src\s*=\s*"(https?:)?\/\//i);
    expect(html).not.toMatch(/<link\b/i);
    expect(html).toContain("<svg");
    expect(html).toContain('<a href="https://docs.kumomta.com/userguide/performance/testing">');
    expect(html).toContain("<dt>rate (MMH)</dt>");
  });

  it("report.html renders in headless Chromium to a screenshot clearly richer than an empty page", () => {
    const png = join(dir, "report.png");
    const blankHtml = join(dir, "blank.html");
    const blankPng = join(dir, "blank.png");
    writeFileSync(blankHtml, "<!doctype html><html><body></body></html>");
    screenshot(`file://${join(dir, REPORT_FILES.html)}`, png);
    screenshot(`file://${blankHtml}`, blankPng);
    const size = statSync(png).size;
    const blank = statSync(blankPng).size;
    expect(readFileSync(png).subarray(1, 4).toString("latin1")).toBe("PNG");
    expect(size).toBeGreaterThan(20_000);
    expect(size).toBeGreaterThan(blank * 5);
  });
});
