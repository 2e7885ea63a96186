/** The plan shown before a sweep: wall time and cost of ours vs the alternatives, the expected rates, the printed plan. */
import { describe, expect, test } from "vitest";
import { DEFAULTS_FILE, loadLabConfig, readYamlFile } from "../../lab-config/load";
import { resolveLabConfig } from "../../lab-config/resolve";
import type { SenderSize } from "../../lab-config/schema";
import { DEFAULT_ASSUMPTIONS, estimateNaivePlan, estimateOurPlan, estimateParallelPlan, formatDuration, formatUsd, type Assumptions, type EstimateInput } from "../../scripts/sweep/estimate";
import { expectedMsgsPerSec } from "../../scripts/sweep/expected-rate";
import { estimateInput, formatCost, formatPlan, knownRate, makePlan } from "../../scripts/sweep/plan";

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
  const base = { sizes, trials: 3, coolDownSeconds: 120, lab: { kind: "stack" as const, description: "stack dev (file:///x)", stack: "dev" }, resultsDir: "results/2026-03-01", keep: false };

  test("names the sizes, the trials, the estimate and its assumptions, and what happens at the end", () => {
    const plan = makePlan(cfg, base);
    const text = formatPlan(plan, cfg);
    for (const s of sizes) {
      expect(text).toContain(s.id);
      expect(text).toContain(s.instanceType);
    }
    expect(text).toContain("stack dev (file:///x)");
    expect(text).toContain("trials: 3 per size, 120 s cool-down between them (6 in all)");
    expect(text).toContain(`estimate: ${formatDuration(plan.estimate.wallSeconds)} wall time (1 lab, prefetch); ${formatCost(plan.estimate, false)}`);
    expect(text).toMatch(/cost: compute \$\d+\.\d\d \+ data transfer \$\d+\.\d\d = \$\d+\.\d\d in all/);
    expect(text).toMatch(/c2-r4: ~750 msgs\/s expected \(published figure\)/);
    expect(text).toMatch(/assumptions: lab up \d+ s, resize \d+ s/);
    expect(text).toContain("results/2026-03-01");
    expect(text).toContain("the lab is destroyed");
    expect(text).not.toContain("resuming:");
  });

  test("--keep is said loudly, with how to destroy that stack later; a kept lab's estimate has no destroy time", () => {
    const destroyed = makePlan(cfg, base);
    const kept = makePlan(cfg, { ...base, keep: true, lab: { ...base.lab, stack: "lab7" } });
    expect(formatPlan(kept, cfg)).toContain("KEPT (--keep): destroy it with 'npm run down -- --stack lab7'");
    expect(kept.estimate.wallSeconds).toBeLessThan(destroyed.estimate.wallSeconds);
  });

  test("an inventory: its hosts and port, no cloud price, nothing destroyed, no 'down' advice, no lab up", () => {
    const inv = { kind: "inventory" as const, description: "inventory hosts.yaml (lab mine)", senderAddress: "10.1.0.5", sinkAddress: "10.1.0.6", sinkPort: 2600 };
    const plan = makePlan(cfg, { ...base, sizes: [{ id: "mine", instanceType: "m5.xlarge", vcpu: 4, ramGiB: 16, arch: "x86_64" }], lab: inv, keep: true });
    const text = formatPlan(plan, cfg);
    expect(text).toContain("hosts: sender 10.1.0.5, sink 10.1.0.6 port 2600 (your inventory)");
    expect(text).not.toContain(cfg.sink.vmSize);
    expect(text).not.toMatch(/\$\d/);
    expect(text).not.toContain("npm run down");
    expect(text).toContain("nothing is destroyed");
    expect(text).toContain("cost: not priced");
    expect(plan.estimate.computeUsd).toBeUndefined();
    // No lab up, no destroy: provisioning, the trials and two cool-downs that end when the hosts settle (15 s expected).
    const trial = plan.estimate.cells[0]?.trialSeconds ?? NaN;
    expect(plan.estimate.wallSeconds).toBeCloseTo(DEFAULT_ASSUMPTIONS.provisionSeconds + 3 * trial + 2 * 15, 6);
    // The lab's lifetime is checked against full cool-downs.
    expect(plan.estimate.wallSecondsAtMost).toBeCloseTo(DEFAULT_ASSUMPTIONS.provisionSeconds + 3 * trial + 2 * 120, 6);
    // Your own hosts: no other plan to compare, no standby or spot; the cool-down's assumption still applies.
    expect(text).not.toContain("recommended:");
    expect(text).not.toMatch(/spot|standby|naive/);
    expect(text).toContain("measured cool-down: 15 s expected (settle time 15 s, an assumption");
  });

  test("a resume says how many trials are already recorded", () => {
    expect(formatPlan(makePlan(cfg, { ...base, recorded: 4 }), cfg)).toContain("resuming: 4 of 6 trials already recorded, 2 to run");
  });
});

