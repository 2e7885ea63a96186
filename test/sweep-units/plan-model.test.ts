/**
 * The model of every plan (scripts/sweep/plan-model.ts): parallel labs, prefetch, spot and measured
 * cool-downs, worked out by hand — first on round numbers, then on the default sweep (lab.yaml and the
 * published figures), whose figures and goal the bench prints.
 */
import { describe, expect, test } from "vitest";
import { loadLabConfig } from "../../lab-config/load";
import { PUBLISHED_WORKLOAD } from "../../lab-config/workloads";
import { estimateOurPlan, formatDuration, type Assumptions } from "../../scripts/sweep/estimate";
import { estimateInput, estimateSweep, formatPlan, makePlan } from "../../scripts/sweep/plan";
import { allPlans, coolDownWait, modelNaivePlan, modelPlan, planFlags, recommendPlan, spreadSizes, type ModelledPlan, type PlanAssumptions, type PlanContext, type PlanShape } from "../../scripts/sweep/plan-model";
import { sweepGoal } from "../bench/sweep-model";

// Round numbers: $3.6/h = $0.001/s, $7.2/h = $0.002/s, the sink $1.8/h = $0.0005/s.
const a: Assumptions = { labUpSeconds: 400, resizeSeconds: 100, provisionSeconds: 20, trialOverheadSeconds: 0, destroySeconds: 200, egressUsdPerGB: 0 };
const p: PlanAssumptions = { standbyLaunchSeconds: 300, swapSeconds: 10, settleSeconds: 5, senderSpotFraction: 0.5, sinkSpotFraction: 0.25, spotInterruptionsPerHour: 0.1 };
// busySeconds = 20 s provisioning + the trials; a measured cool-down is min(5, 60) = 5 s, so a size is
// measured in A 620 + 2×5 = 630 s, B 220 + 10 = 230 s, C 120 s. A standby is ready 300 + 20 = 320 s after its launch.
const ctx: PlanContext = {
  work: [
    { sizeId: "A", hourlyUsd: 3.6, busySeconds: 620, coolDowns: 2 },
    { sizeId: "B", hourlyUsd: 7.2, busySeconds: 220, coolDowns: 2 },
    { sizeId: "C", hourlyUsd: 3.6, busySeconds: 120, coolDowns: 0 },
  ],
  coolDownSeconds: 60,
  sinkHourlyUsd: 1.8,
  labExists: false,
  destroys: true,
  transferUsd: 1,
};
const shape = (o: Partial<PlanShape>): PlanShape => ({ labs: 1, prefetch: true, spot: false, coolDown: "measured", ...o });
const plan = (o: Partial<PlanShape>): ModelledPlan => modelPlan(shape(o), ctx, a, p);

