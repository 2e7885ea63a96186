/**
 * The knee's and the steady-state mode's pure decisions, with expected values worked out by hand:
 * the rate-dropped rule, the rate series from counter polls, the ThrottleSpec rendering (syntax of
 * KumoMTA crates/throttle/src/lib.rs), the knee rule, the fractions option and the curve from records.
 */
import { describe, expect, it } from "vitest";
import { rateDropOf, rateDropOfSeries } from "../../scripts/trial/rate-drop";
import { counterAt, intervalFor, ratePerInterval } from "../../scripts/trial/rate-series";
import { throttleFor } from "../../scripts/knee/throttle-spec";
import { kneeOf } from "../../scripts/knee/knee-rule";
import { parseFractions } from "../../scripts/knee/knee-run";
import { judged, kneeCurve } from "../../scripts/knee/knee-curve";
import { kneeMarkdown } from "../../scripts/knee/knee-report";
import { makeRecord } from "../results/make-record";
import { stepDurationCap, throttledSteps } from "../../scripts/knee/run-knee";
import { sparkline } from "../../scripts/report/sparkline";
import { trialVerdictLine } from "../../scripts/sweep/verdict";
import { parseThrottle } from "../fixtures/traffic-gen/format";

describe("rate-dropped: after the first interval, the last third's rate below 80 % of the first third's", () => {
  it("a run that falls from 100 to 70 msgs/s is flagged (70 ÷ 100 = 0.70)", () => {
    const d = rateDropOf("accepted", [100, 100, 100, 70, 70, 70]);
    expect(d).toEqual({ series: "accepted", firstRate: 100, lastRate: 70, ratio: 0.7, dropped: true });
  });
  it("a run that eases from 100 to 85 msgs/s is not (0.85)", () => {
    expect(rateDropOf("accepted", [100, 100, 90, 90, 85, 85])?.dropped).toBe(false);
  });
  it("exactly 80 % is not a drop: the rule is strictly below", () => {
    // 3 judged intervals after the first: thirds of 1 → first 50, last 40.
    expect(rateDropOf("delivered", [999, 50, 45, 40])).toMatchObject({ firstRate: 50, lastRate: 40, dropped: false });
  });
  it("the middle third is not judged: 6 intervals after the first → thirds of 2 ([100,100] and [79,79])", () => {
    expect(rateDropOf("accepted", [5, 100, 100, 0, 0, 79, 79])).toMatchObject({ firstRate: 100, lastRate: 79, dropped: true });
  });
  it("the first interval (start-up: connections opening, a throttle's initial burst) is left out", () => {
    expect(rateDropOf("accepted", [300, 100, 100, 100])).toMatchObject({ firstRate: 100, lastRate: 100, dropped: false });
    expect(rateDropOf("accepted", [10, 100, 100, 100])).toMatchObject({ firstRate: 100, dropped: false });
  });
  it("fewer than 3 intervals after the first say nothing; a first third that carried nothing has no ratio", () => {
    expect(rateDropOf("accepted", [100, 10, 10])).toBeUndefined();
    expect(rateDropOf("accepted", [0, 0, 50, 50])).toMatchObject({ ratio: null, dropped: false });
  });
  it("the delivered series (where network credits show) decides when it dropped, though acceptance held", () => {
    expect(rateDropOfSeries({ accepted: [100, 100, 100, 100], delivered: [100, 100, 90, 50] })).toMatchObject({ series: "delivered", dropped: true, lastRate: 50 });
    expect(rateDropOfSeries({ accepted: [100, 100, 100, 100], delivered: [100, 100, 100, 100] })).toMatchObject({ dropped: false });
  });
  it("acceptance dropped while deliveries held: the accepted series is named; neither dropped: the accepted one is shown; too short: nothing", () => {
    expect(rateDropOfSeries({ accepted: [100, 100, 90, 40], delivered: [100, 100, 100, 100] })).toMatchObject({ series: "accepted", dropped: true, lastRate: 40 });
    expect(rateDropOfSeries({ accepted: [100, 100, 100, 95], delivered: [100, 100, 100, 100] })).toMatchObject({ series: "accepted", dropped: false, lastRate: 95 });
    // Only the delivered series is long enough to judge: it is the one shown.
    expect(rateDropOfSeries({ accepted: [100, 100], delivered: [100, 100, 100, 100] })).toMatchObject({ series: "delivered", dropped: false });
    expect(rateDropOfSeries({ accepted: [100], delivered: [100] })).toBeUndefined();
  });
  it("the terminal verdict line carries the flag with its figures", () => {
    const line = trialVerdictLine({
      sizeId: "c2-r4", trial: 1, status: "ok", valid: true, invalidReasons: [], trafficGen: { rate: { msgsPerSec: 85 } },
      rateOverTime: { drop: { series: "delivered", firstRate: 100, lastRate: 70, ratio: 0.7, dropped: true } },
    });
    expect(line).toBe("c2-r4 trial 1: 85.0 msgs/s → VALID ⚠ rate-dropped: delivered rate in the last third 70.0 msgs/s = 70 % of the first third's 100.0 msgs/s — the mean is not the sustained rate");
  });
});

