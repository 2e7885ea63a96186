/** report.md: the table in the published layout (CPU | RAM | RATE first), then what was excluded, flags, baseline and cost. */
import type { Report } from "./build-report";
import { LINK_SHARE_LIMIT, SINK_CPU_LIMIT_PCT } from "../trial/validity";
import { duration, usd } from "./format";
import { BASELINE_MATCH_RULE } from "./published-baseline";
import { COST_METHOD } from "./sweep-cost";
import { COLUMN_DEFINITIONS, SUMMARY_HEADERS, TABLE_HEADERS, TRIAL_HEADERS, WORKLOAD_HEADERS, WORKLOAD_METHOD, summaryCells, tableRows, trialCells, workloadCells } from "./report-table";
import { PUBLISHED_PAGES } from "./published-baseline";
import { profileFacts } from "./setup-match";
import { runProfiles } from "./build-report";

const esc = (s: string): string => s.replace(/\|/g, "\\|");

export function markdownTable(report: Report): string {
  const lines = [`| ${TABLE_HEADERS.join(" | ")} |`, `|${TABLE_HEADERS.map(() => "---").join("|")}|`];
  for (const cells of tableRows(report)) lines.push(`| ${cells.map(esc).join(" | ")} |`);
  return lines.join("\n");
}

export function renderMarkdown(report: Report): string {
  const m = report.manifest;
  const out: string[] = [];
  out.push(`# KumoMTA throughput — run ${report.runId}`, "");
  out.push(
    `Lab ${report.labId} (${report.source}), created ${report.createdAt}. Sink: ${m.sink.label}. ` +
      `traffic-gen: ${m.trialDurationSeconds !== undefined ? `${m.trialDurationSeconds} s steady state (--duration, no --message-count), bodies` : `${m.traffic.messageCount.toLocaleString("en-US")} messages`} of ${m.traffic.bodySizeBytes.toLocaleString("en-US")} bytes, concurrency ${m.traffic.concurrency}, ` +
      `duration cap ${m.traffic.durationCapSeconds} s; ${m.trialsPerSize} trials per size, ${m.coolDownSeconds} s cool-down.`,
    "",
  );
  if (report.headline.length > 0) {
    out.push("## In short", "", ...report.headline.map((h) => `- ${h}`), "");
  }
  out.push("## Per size", "", `| ${SUMMARY_HEADERS.join(" | ")} |`, `|${SUMMARY_HEADERS.map(() => "---").join("|")}|`);
  for (const r of report.rows) {
    const cells = summaryCells(r);
    cells[cells.length - 1] = [...r.figureFlags.map((f) => `**${f}**`), ...r.excludedOnlyFlags.map((f) => `excluded: ${f}`)].join(", ");
    out.push(`| ${cells.map(esc).join(" | ")} |`);
  }
  out.push("", "Flags in **bold** bear on the figure (a valid trial hit them); \"excluded:\" flags were hit only by a trial left out of the mean.", "");
  const w = report.workloads;
  if (w !== undefined) {
    out.push("## Workloads", "", `Workloads run at each size: ${w.names.join(", ")}. Baseline: **${w.baseline}**${w.names.includes(w.baseline) ? "" : " (not run in this sweep: nothing is compared)"}.`, "");
    if (w.differences.length > 0) {
      out.push(`| ${WORKLOAD_HEADERS.join(" | ")} |`, `|${WORKLOAD_HEADERS.map(() => "---").join("|")}|`);
      for (const d of w.differences) out.push(`| ${workloadCells(d).map(esc).join(" | ")} |`);
      out.push("", WORKLOAD_METHOD, "");
    }
  }
  out.push("## All columns", "", markdownTable(report), "");
  out.push("## Per trial", "", `| ${TRIAL_HEADERS.join(" | ")} |`, `|${TRIAL_HEADERS.map(() => "---").join("|")}|`);
  for (const t of report.trials) out.push(`| ${trialCells(t).map((c, i) => (t.valid || i === TRIAL_HEADERS.length - 1 ? esc(c) : `_${esc(c)}_`)).join(" | ")} |`);
  out.push("", "## What the columns mean", "", ...COLUMN_DEFINITIONS.map(([k, v]) => `- **${k}**: ${v}`), "");
  const f = report.facts;
  const t = (xs: ReadonlyArray<{ text: string }>): string => xs.map((x) => x.text).join("; ") || "not recorded";
  out.push(
    "## Run facts",
    "",
    `- KumoMTA: sender ${t(f.kumodVersions.sender)}; sink ${t(f.kumodVersions.sink)}`,
    `- egress TLS: ${t(f.tls)}`,
    `- traffic-gen ran: ${t(f.trafficGenOn)}`,
    `- regions: sender ${t(f.regions.sender)}; sink ${t(f.regions.sink)}`,
    `- sink: ${f.sink.text}`,
    `- kernels: sender ${t(f.kernels.sender)}; sink ${t(f.kernels.sink)}`,
    `- dates: run created ${f.dates.created}; trials ${f.dates.firstTrialStart ?? "—"} to ${f.dates.lastTrialEnd ?? "—"}`,
    ...profileFacts(runProfiles(report)).map((x) => `- lab profile: ${x}`),
    ...Object.values(PUBLISHED_PAGES).map((p) => `- published: ${p.title} — ${p.url}`),
    "",
  );
  const list = (xs: Report["kumomta"]["settings"]): string => (xs.length === 0 ? "none recorded" : xs.map((x) => (xs.length === 1 ? x.text : `${x.text} (${x.trials} trials)`)).join("; "));
  out.push(`KumoMTA: ${list(report.kumomta.versions)}; ${list(report.kumomta.settings)}.`, "");
  out.push(
    "RATE is traffic-gen's acceptance rate at the sender, computed from `sent` ÷ elapsed time, mean over the valid trials, in millions of messages per hour (MMH). " +
      "stdev is the sample standard deviation; 95% CI is mean ± t(0.975, n−1)·s/√n (Student t; shown from 2 valid trials). " +
      "End-to-end is what the sink received over the time from the first injection to the last delivery. CPU and network are means of per-trial means; network is the sender's transmit rate. " +
      `Published figures are matched by ${BASELINE_MATCH_RULE}. $ per M msgs is the sender's hourly price ÷ its measured MMH.`,
    "",
  );

  out.push("## Excluded trials", "");
  if (report.excluded.length === 0) out.push("None: every recorded trial is valid.", "");
  else {
    const total = report.rows.reduce((a, r) => a + r.trialsTotal, 0);
    out.push(`${report.excluded.length} of ${total} trials are excluded from every mean:`, "");
    for (const e of report.excluded) out.push(`- ${e.sizeId}${e.workload === undefined ? "" : ` × ${e.workload}`} trial ${e.trial} (${e.status}): ${e.reasons.map((x) => `${x.code} — ${x.detail}`).join("; ")}`);
    out.push("");
  }

  out.push("## Flags", "");
  out.push(
    `A flag marks a size whose figure may not be the sender's limit: sink CPU above ${SINK_CPU_LIMIT_PCT} % (trial mean), network above ${LINK_SHARE_LIMIT * 100} % of the link speed (when known), ` +
      "traffic-gen's deadline hit, failed sends, deliveries failing at the sender's kumod, messages held back by a full ready queue (kumomta.maxReady), a failed trial, or a missing port-25 proof. Flags look at every trial of the size, valid or not.",
    "",
  );
  const flagged = report.rows.filter((r) => r.flagDetails.length > 0);
  if (flagged.length === 0) out.push("No size is flagged.", "");
  else {
    for (const r of flagged) out.push(`- ${r.sizeId}${r.workload === undefined ? "" : ` × ${r.workload}`} (${r.label}): ${r.flagDetails.join("; ")}`);
    out.push("");
  }

  const c = report.cost;
  out.push("## Cost", "");
  out.push(`Method: ${COST_METHOD}.`, "");
  out.push(`- Lab window: ${duration(c.lab.seconds)} (from ${c.lab.source === "timeline" ? "the timeline" : c.lab.source === "trials" ? "the trials" : "nowhere: no data"}); sink ${usd(c.sinkHourlyUsd, 3)}/h → ${usd(c.sinkUsd)}${c.generator ? `; generator host ${c.generator.label} ${usd(c.generator.hourlyUsd, 3)}/h → ${usd(c.generator.usd)}` : ""}`);
  for (const s of c.sizes) out.push(`- ${s.sizeId}: ${duration(s.window.seconds)} (from ${s.window.source === "timeline" ? "the timeline" : s.window.source === "trials" ? "its trials" : "nowhere: no data"}) at ${usd(s.hourlyUsd, 3)}/h → ${usd(s.usd)}`);
  out.push(`- **Sweep total: ${c.totalUsd === null ? "unknown (a price is missing)" : usd(c.totalUsd)}** compute`);
  const tr = report.transfer;
  out.push(`- Data transfer: ${tr.usd === null ? "not priced" : usd(tr.usd)} (${(tr.bytes / 1e9).toFixed(1)} GB at $${tr.usdPerGB}/GB: ${tr.definition})`);
  out.push(`- **Total: ${c.totalUsd !== null && tr.usd !== null ? usd(c.totalUsd + tr.usd) : "unknown (a price is missing)"}** (compute + data transfer)`, "");
  for (const n of tr.notes) c.notes.includes(n) || out.push(`- Note: ${n}`);
  if (c.notes.length > 0) {
    for (const n of c.notes) out.push(`- Note: ${n}`);
    out.push("");
  }
  if (report.warnings.length > 0) {
    out.push("## Warnings", "");
    for (const w of report.warnings) out.push(`- ${w}`);
    out.push("");
  }
  return out.join("\n");
}
