/** report.html: the table and the chart (inline SVG) in one self-contained page: no scripts, no network. */
import type { Report } from "./build-report";
import { duration, usd } from "./format";
import { BASELINE_MATCH_RULE } from "./published-baseline";
import { TABLE_HEADERS, tableRows } from "./report-table";
import { COST_METHOD } from "./sweep-cost";
import { ERROR_BARS } from "./chart";

const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export function renderHtml(report: Report, chartSvg: string): string {
  const head = TABLE_HEADERS.map((h) => `<th>${esc(h)}</th>`).join("");
  const body = tableRows(report)
    .map((cells, i) => `<tr${(report.rows[i]?.flags.length ?? 0) > 0 ? ' class="flagged"' : ""}>${cells.map((c) => `<td>${esc(c)}</td>`).join("")}</tr>`)
    .join("\n");
  const excluded =
    report.excluded.length === 0
      ? "<p>None: every recorded trial is valid.</p>"
      : `<ul>${report.excluded.map((e) => `<li>${esc(`${e.sizeId} trial ${e.trial} (${e.status}): ${e.reasons.map((r) => `${r.code} — ${r.detail}`).join("; ")}`)}</li>`).join("")}</ul>`;
  const flags = report.rows.filter((r) => r.flagDetails.length > 0);
  const c = report.cost;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>KumoMTA throughput — run ${esc(report.runId)}</title>
<style>
body{font:14px/1.4 system-ui,sans-serif;margin:24px;color:#222}
table{border-collapse:collapse;margin:12px 0;font-size:12px}th,td{border:1px solid #ccc;padding:3px 6px;text-align:right}td{white-space:nowrap}
th{background:#f3f3f3}td:nth-child(4),td:nth-child(13),td:nth-child(14){text-align:left}tr.flagged td:nth-child(13){color:#b00}
.chart svg{max-width:100%;height:auto}
</style></head><body>
<h1>KumoMTA throughput — run ${esc(report.runId)}</h1>
<p>Lab ${esc(report.labId)} (${esc(report.source)}), sink ${esc(report.manifest.sink.label)}, ${report.manifest.traffic.messageCount} messages of ${report.manifest.traffic.bodySizeBytes} bytes per trial.</p>
<p>KumoMTA: ${esc([...report.kumomta.versions, ...report.kumomta.settings].map((x) => x.text).join("; ") || "none recorded")}.</p>
<div class="chart">${chartSvg}</div>
<p>Error bars: ${esc(ERROR_BARS)}. Published figures matched by ${esc(BASELINE_MATCH_RULE)}.</p>
<table><thead><tr>${head}</tr></thead><tbody>
${body}
</tbody></table>
<h2>Excluded trials</h2>${excluded}
<h2>Flags</h2>${flags.length === 0 ? "<p>No size is flagged.</p>" : `<ul>${flags.map((r) => `<li>${esc(`${r.sizeId}: ${r.flagDetails.join("; ")}`)}</li>`).join("")}</ul>`}
<h2>Cost</h2><p>${esc(COST_METHOD)}.</p>
<p>Lab ${esc(duration(c.lab.seconds))}, sink ${esc(usd(c.sinkUsd))}; ${c.sizes.map((s) => esc(`${s.sizeId} ${duration(s.window.seconds)} ${usd(s.usd)}`)).join("; ")}. <strong>Total ${esc(c.totalUsd === null ? "unknown (a price is missing)" : usd(c.totalUsd))}</strong>.</p>
${c.notes.length > 0 ? `<ul>${c.notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : ""}
${report.warnings.length > 0 ? `<h2>Warnings</h2><ul>${report.warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul>` : ""}
</body></html>
`;
}
