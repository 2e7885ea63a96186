/**
 * The KumoMTA metrics contract: which series of kumod's `/metrics` kumolab reads, by exact name
 * and labels. Every other module imports these selectors and never spells a metric name itself.
 *
 * Source: KumoCorp/kumomta crates/kumod/src/smtp_server.rs (total_messages_received),
 * crates/kumod/src/delivery_metrics.rs (total_messages_delivered / _transfail / _fail),
 * crates/kumod/src/metrics_helper.rs (ready_count, total_connections_denied),
 * crates/kumod/src/queue/metrics.rs (scheduled_count_total, delayed_due_to_ready_queue_full);
 * documented under docs/reference/metrics/kumod/ (see ../shared/reference/kumomta-contract.md §3).
 *
 * kumod exports each of these counters twice: one total series (`service="esmtp_listener"`,
 * `service="smtp_client"`) and one per listener or ready queue (`service="esmtp_listener:<local
 * address>"`, `service="smtp_client:<ready queue>"`). A sum over labels counts every message twice:
 * read the total series, and only it.
 */

/** One series: a metric name and the complete set of its labels (an empty set = unlabelled). */
export interface SeriesSelector {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** The total series kumolab reads. */
export const KUMOD_SERIES = {
  /** Messages received over SMTP by every listener; +1 per DATA, refused ones included (smtp_server.rs). */
  received: { name: "total_messages_received", labels: { service: "esmtp_listener" } },
  /** Messages injected over HTTP, /api/inject/v1: one per recipient (crates/kumod/src/http_server/inject_v1.rs MSGS_RECVD). */
  receivedHttp: { name: "total_messages_received", labels: { service: "http_listener" } },
  /** Messages delivered over SMTP, all ready queues (delivery_metrics.rs). */
  delivered: { name: "total_messages_delivered", labels: { service: "smtp_client" } },
  /** Transient delivery failures, all ready queues. The name is `transfail` (delivery_metrics.rs). */
  transientFailures: { name: "total_messages_transfail", labels: { service: "smtp_client" } },
  /** Permanent delivery failures, all ready queues. */
  permanentFailures: { name: "total_messages_fail", labels: { service: "smtp_client" } },
  /** Messages in the SMTP ready queues (gauge; metrics_helper.rs). */
  readyCount: { name: "ready_count", labels: { service: "smtp_client" } },
  /** Messages in every scheduled queue (unlabelled gauge; absent until the first insert; queue/metrics.rs). */
  scheduledTotal: { name: "scheduled_count_total", labels: {} },
  /** Connections refused because a listener was at max_connections (metrics_helper.rs). */
  connectionsDenied: { name: "total_connections_denied", labels: { service: "esmtp_listener" } },
  /**
   * Open outbound SMTP connections, all ready queues (gauge; metrics_helper.rs CONN_GAUGE
   * `connection_count`, bumped per dispatcher connection in delivery_metrics.rs). Its peak over a
   * trial against the egress path's `connection_limit` says whether kumod used every connection it may.
   */
  connectionCount: { name: "connection_count", labels: { service: "smtp_client" } },
  /**
   * deliver_message_latency_rollup{service="smtp_client"}: a histogram (prometheus crate, metrics_helper.rs
   * DELIVER_MESSAGE_LATENCY_ROLLUP) timed around each `deliver_message` call on an open connection
   * (ready_queue.rs `deliver_message_rollup.start_timer()`): `_sum` seconds and `_count` calls. The
   * label is the service type alone (delivery_metrics.rs passes `service_type`), so this is the total.
   */
  deliveryLatencySum: { name: "deliver_message_latency_rollup_sum", labels: { service: "smtp_client" } },
  deliveryLatencyCount: { name: "deliver_message_latency_rollup_count", labels: { service: "smtp_client" } },
  /**
   * message_save_latency: an unlabelled histogram (crates/message/src/message.rs SAVE_HIST) timed
   * around each `Message::save`, which writes the message's meta and/or data to the spool. kumod
   * saves once per accepted message at reception (smtp_server.rs, http_server/inject_v1.rs; not
   * with `deferred_spool`) and again only when a later change must be kept (queue.rs
   * save_if_needed). Absent until the first save: read as 0.
   */
  spoolSaveLatencySum: { name: "message_save_latency_sum", labels: {} },
  spoolSaveLatencyCount: { name: "message_save_latency_count", labels: {} },
  /**
   * Times the soft memory limit (75 % of RAM by default) was exceeded (unlabelled IntCounter;
   * crates/kumo-server-memory/src/lib.rs OVER_LIMIT_COUNT). Absent until it first happens: read as 0.
   */
  memoryOverLimit: { name: "memory_over_limit_count", labels: {} },
  /**
   * Times memory use crossed the low-memory threshold (80 % of the soft limit unless the policy sets
   * one), an unlabelled IntCounter bumped on the transition (kumo-server-memory/src/lib.rs LOW_COUNT).
   * Absent until it first happens: read as 0.
   */
  memoryLowCount: { name: "memory_low_count", labels: {} },
  /** kumod's resident set size in bytes (unlabelled f64 Gauge, set every 3 s; kumo-server-memory/src/lib.rs MEM_USAGE). */
  memoryUsage: { name: "memory_usage", labels: {} },
  /** kumod's soft memory limit in bytes: 3/4 of the cgroup's or the machine's memory (MEM_LIMIT, same file). */
  memoryLimit: { name: "memory_limit", labels: {} },
} as const satisfies Record<string, SeriesSelector>;

/**
 * RocksDB spool gauges: one series per spool, labelled `path="<spool dir>"` (IntGaugeVec, set every
 * 5 s by crates/spool/src/rocks.rs metrics_monitor), present only for RocksDB spools. The spool is
 * healthy when each reads 0; a trial's figure is the highest value seen over every path.
 *
 * Availability: release 2026.06.23-f3af1cd0 (the one kumolab targets) exports none of these; they
 * are `{{since('dev')}}` in KumoMTA's main branch (rocks.rs at 3ebc1e85, 2026-08-04). Against a
 * release kumod they are absent and the figures are recorded as unknown (null), never as 0.
 * (The same release does export rocks_spool_{mem_table_total,mem_table_unflushed,
 * mem_table_readers_total,cache_total}: memory, not stalls, so kumolab does not read them.)
 */
export const ROCKS_SPOOL_GAUGES = {
  /** 1 while RocksDB refuses writes at its WriteController (memtable or L0 file count at the stop threshold): a write stall. */
  writeStopped: "rocks_spool_write_stopped",
  /** Bytes/s RocksDB throttles foreground writers to while compaction or flush falls behind; 0 = no slowdown. */
  delayedWriteRate: "rocks_spool_actual_delayed_write_rate",
  /** 1 while the spool's load-shedding gate is latched: SMTP and HTTP injection are refused. */
  loadShedActive: "rocks_spool_load_shed_active",
  /** Background errors (failed flushes or compactions) since kumod started. */
  backgroundErrors: "rocks_spool_background_errors",
} as const;
/** The label each RocksDB spool gauge carries. */
export const ROCKS_SPOOL_LABEL = "path";

/**
 * A family with no total series: one series per scheduled queue (`queue="<name>"`), absent until
 * it first happens (queue/metrics.rs). Summing over its one label is the total.
 */
export const DELAYED_READY_QUEUE_FULL = { name: "delayed_due_to_ready_queue_full", perSeriesLabel: "queue" } as const;

/** The canonical text of a series: `name{a="x",b="y"}`, labels sorted by name, values escaped as Prometheus does. */
export function seriesKey(name: string, labels: Readonly<Record<string, string>>): string {
  const names = Object.keys(labels).sort();
  if (names.length === 0) return name;
  const escape = (v: string): string => v.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');
  return `${name}{${names.map((k) => `${k}="${escape(labels[k] ?? "")}"`).join(",")}}`;
}
