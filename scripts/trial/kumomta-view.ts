/**
 * The sender kumod's own view of a trial and the ceiling its configuration puts on the rate.
 *
 * The configured ceiling: kumod delivers over at most `connection_limit` connections per egress
 * path, one message at a time each, so it cannot deliver faster than connection_limit ÷ (mean time
 * per message) — the mean of deliver_message_latency_rollup over the trial (_sum ÷ _count deltas).
 * kumod's docs advise a heatmap over a mean for a long-lived process; over one trial's deltas the
 * traffic is uniform, which is what makes the mean meaningful here.
 */
import { KUMOD_SERIES } from "../kumomta/metrics";
import type { KumodCounterDeltas, KumomtaView } from "../results/trial-record";
import type { KumodGauges } from "./kumod-gauges";
import { seriesDelta, type MetricsSnapshot } from "./prometheus";

export interface KumomtaViewInput {
  before: MetricsSnapshot;
  after: MetricsSnapshot;
  counters: KumodCounterDeltas;
  /** Highest connection_count{service="smtp_client"} polled during the trial; null when not polled. */
  peakConnections: number | null;
  connectionLimit: number | null;
  maxReady: number | null;
  /** The health gauges polled during the trial (kumod-gauges.ts). Default null: not polled. */
  gauges?: KumodGauges | null;
}

export function kumomtaView(x: KumomtaViewInput): KumomtaView {
  const deliveries = Math.max(0, seriesDelta(x.before, x.after, KUMOD_SERIES.deliveryLatencyCount));
  const sum = Math.max(0, seriesDelta(x.before, x.after, KUMOD_SERIES.deliveryLatencySum));
  const mean = deliveries > 0 ? sum / deliveries : null;
  // message_save_latency is absent until kumod's first spool save: absent before and after reads as 0 saves.
  const spoolSaves = Math.max(0, seriesDelta(x.before, x.after, KUMOD_SERIES.spoolSaveLatencyCount));
  const saveSum = Math.max(0, seriesDelta(x.before, x.after, KUMOD_SERIES.spoolSaveLatencySum));
  return {
    peakConnections: x.peakConnections,
    connectionLimit: x.connectionLimit,
    maxReady: x.maxReady,
    delayedReadyQueueFull: Math.max(0, x.counters.delayedReadyQueueFull),
    connectionsDenied: Math.max(0, x.counters.connectionsDenied),
    // Absent until the limit is first exceeded (an absent series reads as 0 before and after).
    memoryOverLimit: Math.max(0, seriesDelta(x.before, x.after, KUMOD_SERIES.memoryOverLimit)),
    memoryLowCount: Math.max(0, seriesDelta(x.before, x.after, KUMOD_SERIES.memoryLowCount)),
    memory: x.gauges?.memory ?? null,
    ...(x.gauges ? { rocksdb: { polls: x.gauges.polls, ...x.gauges.rocksdb } } : {}),
    deliveries,
    meanDeliverySeconds: mean,
    ceilingMsgsPerSec: mean !== null && mean > 0 && x.connectionLimit !== null ? x.connectionLimit / mean : null,
    spoolSaves,
    meanSpoolSaveSeconds: spoolSaves > 0 ? saveSum / spoolSaves : null,
  };
}
