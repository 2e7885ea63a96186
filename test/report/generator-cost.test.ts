/**
 * A lab with a generator host pays for it over the lab's whole life, like the sink: in the report's
 * cost (run.json `generator`) and in the plan's estimate. Figures worked by hand.
 */
import { describe, expect, test } from "vitest";
import type { RunManifest } from "../../scripts/results/run-manifest";
import type { TimelineEvent } from "../../scripts/results/timeline";
import { computeSweepCost } from "../../scripts/report/sweep-cost";
import { labFixedHourlyUsd } from "../../scripts/sweep/plan";

const base = {
  sizes: [{ id: "c2-r4", label: "c5.large", vcpu: 2, ramGiB: 4, hourlyUsd: 0.1 }],
  sink: { label: "Standard_F8s_v2", hourlyUsd: 0.3 },
};
const at = (minute: number): string => new Date(Date.UTC(2026, 10, 30, 9, minute)).toISOString();
const timeline: TimelineEvent[] = [
  { at: at(0), kind: "lab-up-start", sizeId: "c2-r4" },
  { at: at(10), kind: "lab-up-done", sizeId: "c2-r4" },
  { at: at(50), kind: "size-done", sizeId: "c2-r4" },
  { at: at(55), kind: "lab-destroy-start" },
  { at: at(60), kind: "lab-destroyed" },
];

describe("the generator host's cost", () => {
  test("billed over the lab window: 60 min × $0.34/h = $0.34 beside the sink's 60 min × $0.30/h", () => {
    const cost = computeSweepCost({ ...base, generator: { label: "c5.2xlarge", hourlyUsd: 0.34 } } as unknown as RunManifest, timeline, []);
    expect(cost.generator).toEqual({ label: "c5.2xlarge", hourlyUsd: 0.34, usd: expect.closeTo(0.34, 6) });
    // The sender has no size-start and no trials here, so its window is empty ($0): sink $0.30 + generator $0.34.
    expect(cost.totalUsd).toBeCloseTo(0.64, 6);
  });

  test("without its price the total is unknown and the report says which key to set", () => {
    const cost = computeSweepCost({ ...base, generator: { label: "c5.2xlarge" } } as unknown as RunManifest, timeline, []);
    expect(cost.totalUsd).toBeNull();
    expect(cost.notes.join("\n")).toContain("no hourly price for the generator host (c5.2xlarge) in run.json: its cost is unknown (generator.hourlyUsd)");
  });

  test("no generator: nothing added", () => {
    const cost = computeSweepCost(base as unknown as RunManifest, timeline, []);
    expect(cost.generator).toBeUndefined();
  });

  test("the plan's fixed cost per lab hour: sink $0.338 + generator $0.34 = $0.678; unknown without the generator's price", () => {
    const gen = (enabled: boolean, hourlyUsd?: number) => ({ enabled, instanceType: "c5.2xlarge", vcpu: 8, ramGiB: 16, arch: "x86_64" as const, ...(hourlyUsd !== undefined ? { hourlyUsd } : {}) });
    const sink = { hourlyUsd: 0.338 } as Parameters<typeof labFixedHourlyUsd>[0]["sink"];
    expect(labFixedHourlyUsd({ sink, generator: gen(true, 0.34) })).toBeCloseTo(0.678, 9);
    expect(labFixedHourlyUsd({ sink, generator: gen(true) })).toBeUndefined();
    expect(labFixedHourlyUsd({ sink, generator: gen(false, 0.34) })).toBe(0.338);
  });
});

describe("a spot run's cost", () => {
  test("priced at the on-demand rates run.json holds, and the report says the real cost was lower", () => {
    const cost = computeSweepCost({ ...base, spot: { sender: true, sink: false } } as unknown as RunManifest, timeline, []);
    expect(cost.notes).toContain("the sender ran on spot capacity, priced here at on-demand rates: the real cost was lower (see your cloud bill)");
    expect(computeSweepCost(base as unknown as RunManifest, timeline, []).notes.join("\n")).not.toContain("spot");
  });
});
