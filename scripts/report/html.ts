/**
 * report.html: one self-contained page (no scripts, no network): the headline, the charts, a
 * summary per size and a per-trial table that fit 1280 px without horizontal scrolling and turn
 * into cards on a phone, the column definitions, flags, the run's facts and its cost.
 */
import type { Report, ReportRow } from "./build-report";
import { runProfiles } from "./build-report";
import type { ReportCharts } from "./chart";
import { ERROR_BARS } from "./chart";
import { duration, usd } from "./format";
import { PUBLISHED_PAGES } from "./published-baseline";
import { profileFacts } from "./setup-match";
import { COLUMN_DEFINITIONS, SUMMARY_HEADERS, TRIAL_HEADERS, WORKLOAD_HEADERS, WORKLOAD_METHOD, summaryCells, trialCells, workloadCells } from "./report-table";
import { COST_METHOD } from "./sweep-cost";
import type { Tally } from "./run-facts";

export const esc = (s: string): string => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");

export const PAGE_STYLE = `
*{box-sizing:border-box}
body{font:15px/1.45 system-ui,sans-serif;margin:0 auto;padding:20px 24px;max-width:1240px;color:#1d1d1d}
h1{font-size:24px;margin:0 0 4px}h2{font-size:19px;margin:28px 0 8px;border-bottom:1px solid #ddd;padding-bottom:3px}
.sub{color:#555;margin:0 0 12px}
.headline{background:#f3f7fb;border-left:4px solid #4c78a8;padding:10px 16px;margin:12px 0}
.headline ul{margin:0;padding-left:18px}.headline li{margin:3px 0}
.chart{margin:12px 0;overflow:hidden}.chart svg{max-width:100%;height:auto;display:block}
.narrow{display:none}
table{border-collapse:collapse;width:100%;margin:8px 0;font-size:13.5px}
th,td{border-bottom:1px solid #ddd;padding:5px 6px;text-align:left;vertical-align:top}td{overflow-wrap:anywhere}
th{background:#f3f3f3;font-weight:600}
td.num{text-align:right;white-space:nowrap}
tr.excluded td{color:#8a8a8a;background:#f6f6f6}
tr.excluded td.why{color:#6a6a6a;font-style:italic}
.flag{display:inline-block;border-radius:3px;padding:0 5px;margin:1px 2px 1px 0;font-size:12px;white-space:nowrap}
.flag.figure{background:#fde2e1;color:#a0201a;border:1px solid #e9a19d}
.flag.excluded{background:#eee;color:#666;border:1px solid #ccc}
dl.defs{display:grid;grid-template-columns:max-content minmax(0,1fr);gap:4px 14px;margin:8px 0}dl.defs dt{font-weight:600}dl.defs dd{margin:0;overflow-wrap:anywhere}
.note{color:#555;font-size:13.5px}
@media (max-width:700px){
 body{padding:12px}
 .wide{display:none}.narrow{display:block}
 table,thead,tbody,tr,th,td{display:block;width:100%}
 thead{display:none}
 tr{border:1px solid #ddd;border-radius:4px;margin:0 0 10px;padding:4px 8px}
 td{border:0;padding:2px 0;text-align:left}td.num{text-align:left;white-space:normal}
 td::before{content:attr(data-label) ": ";font-weight:600;color:#444}
 dl.defs{grid-template-columns:minmax(0,1fr)}dl.defs dd{margin-bottom:6px}
}
`;

const NUMERIC = new Set(["baseline (MMH)", "difference", "rate (MMH)", "msg/s", "$ per M msgs", "trial", "sent", "failed", "elapsed", "end-to-end (MMH)", "sender CPU", "sink CPU", "network (MB/s)", "95% CI"]);

function cell(header: string, content: string, cls: string[] = []): string {
  const classes = [...(NUMERIC.has(header) ? ["num"] : []), ...cls];
  return `<td data-label="${esc(header)}"${classes.length > 0 ? ` class="${classes.join(" ")}"` : ""}>${content}</td>`;
}

function flagBadges(r: ReportRow): string {
  const fig = r.figureFlags.map((f) => `<span class="flag figure" title="a valid trial hit this: it bears on the figure">${esc(f)}</span>`);
  const exc = r.excludedOnlyFlags.map((f) => `<span class="flag excluded" title="only an excluded trial hit this: the figure is clean of it">excluded: ${esc(f)}</span>`);
  return [...fig, ...exc].join(" ") || "none";
}

