/** The plans side by side, as `npm run plan` and the sweep print them before anything is created. */
import { formatDuration } from "./estimate";
import { planFlags, RECOMMENDATION_RULE, type ModelledPlan, type PlanAssumptions, type Recommendation } from "./plan-model";

const money = (v: number | undefined): string => (v === undefined ? "unknown" : `$${v.toFixed(2)}`);
const ratio = (v: number | undefined, of: number | undefined): string => (v === undefined || of === undefined || of === 0 ? "—" : `${(v / of).toFixed(2)}×`);
const pct = (v: number): string => `${(v * 100).toFixed(v < 0.1 ? 1 : 0)} %`;

/** Pads columns to the widest cell, counting code points (so ≥, ÷ and — are one). */
export function alignColumns(rows: readonly string[][]): string[] {
  const len = (s: string): number => [...s].length;
  const widths = (rows[0] ?? []).map((_, i) => Math.max(...rows.map((r) => len(r[i] ?? ""))));
  return rows.map((r) => r.map((c, i) => c + " ".repeat(Math.max(0, (widths[i] ?? 0) - len(c)))).join("  ").trimEnd());
}

function notes(p: ModelledPlan): string {
  const out: string[] = [];
  if (p.shape.coolDown === "full") out.push("every cool-down its full length");
  if (p.standbyUsd !== undefined && p.standbyUsd > 0) out.push(`standby ${money(p.standbyUsd)}`);
  if (p.risk) out.push(`interruption ${pct(p.risk.anyInterruption)}: expected +${formatDuration(p.risk.expectedExtraSeconds)}, +${money(p.risk.expectedExtraUsd)}`);
  return out.join("; ");
}

/**
 * The table (naive plan first), the recommendation and its rule. Spot rows show expected wall time
 * and cost (interruptions included); `chosen` is the plan these flags run.
 */
export function formatPlansTable(o: { plans: readonly ModelledPlan[]; naive: ModelledPlan; chosen: ModelledPlan; recommended: Recommendation | undefined; sizes: number; upperBound: boolean }): string[] {
  const same = (x: ModelledPlan, y: ModelledPlan | undefined): boolean => y !== undefined && x.label === y.label;
  const row = (p: ModelledPlan): string[] => [
    `${same(p, o.recommended?.plan) ? "★" : " "}${same(p, o.chosen) ? "→" : " "} ${p.label}`,
    formatDuration(p.expectedWallSeconds),
    money(p.expectedCostUsd),
    ratio(p.expectedWallSeconds, o.naive.wallSeconds),
    ratio(p.expectedCostUsd, o.naive.costUsd),
    notes(p),
  ];
  const table = alignColumns([
    ["   plan", "wall", "cost", "time÷naive", "cost÷naive", "notes"],
    row(o.naive),
    ...o.plans.map(row),
  ]);
  const rec = o.recommended;
  return [
    `  plans${o.upperBound ? " (upper bounds: a rate is unknown)" : ""}: ★ recommended, → this sweep's (--parallel, --no-prefetch, --spot); spot rows: expected values, the chance of at least one interruption`,
    ...table.map((l) => `    ${l}`),
    rec
      ? `  recommended: ${rec.plan.label} (${planFlags(rec.plan.shape, o.sizes)}) — ${rec.why}`
      : "  recommended: none (no sizes)",
    `  rule: ${RECOMMENDATION_RULE}`,
  ];
}

/** The plan assumptions as printed, each with its source. */
export function describePlanAssumptions(p: PlanAssumptions, coolDownSeconds: number): string[] {
  return [
    `measured cool-down: ${Math.min(p.settleSeconds, coolDownSeconds)} s expected (settle time ${p.settleSeconds} s, an assumption: the check needs two reads ~1 s apart; never more than the configured ${coolDownSeconds} s)`,
    `prefetch: a standby sender is launched ${p.standbyLaunchSeconds} s + provisioned while the size before it is measured, swapped in in ${p.swapSeconds} s; its idle time is billed`,
    `spot: sender at ${p.senderSpotFraction}× on-demand, sink at ${p.sinkSpotFraction}× pay-as-you-go (assumptions — AWS Spot Instance Advisor and Azure spot pricing vary by type and region); ${p.spotInterruptionsPerHour} interruptions per spot VM-hour (an assumption, pessimistic beside the Advisor's monthly "< 5 %" … "> 20 %"); an interrupted size is re-run on demand`,
    `plans with N labs deal the sizes in turn (lab 1: sizes 1, N+1, …); each lab has its own sink, up and destroy; the naive plan builds a lab per size in turn and waits every cool-down's full ${coolDownSeconds} s`,
  ];
}
