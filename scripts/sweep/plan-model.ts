/**
 * Every plan the sweep can run, modelled side by side: N labs at once (`--parallel N`), a standby
 * sender made ready at the next size while the current one is measured (prefetch, on unless
 * `--no-prefetch`), spot capacity (`--spot`) with its risk, and cool-downs that end when the hosts
 * settle — against the naive plan (a new lab per size, one after the other, full cool-downs).
 * Pure arithmetic on named, printed assumptions (./estimate.ts's and PlanAssumptions below).
 */
import type { Assumptions } from "./estimate";

export interface PlanAssumptions {
  /**
   * A standby sender made ready: a new EC2 instance created, booted, KumoMTA installed by cloud-init.
   * Provisioning it (Assumptions.provisionSeconds) comes on top. Default 420 s (as the first lab up), e.g. 300.
   */
  standbyLaunchSeconds: number;
  /** Putting a ready standby in the old sender's place (the lab's routes to it, the port-25 proof from it). Default 30 s, e.g. 60. */
  swapSeconds: number;
  /**
   * The expected wait of a measured cool-down: until the hosts settle (scripts/sweep/settle.ts),
   * never more than the configured cool-down. Default 15 s, e.g. 30.
   */
  settleSeconds: number;
  /** A spot sender's price ÷ its on-demand price (AWS). Default 0.4, e.g. 0.3. */
  senderSpotFraction: number;
  /** A spot sink's price ÷ its pay-as-you-go price (Azure Spot VMs). Default 0.4, e.g. 0.2. */
  sinkSpotFraction: number;
  /** Interruptions per spot VM per hour it runs (a Poisson rate). Default 0.01, e.g. 0.05 for a tight pool. */
  spotInterruptionsPerHour: number;
}

// Sources (all editable; each is printed with the plan):
// - settleSeconds: the settle check needs two reads at least (deliveries counted quiet between them,
//   each read sampling CPU for 1 s), so ~2–3 s; 15 s adds room for a cloud host's CPU and kumod's last
//   deliveries. An assumption, not a measurement: on the namespace lab (bench figure 2) queue,
//   deliveries and TIME_WAIT settle at the first reads, but its hosts read the whole machine's CPU:
//   18.4 s at load ~6 on the shared 2 cores, never within 120 s at load ~13 (README, Performance).
// - spot fractions: AWS and Azure price spot "up to 90 %" below on-demand and publish per-type
//   savings (AWS Spot Instance Advisor: "savings compared to On-Demand … over the last 30 days";
//   Azure: "variable, based on region and SKU"); 0.4 is an assumption — check today's price history.
// - spotInterruptionsPerHour: the Spot Instance Advisor reports reclaims per trailing MONTH in
//   buckets (< 5 %, 5–10 %, … > 20 %); > 20 %/month is ~0.03 %/h. 1 %/h is a deliberately pessimistic
//   assumption (reclaims cluster in time, and a sweep's VMs are new), not a published figure.
export const DEFAULT_PLAN_ASSUMPTIONS: PlanAssumptions = {
  standbyLaunchSeconds: 420,
  swapSeconds: 30,
  settleSeconds: 15,
  senderSpotFraction: 0.4,
  sinkSpotFraction: 0.4,
  spotInterruptionsPerHour: 0.01,
};

/** One size's work on a lab, whatever the plan. */
export interface SizeWork {
  sizeId: string;
  /** On-demand USD per hour; undefined = not priced (the cost is then unknown). */
  hourlyUsd: number | undefined;
  /** Provisioning passes and trials at this size, without cool-downs; the first pass is Assumptions.provisionSeconds. */
  busySeconds: number;
  /** Cool-downs at this size: trials × workloads − 1. */
  coolDowns: number;
}

/** The shape of a plan: what the CLI flags choose. */
export interface PlanShape {
  /** `--parallel N`: labs at once, each with its own sink, up and destroy. Default 1, e.g. 4 (more than the sizes: one per size). */
  labs: number;
  /** Prefetch: only matters on a lab that measures more than one size. Default true (`--no-prefetch`: false). */
  prefetch: boolean;
  /** `--spot`: sender and sink at spot prices, with the risk of an interruption. Default false. */
  spot: boolean;
  /** "measured" (the sweep's, default): a cool-down ends when the hosts settle; "full": each runs its configured length (the naive plan, the TTL check). */
  coolDown: "measured" | "full";
}

