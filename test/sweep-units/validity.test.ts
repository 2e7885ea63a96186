/** Whether a trial's figure may enter a mean, and the reasons a user reads when it may not. */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import type { EndToEnd, HostResources, KumodCounterDeltas } from "../../scripts/results/trial-record";
import { parseTrafficGenOutput, type TrafficGenSummary } from "../../scripts/trial/traffic-gen-output";
import { validityOf, type ValidityInput } from "../../scripts/trial/validity";

const FIXTURES = path.join(__dirname, "..", "fixtures", "traffic-gen-outputs");
function tg(name: string): TrafficGenSummary {
  const read = (ext: string): string => {
    try {
      return readFileSync(path.join(FIXTURES, `${name}.${ext}`), "utf8");
    } catch {
      return ""; // the fixture has no stderr file: traffic-gen printed nothing there
    }
  };
  return parseTrafficGenOutput(read("stdout"), read("stderr"));
}

function host(cpu: number, txBytesPerSec: number, link: number | null): HostResources {
  return {
    interface: "eth0",
    linkBitsPerSecond: link,
    samples: 80,
    cpuPct: { mean: cpu, p95: cpu, max: cpu },
    memUsedPct: { mean: 30, p95: 30, max: 30 },
    netRxBytesPerSec: { mean: 1000, p95: 1000, max: 1000 },
    netTxBytesPerSec: { mean: txBytesPerSec, p95: txBytesPerSec, max: txBytesPerSec },
  };
}

function e2e(sinkReceived: number, queueDrained = true): EndToEnd {
  return {
    sinkReceived,
    senderDelivered: sinkReceived,
    firstInjectionAt: "2026-03-01T12:00:00.000Z",
    lastDeliveryAt: "2026-03-01T12:01:22.000Z",
    seconds: 82,
    msgsPerSec: sinkReceived / 82,
    mmh: (sinkReceived / 82) * 0.0036,
    queueDrained,
    drainWaitSeconds: 2,
  };
}

const counters = (delivered: number, transientFailures: number, permanentFailures: number): KumodCounterDeltas => ({
  received: delivered + permanentFailures,
  delivered,
  transientFailures,
  permanentFailures,
  delayedReadyQueueFull: 0,
  connectionsDenied: 0,
});

function good(): ValidityInput {
  return {
    status: "ok",
    trafficGen: tg("finished"),
    endToEnd: e2e(100_000),
    resources: { sender: host(95, 1.2e8, null), sink: host(40, 1e6, null) },
    port25Proof: { blockedOutbound25: true },
    messageCount: 100_000,
    durationCapSeconds: 2000,
    senderCounters: counters(100_000, 0, 0),
    drain: { queueDrained: true, waitSeconds: 2, senderDelivered: 100_000 },
  };
}

const codes = (r: ValidityInput): string[] => validityOf(r).reasons.map((x) => x.code);

describe("validityOf", () => {
  test("a complete trial with the sender as the limit is valid", () => {
    expect(validityOf(good())).toEqual({ valid: true, reasons: [] });
  });

  test("a failed trial says at which step and why", () => {
    const v = validityOf({ ...good(), status: "failed", failure: { step: "traffic-gen", message: "exit 137" }, trafficGen: undefined });
    expect(v.valid).toBe(false);
    expect(v.reasons).toEqual([{ code: "failed", detail: "traffic-gen: exit 137" }]);
  });

  test("no port-25 proof: not valid", () => {
    expect(codes({ ...good(), port25Proof: null })).toEqual(["missing-port25-proof"]);
  });

  test("traffic-gen stopped at its deadline: incomplete, naming the cap", () => {
    const v = validityOf({ ...good(), trafficGen: tg("deadline-big"), messageCount: 20_000_000, endToEnd: undefined });
    expect(v.reasons.map((r) => r.code)).toEqual(["incomplete-deadline"]);
    expect(v.reasons[0]?.detail).toContain("its --duration cap was 2000 s");
  });

  test("fewer sent than asked is incomplete even without the deadline line", () => {
    expect(codes({ ...good(), messageCount: 150_000, endToEnd: undefined })).toEqual(["incomplete-deadline"]);
  });

  test("traffic-gen's failures are 'send-failures'; the sender kumod's failed deliveries are 'delivery-failures'", () => {
    const v = validityOf({ ...good(), trafficGen: tg("failures"), messageCount: 99_000, endToEnd: undefined, senderCounters: counters(99_000, 7, 2) });
    expect(v.reasons.map((r) => r.code)).toEqual(["send-failures", "delivery-failures"]);
    expect(v.reasons[0]?.detail).toBe("traffic-gen: 1000 failed, 25 client errors");
    expect(v.reasons[1]?.detail).toMatch(/failed deliveries to the sink 7 times transiently and 2 permanently/);
  });

  test("one transient delivery failure alone makes the trial invalid (a TLS mode the sink refuses shows up here)", () => {
    expect(codes({ ...good(), senderCounters: counters(100_000, 1, 0) })).toEqual(["delivery-failures"]);
    expect(codes({ ...good(), senderCounters: counters(100_000, 0, 1) })).toEqual(["delivery-failures"]);
    expect(codes({ ...good(), senderCounters: null })).toEqual([]);
  });

  test("the sender's queue not drained, and the sink counting other than traffic-gen sent", () => {
    expect(codes({ ...good(), drain: { queueDrained: false, waitSeconds: 30, senderDelivered: 90_000 } })).toEqual(["queue-not-drained"]);
    expect(codes({ ...good(), endToEnd: e2e(99_990) })).toEqual(["sink-count-mismatch"]);
    // While the queue still holds messages a lower count at the sink is expected, not a mismatch.
    expect(codes({ ...good(), endToEnd: e2e(99_990, false) })).toEqual([]);
  });

  test("the sink, not the sender, may be the limit above 85 % CPU", () => {
    expect(codes({ ...good(), resources: { sender: host(95, 1e8, null), sink: host(86, 1e6, null) } })).toEqual(["sink-cpu-high"]);
    expect(codes({ ...good(), resources: { sender: host(95, 1e8, null), sink: host(85, 1e6, null) } })).toEqual([]);
  });

  test("the network near the link speed (when the link reports one)", () => {
    // 110 MB/s = 880 Mbit/s of a 1 Gbit/s link: above 80 %.
    const v = validityOf({ ...good(), resources: { sender: host(95, 1.1e8, 1e9), sink: host(40, 1e6, 1e9) } });
    expect(v.reasons.map((r) => r.code)).toEqual(["network-near-link"]);
    expect(v.reasons[0]?.detail).toContain("sender eth0 averaged 880 Mbit/s of a 1000 Mbit/s link");
    expect(codes({ ...good(), resources: { sender: host(95, 0.9e8, 1e9), sink: host(40, 1e6, 1e9) } })).toEqual([]);
    expect(codes({ ...good(), resources: { sender: host(95, 1.1e8, null), sink: host(40, 1e6, null) } })).toEqual([]);
  });

  test("several problems: every one listed", () => {
    expect(codes({ ...good(), port25Proof: null, resources: { sender: host(95, 1e8, null), sink: host(99, 1e6, null) } }).sort()).toEqual(["missing-port25-proof", "sink-cpu-high"]);
  });
});
