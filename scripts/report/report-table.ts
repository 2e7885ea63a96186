/** The report's table as plain cells: one definition of the columns for Markdown, HTML and CSV. */
import type { Report, ReportRow, TrialRow, WorkloadDifference } from "./build-report";
import { differenceVerdict } from "./build-report";
import { LIMIT_SHARE } from "./build-report";
import { BASELINE_MATCH_RULE, type BaselineSource } from "./published-baseline";
import { notComparableText } from "./setup-match";
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

const SOURCE_SHORT: Readonly<Record<BaselineSource, string>> = { "performance-testing-page": "perf page", "july-2023-blog": "July 2023", "performance-update-2025": "2025 update" };

function publishedCell(r: ReportRow): string {
  if (r.published === null) return DASH;
  const where = `${SOURCE_SHORT[r.published.source]} ${r.published.instanceType ?? ""}`.trim();
  return `${r.published.mmh} (${where}, ${r.published.vcpu}/${r.published.ramGiB})`;
}

/** Ours ÷ published where the setups match; otherwise what differs, never a ratio. */
export function ratioCell(r: ReportRow): string {
  if (r.ratioToPublished !== null) return `${r.ratioToPublished.toFixed(2)}×`;
  if (r.publishedComparison !== null && !r.publishedComparison.comparable) return notComparableText(r.publishedComparison);
  return DASH;
}

export function tableCells(r: ReportRow): string[] {
  return [
    String(r.vcpu),
    String(r.ramGiB),
    r.mmh === null ? DASH : `${r.mmh.toFixed(3)} MMH`,
    r.workload === undefined ? r.label : `${r.label} · ${r.workload}`,
    r.status === "not-run" ? r.statusText : `${r.trialsValid}/${r.trialsTotal}`,
    fixed(r.stdevMmh, 3),
    r.ci95Mmh === null ? DASH : `${r.ci95Mmh.low.toFixed(3)}–${r.ci95Mmh.high.toFixed(3)}`,
    fixed(r.endToEndMmh, 3),
    seconds(r.p99LatencySeconds),
    r.senderCpuPct === null ? DASH : `${r.senderCpuPct.toFixed(0)} %`,
    r.sinkCpuPct === null ? DASH : `${r.sinkCpuPct.toFixed(0)} %`,
    fixed(r.networkMBps, 1),
    r.flags.length === 0 ? "" : r.flags.join(", "),
    publishedCell(r),
    ratioCell(r),
    usd(r.costPerMillionUsd, 3),
  ];
}

export function tableRows(report: Report): string[][] {
  return report.rows.map(tableCells);
}

/** The summary per size, compact enough for 1280 px: one definition for the HTML and the Markdown summary. */
export const SUMMARY_HEADERS = ["size", "trials", "rate (MMH)", "95% CI", "msg/s", "published", "limited by", "$ per M msgs", "flags"] as const;

export function summaryCells(r: ReportRow): string[] {
  return [
    `${r.label} · ${r.vcpu} vCPU / ${r.ramGiB} GiB${r.workload === undefined ? "" : ` · ${r.workload}`}`,
    r.status === "complete" || r.status === "partial" ? `${r.trialsValid} valid of ${r.trialsTotal}${r.status === "partial" ? ` (${r.trialsPlanned} planned)` : ""}` : r.statusText,
    r.mmh === null ? DASH : r.mmh.toFixed(2),
    r.ci95Mmh === null ? (r.mmh === null ? DASH : "one trial: none") : `${r.ci95Mmh.low.toFixed(2)}–${r.ci95Mmh.high.toFixed(2)}`,
    r.msgsPerSec === null ? DASH : Math.round(r.msgsPerSec).toLocaleString("en-US"),
    r.published === null
      ? DASH
      : `${r.published.mmh}${r.ratioToPublished !== null ? ` (ours ${r.ratioToPublished.toFixed(2)}×)` : r.publishedComparison !== null && !r.publishedComparison.comparable ? ` (${notComparableText(r.publishedComparison)})` : ""}`,
    r.mmh === null ? DASH : r.limitedBy.length === 0 ? "not determined" : r.limitText,
    usd(r.costPerMillionUsd, 3),
    "",
  ];
}

export const TRIAL_HEADERS = ["size", "trial", "result", "rate (MMH)", "sent", "failed", "elapsed", "end-to-end (MMH)", "sender CPU", "sink CPU", "network (MB/s)", "cool-down", "why excluded"] as const;

export function trialCells(t: TrialRow): string[] {
  return [
    `${t.label} · ${t.vcpu} vCPU${t.workload === undefined ? "" : ` · ${t.workload}`}`,
    String(t.trial),
    `${t.valid ? "valid" : t.status === "failed" ? "failed — excluded" : "excluded"}${t.rateDropped ? ` ⚠ rate-dropped: ${t.rateDropped}` : ""}`,
    fixed(t.mmh, 3),
    t.sent === null ? DASH : t.sent.toLocaleString("en-US"),
    t.failed === null ? DASH : t.failed.toLocaleString("en-US"),
    `${seconds(t.elapsedSeconds)}${t.rateSparkline ? ` ${t.rateSparkline}` : ""}`,
    fixed(t.endToEndMmh, 3),
    t.senderCpuPct === null ? DASH : `${t.senderCpuPct.toFixed(0)} %`,
    t.sinkCpuPct === null ? DASH : `${t.sinkCpuPct.toFixed(0)} %`,
    fixed(t.networkMBps, 1),
    t.coolDown ?? DASH,
    t.reasons.map((x) => `${x.code}: ${x.detail}`).join("; "),
  ];
}

