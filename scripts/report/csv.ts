/** report.csv: one row per size (per size and workload in runs of several workloads) with raw numbers (no units in cells). */
import type { Report } from "./build-report";

const HEADERS = [
  "sizeId", "label", "vcpu", "ramGiB", "arch", "trialsValid", "trialsTotal", "mmh", "msgsPerSec", "stdevMmh", "ci95Low", "ci95High",
  "endToEndMmh", "p99LatencySeconds", "senderCpuPct", "sinkCpuPct", "networkMBps", "flags", "publishedMmh", "publishedSource", "ratioToPublished", "publishedNotComparable",
  "hourlyUsd", "costPerMillionUsd", "windowCostUsd",
] as const;

function cell(v: string | number | null): string {
  if (v === null) return "";
  const s = String(v);
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function renderCsv(report: Report): string {
  // A `workload` column only when the run has workloads besides `published` alone: other runs' CSV is unchanged.
  const withWorkload = report.workloads !== undefined;
  const lines = [(withWorkload ? ["sizeId", "workload", ...HEADERS.slice(1)] : HEADERS).join(",")];
  for (const r of report.rows) {
    lines.push(
      [
        r.sizeId, ...(withWorkload ? [r.workload ?? null] : []), r.label, r.vcpu, r.ramGiB, r.arch, r.trialsValid, r.trialsTotal, r.mmh, r.msgsPerSec, r.stdevMmh, r.ci95Mmh?.low ?? null, r.ci95Mmh?.high ?? null,
        r.endToEndMmh, r.p99LatencySeconds, r.senderCpuPct, r.sinkCpuPct, r.networkMBps, r.flags.join(" "), r.published?.mmh ?? null,
        r.published === null ? null : `${r.published.source}${r.published.instanceType ? ` ${r.published.instanceType}` : ""}`, r.ratioToPublished,
        // What differs from the published figure's stated setup (then there is no ratio); empty when comparable.
        r.publishedComparison === null || r.publishedComparison.comparable ? null : r.publishedComparison.differences.join("; "),
        r.hourlyUsd, r.costPerMillionUsd, r.windowCostUsd,
      ].map(cell).join(","),
    );
  }
  return `${lines.join("\n")}\n`;
}