export interface PlanContext {
  work: SizeWork[];
  /** The configured cool-down: a measured one never waits longer. */
  coolDownSeconds: number;
  sinkHourlyUsd: number | undefined;
  /** The hosts exist already (an inventory): no up, no resize, no standby. */
  labExists: boolean;
  /** false with --keep or an inventory: no destroy. */
  destroys: boolean;
  /** Data transfer of the whole sweep (the same in every plan); undefined = not priced. */
  transferUsd: number | undefined;
}

export interface SpotRisk {
  /** Chance that at least one spot VM of the sweep is interrupted, over all its spot VM-hours. */
  anyInterruption: number;
  /** Expected extra wall time: an interruption during a size fails it; it is re-run on demand. */
  expectedExtraSeconds: number;
  expectedExtraUsd: number | undefined;
}

export interface LabModel {
  sizeIds: string[];
  wallSeconds: number;
  computeUsd: number | undefined;
  /** Seconds standby senders ran before measuring anything (launch, provisioning, waiting, swap). */
  standbySeconds: number;
  standbyUsd: number | undefined;
  /** Spot VM-seconds (every sender and the sink) — 0 on demand. */
  spotVmSeconds: number;
  expectedExtraSeconds: number;
  expectedExtraUsd: number | undefined;
}

export interface ModelledPlan {
  shape: PlanShape;
  /** For the table: "2 labs, prefetch, spot". */
  label: string;
  labs: LabModel[];
  /** Without interruptions. */
  wallSeconds: number;
  computeUsd: number | undefined;
  costUsd: number | undefined;
  standbyUsd: number | undefined;
  /** Only with spot. */
  risk?: SpotRisk;
  /** wallSeconds plus the expected extra of interruptions (the slowest lab's). */
  expectedWallSeconds: number;
  /** costUsd plus the expected extra of interruptions. */
  expectedCostUsd: number | undefined;
}

const usd = (hourly: number | undefined, seconds: number): number | undefined => (hourly === undefined ? undefined : (hourly * seconds) / 3600);
function sum(values: Array<number | undefined>): number | undefined {
  return values.some((v) => v === undefined) ? undefined : values.reduce<number>((t, v) => t + (v as number), 0);
}

/** The seconds a cool-down is expected to take under a shape. */
export function coolDownWait(shape: Pick<PlanShape, "coolDown">, boundSeconds: number, p: PlanAssumptions): number {
  return shape.coolDown === "measured" ? Math.min(p.settleSeconds, boundSeconds) : boundSeconds;
}

/** Sizes over `labs` labs, dealt in turn (lab 1 gets sizes 1, N+1, …): each lab has a mix of small and large. */
export function spreadSizes<T>(sizes: readonly T[], labs: number): T[][] {
  const n = Math.max(1, Math.min(labs, sizes.length));
  const out: T[][] = Array.from({ length: n }, () => []);
  sizes.forEach((s, i) => out[i % n]?.push(s));
  return out.filter((l) => l.length > 0);
}

