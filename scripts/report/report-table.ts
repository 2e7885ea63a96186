/** The report's table as plain cells: one definition of the columns for Markdown, HTML and CSV. */
import type { Report, ReportRow } from "./build-report";
import { DASH, fixed, seconds, usd } from "./format";

export const TABLE_HEADERS = [
  "CPU",
  "RAM",
  "RATE",
  "size",
  "valid/total",
  "stdev (MMH)",
  "95% CI (MMH)",
  "end-to-end (MMH)",
  "p99 latency",
  "sender CPU",
  "sink CPU",
  "network (MB/s)",
  "flags",
  "published (MMH)",
  "ours/published",
  "$ per M msgs",
] as const;

function publishedCell(r: ReportRow): string {
  if (r.published === null) return DASH;
  const where = r.published.source === "performance-testing-page" ? "perf page" : `July 2023 ${r.published.instanceType ?? ""}`.trim();
  return `${r.published.mmh} (${where}, ${r.published.vcpu}/${r.published.ramGiB})`;
}

export function tableCells(r: ReportRow): string[] {
  return [
    String(r.vcpu),
    String(r.ramGiB),
    r.mmh === null ? DASH : `${r.mmh.toFixed(3)} MMH`,
    r.label,
    `${r.trialsValid}/${r.trialsTotal}`,
    fixed(r.stdevMmh, 3),
    r.ci95Mmh === null ? DASH : `${r.ci95Mmh.low.toFixed(3)}–${r.ci95Mmh.high.toFixed(3)}`,
    fixed(r.endToEndMmh, 3),
    seconds(r.p99LatencySeconds),
    r.senderCpuPct === null ? DASH : `${r.senderCpuPct.toFixed(0)} %`,
    r.sinkCpuPct === null ? DASH : `${r.sinkCpuPct.toFixed(0)} %`,
    fixed(r.networkMBps, 1),
    r.flags.length === 0 ? "" : r.flags.join(", "),
    publishedCell(r),
    r.ratioToPublished === null ? DASH : `${r.ratioToPublished.toFixed(2)}×`,
    usd(r.costPerMillionUsd, 3),
  ];
}

export function tableRows(report: Report): string[][] {
  return report.rows.map(tableCells);
}
