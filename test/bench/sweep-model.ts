/**
 * Figure 4 (a model, not a measurement): the default sweep's wall time and cost under every plan the
 * product can run, by the estimator `npm run plan` prints (scripts/sweep/plan-model.ts), beside the
 * naive plan, and the goal: the best plan in at most 0.40× the naive plan's wall time at no more
 * than 1.05× its cost.
 */
import { loadLabConfig } from "../../lab-config/load";
import { PUBLISHED_WORKLOAD } from "../../lab-config/workloads";
import { DEFAULT_ASSUMPTIONS, describeAssumptions, type Assumptions } from "../../scripts/sweep/estimate";
import { estimateSweep } from "../../scripts/sweep/plan";
import { DEFAULT_PLAN_ASSUMPTIONS, type ModelledPlan, type PlanAssumptions } from "../../scripts/sweep/plan-model";
import { describePlanAssumptions } from "../../scripts/sweep/plan-table";

export const SWEEP_GOAL = { wallRatio: 0.4, costRatio: 1.05 } as const;

export interface PlanFigure {
  label: string;
  /** Expected values (spot: interruptions included). */
  wallSeconds: number;
  costUsd: number | undefined;
}

export interface SweepGoal {
  best: PlanFigure;
  wallRatio: number;
  costRatio: number | undefined;
  met: boolean;
}

export interface SweepModelFigures {
  sizes: string[];
  trials: number;
  coolDownSeconds: number;
  messageCount: number;
  bodySizeBytes: number;
  naive: PlanFigure;
  plans: PlanFigure[];
  recommended: string | undefined;
  goal: SweepGoal | undefined;
  assumptions: Assumptions & PlanAssumptions;
  assumptionLines: string[];
}

const figure = (p: ModelledPlan): PlanFigure => ({ label: p.label, wallSeconds: p.expectedWallSeconds, costUsd: p.expectedCostUsd });

/** The goal against the naive plan: met when the best plan's time and cost ratios are both within it (an unknown cost never meets it). */
export function sweepGoal(best: PlanFigure, naive: PlanFigure): SweepGoal {
  const wallRatio = best.wallSeconds / naive.wallSeconds;
  const costRatio = best.costUsd === undefined || naive.costUsd === undefined ? undefined : best.costUsd / naive.costUsd;
  return { best, wallRatio, costRatio, met: wallRatio <= SWEEP_GOAL.wallRatio && costRatio !== undefined && costRatio <= SWEEP_GOAL.costRatio };
}

export function sweepModel(): SweepModelFigures {
  const cfg = loadLabConfig().config;
  const e = estimateSweep(cfg, { sizes: cfg.sender.sizes, workloads: [PUBLISHED_WORKLOAD], trials: cfg.trials.count, coolDownSeconds: cfg.trials.coolDownSeconds, inventory: false, destroys: true });
  if (!e.naive) throw new Error("no naive plan for a stack sweep");
  const naive = figure(e.naive);
  const best = e.recommended ? figure(e.recommended.plan) : undefined;
  return {
    sizes: cfg.sender.sizes.map((s) => s.id),
    trials: cfg.trials.count,
    coolDownSeconds: cfg.trials.coolDownSeconds,
    messageCount: cfg.traffic.messageCount,
    bodySizeBytes: cfg.traffic.bodySize,
    naive,
    plans: e.plans.map(figure),
    recommended: e.recommended?.plan.label,
    goal: best && sweepGoal(best, naive),
    assumptions: { ...DEFAULT_ASSUMPTIONS, ...DEFAULT_PLAN_ASSUMPTIONS },
    assumptionLines: [...describeAssumptions(DEFAULT_ASSUMPTIONS), ...describePlanAssumptions(DEFAULT_PLAN_ASSUMPTIONS, cfg.trials.coolDownSeconds)],
  };
}