describe("the rate over time from a counter polled on the host", () => {
  // Readings every 0.5 s (t0 = t1, so each reading's time is exact).
  const at = (t: number, value: number) => ({ t0: t, t1: t, value });
  const polls = [at(10, 0), at(10.5, 50), at(11, 100), at(11.5, 180), at(12, 260), at(12.5, 300), at(13, 340)];
  it("messages per 1 s interval: 100−0, 260−100, 340−260", () => {
    expect(ratePerInterval(polls, 10, 3, 1)).toEqual([100, 160, 80]);
  });
  it("a trailing part shorter than an interval is left out", () => {
    expect(ratePerInterval(polls, 10, 2.5, 1)).toEqual([100, 160]);
  });
  it("intervals before the first reading are left out; the counter at a time is the last reading at or before it", () => {
    expect(ratePerInterval(polls, 9, 2, 1)).toEqual([100]);
    expect(counterAt(polls, 11.4)).toBe(100);
    expect(counterAt(polls, 9.99)).toBeUndefined();
  });
  it("per-second rates for a 2 s interval: (260 − 0) ÷ 2", () => {
    expect(ratePerInterval(polls, 10, 2, 2)).toEqual([130]);
  });
  it("about 30 intervals per run: 0.5 s below 30 s, then whole seconds", () => {
    expect([intervalFor(3), intervalFor(29.9), intervalFor(30), intervalFor(31), intervalFor(1800)]).toEqual([0.5, 0.5, 1, 2, 60]);
  });
  it("a sparkline scales from 0 to the maximum", () => {
    expect(sparkline([0, 4, 8, 8])).toBe("▁▅██");
  });
});

describe("ThrottleSpec for an offered load (crates/throttle/src/lib.rs syntax)", () => {
  it("N/s from 10 msgs/s up, rounded", () => {
    expect(throttleFor(350.4)).toEqual({ spec: "350/s", msgsPerSec: 350 });
    expect(throttleFor(10)).toEqual({ spec: "10/s", msgsPerSec: 10 });
  });
  it("below 10 msgs/s per minute, with a burst of about one second's messages", () => {
    // 2.5 msgs/s = 150/min; one second's worth = ceil(150/60) = 3.
    expect(throttleFor(2.5)).toEqual({ spec: "150/min,max_burst=3", msgsPerSec: 2.5 });
    expect(throttleFor(0.5)).toEqual({ spec: "30/min,max_burst=1", msgsPerSec: 0.5 });
  });
  it("below one a minute per hour: 0.004 msgs/s = 14.4/h → 14/h", () => {
    expect(throttleFor(0.004)).toEqual({ spec: "14/h,max_burst=1", msgsPerSec: 14 / 3600 });
  });
  it("nothing to offer: zero, negative, below one an hour", () => {
    expect(() => throttleFor(0)).toThrow(/positive rate/);
    expect(() => throttleFor(-5)).toThrow(/positive rate/);
    expect(() => throttleFor(0.0001)).toThrow(/below one message an hour/);
  });
  it("every rendered spec parses as ThrottleSpec::try_from does, to the rate it stands for", () => {
    for (const r of [1234.6, 10, 9.99, 2.5, 0.02, 0.004]) {
      const t = throttleFor(r);
      const p = parseThrottle(t.spec);
      expect(p.limit / p.periodSeconds).toBeCloseTo(t.msgsPerSec, 9);
    }
  });
  it("the steps of a knee: 40 %, 80 % of a 1,000 msgs/s maximum are trials 2 and 3", () => {
    expect(throttledSteps(1000, [0.4, 0.8])).toEqual([
      { trial: 2, fraction: 0.4, throttle: "400/s", offeredMsgsPerSec: 400 },
      { trial: 3, fraction: 0.8, throttle: "800/s", offeredMsgsPerSec: 800 },
    ]);
  });
});

