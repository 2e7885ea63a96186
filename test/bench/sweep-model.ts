/**
 * Figure 4 (a model, not a measurement): the default sweep's wall time and cost under our plan,
 * the naive plan and the parallel plan, by the estimator `npm run sweep` prints before it starts.
 */
import { loadLabConfig } from "../../lab-config/load";
import { DEFAULT_ASSUMPTIONS, describeAssumptions, estimateNaivePlan, estimateOurPlan, estimateParallelPlan, type Assumptions, type PlanEstimate } from "../../scripts/sweep/estimate";
import { estimateInput } from "../../scripts/sweep/plan";

export interface SweepModelFigures {
  sizes: string[];
  trials: number;
  coolDownSeconds: number;
  messageCount: number;
  bodySizeBytes: number;
  plans: Array<Pick<PlanEstimate, "plan" | "description" | "wallSeconds" | "costUsd" | "egressUsd">>;
  assumptions: Assumptions;
  assumptionLines: string[];
}

export function sweepModel(): SweepModelFigures {
  const cfg = loadLabConfig().config;
  const input = estimateInput(cfg);
  const plans = [estimateOurPlan(input), estimateNaivePlan(input), estimateParallelPlan(input)].map(({ plan, description, wallSeconds, costUsd, egressUsd }) => ({ plan, description, wallSeconds, costUsd, egressUsd }));
  return {
    sizes: cfg.sender.sizes.map((s) => s.id),
    trials: cfg.trials.count,
    coolDownSeconds: cfg.trials.coolDownSeconds,
    messageCount: cfg.traffic.messageCount,
    bodySizeBytes: cfg.traffic.bodySize,
    plans,
    assumptions: DEFAULT_ASSUMPTIONS,
    assumptionLines: describeAssumptions(DEFAULT_ASSUMPTIONS),
  };
}
