/** What a sweep will do, printed before anything is created. */
import type { LabConfig, SenderSize } from "../../lab-config/schema";
import { expectedMsgsPerSec } from "./expected-rate";
import { describeAssumptions, estimateOurPlan, formatDuration, formatUsd, DEFAULT_ASSUMPTIONS, type PlanEstimate } from "./estimate";

export interface SweepPlan {
  sizes: SenderSize[];
  trials: number;
  coolDownSeconds: number;
  labDescription: string;
  resultsDir: string;
  keep: boolean;
  estimate: PlanEstimate;
}

export function makePlan(cfg: LabConfig, opts: { sizes: SenderSize[]; trials: number; coolDownSeconds: number; labDescription: string; resultsDir: string; keep: boolean; labExists: boolean; destroys: boolean }): SweepPlan {
  const estimate = estimateOurPlan({
    sizes: opts.sizes,
    trials: opts.trials,
    coolDownSeconds: opts.coolDownSeconds,
    traffic: cfg.traffic,
    sinkHourlyUsd: cfg.sink.hourlyUsd,
    expectedMsgsPerSec,
    labExists: opts.labExists,
    destroys: opts.destroys && !opts.keep,
  });
  return { ...opts, estimate };
}

export function formatPlan(plan: SweepPlan, cfg: LabConfig): string {
  const lines = [
    `Sweep plan — ${plan.labDescription}`,
    `  sizes: ${plan.sizes.map((s) => `${s.id} (${s.instanceType}, ${s.vcpu} vCPU / ${s.ramGiB} GiB${s.hourlyUsd !== undefined ? `, $${s.hourlyUsd}/h` : ""})`).join(", ")}`,
    `  trials: ${plan.trials} per size, ${plan.coolDownSeconds} s cool-down between them (${plan.sizes.length * plan.trials} in all)`,
    `  traffic-gen: ${cfg.traffic.messageCount} messages, concurrency ${cfg.traffic.concurrency}, ${cfg.traffic.bodySize} B bodies`,
    `  sink: ${cfg.sink.vmSize}${cfg.sink.hourlyUsd !== undefined ? ` ($${cfg.sink.hourlyUsd}/h)` : ""}, port ${cfg.sink.smtpPort}`,
    `  results: ${plan.resultsDir}`,
    `  at the end: ${plan.keep ? "the lab is KEPT (--keep): destroy it with 'npm run down'" : "the lab is destroyed"}`,
    `  estimate: ${formatDuration(plan.estimate.wallSeconds)} wall time, ${formatUsd(plan.estimate.costUsd)} (incl. ${formatUsd(plan.estimate.egressUsd)} data transfer)`,
    ...plan.estimate.sizes.map((s) => `    ${s.sizeId}: ~${Math.round(s.expectedMsgsPerSec)} msgs/s expected, ${formatDuration(s.trialSeconds)} per trial, ${formatDuration(s.seconds)} at this size`),
    `  assumptions: ${describeAssumptions(DEFAULT_ASSUMPTIONS).join("; ")}`,
  ];
  return lines.join("\n");
}
