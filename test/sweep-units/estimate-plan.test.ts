/** The plan shown before a sweep: wall time and cost of ours vs the alternatives, the expected rates, the printed plan. */
import { describe, expect, test } from "vitest";
import { loadLabConfig } from "../../lab-config/load";
import type { SenderSize } from "../../lab-config/schema";
import { estimateNaivePlan, estimateOurPlan, estimateParallelPlan, formatDuration, formatUsd, type Assumptions, type EstimateInput } from "../../scripts/sweep/estimate";
import { expectedMsgsPerSec } from "../../scripts/sweep/expected-rate";
import { estimateInput, formatPlan, makePlan } from "../../scripts/sweep/plan";

const cfg = loadLabConfig().config;

/** What the sweep's plan and the bench feed the estimator for the default config. */
function defaultInput(): EstimateInput {
  return estimateInput(cfg);
}

describe("plans on the default config", () => {
  test("resizing one lab beats a new lab per size; all labs at once is faster still", () => {
    const ours = estimateOurPlan(defaultInput());
    const naive = estimateNaivePlan(defaultInput());
    const parallel = estimateParallelPlan(defaultInput());
    expect(cfg.sender.sizes.length).toBeGreaterThan(1);
    expect(naive.wallSeconds).toBeGreaterThan(ours.wallSeconds);
    expect(parallel.wallSeconds).toBeLessThan(ours.wallSeconds);
    // Every size has a price in lab.yaml, so every plan has a cost, ours the cheapest (one sink, one up, one destroy).
    expect(ours.costUsd).toBeDefined();
    expect(naive.costUsd as number).toBeGreaterThan(ours.costUsd as number);
    expect(ours.sizes.map((s) => s.sizeId)).toEqual(cfg.sender.sizes.map((s) => s.id));
  });
});

describe("costs by hand (2 sizes, round numbers)", () => {
  const a: Assumptions = { labUpSeconds: 360, resizeSeconds: 180, provisionSeconds: 20, trialOverheadSeconds: 10, destroySeconds: 360, egressUsdPerGB: 0.1 };
  const A: SenderSize = { id: "a", instanceType: "c5.large", vcpu: 2, ramGiB: 4, arch: "x86_64", hourlyUsd: 1 };
  const B: SenderSize = { id: "b", instanceType: "m5.xlarge", vcpu: 4, ramGiB: 16, arch: "x86_64", hourlyUsd: 2 };
  const input: EstimateInput = {
    sizes: [A, B],
    trials: 2,
    coolDownSeconds: 10,
    traffic: { messageCount: 1000, bodySize: 1000 },
    sinkHourlyUsd: 3,
    expectedMsgsPerSec: () => 100,
  };
  // trial = 1000 msgs / 100 msgs/s + 10 s overhead = 20 s; 4 trials × 1 MB bodies = 0.004 GB × $0.1 = $0.0004 egress.

  test("ours: up 360 + a (20 + 2×20 + 10 = 70) + b (180 + 70 = 250) + destroy 360 = 1040 s", () => {
    const e = estimateOurPlan(input, a);
    expect(e.sizes.map((s) => s.trialSeconds)).toEqual([20, 20]);
    expect(e.sizes.map((s) => s.seconds)).toEqual([70, 250]);
    expect(e.wallSeconds).toBe(1040);
    expect(e.egressUsd).toBeCloseTo(0.0004, 10);
    // sender a $1/h × (70 + 360 up) s, b $2/h × 250 s, b again during destroy $2/h × 360 s, sink $3/h × 1040 s.
    expect(e.costUsd as number).toBeCloseTo((430 * 1 + 250 * 2 + 360 * 2 + 1040 * 3) / 3600 + 0.0004, 10);
  });

  test("naive: a lab per size, 360 + 70 + 360 = 790 s each, one after the other; parallel: the longest one", () => {
    const naive = estimateNaivePlan(input, a);
    const parallel = estimateParallelPlan(input, a);
    expect(naive.wallSeconds).toBe(1580);
    expect(parallel.wallSeconds).toBe(790);
    const cost = (790 * (1 + 3) + 790 * (2 + 3)) / 3600 + 0.0004;
    expect(naive.costUsd as number).toBeCloseTo(cost, 10);
    expect(parallel.costUsd as number).toBeCloseTo(cost, 10);
  });

  test("an inventory (lab exists, not ours to destroy): no up, resize or destroy time", () => {
    const e = estimateOurPlan({ ...input, labExists: true, destroys: false }, a);
    expect(e.wallSeconds).toBe(70 + 70);
  });

  test("a missing price makes the cost unknown (never a lower number), the time still known", () => {
    const noPrice = { ...input, sizes: [A, { ...B, hourlyUsd: undefined }] };
    for (const e of [estimateOurPlan(noPrice, a), estimateNaivePlan(noPrice, a), estimateParallelPlan(noPrice, a)]) {
      expect(e.costUsd).toBeUndefined();
      expect(e.wallSeconds).toBeGreaterThan(0);
    }
    expect(estimateOurPlan({ ...input, sinkHourlyUsd: undefined }, a).costUsd).toBeUndefined();
    expect(formatUsd(undefined)).toMatch(/unknown.*hourlyUsd/);
    expect(formatUsd(1.5)).toBe("$1.50");
  });

  test("durations read as a person would say them", () => {
    expect(formatDuration(45)).toBe("45s");
    expect(formatDuration(1040)).toBe("17m20s");
    expect(formatDuration(3 * 3600 + 5 * 60)).toBe("3h05m");
  });
});

