/** The estimator's arithmetic on sizes of different speeds, worked out by hand (round numbers). */
import { describe, expect, test } from "vitest";
import type { SenderSize } from "../../lab-config/schema";
import { dataTransferUsd, describeAssumptions, estimateNaivePlan, estimateOurPlan, estimateParallelPlan, formatDuration, type Assumptions, type EstimateInput } from "../../scripts/sweep/estimate";

const a: Assumptions = { labUpSeconds: 360, resizeSeconds: 180, provisionSeconds: 20, trialOverheadSeconds: 10, destroySeconds: 360, egressUsdPerGB: 0.1 };
const A: SenderSize = { id: "a", instanceType: "c5.large", vcpu: 2, ramGiB: 4, arch: "x86_64", hourlyUsd: 1 };
const B: SenderSize = { id: "b", instanceType: "m5.xlarge", vcpu: 4, ramGiB: 16, arch: "x86_64", hourlyUsd: 2 };
// a sends 100 msgs/s, b only 50: trial a = 1000/100 + 10 = 20 s, trial b = 1000/50 + 10 = 30 s.
const input: EstimateInput = {
  sizes: [A, B],
  trials: 2,
  coolDownSeconds: 10,
  traffic: { messageCount: 1000, bodySize: 1000 },
  sinkHourlyUsd: 3,
  expectedMsgsPerSec: (s) => (s.id === "a" ? 100 : 50),
};

describe("sizes of different speeds", () => {
  test("ours: up 360 + a (20 + 2×20 + 10 = 70) + b (180 + 20 + 2×30 + 10 = 270) + destroy 360 = 1060 s", () => {
    const e = estimateOurPlan(input, a);
    expect(e.sizes).toEqual([
      { sizeId: "a", expectedMsgsPerSec: 100, trialSeconds: 20, seconds: 70, senderUsd: 70 / 3600 },
      { sizeId: "b", expectedMsgsPerSec: 50, trialSeconds: 30, seconds: 270, senderUsd: (2 * 270) / 3600 },
    ]);
    expect(e.wallSeconds).toBe(1060);
    // a $1/h × (70 + 360) s, b $2/h × (270 + 360 destroy) s, sink $3/h × 1060 s, egress $0.0004
    expect(e.costUsd as number).toBeCloseTo((430 + 2 * 630 + 3 * 1060) / 3600 + 0.0004, 12);
    expect(e.plan).toBe("ours");
    expect(e.description).toBe("one lab, sender resized in place, sink kept");
  });

  test("naive: a's lab 360 + 70 + 360 = 790 s, then b's 360 + 90 + 360 = 810 s", () => {
    const e = estimateNaivePlan(input, a);
    expect(e.sizes.map((s) => s.seconds)).toEqual([430, 450]);
    expect(e.wallSeconds).toBe(1600);
    expect(e.costUsd as number).toBeCloseTo((790 * (1 + 3) + 810 * (2 + 3)) / 3600 + 0.0004, 12);
    expect(e.description).toBe("a new lab per size");
  });

  test("parallel: as long as the slowest lab (810 s), whatever the order of the sizes", () => {
    expect(estimateParallelPlan(input, a).wallSeconds).toBe(810);
    expect(estimateParallelPlan({ ...input, sizes: [B, A] }, a).wallSeconds).toBe(810);
    expect(estimateParallelPlan(input, a).costUsd as number).toBeCloseTo((790 * (1 + 3) + 810 * (2 + 3)) / 3600 + 0.0004, 12);
    expect(estimateParallelPlan(input, a).description).toBe("one lab per size, all at once");
    expect(estimateParallelPlan({ ...input, sizes: [] }, a).wallSeconds).toBe(0);
  });

  test("an existing lab that is still ours to destroy: no up, no resize, the destroy counted", () => {
    const e = estimateOurPlan({ ...input, labExists: true }, a);
    expect(e.sizes.map((s) => s.seconds)).toEqual([70, 90]);
    expect(e.wallSeconds).toBe(70 + 90 + 360);
    // a $1/h × 70 s, b $2/h × (90 + 360) s, sink $3/h × 520 s
    expect(e.costUsd as number).toBeCloseTo((70 + 2 * 450 + 3 * 520) / 3600 + 0.0004, 12);
  });

  test("no sizes at all: up and destroy only; no sender to price the destroy by, so no cost (never a crash)", () => {
    const e = estimateOurPlan({ ...input, sizes: [] }, a);
    expect(e.wallSeconds).toBe(720);
    expect(e.costUsd).toBeUndefined();
    expect([estimateOurPlan(input, a).plan, estimateNaivePlan(input, a).plan, estimateParallelPlan(input, a).plan]).toEqual(["ours", "naive", "parallel"]);
  });

  test("one trial: no cool-down", () => {
    const e = estimateOurPlan({ ...input, trials: 1, sizes: [A] }, a);
    expect(e.sizes[0]?.seconds).toBe(20 + 20);
  });
});

describe("data transfer and wording", () => {
  test("bodies in GB of 10^9 bytes × the price", () => {
    // 1000 × 1,000,000 bytes = 1 GB
    expect(dataTransferUsd(1000, 1_000_000, { egressUsdPerGB: 0.25 })).toBeCloseTo(0.25, 12);
    // default price, $0.09/GB (AWS data transfer out, first 10 TB, July 2023)
    expect(dataTransferUsd(1000, 1_000_000)).toBeCloseTo(0.09, 12);
    expect(estimateOurPlan(input, a).egressUsd).toBeCloseTo(0.0004, 12);
  });

  test("the assumptions as printed", () => {
    expect(describeAssumptions(a)).toEqual([
      "lab up 360 s, resize 180 s, provision 20 s, destroy 360 s",
      "per-trial overhead 10 s; trial time = messages ÷ expected rate (published figure for the size)",
      "egress $0.1/GB of message bodies; VM prices from lab-config (sender.sizes[].hourlyUsd, sink.hourlyUsd)",
    ]);
  });

  test("durations round to the second, then drop to the largest unit", () => {
    expect(formatDuration(0)).toBe("0s");
    expect(formatDuration(59.4)).toBe("59s");
    expect(formatDuration(59.6)).toBe("1m00s");
    expect(formatDuration(61)).toBe("1m01s");
    expect(formatDuration(3599.6)).toBe("1h00m");
    expect(formatDuration(3600 + 59)).toBe("1h00m");
    expect(formatDuration(36000 + 600)).toBe("10h10m");
  });
});
