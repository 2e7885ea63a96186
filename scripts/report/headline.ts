/**
 * The report's headline: a few sentences written from the data, each only when the data supports
 * it — the peak and where it is, the cheapest cost per million messages, what each step up in
 * vCPUs gained (and whether that is more than the noise: Welch's t-test at 95 %), where adding
 * vCPUs stops paying, what limited each size, and how the figures compare with the published ones.
 */
import type { Report, ReportRow } from "./build-report";
import { LIMIT_SHARE } from "./build-report";
import { welchTest } from "./statistics";

type HeadlineInput = Omit<Report, "headline">;

const mmh = (v: number): string => `${v.toFixed(2)} MMH`;
const pct = (v: number): string => `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(0)} %`;
const sizeName = (r: ReportRow): string => `${r.label} (${r.vcpu} vCPU / ${r.ramGiB} GiB)`;

export interface ScalingStep {
  from: ReportRow;
  to: ReportRow;
  /** (to ÷ from − 1) × 100. */
  gainPct: number;
  /** (to's hourly price ÷ from's − 1) × 100; null when a price is missing. */
  pricePct: number | null;
  /** null when either size has fewer than two valid trials. */
  significant: boolean | null;
}

/** Consecutive measured sizes by vCPU (sizes sharing a vCPU count are skipped as steps). */
export function scalingSteps(rows: readonly ReportRow[]): ScalingStep[] {
  const measured = rows.filter((r): r is ReportRow & { mmh: number } => r.mmh !== null).sort((a, b) => a.vcpu - b.vcpu);
  const steps: ScalingStep[] = [];
  for (let i = 1; i < measured.length; i++) {
    const from = measured[i - 1];
    const to = measured[i];
    if (from === undefined || to === undefined || from.vcpu === to.vcpu) continue;
    const w = welchTest(from.validMmh, to.validMmh);
    steps.push({
      from,
      to,
      gainPct: (to.mmh / from.mmh - 1) * 100,
      pricePct: from.hourlyUsd !== null && to.hourlyUsd !== null && from.hourlyUsd > 0 ? (to.hourlyUsd / from.hourlyUsd - 1) * 100 : null,
      significant: w === null ? null : w.significant,
    });
  }
  return steps;
}

export function headline(report: HeadlineInput): string[] {
  const out: string[] = [];
  const measured = report.rows.filter((r): r is ReportRow & { mmh: number } => r.mmh !== null);
  const peak = measured.reduce<(ReportRow & { mmh: number }) | null>((best, r) => (best === null || r.mmh > best.mmh ? r : best), null);
  if (peak !== null) {
    const spread = peak.ci95Mmh === null ? "a single valid trial, so no interval" : `95 % CI ${peak.ci95Mmh.low.toFixed(2)}–${peak.ci95Mmh.high.toFixed(2)}`;
    const per = peak.msgsPerSec === null ? "" : ` (${Math.round(peak.msgsPerSec).toLocaleString("en-US")} msg/s)`;
    out.push(`${measured.length > 1 ? "Peak" : "Rate"}: ${mmh(peak.mmh)}${per} on ${sizeName(peak)}, the mean of ${peak.trialsValid} valid trial${peak.trialsValid === 1 ? "" : "s"} (${spread}).`);
  }

  const priced = measured.filter((r): r is ReportRow & { mmh: number; costPerMillionUsd: number } => r.costPerMillionUsd !== null);
  const cheapest = priced.reduce<(typeof priced)[number] | null>((best, r) => (best === null || r.costPerMillionUsd < best.costPerMillionUsd ? r : best), null);
  if (cheapest !== null) {
    out.push(`${priced.length > 1 ? "Cheapest" : "Cost"} per million messages: $${cheapest.costPerMillionUsd.toFixed(3)} on ${cheapest.label} (${cheapest.vcpu} vCPU) — the sender's hourly price ÷ its rate.`);
  }

  const steps = scalingSteps(report.rows);
  if (steps.length > 0) {
    const said = steps.map((s) => {
      const test = s.significant === null ? "too few trials to test" : s.significant ? "significant at 95 %" : "not significant at 95 %";
      return `${pct(s.gainPct)} from ${s.from.vcpu} to ${s.to.vcpu} vCPU (${test})`;
    });
    out.push(`Adding vCPUs: ${said.join("; ")}.`);
    const stopsPaying = steps.find((s) => s.pricePct !== null && s.gainPct < s.pricePct);
    const flat = steps.find((s) => s.significant === false);
    if (stopsPaying !== undefined && stopsPaying.pricePct !== null) {
      out.push(
        `Adding vCPUs stops paying after ${stopsPaying.from.vcpu} vCPU: from ${stopsPaying.from.vcpu} to ${stopsPaying.to.vcpu} vCPU the rate rises ${Math.abs(stopsPaying.gainPct).toFixed(0)} % but the price ${stopsPaying.pricePct.toFixed(0)} %, so each million messages costs more.`,
      );
    } else if (flat !== undefined) {
      out.push(`Adding vCPUs stops paying after ${flat.from.vcpu} vCPU: the ${pct(flat.gainPct)} from ${flat.from.vcpu} to ${flat.to.vcpu} vCPU is within the trials' noise.`);
    }
  }

  if (measured.length > 0) {
    const limits = measured.map((r) => (r.limitedBy.length === 0 ? `${r.label} not determined (no resource reached ${LIMIT_SHARE * 100} %)` : `${r.label} ${r.limitText}`));
    out.push(`What limited ${measured.length > 1 ? "each size" : "it"}: ${limits.join("; ")}.`);
  }

  const compared = measured.filter((r) => r.ratioToPublished !== null && r.published !== null);
  if (compared.length > 0) {
    out.push(`Against the published figures: ${compared.map((r) => `${(r.ratioToPublished ?? 0).toFixed(2)}× at ${r.vcpu} vCPU (${mmh(r.mmh)} vs ${r.published?.mmh ?? ""})`).join(", ")}.`);
  }
  // A published figure for the shape whose stated setup differs from ours: say so, never a ratio (./setup-match.ts).
  const notComparable = measured.filter((r) => r.published !== null && r.publishedComparison !== null && !r.publishedComparison.comparable);
  if (notComparable.length > 0) {
    out.push(`Not compared with the published figures (the setups differ): ${notComparable.map((r) => `${r.vcpu} vCPU, ${r.published?.mmh ?? ""} MMH — ${r.publishedComparison?.differences.join(", ") ?? ""} (profile ${r.publishedComparison?.profile ?? ""} reproduces it)`).join("; ")}.`);
  }

  const limited = measured.filter((r) => r.figureFlags.length > 0);
  if (limited.length > 0) out.push(`Figures to read with care (a valid trial was flagged): ${limited.map((r) => `${r.label} — ${r.figureFlags.join(", ")}`).join("; ")}.`);

  const missing = report.rows.filter((r) => r.mmh === null);
  if (missing.length > 0) out.push(`No figure for ${missing.map((r) => `${r.label} (${r.statusText})`).join(", ")}.`);
  const total = report.rows.reduce((a, r) => a + r.trialsTotal, 0);
  if (total === 0) out.push(`Nothing was measured: no trial of the ${report.rows.length} planned size${report.rows.length === 1 ? "" : "s"} has been run.`);
  else if (report.excluded.length > 0) out.push(`${report.excluded.length} of ${total} trials were excluded from the means (see the per-trial table for why).`);
  return out;
}
