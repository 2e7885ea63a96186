/**
 * The sweep's wall-time and cost model, shown before a sweep starts and used by `npm run bench`.
 * Every assumption is a named, printed number; the user can edit prices in lab-config/lab.yaml.
 */
import type { LabConfig, SenderSize } from "../../lab-config/schema";

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

function sum(values: Array<number | undefined>): number | undefined {
  return values.some((v) => v === undefined) ? undefined : values.reduce<number>((a, v) => a + (v as number), 0);
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

/** One lab; the sender resized in place between sizes; the sink kept. */
export function estimateOurPlan(input: EstimateInput, a: Assumptions = DEFAULT_ASSUMPTIONS): PlanEstimate {
  const up = input.labExists ? 0 : a.labUpSeconds;
  const sizes = input.sizes.map((s, i) => sizeWork(input, a, s, i === 0 ? 0 : input.labExists ? 0 : a.resizeSeconds));
  const destroy = input.destroys === false ? 0 : a.destroySeconds;
  const wall = up + sizes.reduce((t, s) => t + s.seconds, 0) + destroy;
  // The first size's sender also runs during up and destroy.
  const senderUsd = sum(sizes.map((s, i) => (i === 0 ? usd(input.sizes[0]?.hourlyUsd, s.seconds + up) : s.senderUsd)));
  const lastSender = input.sizes[input.sizes.length - 1];
  const destroyUsd = usd(lastSender?.hourlyUsd, destroy);
  const costUsd = sum([senderUsd, destroyUsd, usd(input.sinkHourlyUsd, wall)]);
  const egress = egressUsd(input, a);
  return {
    plan: "ours",
    description: "one lab, sender resized in place, sink kept",
    wallSeconds: wall,
    costUsd: costUsd === undefined ? undefined : costUsd + egress,
    egressUsd: egress,
    sizes,
  };
}

/** A new lab (both VMs) per size, destroyed after it. */
export function estimateNaivePlan(input: EstimateInput, a: Assumptions = DEFAULT_ASSUMPTIONS): PlanEstimate {
  const sizes = input.sizes.map((s) => sizeWork(input, a, s, a.labUpSeconds));
  const perLab = sizes.map((s) => s.seconds + a.destroySeconds);
  const wall = perLab.reduce((t, v) => t + v, 0);
  const costUsd = sum(input.sizes.map((s, i) => sum([usd(s.hourlyUsd, perLab[i] ?? 0), usd(input.sinkHourlyUsd, perLab[i] ?? 0)])));
  const egress = egressUsd(input, a);
  return { plan: "naive", description: "a new lab per size", wallSeconds: wall, costUsd: costUsd === undefined ? undefined : costUsd + egress, egressUsd: egress, sizes };
}

/** One lab per size, all at once (each with its own sink). */
export function estimateParallelPlan(input: EstimateInput, a: Assumptions = DEFAULT_ASSUMPTIONS): PlanEstimate {
  const sizes = input.sizes.map((s) => sizeWork(input, a, s, a.labUpSeconds));
  const perLab = sizes.map((s) => s.seconds + a.destroySeconds);
  const wall = Math.max(0, ...perLab);
  const costUsd = sum(input.sizes.map((s, i) => sum([usd(s.hourlyUsd, perLab[i] ?? 0), usd(input.sinkHourlyUsd, perLab[i] ?? 0)])));
  const egress = egressUsd(input, a);
  return { plan: "parallel", description: "one lab per size, all at once", wallSeconds: wall, costUsd: costUsd === undefined ? undefined : costUsd + egress, egressUsd: egress, sizes };
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