describe("expectedMsgsPerSec", () => {
  test("the published 2 vCPU / 4 GiB figure: 2.7 MMH = 750 msgs/s", () => {
    expect(expectedMsgsPerSec({ vcpu: 2, ramGiB: 4 })).toBeCloseTo(750, 6);
  });

  test("8 vCPU / 32 GiB matches the page's 8 / 30 (4.9 MMH), not the blog's 8 / 16", () => {
    expect(expectedMsgsPerSec({ vcpu: 8, ramGiB: 32 })).toBeCloseTo(4.9e6 / 3600, 6);
  });

  test("no published shape: the row with the nearest vCPU count", () => {
    // 4 vCPU / 4 GiB: no 4/4 row; nearest vCPU is the 4 / 16 row, 4.4 MMH.
    expect(expectedMsgsPerSec({ vcpu: 4, ramGiB: 4 })).toBeCloseTo(4.4e6 / 3600, 6);
    // 1 vCPU: nearest is 2 vCPU.
    expect(expectedMsgsPerSec({ vcpu: 1, ramGiB: 2 })).toBeCloseTo(750, 6);
    // 6 vCPU is as far from 4 as from 8: the smaller wins (a pessimistic estimate takes longer, never shorter).
    expect(expectedMsgsPerSec({ vcpu: 6, ramGiB: 24 })).toBeCloseTo(4.4e6 / 3600, 6);
  });
});

describe("formatPlan", () => {
  const sizes = cfg.sender.sizes.slice(0, 2);
  const base = { sizes, trials: 3, coolDownSeconds: 120, labDescription: "stack dev (file:///x)", resultsDir: "results/2026-03-01", keep: false, labExists: false, destroys: true };

  test("names the sizes, the trials, the estimate and its assumptions, and what happens at the end", () => {
    const plan = makePlan(cfg, base);
    const text = formatPlan(plan, cfg);
    for (const s of sizes) {
      expect(text).toContain(s.id);
      expect(text).toContain(s.instanceType);
    }
    expect(text).toContain("stack dev (file:///x)");
    expect(text).toContain("trials: 3 per size, 120 s cool-down between them (6 in all)");
    expect(text).toContain(`estimate: ${formatDuration(plan.estimate.wallSeconds)} wall time, ${formatUsd(plan.estimate.costUsd)}`);
    expect(text).toMatch(/c2-r4: ~750 msgs\/s expected/);
    expect(text).toMatch(/assumptions: lab up \d+ s, resize \d+ s/);
    expect(text).toContain("results/2026-03-01");
    expect(text).toContain("the lab is destroyed");
  });

  test("--keep is said loudly, with how to destroy later; a kept lab's estimate has no destroy time", () => {
    const destroyed = makePlan(cfg, base);
    const kept = makePlan(cfg, { ...base, keep: true });
    expect(formatPlan(kept, cfg)).toContain("KEPT (--keep): destroy it with 'npm run down'");
    expect(kept.estimate.wallSeconds).toBeLessThan(destroyed.estimate.wallSeconds);
  });
});
