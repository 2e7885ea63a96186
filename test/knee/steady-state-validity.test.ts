/**
 * A steady-state (duration) trial: traffic-gen gets --duration and no --message-count; reaching its
 * deadline is the plan, and the count that must match the sink's is what the sender's kumod
 * accepted — traffic-gen's "sent" also counts the claims in flight at the deadline
 * (crates/traffic-gen/src/main.rs: the counter is read at the deadline; the runtime then drops those sends).
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { KumodCounterDeltas } from "../../scripts/results/trial-record";
import { parseTrafficGenOutput } from "../../scripts/trial/traffic-gen-output";
import { trafficGenArgs } from "../../scripts/trial/traffic-gen-args";
import { validityOf, type ValidityInput } from "../../scripts/trial/validity";

const FIXTURES = path.join(__dirname, "..", "fixtures", "traffic-gen-outputs");
// A one-hour run that ended at its deadline: "sent 12,345,678 messages, failed 0".
const deadline = parseTrafficGenOutput(readFileSync(path.join(FIXTURES, "deadline-big.stdout"), "utf8"), readFileSync(path.join(FIXTURES, "deadline-big.stderr"), "utf8"));

const counters = (received: number): KumodCounterDeltas => ({ received, delivered: received, transientFailures: 0, permanentFailures: 0, delayedReadyQueueFull: 0, connectionsDenied: 0 });

function run(sinkReceived: number, kumodAccepted: number, durationMode: boolean): ValidityInput {
  return {
    status: "ok",
    trafficGen: deadline,
    endToEnd: { sinkReceived, senderDelivered: kumodAccepted, firstInjectionAt: "2026-03-01T12:00:00.000Z", lastDeliveryAt: "2026-03-01T13:00:01.000Z", seconds: 3601, msgsPerSec: sinkReceived / 3601, mmh: null, queueDrained: true, drainWaitSeconds: 1 },
    port25Proof: { blockedOutbound25: true },
    messageCount: 100_000,
    durationCapSeconds: 3600,
    senderCounters: counters(kumodAccepted),
    drain: { queueDrained: true, waitSeconds: 1, senderDelivered: kumodAccepted },
    durationMode,
  };
}

describe("validity of a steady-state trial", () => {
  it("78 sends cut at the deadline (12,345,678 claimed, 12,345,600 accepted and delivered): valid", () => {
    expect(validityOf(run(12_345_600, 12_345_600, true))).toEqual({ valid: true, reasons: [] });
  });
  it("the same run as a message-count trial is incomplete and the counts disagree", () => {
    const codes = validityOf(run(12_345_600, 12_345_600, false)).reasons.map((r) => r.code);
    expect(codes).toEqual(["incomplete-deadline", "sink-count-mismatch"]);
  });
  it("the sink counting 10 fewer than the sender's kumod accepted is still a mismatch, said with both counts", () => {
    const v = validityOf(run(12_345_590, 12_345_600, true));
    expect(v.reasons).toEqual([{ code: "sink-count-mismatch", detail: "the sender's kumod accepted 12345600 but the sink counted 12345590" }]);
  });
});

describe("traffic-gen's argv in steady state", () => {
  const traffic = { concurrency: 20, messageCount: 5000, bodySize: 10_000, durationCapSeconds: "auto" as const, domains: [], headers: [], throttle: "350/s" };
  it("--duration N and no --message-count; the throttle stays an extra flag", () => {
    const { argv, extraArgs } = trafficGenArgs(traffic, "127.0.0.1:2025", 1800, "duration");
    expect(argv).not.toContain("--message-count");
    expect(argv[argv.indexOf("--duration") + 1]).toBe("1800");
    expect(extraArgs).toEqual(["--throttle", "350/s"]);
  });
  it("a message-count trial keeps --message-count with the cap as --duration", () => {
    const { argv } = trafficGenArgs(traffic, "127.0.0.1:2025", 100);
    expect(argv[argv.indexOf("--message-count") + 1]).toBe("5000");
    expect(argv[argv.indexOf("--duration") + 1]).toBe("100");
  });
});
