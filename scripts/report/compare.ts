/**
 * Comparing runs: "did this upgrade or config change make it faster?". Per size (matched by size
 * id), each run's mean with its 95 % interval, the difference from the first run in %, and
 * whether it is statistically significant (Welch's t-test at 95 %, two-sided); then what differs
 * between the runs' versions, settings, sink and traffic-gen parameters.
 */
import { join } from "node:path";
import { writeTextAtomic } from "../results/durable-file";
import { baselineView, buildReport, runProfiles, type Report, type ReportRow } from "./build-report";
import { DASH } from "./format";
import { PAGE_STYLE, esc } from "./html";
import type { Tally } from "./run-facts";
import { welchTest, type WelchTest } from "./statistics";

export interface CompareCell {
  runId: string;
  row: ReportRow | null;
}

export interface CompareVersus {
  runId: string;
  /** (this run's mean ÷ the first run's − 1) × 100; null when either has no figure. */
  differencePct: number | null;
  welch: WelchTest | null;
  verdict: string;
}

export interface CompareRow {
  sizeId: string;
  label: string;
  vcpu: number;
  ramGiB: number;
  cells: CompareCell[];
  /** Every run after the first, against the first. */
  versus: CompareVersus[];
}

export interface SettingDifference {
  what: string;
  values: string[];
}

export interface Comparison {
  runs: Array<{ runId: string; dir: string; createdAt: string }>;
  rows: CompareRow[];
  differences: SettingDifference[];
  same: string[];
}

function verdict(a: ReportRow | null, b: ReportRow | null, w: WelchTest | null): string {
  if (a?.mmh == null || b?.mmh == null) return `nothing to compare: no figure in ${a?.mmh == null ? "the first run" : "this run"}`;
  if (w === null) return "too few valid trials to test (2 per run needed)";
  const way = w.difference > 0 ? "faster" : "slower";
  return w.significant ? `${way}: significant at 95 % (p = ${w.p.toFixed(3)})` : `no significant difference at 95 % (p = ${w.p.toFixed(2)})`;
}

const tallyText = (xs: readonly Tally[]): string => (xs.length === 0 ? "no trial recorded" : xs.map((x) => x.text).join("; "));

function settingsOf(r: Report): Array<[string, string]> {
  const f = r.facts;
  const t = f.traffic;
  return [
    ["KumoMTA version (sender)", tallyText(f.kumodVersions.sender)],
    ["KumoMTA version (sink)", tallyText(f.kumodVersions.sink)],
    ["egress TLS", tallyText(f.tls)],
    ["traffic-gen ran", tallyText(f.trafficGenOn)],
    ["KumoMTA settings", tallyText(r.kumomta.settings)],
    // Another profile is another test bed (spool disk, OS, DKIM): lab-config/profiles.ts.
    ["lab profile", runProfiles(r).join(", ") || "not recorded"],
    ["sink", f.sink.text],
    ["sender region", tallyText(f.regions.sender)],
    ["sink region", tallyText(f.regions.sink)],
    ["sender kernel", tallyText(f.kernels.sender)],
    ["sink kernel", tallyText(f.kernels.sink)],
    ["traffic-gen", `${t.messageCount} messages of ${t.bodySizeBytes} bytes, concurrency ${t.concurrency}, deadline ${t.durationCapSeconds} s${t.extraArgs.length > 0 ? `, ${t.extraArgs.join(" ")}` : ""}`],
    ["trials per size", String(t.trialsPerSize)],
    ["sender sizes", r.rows.map((x) => `${x.sizeId} ${x.label}`).join(", ")],
  ];
}

