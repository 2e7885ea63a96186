/**
 * The trial record: one JSON line per trial in `<results dir>/trials.jsonl`. This schema is the
 * single source of truth for what a trial holds; the trial runner writes it, the report reads it.
 * A reader must be able to tell from the record alone whether its figure is trustworthy
 * (`valid` + `invalidReasons`).
 */
import { z } from "zod";
import { nicStatsSchema } from "../trial/nic-stats";
import { trafficGenSummarySchema } from "../trial/traffic-gen-output";
import { rateSeriesSchema } from "../trial/rate-series";
import { rateDropSchema } from "../trial/rate-drop";

export const TRIAL_RECORD_SCHEMA_VERSION = 1;

const isoTime = z.iso.datetime({ offset: true });
const nonNeg = z.number().finite().nonnegative();
const count = z.number().int().nonnegative();

/** A path inside the results folder: relative, no `..`. */
export const relativePathSchema = z
  .string()
  .min(1)
  .refine((p) => !p.startsWith("/") && !p.split(/[\\/]/).includes(".."), "must be a path relative to the results folder, without '..'");

export const invalidReasonCodeSchema = z.enum([
  "failed",
  "incomplete-deadline",
  "send-failures",
  "nothing-sent",
  "queue-not-drained",
  "sink-cpu-high",
  "network-near-link",
  "missing-port25-proof",
  "sink-count-mismatch",
  "delivery-failures",
  /** The spool volume (or the sink's disk) was busy most of the trial: the disk, not the host, set the pace. */
  "disk-saturated",
  /** An interface dropped packets during the trial: the network lost traffic. */
  "nic-drops",
]);
export type InvalidReasonCode = z.infer<typeof invalidReasonCodeSchema>;

export const invalidReasonSchema = z.object({ code: invalidReasonCodeSchema, detail: z.string() }).strict();
export type InvalidReason = z.infer<typeof invalidReasonSchema>;

export const trialParamsSchema = z
  .object({
    concurrency: z.number().int().positive(),
    messageCount: z.number().int().positive(),
    bodySizeBytes: z.number().int().positive(),
    durationCapSeconds: z.number().int().positive(),
    /** How the cap was derived (see scripts/trial/duration-cap.ts). */
    durationCapReason: z.string().min(1),
    extraArgs: z.array(z.string()),
    argv: z.array(z.string()).min(1),
    /** A steady-state trial: traffic-gen ran this many seconds without --message-count (messageCount then unused). Absent = a message-count trial. */
    durationSeconds: z.number().int().positive().optional(),
  })
  .strict();

/** The trial's rate over time and, for a steady-state trial, whether it dropped (scripts/trial/rate-drop.ts). */
export const rateOverTimeSchema = z
  .object({
    series: rateSeriesSchema,
    /** The drop rule's outcome; null for a message-count trial or a series too short to judge. */
    drop: rateDropSchema.nullable(),
  })
  .strict();
export type RateOverTime = z.infer<typeof rateOverTimeSchema>;

export const endToEndSchema = z
  .object({
    sinkReceived: count,
    senderDelivered: count,
    firstInjectionAt: isoTime,
    /** The rest is null when no delivery to the sink was observed (no end-to-end rate, never a zero one). */
    lastDeliveryAt: isoTime.nullable(),
    seconds: nonNeg.nullable(),
    msgsPerSec: nonNeg.nullable(),
    mmh: nonNeg.nullable(),
    queueDrained: z.boolean(),
    drainWaitSeconds: nonNeg,
  })
  .strict();
export type EndToEnd = z.infer<typeof endToEndSchema>;

export const metricSnapshotSchema = z.record(z.string(), z.number());
const beforeAfter = z.object({ before: metricSnapshotSchema, after: metricSnapshotSchema }).strict();

export const seriesSummarySchema = z.object({ mean: nonNeg, p95: nonNeg, max: nonNeg }).strict();

