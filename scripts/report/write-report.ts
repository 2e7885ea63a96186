/** Writes the six report files into the results folder, each atomically. */
import { join } from "node:path";
import { writeTextAtomic } from "../results/durable-file";
import { baselineView, buildReport, type Report } from "./build-report";
import { renderCharts } from "./chart";
import { renderCsv } from "./csv";
import { renderHtml } from "./html";
import { markdownTable, renderMarkdown } from "./markdown";

export const REPORT_FILES = { markdown: "report.md", csv: "report.csv", json: "report.json", svg: "chart.svg", costSvg: "cost-chart.svg", html: "report.html" } as const;

export async function writeReport(resultsDir: string, report: Report): Promise<Record<keyof typeof REPORT_FILES, string>> {
  // The charts draw sizes: with workloads, the baseline's (the Workloads table has the others).
  const charts = await renderCharts(baselineView(report));
  const paths = Object.fromEntries(Object.entries(REPORT_FILES).map(([k, f]) => [k, join(resultsDir, f)])) as Record<keyof typeof REPORT_FILES, string>;
  writeTextAtomic(paths.markdown, renderMarkdown(report));
  writeTextAtomic(paths.csv, renderCsv(report));
  writeTextAtomic(paths.json, `${JSON.stringify(report, null, 2)}\n`);
  writeTextAtomic(paths.svg, charts.rate);
  writeTextAtomic(paths.costSvg, charts.cost);
  writeTextAtomic(paths.html, renderHtml(report, charts));
  return paths;
}

export interface WrittenReport {
  report: Report;
  /** The Markdown table (what a CLI prints). */
  markdown: string;
  /** Paths of the six files written. */
  files: string[];
}

/** Reads a results folder, writes its six report files and returns the table to print. */
export async function buildAndWriteReport(resultsDir: string): Promise<WrittenReport> {
  const report = buildReport(resultsDir);
  const paths = await writeReport(resultsDir, report);
  return { report, markdown: markdownTable(report), files: Object.values(paths) };
}
