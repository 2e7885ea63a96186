/**
 * The rate chart shows published figures as the tables do: a figure whose stated setup matches our
 * trials' is the red "published" series; one whose setup differs is drawn apart — a hollow grey
 * diamond labelled "not comparable", in its own legend entry, never joined to the comparable line.
 * Sizes and figures as in published-setup.test.ts: a minimal run on c5.2xlarge (8/16) meets the July
 * 2023 figure 4.034 with a different setup (gp3 baseline disk, no DKIM); a minimal run on a 2 vCPU /
 * 4 GiB machine meets the performance-testing page's 2.7, whose source states nothing our run differs in.
 */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { aggregate, type Report } from "../../scripts/report/build-report";
import { CHART_LAYERS, NOT_COMPARABLE_SERIES, rateChartSpec, renderCharts } from "../../scripts/report/chart";
import { ratioCell } from "../../scripts/report/report-table";
import { readManifest } from "../../scripts/results/results-dir";
import type { RunManifest } from "../../scripts/results/run-manifest";
import type { TrialProfile, TrialRecord } from "../../scripts/results/trial-record";
import { makeRecord } from "../results/make-record";

const FIXTURE = join(__dirname, "../fixtures/results/sweep-3-sizes");
const C5_2XL = { id: "c8-r16", label: "c5.2xlarge", vcpu: 8, ramGiB: 16, arch: "x86_64" as const, hourlyUsd: 0.34 };
const C2_R4 = { id: "c2-r4", label: "c5.large", vcpu: 2, ramGiB: 4, arch: "x86_64" as const, hourlyUsd: 0.085 };
const MINIMAL: TrialProfile = { name: "minimal", built: { os: "ubuntu-22.04", spoolVolume: null } };

function report(sizes: (typeof C5_2XL)[]): Report {
  const m: RunManifest = { ...readManifest(FIXTURE), sizes };
  const records: TrialRecord[] = sizes.flatMap((size) => [1, 2].map((trial) => {
    const r = makeRecord({ sizeId: size.id, trial, startedAt: `2026-03-01T09:${10 + trial * 5}:00Z`, elapsedSeconds: 90, vcpu: size.vcpu, ramGiB: size.ramGiB, label: size.label });
    return { ...r, context: { ...r.context, profile: MINIMAL } };
  }));
  return aggregate(m, records, []);
}

/** The SVG elements drawn by one chart layer (Vega renders each layer as a group `<name>_marks`). */
function marksOf(svg: string, layer: string): string[] {
  const m = new RegExp(`<g class="mark-[a-z]+ role-mark ${layer}_marks"[^>]*>([\\s\\S]*?)</g>`).exec(svg);
  return m?.[1]?.match(/role="graphics-symbol"/g) ?? [];
}

/** The values a named layer of the spec draws. */
function layerValues(spec: ReturnType<typeof rateChartSpec>, name: string): Array<Record<string, unknown>> {
  const layers = (spec as { layer: Array<{ name?: string; data?: { values?: Array<Record<string, unknown>> } }> }).layer;
  return layers.find((l) => l.name === name)?.data?.values ?? [];
}

describe("rate chart: published figures only where the setups match", () => {
  it("draws the comparable 2.7 as 'published' and the July 2023 4.034 apart, labelled not comparable — as the table says", async () => {
    const r = report([C2_R4, C5_2XL]);
    // The tables' verdicts, the chart's premise.
    expect(r.rows.map((x) => [x.sizeId, x.published?.mmh, ratioCell(x).startsWith("not comparable")])).toEqual([["c2-r4", 2.7, false], ["c8-r16", 4.034, true]]);
    const spec = rateChartSpec(r);
    expect(layerValues(spec, CHART_LAYERS.published).map((v) => v["mmh"])).toEqual([2.7]);
    expect(layerValues(spec, CHART_LAYERS.publishedNotComparable).map((v) => [v["vcpu"], v["mmh"], v["label"]])).toEqual([[8, 4.034, "4.034 not comparable"]]);
    const svg = (await renderCharts(r)).rate;
    expect(marksOf(svg, CHART_LAYERS.published)).toHaveLength(1);
    expect(marksOf(svg, CHART_LAYERS.publishedNotComparable)).toHaveLength(1);
    expect(svg).toContain(">4.034 not comparable</text>");
    expect(svg).toContain(">2.7</text>");
    expect(svg).toContain(`>${NOT_COMPARABLE_SERIES}</text>`);
    expect(svg).toContain(">published</text>");
    expect(svg).toContain("grey diamonds: published, not comparable (setup differs)");
  });

  it("with no comparable figure the legend has no red 'published' entry and no published line", async () => {
    const r = report([C5_2XL]);
    const svg = (await renderCharts(r)).rate;
    expect(marksOf(svg, CHART_LAYERS.published)).toHaveLength(0);
    expect(svg).not.toContain(">published</text>");
    expect(svg).not.toContain("red: published");
    expect(svg).toContain(">4.034 not comparable</text>");
  });

  it("with only comparable figures nothing says 'not comparable'", async () => {
    const svg = (await renderCharts(report([C2_R4]))).rate;
    expect(svg).not.toContain("not comparable");
    expect(svg).toContain(">published</text>");
    expect(marksOf(svg, CHART_LAYERS.published)).toHaveLength(1);
  });
});
