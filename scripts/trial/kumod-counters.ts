/**
 * What each kumod counted over a trial: after − before of the exact total series kumolab reads
 * (scripts/kumomta/metrics.ts), never a sum over labels.
 */
import type { KumodCounterDeltas } from "../results/trial-record";
import { DELAYED_READY_QUEUE_FULL, KUMOD_SERIES } from "../kumomta/metrics";
import { perLabelSum, seriesDelta, seriesValue, type MetricsSnapshot } from "./prometheus";

export function kumodCounterDeltas(before: MetricsSnapshot, after: MetricsSnapshot): KumodCounterDeltas {
  const d = (sel: (typeof KUMOD_SERIES)[keyof typeof KUMOD_SERIES]): number => seriesDelta(before, after, sel);
  return {
    // SMTP and HTTP injection (/api/inject/v1) together: either path may feed the sender.
    received: d(KUMOD_SERIES.received) + d(KUMOD_SERIES.receivedHttp),
    delivered: d(KUMOD_SERIES.delivered),
    transientFailures: d(KUMOD_SERIES.transientFailures),
    permanentFailures: d(KUMOD_SERIES.permanentFailures),
    // Per-queue series, pruned when a queue idles: a queue that vanished mid-trial would subtract. Not below 0.
    delayedReadyQueueFull: Math.max(0, perLabelSum(after, DELAYED_READY_QUEUE_FULL) - perLabelSum(before, DELAYED_READY_QUEUE_FULL)),
    connectionsDenied: d(KUMOD_SERIES.connectionsDenied),
  };
}

/**
 * Messages kumod holds in its queues: every scheduled queue plus the SMTP ready queues. A message a
 * dispatcher has taken and is delivering is in neither gauge (crates/kumod/src/ready_queue.rs pops it
 * from ready_count first), so "empty" also needs the counters: see `unsettled`.
 */
export function queueDepth(m: MetricsSnapshot): number {
  return (seriesValue(m, KUMOD_SERIES.scheduledTotal) ?? 0) + (seriesValue(m, KUMOD_SERIES.readyCount) ?? 0);
}

/**
 * Messages kumod counted in but not yet out (delivered or failed permanently), since it started. It
 * can stay above 0 for good — kumod counts a DATA it then refused as received — so it proves nothing
 * is pending only when it is 0; otherwise the caller also waits for delivery activity to stop.
 */
export function openMessages(m: MetricsSnapshot): number {
  const v = (sel: (typeof KUMOD_SERIES)[keyof typeof KUMOD_SERIES]): number => seriesValue(m, sel) ?? 0;
  return v(KUMOD_SERIES.received) - v(KUMOD_SERIES.delivered) - v(KUMOD_SERIES.permanentFailures);
}

/** The delivery counters as one value: unchanged between two reads = no delivery ended in between. */
export function deliveryActivity(m: MetricsSnapshot): string {
  return [KUMOD_SERIES.delivered, KUMOD_SERIES.transientFailures, KUMOD_SERIES.permanentFailures].map((sel) => seriesValue(m, sel) ?? 0).join(",");
}

/** Since `before`: every message received has been delivered or failed permanently, and the queues are empty. */
export function drainedSince(before: MetricsSnapshot, now: MetricsSnapshot): boolean {
  const d = kumodCounterDeltas(before, now);
  return queueDepth(now) === 0 && d.delivered + d.permanentFailures >= d.received;
}
