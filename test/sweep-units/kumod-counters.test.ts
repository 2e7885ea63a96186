/** What each kumod counted over a trial, read from kumod's own text (total + per-queue series). */
import { describe, expect, test } from "vitest";
import { deliveryActivity, drainedSince, kumodCounterDeltas, openMessages, queueDepth } from "../../scripts/trial/kumod-counters";
import { parsePrometheusText } from "../../scripts/trial/prometheus";

// kumod's shape (crates/kumod/src/{smtp_server,delivery_metrics,metrics_helper}.rs, queue/metrics.rs):
// each counter as a total series and a per-listener / per-ready-queue copy.
function kumod(o: { received: number; delivered: number; transfail?: number; fail?: number; scheduled?: number; ready?: number; delayed?: number; denied?: number }): string {
  const rq = "smtp_client:unspecified->mx_list:[198.18.0.2]@smtp_client";
  const lines = [
    `total_messages_received{service="esmtp_listener"} ${o.received}`,
    `total_messages_received{service="esmtp_listener:127.0.0.1:2025"} ${o.received}`,
    `total_messages_delivered{service="smtp_client"} ${o.delivered}`,
    `total_messages_delivered{service="${rq}"} ${o.delivered}`,
    `total_messages_transfail{service="smtp_client"} ${o.transfail ?? 0}`,
    `total_messages_transfail{service="${rq}"} ${o.transfail ?? 0}`,
    `total_messages_fail{service="smtp_client"} ${o.fail ?? 0}`,
    `ready_count{service="smtp_client"} ${o.ready ?? 0}`,
    `ready_count{service="${rq}"} ${o.ready ?? 0}`,
    `total_connections_denied{service="esmtp_listener"} ${o.denied ?? 0}`,
  ];
  if (o.scheduled !== undefined) lines.push(`scheduled_count_total ${o.scheduled}`, `scheduled_count{queue="[198.18.0.2]"} ${o.scheduled}`);
  if (o.delayed !== undefined) lines.push(`delayed_due_to_ready_queue_full{queue="[198.18.0.2]"} ${o.delayed}`);
  return `${lines.join("\n")}\n`;
}
const snap = (o: Parameters<typeof kumod>[0]) => parsePrometheusText(kumod(o));

describe("kumod counters over a trial", () => {
  test("deltas of the total series only (a label sum would double each)", () => {
    const before = snap({ received: 1000, delivered: 990, transfail: 3, fail: 1, denied: 2 });
    const after = snap({ received: 7000, delivered: 6985, transfail: 10, fail: 5, denied: 2, delayed: 40 });
    expect(kumodCounterDeltas(before, after)).toEqual({ received: 6000, delivered: 5995, transientFailures: 7, permanentFailures: 4, delayedReadyQueueFull: 40, connectionsDenied: 0 });
  });

  test("queue depth is scheduled + ready, each counted once", () => {
    expect(queueDepth(snap({ received: 10, delivered: 0, scheduled: 7, ready: 3 }))).toBe(10);
    expect(queueDepth(snap({ received: 10, delivered: 10 }))).toBe(0);
  });

  test("drained: queues empty and every message delivered or failed permanently (a bounce has ended too)", () => {
    const before = snap({ received: 100, delivered: 100 });
    expect(drainedSince(before, snap({ received: 200, delivered: 190, fail: 10 }))).toBe(true);
    expect(drainedSince(before, snap({ received: 200, delivered: 190 }))).toBe(false); // 10 in flight, in no gauge
    expect(drainedSince(before, snap({ received: 200, delivered: 200, scheduled: 1 }))).toBe(false);
  });

  test("open messages and delivery activity, for the pre-trial settle", () => {
    expect(openMessages(snap({ received: 50, delivered: 45, fail: 2 }))).toBe(3);
    expect(deliveryActivity(snap({ received: 50, delivered: 45, fail: 2 }))).toBe(deliveryActivity(snap({ received: 60, delivered: 45, fail: 2 })));
    expect(deliveryActivity(snap({ received: 50, delivered: 45 }))).not.toBe(deliveryActivity(snap({ received: 50, delivered: 46 })));
  });
});