describe("the plan per workload", () => {
  const withDkim = resolveLabConfig(
    { ...(readYamlFile(DEFAULTS_FILE) as Record<string, unknown>), workloads: { baseline: "published", list: [{ name: "published" }, { name: "dkim", traffic: { messageCount: 5000 }, sender: { dkim: { algorithm: "ed25519", domains: ["example.com"] } } }] } },
    {},
    "test",
    "none",
  ).config;
  const c2 = withDkim.sender.sizes.find((s) => s.id === "c2-r4");
  if (!c2) throw new Error("lab.yaml has no c2-r4");
  const lab = { kind: "stack" as const, description: "stack dev", stack: "dev" };

  test("an estimate per workload; a rate without a published figure is said to be unknown and bounded by the duration cap, never guessed", () => {
    const plan = makePlan(withDkim, { sizes: [c2], workloads: ["published", "dkim"], trials: 2, coolDownSeconds: 10, lab, resultsDir: "r", keep: false });
    const text = formatPlan(plan, withDkim);
    expect(text).toContain("workloads: published, dkim (at each size, in this order)");
    expect(text).toContain("(4 in all)");
    expect(text).toMatch(/c2-r4 × published: ~750 msgs\/s expected \(published figure\)/);
    expect(text).toMatch(/c2-r4 × dkim: rate unknown \(no published figure for this workload\): at most \S+ per trial \(traffic-gen's duration cap\)/);
    expect(text).toMatch(/traffic-gen \(dkim\): 5000 messages/);
    expect(text).toMatch(/estimate: at most \S+ wall time \(1 lab\); /);
    const dkim = plan.estimate.cells.find((c) => c.workload === "dkim");
    expect(dkim?.msgsPerSec).toBeUndefined();
    expect(dkim?.trialSeconds).toBe(100 + DEFAULT_ASSUMPTIONS.trialOverheadSeconds); // auto cap: 5000 / 50 msgs/s
    expect(plan.estimate.upperBound).toBe(true);
  });

  test("a size with no published row has an unknown rate even for the published workload", () => {
    expect(knownRate({ vcpu: 3, ramGiB: 7 }, "published")).toBeUndefined();
    expect(knownRate({ vcpu: 2, ramGiB: 4 }, "published")).toBeCloseTo(750, 6);
    expect(knownRate({ vcpu: 2, ramGiB: 4 }, "dkim")).toBeUndefined();
  });

  test("data transfer counts each workload's own messages and body size", () => {
    const plan = makePlan(withDkim, { sizes: [c2], workloads: ["published", "dkim"], trials: 2, coolDownSeconds: 0, lab, resultsDir: "r", keep: false });
    const body = withDkim.traffic.bodySize;
    expect(plan.estimate.dataTransferUsd).toBeCloseTo(((2 * withDkim.traffic.messageCount * body + 2 * 5000 * body) / 1e9) * DEFAULT_ASSUMPTIONS.egressUsdPerGB, 9);
  });
});