export const hostResourcesSchema = z
  .object({
    interface: z.string().min(1),
    /** Link speed when known (e.g. from /sys/class/net/IF/speed or the instance type); null when unknown. */
    linkBitsPerSecond: z.number().positive().nullable().optional(),
    samples: count,
    cpuPct: seriesSummarySchema,
    memUsedPct: seriesSummarySchema,
    netRxBytesPerSec: seriesSummarySchema,
    netTxBytesPerSec: seriesSummarySchema,
    /** Packets the interface dropped over the trial (/proc/net/dev). Absent in older records. */
    netDrops: z.object({ rx: count, tx: count }).strict().optional(),
    /** I/O of the block device holding /var/spool/kumomta (/proc/diskstats); null when the host showed none. Absent in older records. */
    disk: z
      .object({
        device: z.string().min(1),
        iops: seriesSummarySchema,
        readBytesPerSec: seriesSummarySchema,
        writeBytesPerSec: seriesSummarySchema,
        /** Share of the time the device had I/O in flight (io_ticks), %. */
        utilPct: seriesSummarySchema,
      })
      .strict()
      .nullable()
      .optional(),
  })
  .strict();
export type HostResources = z.infer<typeof hostResourcesSchema>;

/** traffic-gen's process over the trial: CPU (% of one core per interval), memory (KiB). */
export const trafficGenProcessSchema = z
  .object({
    samples: count,
    cpuPct: seriesSummarySchema,
    cpuSeconds: nonNeg,
    /** cpuPct.mean ÷ (the host's vCPUs × 100). */
    hostCpuShare: nonNeg,
    rssKiB: seriesSummarySchema,
    peakRssKiB: count,
  })
  .strict();

export const trafficGenRunSchema = z
  .object({
    /** `sender`: beside the sender's kumod; `generator`: on the lab's generator host. */
    ranOn: z.enum(["sender", "generator"]),
    /** The host's name as progress shows it, e.g. `generator (3.91.2.8)`. */
    host: z.string().min(1),
    /** Where traffic-gen submitted, e.g. `10.0.1.12:2025` (the sender's private address) or `127.0.0.1:2025`. */
    target: z.string().min(1),
    /** The host's vCPUs as it reports them (nproc). */
    vcpu: z.number().int().positive().nullable(),
    /** null when the process could not be sampled twice (it ended within one interval, or the sampler failed). */
    process: trafficGenProcessSchema.nullable(),
  })
  .strict();
export type TrafficGenRun = z.infer<typeof trafficGenRunSchema>;

/** One kumod's counters over the trial (after − before of each total series; scripts/kumomta/metrics.ts). */
export const kumodCounterDeltasSchema = z
  .object({
    received: z.number().int(),
    delivered: z.number().int(),
    transientFailures: z.number().int(),
    permanentFailures: z.number().int(),
    /** Messages sent back to the scheduled queue because the ready queue (max_ready) was full. */
    delayedReadyQueueFull: z.number().int(),
    /** Connections refused at a listener's max_connections. */
    connectionsDenied: z.number().int(),
  })
  .strict();
export type KumodCounterDeltas = z.infer<typeof kumodCounterDeltasSchema>;

/** The sender's KumoMTA settings in force (lab config `kumomta.*`, rendered into its init.lua). */
export const kumomtaInForceSchema = z
  .object({
    egressTls: z.enum(["opportunistic-insecure", "disabled"]),
    retryIntervalSeconds: z.number().int().positive(),
    maxRetryIntervalSeconds: z.number().int().positive(),
    maxReady: z.number().int().positive(),
    connectionLimit: z.number().int().positive(),
    /** KUMOD_LOG, or null when unset (kumod's default filter). */
    logFilter: z.string().nullable(),
  })
  .strict();

/** The trial's workload (lab-config/workloads.ts) and every setting in force, as resolved. */
export const trialWorkloadSchema = z
  .object({
    name: z.string().min(1),
    /** The resolved workload (traffic, sender options, sink behaviour); its shape belongs to lab-config/workloads.ts. */
    settings: z.record(z.string(), z.unknown()),
  })
  .strict();

/** What became of the messages at the sender's kumod (its counters over the trial; scripts/kumomta/metrics.ts). */
export const deliveryOutcomesSchema = z
  .object({
    /** 4xx answers (transient failures): each one is retried after retry_interval. */
    deferrals: z.number().int().nonnegative(),
    /** 5xx answers (permanent failures). */
    bounces: z.number().int().nonnegative(),
    /** Delivery attempts after a deferral: one per deferral that was retried within the trial. */
    retries: z.number().int().nonnegative(),
    /** Messages still in the sender's queues when the trial ended. */
    queueAtEnd: z.number().int().nonnegative(),
  })
  .strict();

