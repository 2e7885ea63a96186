/**
 * The report's charts, declared in Vega-Lite 5, compiled to Vega 5 and rendered headlessly
 * (renderer 'none') by View.toSVG():
 * - chart.svg: acceptance rate against vCPU — each trial a dot (excluded ones hollow and grey), the
 *   mean per size with its 95 % interval, labelled, and the published figure per size as a second series
 *   — only where its stated setup matches our trials' (as the tables' ratio); a figure whose setup
 *   differs is a hollow grey diamond labelled "not comparable", never joined to the comparable ones;
 * - cost-chart.svg: USD per million messages per size, labelled.
 * Each is drawn at a width for the page (PAGE_CHART_WIDTH) and one for a phone (NARROW_CHART_WIDTH),
 * so the text stays readable at both without scaling.
 */
import { compile, type TopLevelSpec } from "vega-lite";
import { parse, View } from "vega";
import type { Report } from "./build-report";

export const ERROR_BARS = "95% confidence interval of the mean (Student t), drawn where a size has at least 2 valid trials";

/** Names of the Vega-Lite layers; Vega renders them as SVG groups with class `<name>_marks`. */
export const CHART_LAYERS = { trials: "trials", errorBars: "errorbars", means: "means", meanLabels: "meanlabels", published: "published", publishedNotComparable: "publishednc", missing: "missing", costBars: "costbars", costLabels: "costlabels" } as const;

/** The legend entry and label of a published figure whose setup differs from ours (report-table.ts ratioCell says what differs). */
export const NOT_COMPARABLE_SERIES = "published, not comparable";
export const NOT_COMPARABLE_LABEL = "not comparable";

/** Plot widths (px) of the charts in the page at desktop width and on a phone. */
export const PAGE_CHART_WIDTH = 940;
export const NARROW_CHART_WIDTH = 290;

const SERIES = ["valid trial", "excluded trial", "mean ± 95% CI", "published"] as const;
const COLORS = ["#4c78a8", "#9a9a9a", "#1f3b5c", "#e45756"] as const;
const NOT_COMPARABLE_COLOR = "#8c8c8c";

const config = (narrow: boolean) => ({
  font: "system-ui, sans-serif",
  axis: { labelFontSize: narrow ? 12 : 13, titleFontSize: narrow ? 12 : 14, titleFontWeight: "normal" as const },
  legend: { labelFontSize: narrow ? 12 : 13, labelLimit: 400, titleFontSize: 13, orient: narrow ? ("bottom" as const) : ("right" as const), columns: narrow ? 2 : 1 },
  title: { fontSize: narrow ? 14 : 17, subtitleFontSize: narrow ? 12 : 13, anchor: "start" as const },
  view: { stroke: null },
});