/** One lab measuring `sizes` in order. */
export function modelLab(sizes: readonly SizeWork[], shape: PlanShape, ctx: PlanContext, a: Assumptions, p: PlanAssumptions): LabModel {
  const cd = coolDownWait(shape, ctx.coolDownSeconds, p);
  const up = ctx.labExists ? 0 : a.labUpSeconds;
  const destroy = ctx.destroys ? a.destroySeconds : 0;
  // A lab of one size has no next size to prepare: the loop below never swaps.
  const prefetch = shape.prefetch && !ctx.labExists;
  const senderFraction = shape.spot ? p.senderSpotFraction : 1;
  const sinkFraction = shape.spot ? p.sinkSpotFraction : 1;
  // A standby is ready this long after its launch, provisioned.
  const ready = p.standbyLaunchSeconds + a.provisionSeconds;
  const measure = sizes.map((w) => w.busySeconds + w.coolDowns * cd);
  const billed: number[] = [];
  let standbySeconds = 0;
  const standbyParts: Array<number | undefined> = [];
  let wall = up;
  sizes.forEach((w, i) => {
    const m = measure[i] ?? 0;
    if (i === 0) {
      billed.push(up + m);
      wall += m;
    } else if (prefetch) {
      // The standby is launched once the size before it is provisioned; it is provisioned itself
      // before the swap, so its own first pass is no longer on the lab's clock.
      const previousAfterProvision = (measure[i - 1] ?? 0) - a.provisionSeconds;
      const waitForStandby = Math.max(0, ready - previousAfterProvision);
      // The old sender runs until the swap is done.
      billed[i - 1] = (billed[i - 1] ?? 0) + waitForStandby + p.swapSeconds;
      const idle = Math.max(ready, previousAfterProvision) + p.swapSeconds;
      standbySeconds += idle;
      standbyParts.push(usd(w.hourlyUsd === undefined ? undefined : w.hourlyUsd * senderFraction, idle));
      billed.push(idle + m - a.provisionSeconds);
      wall += waitForStandby + p.swapSeconds + m - a.provisionSeconds;
    } else {
      const resize = ctx.labExists ? 0 : a.resizeSeconds;
      billed.push(resize + m);
      wall += resize + m;
    }
  });
  if (billed.length > 0) billed[billed.length - 1] = (billed[billed.length - 1] ?? 0) + destroy;
  wall += destroy;
  const senders = sizes.map((w, i) => usd(w.hourlyUsd === undefined ? undefined : w.hourlyUsd * senderFraction, billed[i] ?? 0));
  const sink = usd(ctx.sinkHourlyUsd === undefined ? undefined : ctx.sinkHourlyUsd * sinkFraction, wall);
  const computeUsd = sizes.length === 0 ? undefined : sum([...senders, sink]);

  // An interruption while a size is measured (its sender or the sink) fails that size: the VM is
  // replaced on demand (`ready`), the part done is lost (half the size, on average), and the size
  // runs again from its first trial.
  let expectedExtraSeconds = 0;
  const extraUsd: Array<number | undefined> = [];
  if (shape.spot) {
    sizes.forEach((w, i) => {
      const m = measure[i] ?? 0;
      const chance = 1 - Math.exp((-p.spotInterruptionsPerHour * 2 * m) / 3600);
      const extra = chance * (ready + 1.5 * m);
      expectedExtraSeconds += extra;
      // Priced on demand, both VMs (pessimistic: one of them is still spot).
      extraUsd.push(sum([usd(w.hourlyUsd, extra), usd(ctx.sinkHourlyUsd, extra)]));
    });
  }
  return {
    sizeIds: sizes.map((w) => w.sizeId),
    wallSeconds: wall,
    computeUsd,
    standbySeconds,
    standbyUsd: sum(standbyParts),
    spotVmSeconds: shape.spot ? billed.reduce((t, s) => t + s, 0) + wall : 0,
    expectedExtraSeconds,
    expectedExtraUsd: shape.spot ? sum(extraUsd) : 0,
  };
}

export function planLabel(shape: PlanShape, sizes: number): string {
  const labs = `${shape.labs} lab${shape.labs === 1 ? "" : "s"}`;
  // Prefetch only changes a lab that measures more than one size.
  const prefetch = shape.labs >= sizes ? "" : shape.prefetch ? ", prefetch" : ", no prefetch";
  return `${labs}${prefetch}${shape.spot ? ", spot" : ""}${shape.coolDown === "full" ? ", full cool-downs" : ""}`;
}

/** A plan of `shape.labs` labs at once (at most one per size), sizes dealt by spreadSizes. */
export function modelPlan(shape: PlanShape, ctx: PlanContext, a: Assumptions, p: PlanAssumptions = DEFAULT_PLAN_ASSUMPTIONS): ModelledPlan {
  const labs = spreadSizes(ctx.work, shape.labs).map((sizes) => modelLab(sizes, shape, ctx, a, p));
  const wallSeconds = Math.max(0, ...labs.map((l) => l.wallSeconds));
  const computeUsd = labs.length === 0 ? undefined : sum(labs.map((l) => l.computeUsd));
  const costUsd = sum([computeUsd, ctx.transferUsd]);
  const standbyUsd = sum(labs.map((l) => l.standbyUsd));
  const actual = { ...shape, labs: Math.max(1, labs.length) };
  const expectedWallSeconds = Math.max(0, ...labs.map((l) => l.wallSeconds + l.expectedExtraSeconds));
  const extraUsd = sum(labs.map((l) => l.expectedExtraUsd));
  const risk: SpotRisk | undefined = shape.spot
    ? {
        anyInterruption: 1 - Math.exp((-p.spotInterruptionsPerHour * labs.reduce((t, l) => t + l.spotVmSeconds, 0)) / 3600),
        expectedExtraSeconds: expectedWallSeconds - wallSeconds,
        expectedExtraUsd: extraUsd,
      }
    : undefined;
  return {
    shape: actual,
    label: planLabel(actual, ctx.work.length),
    labs,
    wallSeconds,
    computeUsd,
    costUsd,
    standbyUsd,
    ...(risk ? { risk } : {}),
    expectedWallSeconds,
    expectedCostUsd: sum([costUsd, extraUsd]),
  };
}