describe("the knee: the highest offered load before p99 exceeds 2× the lightest step's", () => {
  const step = (offered: number | null, p99ms: number | null) => ({ offeredMsgsPerSec: offered, p99Seconds: p99ms === null ? null : p99ms / 1000 });
  it("p99 10, 12, 19, 35 ms at 100..400 msgs/s: turns at 400 (35 > 20), the knee is 300", () => {
    const k = kneeOf([step(100, 10), step(200, 12), step(300, 19), step(400, 35), step(null, 80)]);
    expect(k.kneeIndex).toBe(2);
    expect(k.turnIndex).toBe(3);
    expect(k.referenceP99Seconds).toBeCloseTo(0.01, 12);
    expect(k.limitP99Seconds).toBeCloseTo(0.02, 12);
    expect(k.text).toMatch(/the knee is 300\.0 msgs\/s/);
  });
  it("the first turn decides, even if a higher step comes back down", () => {
    expect(kneeOf([step(100, 10), step(200, 25), step(300, 15)]).kneeIndex).toBe(0);
  });
  it("order is by offered load, not by the order given; the unthrottled step counts as the highest", () => {
    const k = kneeOf([step(null, 15), step(300, 11), step(100, 10)]);
    expect(k.kneeIndex).toBe(0); // nothing exceeded 20 ms: the highest (unthrottled) step
    expect(k.turnIndex).toBeNull();
    expect(k.text).toMatch(/no knee within the measured range/);
  });
  it("exactly 2× does not turn up (the rule is 'exceeds'); the texts name the loads and latencies", () => {
    const at = kneeOf([step(100, 10), step(200, 20)]);
    expect(at.turnIndex).toBeNull();
    expect(at.text).toBe("p99 stayed within 2× the lightest step's (10.0 ms) up to 200.0 msgs/s: no knee within the measured range");
    const up = kneeOf([step(100, 4), step(200, 9), step(null, 30)]);
    // 9 ms > 2 × 4 ms: turns at 200; sub-10-ms latencies get two decimals.
    expect(up.text).toBe("p99 turns up at 200.0 msgs/s (9.00 ms > 2× the lightest step's 4.00 ms): the knee is 100.0 msgs/s");
    expect(kneeOf([step(100, 10), step(null, 25)]).text).toBe("p99 turns up at the unthrottled step (25.0 ms > 2× the lightest step's 10.0 ms): the knee is 100.0 msgs/s");
    expect(kneeOf([step(100, null)]).text).toBe("no step has a latency: no knee");
  });
  it("steps without a latency are skipped; none at all = no knee", () => {
    expect(kneeOf([step(100, null), step(200, 10), step(300, 21)])).toMatchObject({ kneeIndex: 1, turnIndex: 2 });
    expect(kneeOf([step(100, null)]).kneeIndex).toBeNull();
  });
});

describe("--fractions", () => {
  it("sorted, each in (0, 1], each once", () => {
    expect(parseFractions("0.85, 0.25,0.5,1")).toEqual([0.25, 0.5, 0.85, 1]);
    expect(() => parseFractions("0.5,1.2")).toThrow(/'1.2' is not a fraction in \(0, 1\]/);
    expect(() => parseFractions("0")).toThrow(/not a fraction/);
    expect(() => parseFractions("0.5,0.5")).toThrow(/more than once/);
    expect(() => parseFractions("")).toThrow(/one or more/);
  });
});

describe("which steps the knee rule judges", () => {
  const p = (valid: boolean, notes: string[], status: "ok" | "failed" | "missing" = "ok", p99Seconds: number | null = 0.01) => ({ valid, notes, status, p99Seconds });
  it("valid steps, and invalid ones whose reasons say what limited them (the sink's CPU, the network)", () => {
    expect(judged(p(true, []))).toBe(true);
    expect(judged(p(false, ["sink-cpu-high", "network-near-link"]))).toBe(true);
  });
  it("not steps whose latency is void: failed, nothing sent, failed sends (their attempts are timed too), or no latency", () => {
    expect(judged(p(false, ["send-failures"]))).toBe(false);
    expect(judged(p(false, ["nothing-sent"]))).toBe(false);
    expect(judged(p(false, ["traffic-gen: exit 1"], "failed"))).toBe(false);
    expect(judged(p(true, [], "ok", null))).toBe(false);
  });
});

