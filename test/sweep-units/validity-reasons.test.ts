/**
 * Each invalid reason on its own, at its boundary, with the exact detail a user reads. Figures by
 * hand: 110 MB/s × 8 = 880 Mbit/s, above 80 % of a 1 Gbit/s link (800 Mbit/s); 90 MB/s = 720 Mbit/s, below.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, test } from "vitest";
import type { EndToEnd, HostResources, KumodCounterDeltas } from "../../scripts/results/trial-record";
import { parseTrafficGenOutput, type TrafficGenSummary } from "../../scripts/trial/traffic-gen-output";
import { validityOf, type ValidityInput } from "../../scripts/trial/validity";

const FIXTURES = path.join(__dirname, "..", "fixtures", "traffic-gen-outputs");
const finished = (): TrafficGenSummary => parseTrafficGenOutput(readFileSync(path.join(FIXTURES, "finished.stdout"), "utf8"), readFileSync(path.join(FIXTURES, "finished.stderr"), "utf8"));

function host(rxBytesPerSec: number, txBytesPerSec: number, link: number | null | undefined, cpu = 40): HostResources {
  return {
    interface: "eth0",
    ...(link === undefined ? {} : { linkBitsPerSecond: link }),
    samples: 80,
    cpuPct: { mean: cpu, p95: cpu, max: cpu },
    memUsedPct: { mean: 30, p95: 30, max: 30 },
    netRxBytesPerSec: { mean: rxBytesPerSec, p95: rxBytesPerSec, max: rxBytesPerSec },
    netTxBytesPerSec: { mean: txBytesPerSec, p95: txBytesPerSec, max: txBytesPerSec },
  };
}

function e2e(sinkReceived: number, queueDrained = true): EndToEnd {
  return { sinkReceived, senderDelivered: sinkReceived, firstInjectionAt: "2026-03-01T12:00:00.000Z", lastDeliveryAt: "2026-03-01T12:01:22.000Z", seconds: 82, msgsPerSec: 1000, mmh: 3.6, queueDrained, drainWaitSeconds: 2 };
}

const counters = (delivered: number, transientFailures: number, permanentFailures: number): KumodCounterDeltas => ({
  received: delivered,
  delivered,
  transientFailures,
  permanentFailures,
  delayedReadyQueueFull: 0,
  connectionsDenied: 0,
});

function good(): ValidityInput {
  const tg = finished();
  return {
    status: "ok",
    trafficGen: tg,
    endToEnd: e2e(tg.sent),
    resources: { sender: host(1e6, 1e7, 1e9), sink: host(1e7, 1e6, 1e9) },
    port25Proof: { blockedOutbound25: true },
    messageCount: tg.sent,
    durationCapSeconds: 2000,
    senderCounters: counters(tg.sent, 0, 0),
    drain: { queueDrained: true, waitSeconds: 2, senderDelivered: tg.sent },
  };
}

const reasons = (r: ValidityInput) => validityOf(r).reasons;

describe("validity, reason by reason", () => {
  test("the fixture run is valid", () => {
    expect(good().trafficGen?.sent).toBe(100_000);
    expect(validityOf(good())).toEqual({ valid: true, reasons: [] });
  });

  test("a failed trial without a recorded failure still says it did not complete", () => {
    expect(reasons({ ...good(), status: "failed", trafficGen: undefined })).toEqual([{ code: "failed", detail: "the trial did not complete" }]);
  });

  test("the port-25 proof", () => {
    expect(reasons({ ...good(), port25Proof: null })).toEqual([{ code: "missing-port25-proof", detail: "no port-25 proof from provisioning: nothing shows mail could not leave" }]);
    expect(reasons({ ...good(), port25Proof: {} })).toEqual([]);
  });

  test("nothing sent is its own reason (besides being incomplete)", () => {
    const none = { ...finished(), sent: 0 };
    const r = reasons({ ...good(), trafficGen: none, endToEnd: undefined, senderCounters: null, drain: undefined });
    expect(r.map((x) => x.code)).toEqual(["nothing-sent", "incomplete-deadline"]);
    expect(r[0]?.detail).toBe("traffic-gen sent no message");
    expect(r[1]?.detail).toBe("traffic-gen sent 0 of 100000 messages (all-clients-finished); its --duration cap was 2000 s");
  });

  test("sent exactly the count asked is complete; one fewer is not", () => {
    expect(reasons({ ...good(), messageCount: 100_000 })).toEqual([]);
    expect(reasons({ ...good(), messageCount: 100_001, endToEnd: undefined }).map((x) => x.code)).toEqual(["incomplete-deadline"]);
  });

  test("client errors without a failed send are send failures too", () => {
    const tg = finished();
    const errors = { ...tg, stderr: { ...tg.stderr, clientErrorCount: 2 } };
    expect(reasons({ ...good(), trafficGen: errors })).toEqual([{ code: "send-failures", detail: "traffic-gen: 0 failed, 2 client errors" }]);
    expect(reasons({ ...good(), trafficGen: { ...tg, failed: 1 } })).toEqual([{ code: "send-failures", detail: "traffic-gen: 1 failed, 0 client errors" }]);
  });

  test("the sink counting more than was sent is a mismatch, as is fewer", () => {
    expect(reasons({ ...good(), endToEnd: e2e(100_010) })).toEqual([{ code: "sink-count-mismatch", detail: "traffic-gen sent 100000 but the sink counted 100010" }]);
    expect(reasons({ ...good(), endToEnd: e2e(99_999) }).map((x) => x.code)).toEqual(["sink-count-mismatch"]);
  });

  test("the queue not drained names the wait and what was delivered", () => {
    expect(reasons({ ...good(), drain: { queueDrained: false, waitSeconds: 30.04, senderDelivered: 90_000 } })).toEqual([
      { code: "queue-not-drained", detail: "the sender's queue had not drained after 30.0 s (delivered 90000 of 100000)" },
    ]);
    expect(reasons({ ...good(), trafficGen: undefined, drain: { queueDrained: false, waitSeconds: 1, senderDelivered: 5 } })).toEqual([
      { code: "queue-not-drained", detail: "the sender's queue had not drained after 1.0 s (delivered 5)" },
    ]);
  });

  test("the network check reads both directions of both hosts", () => {
    // the sink receiving 110 MB/s (its inbound), the sender quiet
    expect(reasons({ ...good(), resources: { sender: host(1e6, 1e6, 1e9), sink: host(1.1e8, 1e6, 1e9) } })).toEqual([
      { code: "network-near-link", detail: "sink eth0 averaged 880 Mbit/s of a 1000 Mbit/s link" },
    ]);
    // the sender sending 110 MB/s
    expect(reasons({ ...good(), resources: { sender: host(1e6, 1.1e8, 1e9), sink: host(1e6, 1e6, 1e9) } })).toEqual([
      { code: "network-near-link", detail: "sender eth0 averaged 880 Mbit/s of a 1000 Mbit/s link" },
    ]);
    // 90 MB/s = 720 Mbit/s: under 80 %; exactly 100 MB/s = 800 Mbit/s: not above
    expect(reasons({ ...good(), resources: { sender: host(9e7, 9e7, 1e9), sink: host(9e7, 9e7, 1e9) } })).toEqual([]);
    expect(reasons({ ...good(), resources: { sender: host(1e8, 1e8, 1e9), sink: host(1e6, 1e6, 1e9) } })).toEqual([]);
    // no link speed known: no check
    expect(reasons({ ...good(), resources: { sender: host(1e6, 1.1e8, undefined), sink: host(1.1e8, 1e6, null) } })).toEqual([]);
  });

  test("sink CPU: the detail names the mean and the limit", () => {
    expect(reasons({ ...good(), resources: { sender: host(1e6, 1e6, null), sink: host(1e6, 1e6, null, 90.4) } })).toEqual([
      { code: "sink-cpu-high", detail: "sink CPU averaged 90 % (> 85 %): the sink, not the sender, may be the limit" },
    ]);
  });

  test("one reason per code, with its detail", () => {
    const r = reasons({ ...good(), endToEnd: e2e(99_000), senderCounters: counters(100_000, 0, 0), sinkBehaviour: "discard" });
    expect(r).toEqual([{ code: "sink-count-mismatch", detail: "traffic-gen sent 100000 but the sink counted 99000" }]);
  });
});

describe("a smart sink (deferrals and bounces on purpose)", () => {
  test("its refusals are not delivery failures, and its own count is not compared", () => {
    expect(reasons({ ...good(), sinkBehaviour: "smart", senderCounters: counters(90_000, 500, 10_000), endToEnd: e2e(123_456) })).toEqual([]);
  });

  test("delivered + bounced must add up to what was sent once drained", () => {
    expect(reasons({ ...good(), sinkBehaviour: "smart", senderCounters: counters(90_000, 0, 9_000) })).toEqual([
      { code: "sink-count-mismatch", detail: "traffic-gen sent 100000 but the sender delivered 90000 and bounced 9000" },
    ]);
    expect(reasons({ ...good(), sinkBehaviour: "smart", senderCounters: counters(90_000, 0, 11_000) }).map((x) => x.code)).toEqual(["sink-count-mismatch"]);
    // not drained: still on its way, not a mismatch (but the queue is)
    expect(reasons({ ...good(), sinkBehaviour: "smart", senderCounters: counters(90_000, 0, 9_000), drain: { queueDrained: false, waitSeconds: 5, senderDelivered: 90_000 } }).map((x) => x.code)).toEqual([
      "queue-not-drained",
    ]);
  });

  test("a discard sink: any failed delivery counts, transient or permanent", () => {
    expect(reasons({ ...good(), senderCounters: counters(100_000, 3, 0) })).toEqual([
      {
        code: "delivery-failures",
        detail: "the sender's kumod failed deliveries to the sink 3 times transiently and 0 permanently (a TLS setting the sink refuses, the sink down or refusing): see its log",
      },
    ]);
  });
});
