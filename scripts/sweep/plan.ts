/** What a sweep will do, printed before anything is created (and by `--dry-run` / `npm run plan`, offline). */
import type { LabConfig, SenderSize } from "../../lab-config/schema";
import { PUBLISHED_WORKLOAD, resolveWorkload } from "../../lab-config/workloads";
import { matchBaseline } from "../report/published-baseline";
import { durationCap } from "../trial/duration-cap";
import { expectedMsgsPerSec } from "./expected-rate";
import { dataTransferUsd, describeAssumptions, formatDuration, DEFAULT_ASSUMPTIONS, type Assumptions, type EstimateInput } from "./estimate";
import { allPlans, DEFAULT_PLAN_ASSUMPTIONS, modelNaivePlan, modelPlan, recommendPlan, type ModelledPlan, type PlanAssumptions, type PlanContext, type Recommendation, type SizeWork } from "./plan-model";
import { describePlanAssumptions, formatPlansTable } from "./plan-table";

/** The lab the plan is for: a stack built and destroyed by the sweep, or an inventory of the user's own two hosts. */
export type PlanLab =
  | { kind: "stack"; description: string; stack: string }
  | { kind: "inventory"; description: string; senderAddress: string; sinkAddress: string; sinkPort: number };

export interface CellEstimate {
  sizeId: string;
  workload: string;
  /** undefined: no published figure for this size and workload — the rate is unknown, never guessed. */
  msgsPerSec: number | undefined;
  /** Per trial: messages ÷ rate + overhead, or, with the rate unknown, traffic-gen's duration cap + overhead (an upper bound). */
  trialSeconds: number;
  messages: number;
  bodySizeBytes: number;
}

/** The plan's time and cost, with the same labels as the report: compute (sender + sink) and data transfer. */
export interface SweepEstimate {
  wallSeconds: number;
  /** true when some rate is unknown: wallSeconds and the compute cost are upper bounds. */
  upperBound: boolean;
  /** undefined: a price is missing (or an inventory's own hosts, which have none). */
  computeUsd: number | undefined;
  /** undefined on an inventory (your own network, not priced). */
  dataTransferUsd: number | undefined;
  cells: CellEstimate[];
  sizes: Array<{ sizeId: string; seconds: number }>;
  /** The same plan with every cool-down its full length: what the lab's lifetime must cover. */
  wallSecondsAtMost: number;
  /** The plan these options run (./plan-model.ts). */
  chosen: ModelledPlan;
  /** Every plan the product can run for this sweep, and the naive reference (none on an inventory). */
  plans: ModelledPlan[];
  naive: ModelledPlan | undefined;
  recommended: Recommendation | undefined;
}

/** The plan options the CLI flags choose (--parallel, --no-prefetch, --spot). */
export interface PlanOptions {
  /** `--parallel <n>`: labs at once. Default 1, e.g. 4. */
  parallel?: number;
  /** false with `--no-prefetch`. Default true (matters only on a lab measuring more than one size). */
  prefetch?: boolean;
  /** `--spot`: spot sender and sink. Default false. */
  spot?: boolean;
}

export interface SweepPlan {
  sizes: SenderSize[];
  workloads: string[];
  trials: number;
  coolDownSeconds: number;
  lab: PlanLab;
  resultsDir: string;
  keep: boolean;
  /** Trials already recorded (a resume). */
  recorded: number;
  estimate: SweepEstimate;
}

/**
 * The estimator's input for a sweep of `sizes` on this config (used by `npm run bench`'s model,
 * scripts/sweep/estimate.ts).
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
    sinkHourlyUsd: labFixedHourlyUsd(cfg),
    expectedMsgsPerSec,
    labExists: opts.labExists ?? false,
    destroys: opts.destroys ?? true,
  };
}

/**
 * What a lab costs per hour besides its sender: the sink, and the generator host when the lab has
 * one (both live from the lab's up to its destroy). Unknown when either price is missing.
 */
export function labFixedHourlyUsd(cfg: Pick<LabConfig, "sink" | "generator">): number | undefined {
  if (!cfg.generator.enabled) return cfg.sink.hourlyUsd;
  if (cfg.sink.hourlyUsd === undefined || cfg.generator.hourlyUsd === undefined) return undefined;
  return cfg.sink.hourlyUsd + cfg.generator.hourlyUsd;
}

/** The published rate of a size for a workload: only the published workload on a published shape has one. */
export function knownRate(size: Pick<SenderSize, "vcpu" | "ramGiB">, workload: string): number | undefined {
  if (workload !== PUBLISHED_WORKLOAD) return undefined;
  const exact = matchBaseline(size.vcpu, size.ramGiB)[0];
  return exact ? (exact.mmh * 1e6) / 3600 : undefined;
}