const gaugeFigureSchema = z.object({ max: nonNeg, nonZeroPolls: count }).strict();

/**
 * The sender kumod's own view of the trial and the ceilings its configuration puts on the rate
 * (scripts/kumomta/metrics.ts names each series). Figures are null when kumod did not show them.
 */
export const kumomtaViewSchema = z
  .object({
    /** Highest connection_count{service="smtp_client"} seen while the trial ran (polled every 0.1 s). */
    peakConnections: count.nullable(),
    /** The egress path's connection_limit in force (context.kumomta). */
    connectionLimit: z.number().int().positive().nullable(),
    maxReady: z.number().int().positive().nullable(),
    /** Messages delayed because the ready queue was at max_ready. */
    delayedReadyQueueFull: count,
    /** Connections refused at a listener's max_connections or by load shedding. */
    connectionsDenied: count,
    /** Times kumod's soft memory limit was exceeded (memory_over_limit_count). */
    memoryOverLimit: count,
    /** deliver_message calls over the trial and their mean duration (deliver_message_latency_rollup _count and _sum). */
    deliveries: count,
    meanDeliverySeconds: nonNeg.nullable(),
    /** connection_limit / meanDeliverySeconds: the most kumod's configuration lets it deliver per second. */
    ceilingMsgsPerSec: nonNeg.nullable(),
    /** Times memory use crossed kumod's low-memory threshold (memory_low_count delta). Absent in older records. */
    memoryLowCount: count.optional(),
    /** Peak memory_usage polled during the trial against memory_limit; null when kumod exported neither. Absent in older records. */
    memory: z.object({ peakUsageBytes: nonNeg, limitBytes: nonNeg.nullable(), peakShare: nonNeg.nullable() }).strict().nullable().optional(),
    /**
     * RocksDB spool gauges polled about once a second (scripts/trial/kumod-gauges.ts): highest value
     * over every spool path and polls above 0; a gauge is null when kumod did not export it (LocalDisk
     * spools; KumoMTA releases before the `dev` metrics). Absent in older records.
     */
    rocksdb: z
      .object({
        polls: count,
        writeStopped: gaugeFigureSchema.nullable(),
        delayedWriteRate: gaugeFigureSchema.nullable(),
        loadShedActive: gaugeFigureSchema.nullable(),
        backgroundErrors: gaugeFigureSchema.nullable(),
      })
      .strict()
      .optional(),
    /** Spool saves over the trial (message_save_latency_count delta): about one per accepted message. Absent in older records. */
    spoolSaves: count.optional(),
    /** Mean seconds per spool save (message_save_latency _sum ÷ _count deltas); null when nothing was saved. Absent in older records. */
    meanSpoolSaveSeconds: nonNeg.nullable().optional(),
  })
  .strict();
export type KumomtaView = z.infer<typeof kumomtaViewSchema>;

export const limitKindSchema = z.enum(["sender-cpu", "sink-cpu", "disk", "network", "kumomta-config", "generator", "undetermined"]);
export type LimitKind = z.infer<typeof limitKindSchema>;

/** What limited a trial (scripts/trial/limit-verdict.ts), with the figures it rests on. */
export const trialVerdictSchema = z
  .object({
    limit: limitKindSchema,
    /** The verdict in words with its figures, e.g. "configuration ceiling: connection_limit (32 connections × 19 ms = 1684 msgs/s) …". */
    text: z.string().min(1),
    /** Every figure weighed (null = unknown): shares are of the resource's capacity (1 = 100 %). */
    evidence: z
      .object({
        msgsPerSec: nonNeg.nullable(),
        senderCpuPct: nonNeg.nullable(),
        sinkCpuPct: nonNeg.nullable(),
        diskUtilPct: nonNeg.nullable(),
        linkShare: nonNeg.nullable(),
        nicDrops: count.nullable(),
        ceilingShare: nonNeg.nullable(),
        /** traffic-gen's own CPU as a share of its host's capacity (its process ÷ the host's vCPUs). Absent in older records. */
        generatorCpuShare: nonNeg.nullable().optional(),
        /** Increases of the NIC's ENA allowance counters (ethtool -S), over every host; null where unknown. Absent in older records. */
        nicAllowanceExceeded: count.nullable().optional(),
      })
      .strict(),
  })
  .strict();
export type TrialVerdict = z.infer<typeof trialVerdictSchema>;