describe("one lab, round numbers", () => {
  test("no prefetch: up 400 + A 630 + (resize 100 + B 230) + (100 + C 120) + destroy 200 = 1780 s", () => {
    const e = plan({ prefetch: false });
    expect(e.wallSeconds).toBeCloseTo(1780, 9);
    // A $0.001/s × (400 + 630), B $0.002/s × 330, C $0.001/s × (220 + 200 destroy), sink $0.0005/s × 1780, transfer $1
    // = 1.03 + 0.66 + 0.42 + 0.89 + 1 = 4.00
    expect(e.costUsd as number).toBeCloseTo(4.0, 9);
    expect(e.standbyUsd).toBe(0);
    expect(e.label).toBe("1 lab, no prefetch");
  });

  test("prefetch: B's standby is ready while A is measured (hidden); C's is not ready when B ends (110 s waited)", () => {
    const e = plan({ prefetch: true });
    // B's standby launches once A is provisioned: A has 630 − 20 = 610 s left ≥ 320 → no wait; swap 10; B minus its
    // own provisioning (done on the standby) 210. C's standby: B has 210 s left < 320 → wait 110; swap 10; C 100.
    // 400 + 630 + (0 + 10 + 210) + (110 + 10 + 100) + 200 = 1670 s
    expect(e.wallSeconds).toBeCloseTo(1670, 9);
    // Billed: A 400 + 630 + swap 10 = 1040 s; B's standby max(320, 610) + 10 = 620 s idle, then 210 + (110 + 10 until C
    // is in) = 950 s; C idle max(320, 210) + 10 = 330 s, then 100 + destroy 200 = 630 s; the sink 1670 s.
    // 1.04 + 1.90 + 0.63 + 0.835 + 1 = 5.405
    expect(e.costUsd as number).toBeCloseTo(5.405, 9);
    // The standbys' idle time: B 620 s × $0.002 + C 330 s × $0.001 = 1.57
    expect(e.standbyUsd as number).toBeCloseTo(1.57, 9);
    expect(e.labs[0]?.standbySeconds).toBeCloseTo(950, 9);
    // On spot the standby costs half as much: 1.57 × 0.5
    expect(plan({ prefetch: true, spot: true }).standbyUsd as number).toBeCloseTo(0.785, 9);
    // A standby of a size without a price has no price either (never NaN).
    const unpriced = { ...ctx, work: ctx.work.map((w) => (w.sizeId === "B" ? { ...w, hourlyUsd: undefined } : w)) };
    expect(modelPlan(shape({}), unpriced, a, p).standbyUsd).toBeUndefined();
    expect(modelPlan(shape({}), unpriced, a, p).costUsd).toBeUndefined();
  });

  test("a measured cool-down is the settle time, never more than the configured cool-down; the full one is the bound", () => {
    expect(coolDownWait({ coolDown: "measured" }, 60, p)).toBe(5);
    expect(coolDownWait({ coolDown: "measured" }, 3, p)).toBe(3);
    expect(coolDownWait({ coolDown: "measured" }, 0, p)).toBe(0);
    expect(coolDownWait({ coolDown: "full" }, 60, p)).toBe(60);
    // Full cool-downs on the prefetch plan: A is measured 620 + 120 = 740 s, B 340 s. B's standby and now C's too are
    // ready in time (B has 320 s left ≥ 320): 400 + 740 + (10 + 320) + (10 + 100) + 200 = 1780 s
    expect(plan({ coolDown: "full" }).wallSeconds).toBeCloseTo(1780, 9);
    expect(plan({ coolDown: "full" }).label).toBe("1 lab, prefetch, full cool-downs");
  });
});

describe("parallel labs, round numbers", () => {
  test("sizes are dealt in turn; never more labs than sizes", () => {
    expect(spreadSizes([1, 2, 3, 4, 5], 2)).toEqual([[1, 3, 5], [2, 4]]);
    expect(spreadSizes([1, 2], 9)).toEqual([[1], [2]]);
    expect(spreadSizes([1, 2], 0)).toEqual([[1, 2]]);
    expect(plan({ labs: 9 }).label).toBe("3 labs");
  });

  test("2 labs with prefetch: lab 1 measures A then C, lab 2 B; the wall time is lab 1's", () => {
    const e = plan({ labs: 2 });
    // lab 1: 400 + 630 + (A has 610 s left ≥ 320: no wait) 10 + C 100 + 200 = 1340 s;
    //   A 1040 s × 0.001, C (610 + 10 idle + 100 + 200) 920 s × 0.001, sink 1340 × 0.0005 → 1.04 + 0.92 + 0.67 = 2.63
    // lab 2: 400 + 230 + 200 = 830 s; B 830 × 0.002 + sink 830 × 0.0005 = 1.66 + 0.415 = 2.075
    expect(e.labs.map((l) => l.sizeIds)).toEqual([["A", "C"], ["B"]]);
    expect(e.labs.map((l) => l.wallSeconds)).toEqual([1340, 830]);
    expect(e.wallSeconds).toBe(1340);
    expect(e.costUsd as number).toBeCloseTo(2.63 + 2.075 + 1, 9);
  });

  test("naive: a lab per size, one after the other, full 60 s cool-downs, on demand", () => {
    const n = modelNaivePlan(ctx, a, p);
    // A 400 + 620 + 2×60 + 200 = 1340, B 400 + 220 + 120 + 200 = 940, C 400 + 120 + 200 = 720: 3000 s
    expect(n.wallSeconds).toBe(3000);
    // 1340 × 0.0015 + 940 × 0.0025 + 720 × 0.0015 + 1 = 2.01 + 2.35 + 1.08 + 1 = 6.44
    expect(n.costUsd as number).toBeCloseTo(6.44, 9);
    expect(n.shape).toEqual({ labs: 1, prefetch: false, spot: false, coolDown: "full" });
  });

  test("no sizes: no lab, no cost (never $0 that reads as free)", () => {
    const empty = { ...ctx, work: [] };
    expect(modelPlan(shape({}), empty, a, p).costUsd).toBeUndefined();
    expect(modelPlan(shape({}), empty, a, p).wallSeconds).toBe(0);
    expect(modelNaivePlan(empty, a, p).costUsd).toBeUndefined();
  });
});