function summaryTable(report: Report): string {
  const head = SUMMARY_HEADERS.map((h) => `<th scope="col">${esc(h)}</th>`).join("");
  const body = report.rows
    .map((r) => {
      const cells = summaryCells(r);
      return `<tr class="size ${r.status}">${SUMMARY_HEADERS.map((h, i) => (h === "flags" ? cell(h, flagBadges(r)) : h === "trials" && r.status === "no-valid-trial" ? cell(h, `<a href="#trials">${esc(cells[i] ?? "")}</a>`) : cell(h, esc(cells[i] ?? "")))).join("")}</tr>`;
    })
    .join("\n");
  return `<table class="summary"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

/** The Workloads section: which workloads ran, the baseline, and each other one's difference to it per size. */
function workloadSection(report: Report): string {
  const w = report.workloads;
  if (w === undefined) return "";
  const intro = `<p>Workloads run at each size: ${esc(w.names.join(", "))}. Baseline: <strong>${esc(w.baseline)}</strong>${w.names.includes(w.baseline) ? "" : " (not run in this sweep: nothing is compared)"}.</p>`;
  if (w.differences.length === 0) return `<h2 id="workloads">Workloads</h2>\n${intro}`;
  const head = WORKLOAD_HEADERS.map((h) => `<th scope="col">${esc(h)}</th>`).join("");
  const body = w.differences.map((d) => `<tr class="workload">${workloadCells(d).map((c, i) => cell(WORKLOAD_HEADERS[i] ?? "", esc(c))).join("")}</tr>`).join("\n");
  return `<h2 id="workloads">Workloads</h2>\n${intro}<table class="workloads"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table><p class="note">${esc(WORKLOAD_METHOD)}</p>`;
}

function trialTable(report: Report): string {
  if (report.trials.length === 0) return "<p>No trial has been recorded.</p>";
  const head = TRIAL_HEADERS.map((h) => `<th scope="col">${esc(h)}</th>`).join("");
  const body = report.trials
    .map((t) => {
      const cells = trialCells(t);
      return `<tr class="trial ${t.valid ? "valid" : "excluded"}">${TRIAL_HEADERS.map((h, i) => cell(h, esc(cells[i] ?? ""), h === "why excluded" ? ["why"] : [])).join("")}</tr>`;
    })
    .join("\n");
  return `<table class="trials"><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

const tallyText = (xs: readonly Tally[]): string => (xs.length === 0 ? "no trial recorded" : xs.map((x) => (xs.length === 1 ? x.text : `${x.text} (${x.trials} trials)`)).join("; "));

function facts(report: Report): string {
  const f = report.facts;
  const t = f.traffic;
  const rows: Array<[string, string]> = [
    ["KumoMTA (sender)", esc(tallyText(f.kumodVersions.sender))],
    ["KumoMTA (sink)", esc(tallyText(f.kumodVersions.sink))],
    ["egress TLS", esc(tallyText(f.tls))],
    ["traffic-gen ran", esc(tallyText(f.trafficGenOn))],
    ["KumoMTA settings", esc(tallyText(report.kumomta.settings))],
    ["sender", esc(`${report.source === "stack" ? "cloud VMs, resized in place" : "inventory host"} — sizes ${report.rows.map((r) => r.label).join(", ")}; region ${tallyText(f.regions.sender)}`)],
    ["sink", esc(`${f.sink.text}; region ${tallyText(f.regions.sink)}`)],
    ["kernel", esc(`sender ${tallyText(f.kernels.sender)}; sink ${tallyText(f.kernels.sink)}`)],
    [
      "traffic-gen",
      esc(
        `${t.trialDurationSeconds !== undefined ? `${t.trialDurationSeconds} s steady state per trial (--duration), bodies` : `${t.messageCount.toLocaleString("en-US")} messages`} of ${t.bodySizeBytes.toLocaleString("en-US")} bytes, concurrency ${t.concurrency.toLocaleString("en-US")}${t.trialDurationSeconds !== undefined ? "" : `, deadline ${t.durationCapSeconds} s`}${t.extraArgs.length > 0 ? `, extra arguments ${t.extraArgs.join(" ")}` : ""}; ${t.trialsPerSize} trials per size, ${t.coolDownSeconds} s cool-down`,
      ),
    ],
    ["dates", esc(`run created ${f.dates.created}; trials from ${f.dates.firstTrialStart ?? "—"} to ${f.dates.lastTrialEnd ?? "—"}`)],
    ["lab", esc(`${report.labId} (${report.source})`)],
    ["lab profile", profileFacts(runProfiles(report)).map(esc).join("<br>")],
    ["published figures", Object.values(PUBLISHED_PAGES).map((p) => `${esc(p.title)} — <a href="${esc(p.url)}">${esc(p.url)}</a>`).join("<br>")],
  ];
  return `<dl class="defs facts">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${v}</dd>`).join("")}</dl>`;
}

function cost(report: Report): string {
  const c = report.cost;
  const tr = report.transfer;
  const total = c.totalUsd !== null && tr.usd !== null ? usd(c.totalUsd + tr.usd) : "unknown (a price is missing)";
  const rows: Array<[string, string]> = [
    ["compute", `${c.totalUsd === null ? "unknown (a price is missing in run.json)" : usd(c.totalUsd)} — sink ${usd(c.sinkUsd)}${c.generator ? `, generator host ${usd(c.generator.usd)}` : ""} over ${duration(c.lab.seconds)}; ${c.sizes.map((s) => `${s.sizeId} ${usd(s.usd)} over ${duration(s.window.seconds)}`).join("; ")}`],
    ["data transfer", `${tr.usd === null ? "not priced" : usd(tr.usd)} — ${(tr.bytes / 1e9).toFixed(1)} GB at $${tr.usdPerGB}/GB: ${tr.definition}`],
    ["total", `<strong>${esc(total)}</strong> (compute + data transfer)`],
  ];
  const notes = [...c.notes, ...tr.notes];
  return `<dl class="defs cost">${rows.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${k === "total" ? v : esc(v)}</dd>`).join("")}</dl><p class="note">Compute: ${esc(COST_METHOD)}.</p>${notes.length > 0 ? `<ul class="note">${notes.map((n) => `<li>${esc(n)}</li>`).join("")}</ul>` : ""}`;
}