/** The last readings of the settle check between trials (scripts/sweep/settle.ts); a field is null when it could not be read. */
export const settleReadingsSchema = z
  .object({
    /** Messages in the sender kumod's queues (scheduled + ready). */
    senderQueue: count.nullable(),
    /** Messages the sender kumod counted in but not yet out (received − delivered − bounced); may stay above 0 for good. */
    senderOpen: z.number().int().nullable(),
    /** No delivery ended at the sender between the last two reads. */
    senderDeliveryQuiet: z.boolean().nullable(),
    /** CPU busy over about 1 s (/proc/stat), %. */
    senderCpuPct: nonNeg.nullable(),
    sinkCpuPct: nonNeg.nullable(),
    /** TIME_WAIT sockets from the sender towards the sink's address:port (/proc/net/tcp). */
    timeWait: count.nullable(),
  })
  .strict();
export type SettleReadings = z.infer<typeof settleReadingsSchema>;

/** The cool-down before a trial: how long it waited, and whether the hosts settled or the configured cool-down ran out. */
export const coolDownSchema = z
  .object({
    seconds: nonNeg,
    /** The configured cool-down: the longest the wait may take. */
    boundSeconds: nonNeg,
    outcome: z.enum(["settled", "bounded"]),
    /** The last readings; null when none came back before the bound. */
    readings: settleReadingsSchema.nullable(),
  })
  .strict();
export type CoolDown = z.infer<typeof coolDownSchema>;

const hostFactsSchema = z.object({ vcpu: z.number().int().positive(), memGiB: z.number().positive(), kernel: z.string() }).strict();

/** The lab profile a trial ran under (lab-config/profiles.ts) and the test bed kumolab built for it. */
export const trialProfileSchema = z
  .object({
    /** The profile's name, e.g. `kumomta-2025`. */
    name: z.string().min(1),
    /**
     * What kumolab built: the OS image and the sender's spool volume (null: the spool on the root
     * volume at gp3's baseline). null on hosts kumolab did not build (an inventory): their OS and disks are the operator's.
     */
    built: z
      .object({
        os: z.string().min(1),
        spoolVolume: z.object({ sizeGiB: z.number().int().positive(), iops: z.number().int().positive(), throughputMBps: z.number().int().positive() }).strict().nullable(),
      })
      .strict()
      .nullable(),
  })
  .strict();
export type TrialProfile = z.infer<typeof trialProfileSchema>;

export const trialContextSchema = z
  .object({
    kumodVersion: z.object({ sender: z.string(), sink: z.string() }).strict(),
    /** null when the trial failed before the host facts were read. */
    hosts: z.object({ sender: hostFactsSchema, sink: hostFactsSchema }).strict().nullable(),
    senderSize: z
      .object({ id: z.string(), label: z.string(), vcpu: z.number().int().positive().optional(), ramGiB: z.number().positive().optional(), region: z.string().optional() })
      .strict(),
    sinkSize: z.object({ label: z.string(), region: z.string().optional() }).strict(),
    /**
     * The sender host that measured the trial: its address and, with prefetch, the lab's sender slot
     * (`a`/`b`) — consecutive sizes run on different hosts. Absent in older records.
     */
    senderHost: z.object({ address: z.string().min(1), slot: z.string().min(1).optional() }).strict().optional(),
    /** The port-25 proof from provisioning (its shape belongs to the provisioning step); null when absent. */
    port25Proof: z.record(z.string(), z.unknown()).nullable(),
    /** KumoMTA settings in force. Absent only in records written before kumolab recorded them. */
    kumomta: kumomtaInForceSchema.optional(),
    /** The lab profile and what kumolab built for it; absent in records written before profiles. */
    profile: trialProfileSchema.optional(),
  })
  .strict();

export const trialFilesSchema = z
  .object({ trafficGenStdout: relativePathSchema, trafficGenStderr: relativePathSchema, samples: relativePathSchema })
  .catchall(relativePathSchema);

