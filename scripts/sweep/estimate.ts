/**
 * The sweep's wall-time and cost model, shown before a sweep starts and used by `npm run bench`.
 * Every assumption is a named, printed number; the user can edit prices in lab-config/lab.yaml.
 */
import type { LabConfig, SenderSize } from "../../lab-config/schema";
import { DEFAULT_PLAN_ASSUMPTIONS, modelLab, modelNaivePlan, modelPlan, type PlanContext } from "./plan-model";

export interface Assumptions {
  /** First `pulumi up`: both VMs plus cloud-init installing KumoMTA. */
  labUpSeconds: number;
  /** Changing the EC2 instance type in place: stop, modify, start, boot. */
  resizeSeconds: number;
  /** Pushing policies, (re)starting kumod, the port-25 proof. */
  provisionSeconds: number;
  /** Per-trial work outside traffic-gen (metrics, queue drain, record). */
  trialOverheadSeconds: number;
  /** `pulumi destroy` of the whole lab. */
  destroySeconds: number;
  /** Data transfer out of AWS, USD per GB (the July 2023 figure). */
  egressUsdPerGB: number;
}

// provisionSeconds and trialOverheadSeconds are deliberately generous: `npm run bench` measures
// ~1.1 s and ~1 s on loopback, and over the internet each of the dozen or so sequential remote
// calls adds the operator's round trip to the cloud region (and a kumod restart may take longer).
export const DEFAULT_ASSUMPTIONS: Assumptions = {
  labUpSeconds: 420,
  resizeSeconds: 150,
  provisionSeconds: 15,
  trialOverheadSeconds: 5,
  destroySeconds: 300,
  egressUsdPerGB: 0.09,
};

export interface SizeEstimate {
  sizeId: string;
  expectedMsgsPerSec: number;
  trialSeconds: number;
  /** Time the sender spends at this size (resize/provision/trials/cool-downs). */
  seconds: number;
  senderUsd: number | undefined;
}

export interface PlanEstimate {
  plan: "ours" | "naive" | "parallel";
  description: string;
  wallSeconds: number;
  /** undefined when a price is missing from the config. */
  costUsd: number | undefined;
  egressUsd: number;
  sizes: SizeEstimate[];
}

export interface EstimateInput {
  sizes: SenderSize[];
  trials: number;
  coolDownSeconds: number;
  traffic: Pick<LabConfig["traffic"], "messageCount" | "bodySize">;
  sinkHourlyUsd: number | undefined;
  /** Expected acceptance rate of a size (the published figure, or a fallback). */
  expectedMsgsPerSec: (size: SenderSize) => number;
  /** Does the lab already exist (no `up`), e.g. an inventory? */
  labExists?: boolean;
  /** An inventory is not ours to destroy. */
  destroys?: boolean;
}

function usd(hourly: number | undefined, seconds: number): number | undefined {
  return hourly === undefined ? undefined : (hourly * seconds) / 3600;
}

function sizeWork(input: EstimateInput, a: Assumptions, size: SenderSize, setupSeconds: number): SizeEstimate {
  const rate = input.expectedMsgsPerSec(size);
  const trialSeconds = input.traffic.messageCount / rate + a.trialOverheadSeconds;
  const seconds = setupSeconds + a.provisionSeconds + input.trials * trialSeconds + Math.max(0, input.trials - 1) * input.coolDownSeconds;
  return { sizeId: size.id, expectedMsgsPerSec: rate, trialSeconds, seconds, senderUsd: usd(size.hourlyUsd, seconds) };
}

/** The one definition of data transfer cost (the plan's estimate and the report's figure): message bodies sent, in GB (10^9 bytes), × egressUsdPerGB. */
export const DATA_TRANSFER_DEFINITION = "message bodies sent (messages × body size, GB = 10^9 bytes) × the data-transfer price out of AWS";

export function dataTransferUsd(messages: number, bodySizeBytes: number, a: Pick<Assumptions, "egressUsdPerGB"> = DEFAULT_ASSUMPTIONS): number {
  return ((messages * bodySizeBytes) / 1e9) * a.egressUsdPerGB;
}