/** The reference: a new lab per size, one after the other, on demand, every cool-down its full length. */
export function modelNaivePlan(ctx: PlanContext, a: Assumptions, p: PlanAssumptions = DEFAULT_PLAN_ASSUMPTIONS): ModelledPlan {
  const shape: PlanShape = { labs: 1, prefetch: false, spot: false, coolDown: "full" };
  const labs = ctx.work.map((w) => modelLab([w], shape, { ...ctx, labExists: false, destroys: true }, a, p));
  const wallSeconds = labs.reduce((t, l) => t + l.wallSeconds, 0);
  const computeUsd = labs.length === 0 ? undefined : sum(labs.map((l) => l.computeUsd));
  const costUsd = sum([computeUsd, ctx.transferUsd]);
  return { shape, label: "naive: a new lab per size, in turn", labs, wallSeconds, computeUsd, costUsd, standbyUsd: 0, expectedWallSeconds: wallSeconds, expectedCostUsd: costUsd };
}

/**
 * Every plan the product can run for this work: 1…N labs (N = the number of sizes), with and without
 * prefetch (where a lab measures more than one size), on demand and spot; measured cool-downs.
 */
export function allPlans(ctx: PlanContext, a: Assumptions, p: PlanAssumptions = DEFAULT_PLAN_ASSUMPTIONS): ModelledPlan[] {
  const out: ModelledPlan[] = [];
  for (let labs = 1; labs <= Math.max(1, ctx.work.length); labs++) {
    for (const prefetch of labs < ctx.work.length ? [true, false] : [true]) {
      for (const spot of [false, true]) out.push(modelPlan({ labs, prefetch, spot, coolDown: "measured" }, ctx, a, p));
    }
  }
  return out;
}

/** The recommendation rule, as printed. */
export const COST_TOLERANCE = 1.05;
export const RECOMMENDATION_RULE = `the fastest plan whose cost is at most ${COST_TOLERANCE}× the naive plan's (ties: the cheaper), among on-demand plans — among spot plans with --spot (expected time and cost, interruptions included)`;

export interface Recommendation {
  plan: ModelledPlan;
  /** Why this one, in words. */
  why: string;
}

/**
 * Picks one plan by RECOMMENDATION_RULE; expected values for spot plans. Spot is recommended only to
 * a user who asked for it (`spot`): its risk is theirs to take.
 */
export function recommendPlan(plans: readonly ModelledPlan[], naive: ModelledPlan, opts: { spot: boolean }): Recommendation | undefined {
  const candidates = plans.filter((p) => p.shape.spot === opts.spot);
  // An unknown cost sorts last (the naive plan prices every size and the sink, so then its cost is unknown too).
  const cost = (x: ModelledPlan): number => x.expectedCostUsd ?? Infinity;
  const faster = (x: ModelledPlan, y: ModelledPlan): number => x.expectedWallSeconds - y.expectedWallSeconds || cost(x) - cost(y);
  const limit = naive.costUsd === undefined ? undefined : naive.costUsd * COST_TOLERANCE;
  if (limit === undefined) {
    const best = [...candidates].sort(faster)[0];
    return best && { plan: best, why: "the fastest plan (costs unknown: a size or the sink has no hourlyUsd in lab-config)" };
  }
  const within = candidates.filter((p) => cost(p) <= limit);
  const best = [...within].sort(faster)[0];
  if (best) return { plan: best, why: `the fastest plan costing at most ${COST_TOLERANCE}× the naive plan ($${limit.toFixed(2)})` };
  const cheapest = [...candidates].sort((x, y) => cost(x) - cost(y) || x.expectedWallSeconds - y.expectedWallSeconds)[0];
  return cheapest && { plan: cheapest, why: `no plan costs at most ${COST_TOLERANCE}× the naive plan ($${limit.toFixed(2)}): the cheapest` };
}

/** The CLI flags that choose a plan, for the recommendation line. */
export function planFlags(shape: PlanShape, sizes: number): string {
  const flags = [`--parallel ${shape.labs}`];
  if (!shape.prefetch && shape.labs < sizes) flags.push("--no-prefetch");
  if (shape.spot) flags.push("--spot");
  return flags.join(" ");
}
