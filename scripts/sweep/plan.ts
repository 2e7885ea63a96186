/** What a sweep will do, printed before anything is created (and by `--dry-run` / `npm run plan`, offline). */
import type { LabConfig, SenderSize } from "../../lab-config/schema";
import { PUBLISHED_WORKLOAD, resolveWorkload } from "../../lab-config/workloads";
import { matchBaseline } from "../report/published-baseline";
import { durationCap } from "../trial/duration-cap";
import { expectedMsgsPerSec } from "./expected-rate";
import { dataTransferUsd, describeAssumptions, formatDuration, DEFAULT_ASSUMPTIONS, type Assumptions, type EstimateInput } from "./estimate";

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
    sinkHourlyUsd: cfg.sink.hourlyUsd,
    expectedMsgsPerSec,
    labExists: opts.labExists ?? false,
    destroys: opts.destroys ?? true,
  };
}

/** The published rate of a size for a workload: only the published workload on a published shape has one. */
export function knownRate(size: Pick<SenderSize, "vcpu" | "ramGiB">, workload: string): number | undefined {
  if (workload !== PUBLISHED_WORKLOAD) return undefined;
  const exact = matchBaseline(size.vcpu, size.ramGiB)[0];
  return exact ? (exact.mmh * 1e6) / 3600 : undefined;
}

const usd = (hourly: number | undefined, seconds: number): number | undefined => (hourly === undefined ? undefined : (hourly * seconds) / 3600);

export function estimateSweep(
  cfg: LabConfig,
  o: { sizes: SenderSize[]; workloads: string[]; trials: number; coolDownSeconds: number; inventory: boolean; destroys: boolean },
  a: Assumptions = DEFAULT_ASSUMPTIONS,
): SweepEstimate {
  const up = o.inventory ? 0 : a.labUpSeconds;
  const destroy = o.destroys && !o.inventory ? a.destroySeconds : 0;
  const cells: CellEstimate[] = [];
  const sizes = o.sizes.map((size, i) => {
    let seconds = (i === 0 || o.inventory ? 0 : a.resizeSeconds) + a.provisionSeconds;
    o.workloads.forEach((w, k) => {
      const traffic = resolveWorkload(cfg, w).traffic;
      const rate = knownRate(size, w);
      const trialSeconds = (rate === undefined ? durationCap(traffic).seconds : traffic.messageCount / rate) + a.trialOverheadSeconds;
      cells.push({ sizeId: size.id, workload: w, msgsPerSec: rate, trialSeconds, messages: traffic.messageCount, bodySizeBytes: traffic.bodySize });
      // Each workload after the first pushes its policies (a provisioning pass).
      seconds += (k > 0 ? a.provisionSeconds : 0) + o.trials * trialSeconds;
    });
    seconds += Math.max(0, o.trials * o.workloads.length - 1) * o.coolDownSeconds;
    return { sizeId: size.id, seconds };
  });
  const wall = up + sizes.reduce((t, s) => t + s.seconds, 0) + destroy;
  let computeUsd: number | undefined;
  if (!o.inventory) {
    const parts = o.sizes.map((s, i) => usd(s.hourlyUsd, (sizes[i]?.seconds ?? 0) + (i === 0 ? up : 0) + (i === o.sizes.length - 1 ? destroy : 0)));
    parts.push(usd(cfg.sink.hourlyUsd, wall));
    computeUsd = parts.some((p) => p === undefined) ? undefined : parts.reduce<number>((t, p) => t + (p as number), 0);
  }
  const transfer = o.inventory ? undefined : cells.reduce((t, c) => t + dataTransferUsd(o.trials * c.messages, c.bodySizeBytes, a), 0);
  return { wallSeconds: wall, upperBound: cells.some((c) => c.msgsPerSec === undefined), computeUsd, dataTransferUsd: transfer, cells, sizes };
}

export function makePlan(
  cfg: LabConfig,
  opts: { sizes: SenderSize[]; workloads?: string[]; trials: number; coolDownSeconds: number; lab: PlanLab; resultsDir: string; keep: boolean; recorded?: number },
): SweepPlan {
  const workloads = opts.workloads ?? [PUBLISHED_WORKLOAD];
  const inventory = opts.lab.kind === "inventory";
  const estimate = estimateSweep(cfg, { sizes: opts.sizes, workloads, trials: opts.trials, coolDownSeconds: opts.coolDownSeconds, inventory, destroys: !opts.keep });
  return { ...opts, workloads, recorded: opts.recorded ?? 0, estimate };
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
    `  results: ${plan.resultsDir}`,
    `  at the end: ${end}`,
    `  estimate: ${e.upperBound ? "at most " : ""}${formatDuration(e.wallSeconds)} wall time; ${formatCost(e, inv !== undefined)}`,
    ...e.cells.map((c) => `    ${c.sizeId}${multi ? ` × ${c.workload}` : ""}: ${at(c)}`),
    inv
      ? `  assumptions: your hosts exist already (no lab up, resize or destroy); provision ${DEFAULT_ASSUMPTIONS.provisionSeconds} s; per-trial overhead ${DEFAULT_ASSUMPTIONS.trialOverheadSeconds} s; trial time = messages ÷ the published rate of the size, or traffic-gen's duration cap when there is none`
      : `  assumptions: ${describeAssumptions(DEFAULT_ASSUMPTIONS).join("; ")}`,
  ];
  return lines.join("\n");
}