export function rateChartSpec(report: Report, width = PAGE_CHART_WIDTH): TopLevelSpec {
  const narrow = width < 500;
  const vcpus = [...new Set(report.rows.map((r) => r.vcpu))].sort((a, b) => a - b);
  const lo = (vcpus[0] ?? 1) / 1.35;
  const hi = (vcpus[vcpus.length - 1] ?? 1) * 1.35;
  const trials = report.trials.filter((t) => t.mmh !== null).map((t) => ({ vcpu: t.vcpu, mmh: t.mmh, series: t.valid ? SERIES[0] : SERIES[1], size: t.label, trial: t.trial }));
  const means = report.rows.filter((r) => r.mmh !== null).map((r) => ({ vcpu: r.vcpu, mmh: r.mmh, low: r.ci95Mmh?.low ?? null, high: r.ci95Mmh?.high ?? null, series: SERIES[2], label: (r.mmh ?? 0).toFixed(2), size: r.label }));
  // As the tables: a published figure is held against ours only where the setups match.
  const withPublished = report.rows.filter((r) => r.published !== null);
  const published = withPublished.filter((r) => r.publishedComparison?.comparable !== false).map((r) => ({ vcpu: r.vcpu, mmh: r.published?.mmh ?? null, series: SERIES[3], label: String(r.published?.mmh ?? "") }));
  const notComparable = withPublished.filter((r) => r.publishedComparison?.comparable === false).map((r) => ({ vcpu: r.vcpu, mmh: r.published?.mmh ?? null, series: NOT_COMPARABLE_SERIES, label: `${r.published?.mmh ?? ""} ${NOT_COMPARABLE_LABEL}` }));
  const missing = report.rows.filter((r) => r.mmh === null).map((r) => ({ vcpu: r.vcpu, mmh: 0, text: r.status === "not-run" ? "not run" : "no valid trial" }));
  const top = Math.max(1, ...trials.map((t) => t.mmh ?? 0), ...means.map((m) => m.high ?? m.mmh ?? 0), ...published.map((p) => p.mmh ?? 0), ...notComparable.map((p) => p.mmh ?? 0));
  const x = { field: "vcpu", type: "quantitative" as const, title: "sender vCPUs", scale: { type: "log" as const, base: 2, domain: [lo, hi], nice: false }, axis: { values: vcpus, format: "d", grid: false } };
  const y = { type: "quantitative" as const, title: "acceptance rate (MMH)", scale: { domain: [0, Math.ceil(top * 1.15 * 2) / 2], nice: false } };
  // The legend names only the published series present: none, comparable, not comparable, or both.
  const domain: string[] = [SERIES[0], SERIES[1], SERIES[2], ...(published.length > 0 ? [SERIES[3]] : []), ...(notComparable.length > 0 ? [NOT_COMPARABLE_SERIES] : [])];
  const range: string[] = [COLORS[0], COLORS[1], COLORS[2], ...(published.length > 0 ? [COLORS[3]] : []), ...(notComparable.length > 0 ? [NOT_COMPARABLE_COLOR] : [])];
  const color = { field: "series", type: "nominal" as const, title: null, scale: { domain, range } };
  const publishedNote = published.length > 0 ? " · red: published (same setup)" : "";
  const notComparableNote = notComparable.length > 0 ? ` · grey diamonds: published, ${NOT_COMPARABLE_LABEL} (setup differs)` : "";
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: { text: "Acceptance rate by sender size", subtitle: narrow ? `run ${report.runId}` : `run ${report.runId} · dots: trials · line: mean with 95% CI${publishedNote}${notComparableNote}` },
    width,
    height: narrow ? 240 : 340,
    config: config(narrow),
    layer: [
      { name: CHART_LAYERS.trials, data: { values: trials.filter((t) => t.series === SERIES[0]) }, mark: { type: "point", filled: true, size: narrow ? 50 : 70, opacity: 0.8 }, encoding: { x, y: { field: "mmh", ...y }, color, tooltip: [{ field: "size" }, { field: "trial" }, { field: "mmh", format: ".3f" }] } },
      { name: `${CHART_LAYERS.trials}excluded`, data: { values: trials.filter((t) => t.series === SERIES[1]) }, mark: { type: "point", filled: false, size: narrow ? 50 : 70, strokeWidth: 1.5 }, encoding: { x, y: { field: "mmh", ...y }, color, tooltip: [{ field: "size" }, { field: "trial" }, { field: "mmh", format: ".3f" }] } },
      { name: CHART_LAYERS.errorBars, data: { values: means.filter((m) => m.low !== null) }, mark: { type: "rule", strokeWidth: 2.5, color: COLORS[2] }, encoding: { x, y: { field: "low", ...y }, y2: { field: "high" } } },
      { name: CHART_LAYERS.means, data: { values: means }, mark: { type: "line", point: { size: 90, filled: true }, strokeWidth: 2.5 }, encoding: { x, y: { field: "mmh", ...y }, color } },
      { name: CHART_LAYERS.meanLabels, data: { values: means }, mark: { type: "text", dx: 10, align: "left", baseline: "middle", fontSize: narrow ? 12 : 14, fontWeight: "bold", color: COLORS[2] }, encoding: { x, y: { field: "mmh", ...y }, text: { field: "label" } } },
      { name: CHART_LAYERS.published, data: { values: published }, mark: { type: "line", strokeDash: [6, 4], strokeWidth: 2, point: { shape: "diamond", size: 110, filled: true } }, encoding: { x, y: { field: "mmh", ...y }, color } },
      { name: `${CHART_LAYERS.published}labels`, data: { values: published }, mark: { type: "text", dx: -9, dy: -11, align: "right", baseline: "middle", fontSize: narrow ? 11 : 13, color: COLORS[3] }, encoding: { x, y: { field: "mmh", ...y }, text: { field: "label" } } },
      { name: CHART_LAYERS.publishedNotComparable, data: { values: notComparable }, mark: { type: "point", shape: "diamond", size: 110, filled: false, strokeWidth: 1.5 }, encoding: { x, y: { field: "mmh", ...y }, color, tooltip: [{ field: "label" }] } },
      { name: `${CHART_LAYERS.publishedNotComparable}labels`, data: { values: notComparable }, mark: { type: "text", dx: -9, dy: -11, align: "right", baseline: "middle", fontSize: narrow ? 11 : 13, fontStyle: "italic", color: NOT_COMPARABLE_COLOR }, encoding: { x, y: { field: "mmh", ...y }, text: { field: "label" } } },
      { name: CHART_LAYERS.missing, data: { values: missing }, mark: { type: "text", dy: -12, fontSize: narrow ? 11 : 13, fontStyle: "italic", color: "#555" }, encoding: { x, y: { field: "mmh", ...y }, text: { field: "text" } } },
    ],
  };
}