/** What each column means: shown in the HTML and the Markdown. */
export const COLUMN_DEFINITIONS: ReadonlyArray<readonly [string, string]> = [
  ["rate (MMH)", "traffic-gen's acceptance rate at the sender — messages sent ÷ elapsed time — in millions of messages per hour, the mean over the size's valid trials (1 MMH = 277.8 msg/s)."],
  ["95% CI", "the 95 % confidence interval of that mean: mean ± t(0.975, n−1)·s/√n (Student t, sample standard deviation s); needs at least 2 valid trials."],
  ["trials", "valid trials of those run; \"not run (0 of N planned)\" when the sweep never reached the size, \"no valid trial — see why\" when every trial was excluded (the per-trial table says why)."],
  ["end-to-end (MMH)", "what the sink received, over the time from the first injection to the last delivery."],
  ["sender CPU / sink CPU", "each host's CPU use, the mean over a trial (per size: the mean of the valid trials' means)."],
  ["network (MB/s)", "the sender's transmit rate, MB = 10^6 bytes."],
  ["elapsed", "traffic-gen's run time, then the rate the sender's kumod accepted over it as a sparkline (about 30 intervals, scaled to the highest). A steady-state trial (--duration) whose rate in the last third, after the first interval, fell below 80 % of the first third's is marked ⚠ rate-dropped in its result: its mean is not the sustained rate (burst credits ran out)."],
  ["cool-down", "the wait before the trial: until the sender's queue was empty, both hosts' CPU below 15 % and few TIME_WAIT sockets left towards the sink (settled), at most the configured cool-down (not settled); — before a size's first trial or after a plain sleep."],
  ["limited by", `every resource at or above ${LIMIT_SHARE * 100} % of its capacity over the valid trials — sender CPU, sink CPU, or the network against the link speed (when known); "not determined" when none is. Trials that carry a verdict add the spool disk (utilisation), dropped packets and KumoMTA's configuration ceiling (connection_limit ÷ mean time per message, when kumod had every connection open and the rate reached ${LIMIT_SHARE * 100} % of it; max_ready delays; memory limit): the size takes the verdict most of its valid trials share.`],
  ["published", `the published figure for the same machine shape (${BASELINE_MATCH_RULE}), and ours ÷ it — only where the setup its source states (OS, spool disk, spool kind, DKIM, messages, body, instance) matches what our trials recorded; otherwise "not comparable:" with what differs and the profile that reproduces it.`],
  ["$ per M msgs", "the sender's hourly price ÷ its mean rate: compute cost per million messages (the sink and data transfer are in the cost section)."],
  ["flags", "a red flag limits the figure: a valid trial hit it (e.g. the network near the link speed), so the mean may not be the sender's limit. A grey flag means only an excluded trial hit it: a trial was left out, and the mean is clean of it."],
];

/** The Workloads table: each workload against the baseline, per size (runs of several workloads). */
export const WORKLOAD_HEADERS = ["size", "workload", "rate (MMH)", "baseline (MMH)", "difference", "95% CI of the difference", "Welch", "verdict"] as const;

const signed = (v: number): string => `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(1)} %`;

export function workloadCells(d: WorkloadDifference): string[] {
  const rate = (m: number | null, n: number): string => (m === null ? `${DASH} (no valid trial)` : `${m.toFixed(3)} (n=${n})`);
  return [
    `${d.label} · ${d.vcpu} vCPU`,
    d.workload,
    rate(d.mmh, d.n),
    rate(d.baselineMmh, d.nBaseline),
    d.differencePct === null ? DASH : signed(d.differencePct),
    d.ci95Pct === null ? (d.differencePct === null ? DASH : "fewer than 2 valid trials a side") : `${signed(d.ci95Pct.low)} to ${signed(d.ci95Pct.high)}`,
    d.welch === null ? DASH : `t = ${d.welch.t.toFixed(2)}, df = ${d.welch.df.toFixed(2)}, t crit = ${d.welch.tCritical.toFixed(3)}`,
    differenceVerdict(d),
  ];
}

/** How the Workloads table is computed: shown under it in the HTML and the Markdown. */
export const WORKLOAD_METHOD =
  "difference = (workload's mean ÷ baseline's mean − 1) × 100, means over valid trials. Its 95 % CI is Welch's interval of the difference of the means, " +
  "(x̄_w − x̄_b) ± t(0.975, df)·√(s_b²/n_b + s_w²/n_w) at the Welch–Satterthwaite df, divided by the baseline's mean (taken as exact); it needs 2 valid trials on each side. " +
  "An interval that excludes 0 is a difference significant at 95 % (Welch's t-test, two-sided).";