function egressUsd(input: EstimateInput, a: Assumptions): number {
  return dataTransferUsd(input.sizes.length * input.trials * input.traffic.messageCount, input.traffic.bodySize, a);
}

/** The same input as the plan model's context, every cool-down its full length (./plan-model.ts). */
function planContext(input: EstimateInput, a: Assumptions): PlanContext {
  return {
    work: input.sizes.map((s) => ({
      sizeId: s.id,
      hourlyUsd: s.hourlyUsd,
      busySeconds: a.provisionSeconds + input.trials * (input.traffic.messageCount / input.expectedMsgsPerSec(s) + a.trialOverheadSeconds),
      coolDowns: Math.max(0, input.trials - 1),
    })),
    coolDownSeconds: input.coolDownSeconds,
    sinkHourlyUsd: input.sinkHourlyUsd,
    labExists: input.labExists ?? false,
    destroys: input.destroys !== false,
    transferUsd: egressUsd(input, a),
  };
}

const FULL = { prefetch: false, spot: false, coolDown: "full" } as const;

function planEstimate(plan: PlanEstimate["plan"], description: string, input: EstimateInput, a: Assumptions, m: { wallSeconds: number; costUsd: number | undefined }, setupOf: (i: number) => number): PlanEstimate {
  return { plan, description, wallSeconds: m.wallSeconds, costUsd: m.costUsd, egressUsd: egressUsd(input, a), sizes: input.sizes.map((s, i) => sizeWork(input, a, s, setupOf(i))) };
}

/** One lab; the sender resized in place between sizes; the sink kept; full cool-downs (the plan model's "1 lab, no prefetch"). */
export function estimateOurPlan(input: EstimateInput, a: Assumptions = DEFAULT_ASSUMPTIONS): PlanEstimate {
  const ctx = planContext(input, a);
  // modelLab, not modelPlan: a lab with no sizes still pays its up and destroy.
  const lab = modelLab(ctx.work, { labs: 1, ...FULL }, ctx, a, DEFAULT_PLAN_ASSUMPTIONS);
  const costUsd = lab.computeUsd === undefined ? undefined : lab.computeUsd + egressUsd(input, a);
  return planEstimate("ours", "one lab, sender resized in place, sink kept", input, a, { wallSeconds: lab.wallSeconds, costUsd }, (i) => (i === 0 || input.labExists ? 0 : a.resizeSeconds));
}

/** A new lab (both VMs) per size, destroyed after it. */
export function estimateNaivePlan(input: EstimateInput, a: Assumptions = DEFAULT_ASSUMPTIONS): PlanEstimate {
  const m = modelNaivePlan(planContext(input, a), a);
  return planEstimate("naive", "a new lab per size", input, a, m, () => a.labUpSeconds);
}

/** One lab per size, all at once (each with its own sink); full cool-downs. */
export function estimateParallelPlan(input: EstimateInput, a: Assumptions = DEFAULT_ASSUMPTIONS): PlanEstimate {
  const ctx = { ...planContext(input, a), labExists: false, destroys: true };
  const m = modelPlan({ labs: input.sizes.length, ...FULL }, ctx, a);
  return planEstimate("parallel", "one lab per size, all at once", input, a, m, () => a.labUpSeconds);
}

export function formatDuration(seconds: number): string {
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = s % 60;
  return h > 0 ? `${h}h${String(m).padStart(2, "0")}m` : m > 0 ? `${m}m${String(r).padStart(2, "0")}s` : `${r}s`;
}

export function formatUsd(v: number | undefined): string {
  return v === undefined ? "unknown (a size has no hourlyUsd)" : `$${v.toFixed(2)}`;
}

export function describeAssumptions(a: Assumptions): string[] {
  return [
    `lab up ${a.labUpSeconds} s, resize ${a.resizeSeconds} s, provision ${a.provisionSeconds} s, destroy ${a.destroySeconds} s`,
    `per-trial overhead ${a.trialOverheadSeconds} s; trial time = messages ÷ expected rate (published figure for the size)`,
    `egress $${a.egressUsdPerGB}/GB of message bodies; VM prices from lab-config (sender.sizes[].hourlyUsd, sink.hourlyUsd)`,
  ];
}