export function costChartSpec(report: Report, width = PAGE_CHART_WIDTH): TopLevelSpec {
  const narrow = width < 500;
  const rows = [...report.rows].sort((a, b) => a.vcpu - b.vcpu);
  const data = rows.map((r) => ({
    size: `${r.label} · ${r.vcpu} vCPU`,
    usd: r.costPerMillionUsd,
    label: r.costPerMillionUsd !== null ? `$${r.costPerMillionUsd.toFixed(3)}` : r.mmh === null ? (r.status === "not-run" ? "not run" : "no valid trial") : "no price",
  }));
  const x = { field: "size", type: "nominal" as const, title: null, sort: data.map((d) => d.size), axis: { labelAngle: 0, labelLimit: narrow ? 90 : 220 } };
  const top = Math.max(0.001, ...data.map((d) => d.usd ?? 0));
  const y = { type: "quantitative" as const, title: "USD per million messages", scale: { domain: [0, top * 1.2] } };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: { text: "Sender cost per million messages", subtitle: "the sender's hourly price ÷ its mean rate (compute only)" },
    width,
    height: narrow ? 180 : 220,
    config: config(narrow),
    data: { values: data },
    layer: [
      { name: CHART_LAYERS.costBars, transform: [{ filter: "datum.usd != null" }], mark: { type: "bar", width: { band: 0.55 }, color: "#72b7b2" }, encoding: { x, y: { field: "usd", ...y } } },
      { name: CHART_LAYERS.costLabels, mark: { type: "text", dy: -8, baseline: "bottom", fontSize: narrow ? 12 : 14, fontWeight: "bold" }, encoding: { x, y: { datum: 0, ...y }, text: { field: "label" } }, transform: [{ filter: "datum.usd == null" }] },
      { name: `${CHART_LAYERS.costLabels}values`, transform: [{ filter: "datum.usd != null" }], mark: { type: "text", dy: -6, baseline: "bottom", fontSize: narrow ? 12 : 14, fontWeight: "bold" }, encoding: { x, y: { field: "usd", ...y }, text: { field: "label" } } },
    ],
  };
}

/** A vega-lite spec rendered to SVG headlessly (the report's charts and the knee's). */
export async function toSvg(spec: TopLevelSpec): Promise<string> {
  const view = new View(parse(compile(spec).spec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}

export interface ReportCharts {
  rate: string;
  rateNarrow: string;
  cost: string;
  costNarrow: string;
}

export async function renderCharts(report: Report): Promise<ReportCharts> {
  return {
    rate: await toSvg(rateChartSpec(report)),
    rateNarrow: await toSvg(rateChartSpec(report, NARROW_CHART_WIDTH)),
    cost: await toSvg(costChartSpec(report)),
    costNarrow: await toSvg(costChartSpec(report, NARROW_CHART_WIDTH)),
  };
}

