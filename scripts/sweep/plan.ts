/** What a sweep will do, printed before anything is created. */
import type { LabConfig, SenderSize } from "../../lab-config/schema";
import { expectedMsgsPerSec } from "./expected-rate";
import { describeAssumptions, estimateOurPlan, formatDuration, formatUsd, DEFAULT_ASSUMPTIONS, type EstimateInput, type PlanEstimate } from "./estimate";

export interface SweepPlan {
  sizes: SenderSize[];
  trials: number;
  coolDownSeconds: number;
  labDescription: string;
  resultsDir: string;
  keep: boolean;
  estimate: PlanEstimate;
}

/**
 * The estimator's input for a sweep of `sizes` on this config: the one place it is built, so the
 * plan the sweep prints and the bench's model are the same computation.
 */
export function estimateInput(
  cfg: LabConfig,
  opts: { sizes?: SenderSize[]; trials?: number; coolDownSeconds?: number; labExists?: boolean; destroys?: boolean } = {},
): EstimateInput {
  return {
    sizes: opts.sizes ?? cfg.sender.sizes,
    trials: opts.trials ?? cfg.trials.count,
    coolDownSeconds: opts.coolDownSeconds ?? cfg.trials.coolDownSeconds,
    traffic: cfg.traffic,
    sinkHourlyUsd: cfg.sink.hourlyUsd,
    expectedMsgsPerSec,
    labExists: opts.labExists ?? false,
    destroys: opts.destroys ?? true,
  };
}

export function makePlan(cfg: LabConfig, opts: { sizes: SenderSize[]; trials: number; coolDownSeconds: number; labDescription: string; resultsDir: string; keep: boolean; labExists: boolean; destroys: boolean }): SweepPlan {
  const estimate = estimateOurPlan(estimateInput(cfg, { ...opts, destroys: opts.destroys && !opts.keep }));
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