export const trialRecordSchema = z
  .object({
    schemaVersion: z.literal(TRIAL_RECORD_SCHEMA_VERSION),
    runId: z.string().min(1),
    labId: z.string().min(1),
    sizeId: z.string().min(1),
    /** 1-based trial number within the size. */
    trial: z.number().int().positive(),
    status: z.enum(["ok", "failed"]),
    failure: z
      .object({
        step: z.string().min(1),
        message: z.string().min(1),
        /** Why, when known beyond the step's error: `spot-interrupted` — a host on spot was reclaimed (scripts/sweep/spot-retry.ts). */
        reason: z.literal("spot-interrupted").optional(),
        /** The reclaimed hosts with the clouds' evidence (with `reason: spot-interrupted`). */
        reclaimed: z.array(z.object({ host: z.enum(["sender", "sink"]), evidence: z.string().min(1) }).strict()).optional(),
      })
      .strict()
      .optional(),
    valid: z.boolean(),
    invalidReasons: z.array(invalidReasonSchema),
    startedAt: isoTime,
    endedAt: isoTime,
    params: trialParamsSchema,
    trafficGen: trafficGenSummarySchema.optional(),
    endToEnd: endToEndSchema.optional(),
    metrics: z.object({ sender: beforeAfter, sink: beforeAfter }).strict(),
    /** CPU/memory/network of each host; `generator` when traffic-gen ran on its own host. */
    resources: z.object({ sender: hostResourcesSchema, sink: hostResourcesSchema, generator: hostResourcesSchema.optional() }).strict().optional(),
    /** Where traffic-gen ran and what it used itself (scripts/trial/process-sampler.ts). Absent in older records. */
    trafficGenRun: trafficGenRunSchema.optional(),
    /** The NIC's own counters (ethtool -S) per host, or why there are none. Absent in older records. */
    nic: z.object({ sender: nicStatsSchema, sink: nicStatsSchema, generator: nicStatsSchema.optional() }).strict().optional(),
    /** Each kumod's counters over the trial; a host is null when its metrics were not read both before and after. Absent in older records. */
    kumodCounters: z.object({ sender: kumodCounterDeltasSchema.nullable(), sink: kumodCounterDeltasSchema.nullable() }).strict().optional(),
    context: trialContextSchema,
    /** The workload the trial ran; absent in records written before workloads (they ran `published`). */
    workload: trialWorkloadSchema.optional(),
    /** Deferrals, bounces, retries and the queue at the end; absent when the sender's metrics were not read after. */
    outcomes: deliveryOutcomesSchema.optional(),
    /** The sender kumod's view and its configuration ceilings; absent in older records and when its metrics were not read after. */
    kumomta: kumomtaViewSchema.optional(),
    /** What limited the trial; absent in older records. */
    verdict: trialVerdictSchema.optional(),
    /** The cool-down that ran before this trial (none before a size's first trial); absent in older records. */
    coolDown: coolDownSchema.optional(),
    /** Accepted and delivered msgs/s per interval over the run, with the rate-dropped flag; absent in older records and when the counters were not polled. */
    rateOverTime: rateOverTimeSchema.optional(),
    files: trialFilesSchema,
  })
  .strict()
  .superRefine((r, ctx) => {
    if (r.status === "failed" && r.failure === undefined) ctx.addIssue({ code: "custom", path: ["failure"], message: "a failed trial must say which step failed and why" });
    if (r.status === "ok" && r.failure !== undefined) ctx.addIssue({ code: "custom", path: ["failure"], message: "an ok trial cannot carry a failure" });
    if (r.status === "failed" && !r.invalidReasons.some((x) => x.code === "failed")) ctx.addIssue({ code: "custom", path: ["invalidReasons"], message: "a failed trial must carry the 'failed' reason" });
    if (r.status === "failed" && r.valid) ctx.addIssue({ code: "custom", path: ["valid"], message: "a failed trial cannot be valid" });
    if (r.valid && r.invalidReasons.length > 0) ctx.addIssue({ code: "custom", path: ["invalidReasons"], message: "a valid trial has no invalid reasons" });
    if (!r.valid && r.invalidReasons.length === 0) ctx.addIssue({ code: "custom", path: ["invalidReasons"], message: "an invalid trial must say why" });
    if (r.status === "ok" && r.trafficGen === undefined) ctx.addIssue({ code: "custom", path: ["trafficGen"], message: "an ok trial must hold traffic-gen's summary" });
    if (Date.parse(r.endedAt) < Date.parse(r.startedAt)) ctx.addIssue({ code: "custom", path: ["endedAt"], message: "endedAt is before startedAt" });
  });
export type TrialRecord = z.infer<typeof trialRecordSchema>;