export function estimateSweep(
  cfg: LabConfig,
  o: { sizes: SenderSize[]; workloads: string[]; trials: number; coolDownSeconds: number; inventory: boolean; destroys: boolean; options?: PlanOptions },
  a: Assumptions = DEFAULT_ASSUMPTIONS,
  pa: PlanAssumptions = DEFAULT_PLAN_ASSUMPTIONS,
): SweepEstimate {
  const cells: CellEstimate[] = [];
  const work: SizeWork[] = o.sizes.map((size) => {
    let busySeconds = a.provisionSeconds;
    o.workloads.forEach((w, k) => {
      const traffic = resolveWorkload(cfg, w).traffic;
      const rate = knownRate(size, w);
      const trialSeconds = (rate === undefined ? durationCap(traffic).seconds : traffic.messageCount / rate) + a.trialOverheadSeconds;
      cells.push({ sizeId: size.id, workload: w, msgsPerSec: rate, trialSeconds, messages: traffic.messageCount, bodySizeBytes: traffic.bodySize });
      // Each workload after the first pushes its policies (a provisioning pass).
      busySeconds += (k > 0 ? a.provisionSeconds : 0) + o.trials * trialSeconds;
    });
    return { sizeId: size.id, hourlyUsd: o.inventory ? undefined : size.hourlyUsd, busySeconds, coolDowns: Math.max(0, o.trials * o.workloads.length - 1) };
  });
  const transfer = o.inventory ? undefined : cells.reduce((t, c) => t + dataTransferUsd(o.trials * c.messages, c.bodySizeBytes, a), 0);
  const ctx: PlanContext = { work, coolDownSeconds: o.coolDownSeconds, sinkHourlyUsd: o.inventory ? undefined : labFixedHourlyUsd(cfg), labExists: o.inventory, destroys: o.destroys && !o.inventory, transferUsd: transfer };
  // An inventory is one lab of the user's own hosts: no parallel labs, standby or spot.
  const shape = o.inventory
    ? { labs: 1, prefetch: false, spot: false, coolDown: "measured" as const }
    : { labs: o.options?.parallel ?? 1, prefetch: o.options?.prefetch ?? true, spot: o.options?.spot ?? false, coolDown: "measured" as const };
  const chosen = modelPlan(shape, ctx, a, pa);
  const atMost = modelPlan({ ...shape, coolDown: "full" }, ctx, a, pa);
  const plans = o.inventory ? [] : allPlans(ctx, a, pa);
  const naive = o.inventory ? undefined : modelNaivePlan(ctx, a, pa);
  const recommended = naive && recommendPlan(plans, naive, { spot: shape.spot });
  const cd = Math.min(pa.settleSeconds, o.coolDownSeconds);
  return {
    wallSeconds: chosen.wallSeconds,
    upperBound: cells.some((c) => c.msgsPerSec === undefined),
    computeUsd: o.inventory ? undefined : chosen.computeUsd,
    dataTransferUsd: transfer,
    cells,
    sizes: work.map((w) => ({ sizeId: w.sizeId, seconds: w.busySeconds + w.coolDowns * cd })),
    wallSecondsAtMost: atMost.wallSeconds,
    chosen,
    plans,
    naive,
    recommended,
  };
}

export function makePlan(
  cfg: LabConfig,
  opts: { sizes: SenderSize[]; workloads?: string[]; trials: number; coolDownSeconds: number; lab: PlanLab; resultsDir: string; keep: boolean; recorded?: number; options?: PlanOptions },
): SweepPlan {
  const workloads = opts.workloads ?? [PUBLISHED_WORKLOAD];
  const inventory = opts.lab.kind === "inventory";
  const estimate = estimateSweep(cfg, { sizes: opts.sizes, workloads, trials: opts.trials, coolDownSeconds: opts.coolDownSeconds, inventory, destroys: !opts.keep, ...(opts.options ? { options: opts.options } : {}) });
  const { options: _options, ...rest } = opts;
  return { ...rest, workloads, recorded: opts.recorded ?? 0, estimate };
}

const money = (v: number) => `$${v.toFixed(2)}`;

/** The cost line, labelled as the report labels it: compute (sender + sink VMs) and data transfer. */
export function formatCost(e: Pick<SweepEstimate, "computeUsd" | "dataTransferUsd" | "upperBound">, inventory: boolean): string {
  if (inventory) return "cost: not priced — your own hosts and network (kumolab prices cloud VMs only)";
  const atMost = e.upperBound ? "at most " : "";
  const compute = e.computeUsd === undefined ? "compute unknown (a size or the sink has no hourlyUsd in lab-config)" : `compute ${atMost}${money(e.computeUsd)}`;
  const transfer = `data transfer ${money(e.dataTransferUsd ?? 0)}`;
  const total = e.computeUsd === undefined ? "" : ` = ${atMost}${money(e.computeUsd + (e.dataTransferUsd ?? 0))} in all`;
  return `cost: ${compute} + ${transfer}${total}`;
}

