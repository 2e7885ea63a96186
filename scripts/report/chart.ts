/**
 * chart.svg: mean acceptance rate (MMH) per sender size as bars, the 95 % confidence interval as
 * error bars, and the published figure for the matching size as a point. Declared in Vega-Lite 5,
 * compiled to Vega 5 and rendered headlessly (renderer 'none') by View.toSVG().
 */
import { compile, type TopLevelSpec } from "vega-lite";
import { parse, View } from "vega";
import type { Report } from "./build-report";

export const ERROR_BARS = "95% confidence interval of the mean (Student t), drawn where a size has at least 2 valid trials";

/** Names of the Vega-Lite layers; Vega renders them as SVG groups with class `<name>_marks`. */
export const CHART_LAYERS = { bars: "bars", errorBars: "errorbars", published: "published" } as const;

interface Datum {
  size: string;
  mmh: number | null;
  ciLow: number | null;
  ciHigh: number | null;
  published: number | null;
  publishedSource: string | null;
}

export function chartSpec(report: Report): TopLevelSpec {
  const data: Datum[] = report.rows.map((r) => ({
    size: `${r.label} (${r.vcpu} vCPU/${r.ramGiB} GiB)`,
    mmh: r.mmh,
    ciLow: r.ci95Mmh?.low ?? null,
    ciHigh: r.ci95Mmh?.high ?? null,
    published: r.published?.mmh ?? null,
    publishedSource: r.published === null ? null : r.published.source === "performance-testing-page" ? "performance-testing page" : `July 2023 ${r.published.instanceType ?? ""}`,
  }));
  const x = { field: "size", type: "nominal" as const, title: "sender size", sort: data.map((d) => d.size), axis: { labelAngle: -20, labelLimit: 220 } };
  const y = { title: "rate (MMH, millions of messages per hour)" };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: { text: `KumoMTA acceptance rate by sender size — run ${report.runId}`, subtitle: `bars: mean over valid trials; error bars: ${ERROR_BARS}; diamonds: published figure` },
    width: Math.max(320, 140 * data.length),
    height: 320,
    data: { values: data },
    layer: [
      {
        name: CHART_LAYERS.bars,
        transform: [{ filter: "datum.mmh != null" }],
        mark: { type: "bar", width: { band: 0.6 } },
        encoding: { x, y: { field: "mmh", type: "quantitative", ...y }, color: { datum: "measured (mean)", type: "nominal", title: null, scale: { range: ["#4c78a8", "#f58518", "#222222"] } } },
      },
      {
        name: CHART_LAYERS.errorBars,
        transform: [{ filter: "datum.ciLow != null" }],
        mark: { type: "rule", strokeWidth: 2, color: "#222222" },
        encoding: { x, y: { field: "ciLow", type: "quantitative", ...y }, y2: { field: "ciHigh" } },
      },
      {
        name: CHART_LAYERS.published,
        transform: [{ filter: "datum.published != null" }],
        mark: { type: "point", shape: "diamond", size: 160, filled: true },
        encoding: {
          x,
          y: { field: "published", type: "quantitative", ...y },
          color: { datum: "published", type: "nominal" },
          tooltip: [{ field: "publishedSource", type: "nominal" }, { field: "published", type: "quantitative" }],
        },
      },
    ],
  };
}

export async function renderChartSvg(report: Report): Promise<string> {
  const vegaSpec = compile(chartSpec(report)).spec;
  const view = new View(parse(vegaSpec), { renderer: "none" });
  try {
    return await view.toSVG();
  } finally {
    view.finalize();
  }
}