describe("spot, round numbers", () => {
  test("3 labs on spot: half the sender's price, a quarter of the sink's, and the risk of an interruption", () => {
    const e = plan({ labs: 3, spot: true });
    // lab A: 400 + 630 + 200 = 1230 s; B 830 s; C 400 + 120 + 200 = 720 s.
    expect(e.wallSeconds).toBe(1230);
    // Each lab: its sender × 0.5 and its sink × 0.25 over the lab's wall time (both run from up to destroy):
    // A 1230 × (0.0005 + 0.000125) = 0.76875; B 830 × (0.001 + 0.000125) = 0.93375; C 720 × 0.000625 = 0.45
    expect(e.computeUsd as number).toBeCloseTo(0.76875 + 0.93375 + 0.45, 9);
    // While A is measured (630 s) its sender or sink is interrupted with chance 1 − e^(−0.1/h × 2 VMs × 630/3600 h)
    // = 1 − e^−0.035 = 0.034394; then a VM is replaced on demand (320 s), half of A is lost (315 s) and A runs
    // again (630 s): 0.034394 × 1265 = 43.51 s expected on lab A, the slowest.
    const pA = 1 - Math.exp(-0.035);
    expect(e.labs[0]?.expectedExtraSeconds).toBeCloseTo(pA * 1265, 9);
    expect(e.expectedWallSeconds).toBeCloseTo(1230 + pA * 1265, 9);
    // The extra time priced on demand, both VMs: 43.51 s × (0.001 + 0.0005)
    expect(e.labs[0]?.expectedExtraUsd as number).toBeCloseTo(pA * 1265 * 0.0015, 9);
    // At least one interruption anywhere: spot VM-hours = (1230 + 1230) + (830 + 830) + (720 + 720) s = 5560 s;
    // 1 − e^(−0.1 × 5560/3600) = 0.14311
    expect(e.risk?.anyInterruption).toBeCloseTo(1 - Math.exp((-0.1 * 5560) / 3600), 9);
    expect(e.risk?.anyInterruption).toBeCloseTo(0.1431, 4);
    expect(plan({ labs: 3 }).risk).toBeUndefined();
  });
});