export function formatPlan(plan: SweepPlan, cfg: LabConfig): string {
  const inv = plan.lab.kind === "inventory" ? plan.lab : undefined;
  const total = plan.sizes.length * plan.workloads.length * plan.trials;
  const e = plan.estimate;
  const multi = plan.workloads.length > 1 || plan.workloads[0] !== PUBLISHED_WORKLOAD;
  const traffic = (w: string) => {
    const t = resolveWorkload(cfg, w).traffic;
    return `${t.messageCount} messages, concurrency ${t.concurrency}, ${t.bodyFile ? `body file ${t.bodyFile}` : `${t.bodySize} B bodies`}${t.http ? `, HTTP injection (batches of ${t.http.batchSize})` : ""}`;
  };
  const at = (c: CellEstimate) =>
    c.msgsPerSec === undefined
      ? `rate unknown (no published figure for ${c.workload === PUBLISHED_WORKLOAD ? "this size" : "this workload"}): at most ${formatDuration(c.trialSeconds)} per trial (traffic-gen's duration cap)`
      : `~${Math.round(c.msgsPerSec)} msgs/s expected (published figure), ${formatDuration(c.trialSeconds)} per trial`;
  const end =
    plan.lab.kind === "inventory"
      ? "nothing is destroyed: your hosts stay as they are (kumolab's policies stay installed on them)"
      : plan.keep
        ? `the lab is KEPT (--keep): destroy it with 'npm run down -- --stack ${plan.lab.stack}'`
        : "the lab is destroyed";
  const lines = [
    `Sweep plan — ${plan.lab.description}`,
    `  sizes: ${plan.sizes.map((s) => `${s.id} (${s.instanceType}, ${s.vcpu} vCPU / ${s.ramGiB} GiB${s.hourlyUsd !== undefined && !inv ? `, $${s.hourlyUsd}/h` : ""})`).join(", ")}`,
    ...(multi ? [`  workloads: ${plan.workloads.join(", ")} (at each size, in this order)`] : []),
    `  trials: ${plan.trials} per size${multi ? " and workload" : ""}, ${plan.coolDownSeconds} s cool-down between them (${total} in all)`,
    ...(plan.recorded > 0 ? [`  resuming: ${plan.recorded} of ${total} trials already recorded, ${Math.max(0, total - plan.recorded)} to run`] : []),
    ...(multi ? plan.workloads.map((w) => `  traffic-gen (${w}): ${traffic(w)}`) : [`  traffic-gen: ${traffic(plan.workloads[0] ?? PUBLISHED_WORKLOAD)}`]),
    inv
      ? `  hosts: sender ${inv.senderAddress}, sink ${inv.sinkAddress} port ${inv.sinkPort} (your inventory)`
      : `  sink: ${cfg.sink.vmSize}${cfg.sink.hourlyUsd !== undefined ? ` ($${cfg.sink.hourlyUsd}/h)` : ""}, port ${cfg.sink.smtpPort}`,
    ...(!inv && cfg.generator.enabled
      ? [`  generator host: ${cfg.generator.instanceType} (${cfg.generator.hourlyUsd !== undefined ? `$${cfg.generator.hourlyUsd}/h` : "no price: generator.hourlyUsd"}), runs traffic-gen; billed with the sink for the lab's whole life`]
      : []),
    `  results: ${plan.resultsDir}`,
    `  at the end: ${end}`,
    `  estimate: ${e.upperBound ? "at most " : ""}${formatDuration(e.wallSeconds)} wall time${inv ? "" : ` (${e.chosen.label}${e.chosen.risk ? `; ${formatDuration(e.chosen.expectedWallSeconds)} expected with interruptions` : ""})`}; ${formatCost(e, inv !== undefined)}`,
    ...e.cells.map((c) => `    ${c.sizeId}${multi ? ` × ${c.workload}` : ""}: ${at(c)}`),
    inv
      ? `  assumptions: your hosts exist already (no lab up, resize or destroy); provision ${DEFAULT_ASSUMPTIONS.provisionSeconds} s; per-trial overhead ${DEFAULT_ASSUMPTIONS.trialOverheadSeconds} s; trial time = messages ÷ the published rate of the size, or traffic-gen's duration cap when there is none`
      : `  assumptions: ${describeAssumptions(DEFAULT_ASSUMPTIONS).join("; ")}`,
    // An inventory runs no other plan: only the cool-down's assumption applies to it.
    ...describePlanAssumptions(DEFAULT_PLAN_ASSUMPTIONS, plan.coolDownSeconds)
      .slice(0, inv ? 1 : undefined)
      .map((l) => `    ${l}`),
    ...(e.naive ? formatPlansTable({ plans: e.plans, naive: e.naive, chosen: e.chosen, recommended: e.recommended, sizes: plan.sizes.length, upperBound: e.upperBound }) : []),
  ];
  return lines.join("\n");
}
