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
    received: d(KUMOD_SERIES.received),
    delivered: d(KUMOD_SERIES.delivered),
    transientFailures: d(KUMOD_SERIES.transientFailures),
    permanentFailures: d(KUMOD_SERIES.permanentFailures),
    // Per-queue series, pruned when a queue idles: a queue that vanished mid-trial would subtract. Not below 0.
    delayedReadyQueueFull: Math.max(0, perLabelSum(after, DELAYED_READY_QUEUE_FULL) - perLabelSum(before, DELAYED_READY_QUEUE_FULL)),
    connectionsDenied: d(KUMOD_SERIES.connectionsDenied),
  };
}

/** Messages kumod still holds: every scheduled queue plus the SMTP ready queues. */
export function queueDepth(m: MetricsSnapshot): number {
  return (seriesValue(m, KUMOD_SERIES.scheduledTotal) ?? 0) + (seriesValue(m, KUMOD_SERIES.readyCount) ?? 0);
}