export function compareReports(reports: ReadonlyArray<{ dir: string; report: Report }>): Comparison {
  if (reports.length < 2) throw new Error("a comparison needs at least two results folders");
  // Runs of several workloads are compared by their baseline workload's rows (one per size).
  reports = reports.map(({ dir, report }) => ({ dir, report: baselineView(report) }));
  const ids: string[] = [];
  for (const { report } of reports) for (const r of report.rows) if (!ids.includes(r.sizeId)) ids.push(r.sizeId);
  const rows: CompareRow[] = ids.map((sizeId) => {
    const cells = reports.map(({ report }) => ({ runId: report.runId, row: report.rows.find((r) => r.sizeId === sizeId) ?? null }));
    const any = cells.find((c) => c.row !== null)?.row;
    const first = cells[0]?.row ?? null;
    const versus = cells.slice(1).map((c) => {
      const w = first !== null && c.row !== null ? welchTest(first.validMmh, c.row.validMmh) : null;
      return {
        runId: c.runId,
        differencePct: first?.mmh != null && c.row?.mmh != null ? (c.row.mmh / first.mmh - 1) * 100 : null,
        welch: w,
        verdict: verdict(first, c.row, w),
      };
    });
    return { sizeId, label: any?.label ?? sizeId, vcpu: any?.vcpu ?? 0, ramGiB: any?.ramGiB ?? 0, cells, versus };
  }).sort((a, b) => a.vcpu - b.vcpu || a.ramGiB - b.ramGiB);
  const settings = reports.map(({ report }) => settingsOf(report));
  const differences: SettingDifference[] = [];
  const same: string[] = [];
  (settings[0] ?? []).forEach(([what], i) => {
    const values = settings.map((s) => s[i]?.[1] ?? DASH);
    if (new Set(values).size > 1) differences.push({ what, values });
    else same.push(`${what}: ${values[0] ?? DASH}`);
  });
  return { runs: reports.map(({ dir, report }) => ({ runId: report.runId, dir, createdAt: report.createdAt })), rows, differences, same };
}

const meanText = (r: ReportRow | null): string => {
  if (r === null) return "size not in this run";
  if (r.mmh === null) return r.statusText;
  return `${r.mmh.toFixed(3)} MMH ${r.ci95Mmh === null ? "(one trial: no interval)" : `[${r.ci95Mmh.low.toFixed(3)}–${r.ci95Mmh.high.toFixed(3)}]`} n=${r.trialsValid}`;
};
const diffText = (v: CompareVersus): string => (v.differencePct === null ? DASH : `${v.differencePct >= 0 ? "+" : "−"}${Math.abs(v.differencePct).toFixed(1)} %`);
const welchText = (v: CompareVersus): string => (v.welch === null ? DASH : `t = ${v.welch.t.toFixed(2)}, df = ${v.welch.df.toFixed(2)}, t crit = ${v.welch.tCritical.toFixed(3)}`);

export function renderCompareMarkdown(c: Comparison): string {
  const base = c.runs[0]?.runId ?? "";
  const out = [`# KumoMTA throughput — ${c.runs.map((r) => r.runId).join(" vs ")}`, ""];
  out.push(`Means over valid trials with their 95 % confidence interval (Student t). Each later run against ${base}: the difference in %, and Welch's t-test (two-sided, 95 %, Welch–Satterthwaite df).`, "");
  for (const v of c.runs.slice(1)) {
    out.push(`## ${v.runId} against ${base}`, "", `| size | ${base} | ${v.runId} | difference | Welch | verdict |`, "|---|---|---|---|---|---|");
    for (const r of c.rows) {
      const i = c.runs.findIndex((x) => x.runId === v.runId);
      const vs = r.versus[i - 1];
      if (vs === undefined) continue;
      out.push(`| ${r.label} · ${r.vcpu} vCPU | ${meanText(r.cells[0]?.row ?? null)} | ${meanText(r.cells[i]?.row ?? null)} | ${diffText(vs)} | ${welchText(vs)} | ${vs.verdict} |`);
    }
    out.push("");
  }
  out.push("## What differs between the runs", "");
  if (c.differences.length === 0) out.push("Nothing recorded differs: same versions, settings, sink and traffic-gen parameters.", "");
  else for (const d of c.differences) out.push(`- ${d.what}: ${d.values.map((v, i) => `${c.runs[i]?.runId ?? ""} ${v}`).join(" → ")}`);
  out.push("", "## The same in every run", "", ...c.same.map((s) => `- ${s}`), "");
  return out.join("\n");
}

