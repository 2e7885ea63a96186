/**
 * The sweep's cost with prefetch: a size's sender costs from the moment its standby build began
 * (it runs beside the size before), not from its swap. Figures worked by hand from the timeline.
 */
import { describe, expect, test } from "vitest";
import type { RunManifest } from "../../scripts/results/run-manifest";
import type { TimelineEvent } from "../../scripts/results/timeline";
import { computeSweepCost } from "../../scripts/report/sweep-cost";

const manifest = {
  sizes: [
    { id: "c2-r4", label: "c5.large", vcpu: 2, ramGiB: 4, hourlyUsd: 0.1 },
    { id: "c4-r16", label: "m5.xlarge", vcpu: 4, ramGiB: 16, hourlyUsd: 0.2 },
  ],
  sink: { label: "Standard_F8s_v2", hourlyUsd: 0.3 },
} as unknown as RunManifest;

const at = (minute: number): string => new Date(Date.UTC(2026, 10, 30, 9, minute)).toISOString();
const ev = (minute: number, kind: TimelineEvent["kind"], sizeId?: string): TimelineEvent => ({ at: at(minute), kind, ...(sizeId ? { sizeId } : {}) });

describe("cost windows with prefetch", () => {
  test("size 2 is billed from its standby-start (minute 10), not its swap (minute 30)", () => {
    const timeline = [
      ev(0, "lab-up-start", "c2-r4"),
      ev(8, "lab-up-done", "c2-r4"),
      ev(10, "standby-start", "c4-r16"),
      ev(30, "size-done", "c2-r4"),
      ev(30, "size-start", "c4-r16"),
      ev(60, "size-done", "c4-r16"),
      ev(61, "lab-destroy-start"),
      ev(66, "lab-destroyed"),
    ];
    const cost = computeSweepCost(manifest, timeline, []);
    const c4 = cost.sizes.find((s) => s.sizeId === "c4-r16");
    // 50 minutes (10 → 60) × $0.2/h = $0.1667.
    expect(c4?.window.seconds).toBe(50 * 60);
    expect(c4?.usd).toBeCloseTo((0.2 * 50) / 60, 6);
  });
});