describe("the curve from a knee run's records (read back as the report reads them)", () => {
  const kneeRun = (steps: Array<[number, number | null, number | null]>) => ({
    schemaVersion: 1 as const, runId: "knee-x", createdAt: "2026-03-01T09:00:00.000Z", lab: "inventory hosts.yaml", sizeId: "c2-r4",
    fractions: [0.25, 0.5], maxMsgsPerSec: 1000,
    steps: steps.map(([trial, fraction, offered]) => ({ trial, fraction, throttle: offered === null ? null : `${offered}/s`, offeredMsgsPerSec: offered })),
  });
  const rec = (trial: number, p99: number, deliveries?: { sum: number; count: number }, invalidReasons: Array<{ code: "sink-cpu-high" | "send-failures"; detail: string }> = []) => {
    const r = makeRecord({ sizeId: "c2-r4", trial, startedAt: `2026-03-01T09:0${trial}:00Z`, p99, invalidReasons });
    if (!deliveries) return r;
    const sum = "deliver_message_latency_rollup_sum{service=\"smtp_client\"}";
    const count = "deliver_message_latency_rollup_count{service=\"smtp_client\"}";
    return { ...r, metrics: { ...r.metrics, sender: { before: { [sum]: 10, [count]: 100 }, after: { [sum]: 10 + deliveries.sum, [count]: 100 + deliveries.count } } } };
  };
  it("ordered by offered load with the unthrottled step last; p99 30 ms > 2 × 12 ms turns at 500 msgs/s, the knee is 250", () => {
    const c = kneeCurve(kneeRun([[1, null, null], [2, 0.25, 250], [3, 0.5, 500]]), [rec(1, 0.08), rec(2, 0.012), rec(3, 0.03)]);
    expect(c.points.map((p) => p.trial)).toEqual([2, 3, 1]);
    expect(c.kneeMsgsPerSec).toBe(250);
    expect(c.points[c.knee.turnIndex ?? -1]?.trial).toBe(3);
  });
  it("kumod's mean delivery time: Δ_sum ÷ Δ_count (6 s over 2,000 deliveries = 3 ms)", () => {
    const c = kneeCurve(kneeRun([[1, null, null]]), [rec(1, 0.05, { sum: 6, count: 2000 })]);
    expect(c.points[0]?.kumodMeanDeliverySeconds).toBeCloseTo(0.003, 12);
  });
  it("a step whose sends failed is not judged; one limited by the sink's CPU is, and named as a caveat", () => {
    const c = kneeCurve(kneeRun([[1, null, null], [2, 0.25, 250], [3, 0.5, 500]]), [
      rec(1, 0.2, undefined, [{ code: "send-failures", detail: "x" }]),
      rec(2, 0.01, undefined, [{ code: "sink-cpu-high", detail: "y" }]),
      rec(3, 0.015),
    ]);
    // Step 1 (p99 200 ms) would have turned up; it is not judged, so no step turns up.
    expect(c.knee.turnIndex).toBeNull();
    expect(c.points[c.knee.kneeIndex ?? -1]?.trial).toBe(3);
    expect(c.caveats).toEqual(["sink-cpu-high"]);
  });
  it("the report's marks: '← knee' and '← turns up' when a step turns up; without one, the heaviest step is not called the knee", () => {
    const run = kneeRun([[1, null, null], [2, 0.25, 250], [3, 0.5, 500]]);
    const turned = [rec(1, 0.08), rec(2, 0.012), rec(3, 0.03)];
    const md = kneeMarkdown(run, kneeCurve(run, turned), turned);
    expect(md).toMatch(/\| 2 ← knee \|/);
    expect(md).toMatch(/\| 3 ← turns up \|/);
    const flat = [rec(1, 0.014), rec(2, 0.012), rec(3, 0.013)];
    const md2 = kneeMarkdown(run, kneeCurve(run, flat), flat);
    expect(md2).not.toContain("← knee");
    expect(md2).toMatch(/\| 1 ← heaviest step, p99 not yet turned up \|/);
  });
  it("a step without a record shows as missing", () => {
    const c = kneeCurve(kneeRun([[1, null, null], [2, 0.25, 250]]), [rec(1, 0.05)]);
    expect(c.points.map((p) => p.status)).toEqual(["missing", "ok"]);
  });
});

describe("the deadline of a throttled message-count step", () => {
  it("twice the throttle's time when that is past the auto cap (10,000 at 20/s = 500 s → 1,000 s; auto is max(60, 10,000 ÷ 50) = 200 s)", () => {
    expect(stepDurationCap({ durationCapSeconds: "auto", messageCount: 10_000 }, 20)).toBe(1000);
  });
  it("the auto cap when it is already longer (10,000 at 400/s = 25 s, ×2 = 50 s < 200 s), for the unthrottled step, and a configured cap as set", () => {
    expect(stepDurationCap({ durationCapSeconds: "auto", messageCount: 10_000 }, 400)).toBe("auto");
    expect(stepDurationCap({ durationCapSeconds: "auto", messageCount: 10_000 }, null)).toBe("auto");
    expect(stepDurationCap({ durationCapSeconds: 90, messageCount: 10_000 }, 20)).toBe(90);
  });
});