describe("the recommendation", () => {
  // Built inside each test (not at load) so that each test's coverage includes them.
  const plansOf = (): ModelledPlan[] => allPlans(ctx, a, p);
  const naiveOf = (): ModelledPlan => modelNaivePlan(ctx, a, p);

  test("every plan: 1–2 labs with and without prefetch, 3 labs (one size each), each on demand and spot", () => {
    const plans = plansOf();
    expect(plans.every((x) => x.shape.coolDown === "measured")).toBe(true);
    expect(plans.map((x) => x.label)).toEqual([
      "1 lab, prefetch",
      "1 lab, prefetch, spot",
      "1 lab, no prefetch",
      "1 lab, no prefetch, spot",
      "2 labs, prefetch",
      "2 labs, prefetch, spot",
      "2 labs, no prefetch",
      "2 labs, no prefetch, spot",
      "3 labs",
      "3 labs, spot",
    ]);
  });

  test("the fastest on-demand plan within 1.05× the naive cost: 3 labs (1230 s, $6.00 ≤ $6.76)", () => {
    // 3 labs on demand: 1230 × 0.0015 + 830 × 0.0025 + 720 × 0.0015 + 1 = 1.845 + 2.075 + 1.08 + 1 = 6.00
    const r = recommendPlan(plansOf(), naiveOf(), { spot: false });
    expect(r?.plan.label).toBe("3 labs");
    expect(r?.plan.costUsd as number).toBeCloseTo(6.0, 9);
    expect(r?.why).toContain("$6.76");
  });

  test("a tighter naive cost ($5.50 → limit $5.775) rules 3 labs ($6.00) out: 2 labs with prefetch ($5.705, 1340 s)", () => {
    const r = recommendPlan(plansOf(), { ...naiveOf(), costUsd: 5.5 }, { spot: false });
    expect(r?.plan.label).toBe("2 labs, prefetch");
  });

  test("nothing within the limit: the cheapest (1 lab, no prefetch, $4.00)", () => {
    const r = recommendPlan(plansOf(), { ...naiveOf(), costUsd: 3 }, { spot: false });
    expect(r?.plan.label).toBe("1 lab, no prefetch");
    expect(r?.why).toMatch(/the cheapest/);
  });

  test("spot only to a user who asked for it (--spot); a missing price: the fastest, said so", () => {
    expect(recommendPlan(plansOf(), naiveOf(), { spot: true })?.plan.label).toBe("3 labs, spot");
    const unpriced = { ...ctx, sinkHourlyUsd: undefined };
    const r = recommendPlan(allPlans(unpriced, a, p), modelNaivePlan(unpriced, a, p), { spot: false });
    expect(r?.plan.label).toBe("3 labs");
    expect(r?.why).toMatch(/costs unknown/);
  });

  test("at the limit counts as within; equal times go to the cheaper, equal costs to the faster", () => {
    const base = naiveOf();
    const fake = (label: string, wall: number, cost: number): ModelledPlan => ({ ...base, shape: shape({}), label, expectedWallSeconds: wall, expectedCostUsd: cost });
    const naive = { ...base, costUsd: 1 };
    // 1 × 1.05 = 1.05: a plan costing exactly that is within the limit.
    expect(recommendPlan([fake("slow", 200, 1), fake("fast", 100, 1.05)], naive, { spot: false })?.plan.label).toBe("fast");
    expect(recommendPlan([fake("dear", 100, 1.04), fake("cheap", 100, 1.01)], naive, { spot: false })?.plan.label).toBe("cheap");
    expect(recommendPlan([fake("cheap", 100, 1.01), fake("dear", 100, 1.04)], naive, { spot: false })?.plan.label).toBe("cheap");
    // None within 1.05: the cheapest; of two as cheap, the faster.
    expect(recommendPlan([fake("slow", 200, 2), fake("fast", 100, 2), fake("dear", 50, 3)], naive, { spot: false })?.plan.label).toBe("fast");
    expect(recommendPlan([fake("fast", 100, 2), fake("slow", 200, 2)], naive, { spot: false })?.plan.label).toBe("fast");
    // Costs unknown: the fastest; of two as fast, the priced one.
    const unknown = { ...naive, costUsd: undefined };
    expect(recommendPlan([fake("slow", 200, 1), fake("fast", 100, 1)], unknown, { spot: false })?.plan.label).toBe("fast");
    expect(recommendPlan([{ ...fake("unpriced", 100, 1), expectedCostUsd: undefined }, fake("priced", 100, 1)], unknown, { spot: false })?.plan.label).toBe("priced");
    expect(recommendPlan([], naive, { spot: false })).toBeUndefined();
  });

  test("the flags that choose a plan", () => {
    expect(planFlags(shape({ labs: 2, prefetch: false, spot: true }), 4)).toBe("--parallel 2 --no-prefetch --spot");
    expect(planFlags(shape({ labs: 4, prefetch: false }), 4)).toBe("--parallel 4");
  });
});

