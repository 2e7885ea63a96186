/** Builds schema-valid trial records for tests and for the recorded-results fixtures. */
import type { TrialRecord, InvalidReason, HostResources } from "../../scripts/results/trial-record";
import type { TrafficGenSummary } from "../../scripts/trial/traffic-gen-output";

export interface RecordSpec {
  sizeId: string;
  trial: number;
  startedAt: string;
  /** Seconds the trial lasted (wall). */
  wallSeconds?: number;
  sent?: number;
  failed?: number;
  elapsedSeconds?: number;
  outcome?: TrafficGenSummary["outcome"];
  p99?: number;
  e2eMmh?: number;
  senderCpu?: number;
  sinkCpu?: number;
  netTxBytesPerSec?: number;
  linkBitsPerSecond?: number | null;
  invalidReasons?: InvalidReason[];
  failedStep?: { step: string; message: string };
  port25Proof?: Record<string, unknown> | null;
  vcpu?: number;
  ramGiB?: number;
  label?: string;
}

function summary(sent: number, failed: number, elapsed: number, outcome: TrafficGenSummary["outcome"], p99: number): TrafficGenSummary {
  const perSec = sent / elapsed;
  const printedPerSec = Math.floor(perSec);
  const flags: TrafficGenSummary["flags"] = [];
  if (outcome === "deadline-reached") flags.push("deadline-reached");
  if (failed > 0) flags.push("send-failures");
  if (sent === 0) flags.push("nothing-sent");
  return {
    outcome,
    sent,
    failed,
    elapsed: { text: `${elapsed}s`, seconds: elapsed, nanos: Math.round(elapsed * 1e9) },
    latency: { avg: p99 / 3, min: 0.001, max: p99 * 2, p50: p99 / 4, p75: p99 / 3, p90: p99 / 2, p95: p99 / 1.5, p99, "p99.9": p99 * 1.5 },
    latencyText: null,
    rate: { msgsPerSec: perSec, msgsPerHour: perSec * 3600, mmh: (perSec * 3600) / 1e6 },
    printed: { msgsPerSec: printedPerSec, msgsPerMinute: printedPerSec * 60, msgsPerHour: printedPerSec * 3600 },
    printedRateMatches: true,
    progressLines: Math.floor(elapsed),
    skippedProgressLines: 0,
    lastProgress: null,
    stderr: { clientErrorCount: 0, clientErrors: [], otherLineCount: 0, otherLines: [] },
    flags,
  };
}

function host(cpu: number, tx: number, link: number | null | undefined): HostResources {
  return {
    interface: "eth0",
    ...(link === undefined ? {} : { linkBitsPerSecond: link }),
    samples: 80,
    cpuPct: { mean: cpu, p95: Math.min(100, cpu + 5), max: Math.min(100, cpu + 8) },
    memUsedPct: { mean: 30, p95: 32, max: 33 },
    netRxBytesPerSec: { mean: tx / 50, p95: tx / 40, max: tx / 30 },
    netTxBytesPerSec: { mean: tx, p95: tx * 1.05, max: tx * 1.1 },
  };
}

export function makeRecord(s: RecordSpec): TrialRecord {
  const wall = s.wallSeconds ?? 120;
  const endedAt = new Date(Date.parse(s.startedAt) + wall * 1000).toISOString();
  const reasons = s.invalidReasons ?? [];
  const failed = s.failedStep !== undefined;
  const sent = s.sent ?? 100_000;
  const elapsed = s.elapsedSeconds ?? 80;
  const tg = failed ? undefined : summary(sent, s.failed ?? 0, elapsed, s.outcome ?? "all-clients-finished", s.p99 ?? 2);
  const e2eMmh = s.e2eMmh ?? (tg ? tg.rate.mmh * 0.98 : 0);
  const e2eSeconds = e2eMmh > 0 ? (sent * 3600) / (e2eMmh * 1e6) : 0;
  return {
    schemaVersion: 1,
    runId: "run-fixture",
    labId: "lab-fixture",
    sizeId: s.sizeId,
    trial: s.trial,
    status: failed ? "failed" : "ok",
    ...(s.failedStep ? { failure: s.failedStep } : {}),
    valid: !failed && reasons.length === 0,
    invalidReasons: failed ? [{ code: "failed", detail: `${s.failedStep?.step}: ${s.failedStep?.message}` }, ...reasons] : reasons,
    startedAt: new Date(Date.parse(s.startedAt)).toISOString(),
    endedAt,
    params: {
      concurrency: 20000,
      messageCount: 100000,
      bodySizeBytes: 100000,
      durationCapSeconds: 2000,
      durationCapReason: "auto: 100000 messages at a pessimistic 50 msgs/s, at least 60 s",
      extraArgs: [],
      argv: ["/opt/kumomta/sbin/traffic-gen", "--target", "127.0.0.1:25", "--message-count", "100000"],
    },
    ...(tg ? { trafficGen: tg } : {}),
    ...(tg && e2eMmh > 0
      ? {
          endToEnd: {
            sinkReceived: sent,
            senderDelivered: sent,
            firstInjectionAt: new Date(Date.parse(s.startedAt) + 1000).toISOString(),
            lastDeliveryAt: new Date(Date.parse(s.startedAt) + 1000 + e2eSeconds * 1000).toISOString(),
            seconds: e2eSeconds,
            msgsPerSec: (e2eMmh * 1e6) / 3600,
            mmh: e2eMmh,
            queueDrained: true,
            drainWaitSeconds: 3,
          },
        }
      : {}),
    metrics: { sender: { before: { total_messages_received: 0 }, after: { total_messages_received: sent } }, sink: { before: {}, after: {} } },
    ...(tg ? { resources: { sender: host(s.senderCpu ?? 90, s.netTxBytesPerSec ?? 1.2e8, s.linkBitsPerSecond), sink: host(s.sinkCpu ?? 40, 1e6, s.linkBitsPerSecond) } } : {}),
    context: {
      kumodVersion: { sender: "kumod 2026.03.04-abcdef12", sink: "kumod 2026.03.04-abcdef12" },
      hosts: { sender: { vcpu: s.vcpu ?? 2, memGiB: s.ramGiB ?? 4, kernel: "6.8.0-1012-aws" }, sink: { vcpu: 8, memGiB: 16, kernel: "6.8.0-1015-azure" } },
      senderSize: { id: s.sizeId, label: s.label ?? "c5.large", vcpu: s.vcpu ?? 2, ramGiB: s.ramGiB ?? 4, region: "us-west-2" },
      sinkSize: { label: "Standard_F8s_v2", region: "westus2" },
      port25Proof: s.port25Proof === undefined ? { blockedOutbound25: true, checkedAt: s.startedAt } : s.port25Proof,
    },
    files: { trafficGenStdout: `${s.sizeId}/trial-${s.trial}/traffic-gen.stdout`, trafficGenStderr: `${s.sizeId}/trial-${s.trial}/traffic-gen.stderr`, samples: `${s.sizeId}/trial-${s.trial}/samples.jsonl` },
  };
}