export function renderCompareHtml(c: Comparison): string {
  const base = c.runs[0]?.runId ?? "";
  const sections = c.runs.slice(1).map((v, k) => {
    const i = k + 1;
    const head = ["size", base, v.runId, "difference", "Welch's t-test", "verdict"];
    const body = c.rows
      .map((r) => {
        const vs = r.versus[k];
        if (vs === undefined) return "";
        const cls = vs.welch?.significant === true ? "significant" : "not-significant";
        const cells = [`${r.label} · ${r.vcpu} vCPU`, meanText(r.cells[0]?.row ?? null), meanText(r.cells[i]?.row ?? null), diffText(vs), welchText(vs), vs.verdict];
        return `<tr class="${cls}">${cells.map((x, j) => `<td data-label="${esc(head[j] ?? "")}">${j === 5 && vs.welch?.significant === true ? `<strong>${esc(x)}</strong>` : esc(x)}</td>`).join("")}</tr>`;
      })
      .join("\n");
    return `<h2>${esc(v.runId)} against ${esc(base)}</h2><table class="compare"><thead><tr>${head.map((h) => `<th>${esc(h)}</th>`).join("")}</tr></thead><tbody>\n${body}\n</tbody></table>`;
  });
  const diffs =
    c.differences.length === 0
      ? "<p>Nothing recorded differs: same versions, settings, sink and traffic-gen parameters.</p>"
      : `<dl class="defs differences">${c.differences.map((d) => `<dt>${esc(d.what)}</dt><dd>${d.values.map((v, i) => `${esc(c.runs[i]?.runId ?? "")}: ${esc(v)}`).join("<br>")}</dd>`).join("")}</dl>`;
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>KumoMTA throughput — ${esc(c.runs.map((r) => r.runId).join(" vs "))}</title>
<style>${PAGE_STYLE}tr.significant td{background:#eef6ee}</style></head><body>
<h1>KumoMTA throughput — ${esc(c.runs.map((r) => r.runId).join(" vs "))}</h1>
<p class="sub">Means over valid trials with their 95 % confidence interval (Student t). Each later run against ${esc(base)}: the difference in %, and Welch's t-test (two-sided, 95 %, Welch–Satterthwaite degrees of freedom). A difference that is not significant is within the trials' run-to-run noise.</p>
${sections.join("\n")}
<h2>What differs between the runs</h2>
${diffs}
<h2>The same in every run</h2>
<ul>${c.same.map((s) => `<li>${esc(s)}</li>`).join("")}</ul>
<p class="note">Folders: ${c.runs.map((r) => esc(`${r.runId} = ${r.dir}`)).join("; ")}</p>
</body></html>
`;
}

export const COMPARE_FILES = { markdown: "compare.md", html: "compare.html", json: "compare.json" } as const;

/** Builds every folder's report, compares them and writes compare.md, compare.html and compare.json into outDir. */
export function writeComparison(dirs: readonly string[], outDir: string): { comparison: Comparison; markdown: string; files: string[] } {
  const comparison = compareReports(dirs.map((dir) => ({ dir, report: buildReport(dir) })));
  const markdown = renderCompareMarkdown(comparison);
  const files = [join(outDir, COMPARE_FILES.markdown), join(outDir, COMPARE_FILES.html), join(outDir, COMPARE_FILES.json)];
  writeTextAtomic(files[0] ?? "", markdown);
  writeTextAtomic(files[1] ?? "", renderCompareHtml(comparison));
  writeTextAtomic(files[2] ?? "", `${JSON.stringify(comparison, null, 2)}\n`);
  return { comparison, markdown, files };
}