describe("the default sweep (lab.yaml: 4 sizes × 4 trials of 100,000 × 100 kB, 120 s cool-downs)", () => {
  const cfg = loadLabConfig().config;
  // Built inside each test (not at load) so that each test's coverage includes the model.
  const defaultSweep = () => estimateSweep(cfg, { sizes: cfg.sender.sizes, workloads: [PUBLISHED_WORKLOAD], trials: 4, coolDownSeconds: 120, inventory: false, destroys: true });
  const byLabel = (l: string): ModelledPlan => {
    const found = defaultSweep().plans.find((x) => x.label === l);
    if (!found) throw new Error(`no plan ${l}`);
    return found;
  };
  // Published rates: 2.7 / 4.4 / 4.9 / 5.1 MMH = 750 / 1222.2 / 1361.1 / 1416.7 msgs/s. A trial is 100,000 ÷ rate + 5 s:
  //   c2 138.333, c4 86.818, c8 78.469, c16 75.588 s. Busy per size = 15 s provisioning + 4 trials:
  //   c2 568.333, c4 362.273, c8 328.878, c16 317.353 s. Data transfer: 16 × 100,000 × 100,000 B = 160 GB × $0.09 = $14.40.
  // Prices: $0.085, $0.192, $0.384, $0.768 per hour; the sink $0.338.

  test("naive: 1h38m, $15.52 (as before this model)", () => {
    const e = defaultSweep();
    // Each lab 420 up + busy + 3 × 120 + 300 destroy = busy + 1080: 1648.333 + 1442.273 + 1408.878 + 1397.353 = 5896.837 s
    expect(e.naive?.wallSeconds).toBeCloseTo(5896.837, 2);
    // 1648.333 × 0.423 + 1442.273 × 0.530 + 1408.878 × 0.722 + 1397.353 × 1.106 = 4024.33 $·s/h → $1.1179 + $14.40
    expect(e.naive?.costUsd as number).toBeCloseTo(15.5179, 3);
  });

  test("one lab, no prefetch, full cool-downs is the old 'ours' (1h09m, $15.20); 4 labs with full cool-downs the old parallel (27m28s)", () => {
    const old = estimateSweep(cfg, { sizes: cfg.sender.sizes, workloads: [PUBLISHED_WORKLOAD], trials: 4, coolDownSeconds: 120, inventory: false, destroys: true, options: { prefetch: false } });
    // 420 + (568.333 + 360) + (150 + 362.273 + 360) + (150 + 328.878 + 360) + (150 + 317.353 + 360) + 300 = 4186.837 s
    expect(old.wallSecondsAtMost).toBeCloseTo(4186.837, 2);
    expect(formatDuration(old.wallSecondsAtMost)).toBe("1h09m");
    expect(estimateOurPlan(estimateInput(cfg)).wallSeconds).toBeCloseTo(4186.837, 2);
    const par = estimateSweep(cfg, { sizes: cfg.sender.sizes, workloads: [PUBLISHED_WORKLOAD], trials: 4, coolDownSeconds: 120, inventory: false, destroys: true, options: { parallel: 4 } });
    // The slowest lab, c2: 420 + 568.333 + 360 + 300 = 1648.333 s
    expect(par.wallSecondsAtMost).toBeCloseTo(1648.333, 2);
  });

  test("measured cool-downs (15 s): 1 lab without prefetch 48m47s, with prefetch 44m01s", () => {
    // Measured per size: busy + 3 × 15 = c2 613.333, c4 407.273, c8 373.878, c16 362.353 s.
    // No prefetch: 420 + 613.333 + (150 + 407.273) + (150 + 373.878) + (150 + 362.353) + 300 = 2926.837 s
    expect(byLabel("1 lab, no prefetch").wallSeconds).toBeCloseTo(2926.837, 2);
    // Prefetch (standby ready 420 + 15 = 435 s after launch): c4's is ready while c2 has 598.333 s left (no wait);
    // c8's waits 435 − 392.273 = 42.727 s; c16's 435 − 358.878 = 76.122 s. Each swap 30 s, each later size 15 s shorter.
    // 420 + 613.333 + (30 + 392.273) + (42.727 + 30 + 358.878) + (76.122 + 30 + 347.353) + 300 = 2640.686 s
    const pre = byLabel("1 lab, prefetch");
    expect(pre.wallSeconds).toBeCloseTo(2640.686, 2);
    // Standbys idle: c4 598.333 + 30 = 628.333 s, c8 and c16 435 + 30 = 465 s each:
    // (628.333 × 0.192 + 465 × 0.384 + 465 × 0.768) / 3600 = $0.1823
    expect(pre.standbyUsd as number).toBeCloseTo(0.1823, 4);
    // Senders billed: c2 420 + 613.333 + 30 = 1063.333; c4 628.333 + 392.273 + 42.727 + 30 = 1093.333;
    // c8 465 + 358.878 + 76.122 + 30 = 930; c16 465 + 347.353 + 300 = 1112.353; sink 2640.686 s:
    // (1063.333 × 0.085 + 1093.333 × 0.192 + 930 × 0.384 + 1112.353 × 0.768 + 2640.686 × 0.338) / 3600 = $0.6679 + $14.40
    expect(pre.costUsd as number).toBeCloseTo(15.0679, 3);
  });

  test("4 labs: 22m13s at $15.27 — recommended; the goal (≤ 0.40× the naive time at ≤ 1.05× its cost) is met", () => {
    const e = defaultSweep();
    const four = byLabel("4 labs");
    // The slowest lab, c2: 420 + 613.333 + 300 = 1333.333 s
    expect(four.wallSeconds).toBeCloseTo(1333.333, 2);
    // Each lab (busy + 45 + 720) s × (sender + sink): 1333.333 × 0.423 + 1127.273 × 0.530 + 1093.878 × 0.722
    // + 1082.353 × 1.106 = 3148.32 $·s/h → $0.8745 + $14.40
    expect(four.costUsd as number).toBeCloseTo(15.2745, 3);
    expect(e.recommended?.plan.label).toBe("4 labs");
    const goal = sweepGoal({ label: four.label, wallSeconds: four.expectedWallSeconds, costUsd: four.expectedCostUsd }, { label: "naive", wallSeconds: e.naive?.wallSeconds ?? NaN, costUsd: e.naive?.costUsd });
    // 1333.333 / 5896.837 = 0.2261; 15.2745 / 15.5179 = 0.9843
    expect(goal.wallRatio).toBeCloseTo(0.2261, 4);
    expect(goal.costRatio as number).toBeCloseTo(0.9843, 4);
    expect(goal.met).toBe(true);
    expect(sweepGoal({ label: "x", wallSeconds: 41, costUsd: 1 }, { label: "naive", wallSeconds: 100, costUsd: 1 }).met).toBe(false);
    expect(sweepGoal({ label: "x", wallSeconds: 40, costUsd: 1.06 }, { label: "naive", wallSeconds: 100, costUsd: 1 }).met).toBe(false);
    expect(sweepGoal({ label: "x", wallSeconds: 40, costUsd: undefined }, { label: "naive", wallSeconds: 100, costUsd: 1 }).met).toBe(false);
    expect(sweepGoal({ label: "x", wallSeconds: 40, costUsd: 1.05 }, { label: "naive", wallSeconds: 100, costUsd: 1 }).met).toBe(true);
  });

  test("the printed plan: the table beside the naive plan, this sweep's plan, the recommendation and its rule", () => {
    const text = formatPlan(makePlan(cfg, { sizes: cfg.sender.sizes, trials: 4, coolDownSeconds: 120, lab: { kind: "stack", description: "stack dev", stack: "dev" }, resultsDir: "r", keep: false, options: { parallel: 2, spot: true } }), cfg);
    expect(text).toMatch(/^ {7}naive: a new lab per size, in turn +1h38m +\$15\.52 +1\.00× +1\.00× +every cool-down its full length$/m);
    expect(text).toMatch(/^ {7}4 labs +22m13s +\$15\.27 +0\.23× +0\.98×$/m);
    // 4 labs on spot: compute 0.4 × $0.8745 = $0.3498 + $14.40 = $14.75 (the expected extra adds < $0.01). Spot VM-seconds
    // = 2 VMs × (1333.333 + 1127.273 + 1093.878 + 1082.353) = 9273.67 s; 1 − e^(−0.01 × 2.576) = 2.5 %. Expected extra on
    // c2's lab: (1 − e^(−0.01 × 2 × 613.333/3600)) × (435 + 1.5 × 613.333) = 0.0034016 × 1355 = 4.6 s → 22m18s.
    expect(text).toMatch(/^ {4}★ {2}4 labs, spot +22m18s +\$14\.75 +0\.23× +0\.95× +interruption 2\.5 %: expected \+5s, \+\$0\.00$/m);
    expect(text).toMatch(/^ {5}→ 2 labs, prefetch, spot +\S+ +\$\d+\.\d\d +0\.\d\d× +0\.\d\d× +standby \$0\.\d\d; interruption \d\.\d %: expected \+\d+s, \+\$0\.\d\d$/m);
    // 2 labs with prefetch: lab 1 (c2, c8) 420 + 613.333 + 30 + (373.878 − 15) + 300 = 1722.211 s = 28m42s (c8's standby
    // ready in time); lab 2 (c4, c16) 420 + 407.273 + 42.727 + 30 + 347.353 + 300 = 1547.353 s. On demand, senders and
    // sinks: lab 1 1063.333 × 0.085 + 1287.211 × 0.384 + 1722.211 × 0.338, lab 2 900 × 0.192 + 1112.353 × 0.768
    // + 1547.353 × 0.338 = 2716.87 $·s/h = $0.7547; on spot × 0.4 = $0.30.
    expect(text).toMatch(/estimate: 28m42s wall time \(2 labs, prefetch, spot; 28m49s expected with interruptions\); cost: compute \$0\.30 \+ data transfer \$14\.40/);
    // With --spot the recommendation is among spot plans.
    expect(text).toMatch(/recommended: 4 labs, spot \(--parallel 4 --spot\) — the fastest plan costing at most 1\.05× the naive plan \(\$16\.29\)/);
    expect(text).toMatch(/rule: the fastest plan whose cost is at most 1\.05× the naive plan's/);
    expect(text).toMatch(/measured cool-down: 15 s expected/);
    expect(text).toMatch(/spot: sender at 0\.4× on-demand, sink at 0\.4× pay-as-you-go/);
  });
});