function flagLists(report: Report): string {
  const figure = report.rows.filter((r) => r.figureFlags.length > 0);
  const excluded = report.rows.filter((r) => r.excludedOnlyFlags.length > 0);
  const detailsFor = (r: ReportRow, flags: readonly string[]): string => r.flagDetails.filter((d) => flags.some((f) => d.startsWith(`${f}:`))).join("; ");
  return (
    `<h3>Figure limited</h3>${figure.length === 0 ? "<p>No figure is limited by a flag.</p>" : `<ul>${figure.map((r) => `<li>${esc(`${r.label}: ${detailsFor(r, r.figureFlags)}`)}</li>`).join("")}</ul>`}` +
    `<h3>A trial was excluded</h3>${excluded.length === 0 ? "<p>No trial was excluded.</p>" : `<ul>${excluded.map((r) => `<li>${esc(`${r.label}: ${detailsFor(r, r.excludedOnlyFlags)}`)}</li>`).join("")}</ul>`}`
  );
}

export function renderHtml(report: Report, charts: ReportCharts): string {
  const headline = report.headline.length === 0 ? "<p>No trial has a figure yet.</p>" : `<ul>${report.headline.map((s) => `<li>${esc(s)}</li>`).join("")}</ul>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>KumoMTA throughput — run ${esc(report.runId)}</title>
<style>${PAGE_STYLE}</style></head><body>
<h1>KumoMTA throughput — run ${esc(report.runId)}</h1>
<p class="sub">${esc(`${report.rows.length} sender size${report.rows.length === 1 ? "" : "s"} against ${report.facts.sink.text}; ${report.facts.traffic.trialDurationSeconds !== undefined ? `${report.facts.traffic.trialDurationSeconds} s steady state` : `${report.facts.traffic.messageCount.toLocaleString("en-US")} messages`} of ${report.facts.traffic.bodySizeBytes.toLocaleString("en-US")} bytes per trial; run created ${report.createdAt}`)}</p>
<section class="headline" id="headline"><h2 style="border:0;margin:0 0 4px">In short</h2>${headline}</section>
<figure class="chart rate" id="chart"><div class="wide">${charts.rate}</div><div class="narrow">${charts.rateNarrow}</div>
<figcaption class="note">Error bars: ${esc(ERROR_BARS)}. Hollow grey dots are excluded trials; they are not in the mean.</figcaption></figure>
<h2>Per size</h2>
${summaryTable(report)}
<figure class="chart cost"><div class="wide">${charts.cost}</div><div class="narrow">${charts.costNarrow}</div></figure>
${workloadSection(report)}
<h2 id="trials">Per trial</h2>
${trialTable(report)}
<h2>Flags</h2>
${flagLists(report)}
<h2>What the columns mean</h2>
<dl class="defs columns">${COLUMN_DEFINITIONS.map(([k, v]) => `<dt>${esc(k)}</dt><dd>${esc(v)}</dd>`).join("")}</dl>
<h2>Run facts</h2>
${facts(report)}
<h2>Cost</h2>
${cost(report)}
${report.warnings.length > 0 ? `<h2>Warnings</h2><ul>${report.warnings.map((w) => `<li>${esc(w)}</li>`).join("")}</ul>` : ""}
</body></html>
`;
}
