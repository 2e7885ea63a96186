/**
 * What limited a trial: spool-disk and NIC telemetry, kumod's own view and its configured ceiling,
 * the verdict per trial and per size — each against figures worked by hand.
 */
import { execFileSync, spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, test } from "vitest";
import { aggregate } from "../../scripts/report/build-report";
import { readManifest } from "../../scripts/results/results-dir";
import { trialRecordSchema, type HostResources, type KumomtaView, type TrialRecord } from "../../scripts/results/trial-record";
import { kumomtaView } from "../../scripts/trial/kumomta-view";
import { sizeVerdictOf, verdictOf, verdictOfRecord } from "../../scripts/trial/limit-verdict";
import { parsePrometheusText, seriesValue } from "../../scripts/trial/prometheus";
import { dropsOf, parseSamples, resourceSeries, samplerScript, summarizeResources } from "../../scripts/trial/resource-sampler";
import { validityOf } from "../../scripts/trial/validity";
import { formatTrialSummary } from "../../scripts/trial/trial-summary";
import { KUMOD_SERIES } from "../../scripts/kumomta/metrics";
import { Metrics } from "../fixtures/kumod/metrics";
import { makeRecord } from "../results/make-record";

const block = (t: number, drops: [number, number], disk: [number, number, number, number, number] | null): string =>
  [
    `S ${t}`,
    // CPU time must move for a point to count (resourceSeries skips an interval without any).
    `cpu  ${t} 0 50 800 50 0 0 0 0 0`,
    "MemTotal:       1000000 kB",
    "MemAvailable:   500000 kB",
    // rx bytes packets errs drop fifo frame compressed multicast | tx bytes packets errs drop …
    `ens5: 1000 10 0 ${drops[0]} 0 0 0 0 5000 20 0 ${drops[1]} 0 0 0 0`,
    ...(disk ? [`D nvme1n1 ${disk.join(" ")}`] : []),
    "",
  ].join("\n");

describe("spool disk and NIC telemetry", () => {
  // 2 s apart: 200 reads + 1,400 writes; 800 sectors read, 20,000 written; io_ticks +1,800 ms; drops rx +7, tx +2.
  const text = block(1000, [3, 0], [100, 800, 1000, 10_000, 5000]) + block(1002, [10, 2], [300, 1600, 2400, 30_000, 6800]);

  test("per-second figures from /proc/diskstats and drops from /proc/net/dev", () => {
    const samples = parseSamples(text);
    const [p] = resourceSeries(samples);
    // (200 + 1400) / 2 s = 800 IOPS; 800 × 512 B / 2 s = 204,800 B/s; 20,000 × 512 / 2 = 5,120,000 B/s; 1,800 ms / 2,000 ms = 90 %
    expect(p?.disk).toEqual({ device: "nvme1n1", iops: 800, readBytesPerSec: 204_800, writeBytesPerSec: 5_120_000, utilPct: 90 });
    expect(dropsOf(samples)).toEqual({ rx: 7, tx: 2 });
    const s = summarizeResources("ens5", null, resourceSeries(samples), dropsOf(samples));
    expect(s.disk?.utilPct).toEqual({ mean: 90, p95: 90, max: 90 });
    expect(s.netDrops).toEqual({ rx: 7, tx: 2 });
  });

  test("a host with no block device under the spool has no disk figures", () => {
    const samples = parseSamples(block(1000, [0, 0], null) + block(1001, [0, 0], null));
    expect(summarizeResources("ens5", null, resourceSeries(samples)).disk).toBeNull();
  });

  test("the script finds the device holding the spool as findmnt does, and reads it without forking per sample", async () => {
    // findmnt (util-linux) is the outside reference for the device behind "/" (the spool's mount here).
    const majMin = execFileSync("findmnt", ["-n", "-o", "MAJ:MIN", "--target", "/"], { encoding: "utf8" }).trim();
    const child = spawn("bash", ["-c", samplerScript("lo", 2, 0.2, "/var/spool/kumomta")], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => (out += b.toString("utf8")));
    await new Promise((r) => child.on("close", r));
    const samples = parseSamples(out);
    expect(samples).toHaveLength(2);
    const device = samples[0]?.disk?.device;
    if (readFileSync("/proc/diskstats", "utf8").split("\n").some((l) => l.trim().split(/\s+/).slice(0, 2).join(":") === majMin)) {
      expect(device).toBeDefined();
      expect(readFileSync(`/sys/class/block/${device}/dev`, "utf8").trim()).toBe(majMin);
    } else {
      expect(device).toBeUndefined(); // e.g. overlay: no block device to show
    }
    // Builtins only in the loop: no date/grep/sed/head/cat per sample.
    const loop = samplerScript("lo", 2).split("i=0;")[1] ?? "";
    expect(loop).not.toMatch(/\b(grep|sed|head|cat|awk)\b/);
  }, 15_000);

  test("validity: a saturated disk and dropped packets are flagged", () => {
    const samples = parseSamples(text);
    const busy = summarizeResources("ens5", null, resourceSeries(samples), dropsOf(samples));
    const quiet = { ...busy, cpuPct: { mean: 40, p95: 45, max: 50 }, disk: null, netDrops: { rx: 0, tx: 0 } };
    const base = { status: "ok" as const, port25Proof: {}, messageCount: 10, durationCapSeconds: 60 };
    expect(validityOf({ ...base, resources: { sender: quiet, sink: quiet } }).reasons).toEqual([]);
    // The sampled 7 + 2 drops are a quiet VM's background, under the limit of 100: no reason.
    expect(validityOf({ ...base, resources: { sender: busy, sink: quiet } }).reasons.map((x) => x.code)).not.toContain("nic-drops");
    const r = validityOf({ ...base, resources: { sender: { ...busy, disk: { ...busy.disk!, utilPct: { mean: 95, p95: 99, max: 100 } }, netDrops: { rx: 70, tx: 31 } }, sink: quiet } });
    expect(r.reasons.map((x) => x.code)).toEqual(["disk-saturated", "nic-drops"]);
    expect(r.reasons[0]?.detail).toContain("sender nvme1n1 (the spool's device) was busy 95 %");
    expect(r.reasons[1]?.detail).toBe("sender ens5 dropped 70 received and 31 sent packets (> 100)");
  });
});

describe("kumod's own view and its configured ceiling", () => {
  const before = parsePrometheusText(
    [
      'deliver_message_latency_rollup_sum{service="smtp_client"} 1.0',
      'deliver_message_latency_rollup_count{service="smtp_client"} 10',
      'connection_count{service="smtp_client"} 0',
    ].join("\n"),
  );
  const after = parsePrometheusText(
    [
      'deliver_message_latency_rollup_sum{service="smtp_client"} 4.8',
      'deliver_message_latency_rollup_count{service="smtp_client"} 210',
      "memory_over_limit_count 2",
    ].join("\n"),
  );
  const counters = { received: 200, delivered: 200, transientFailures: 0, permanentFailures: 0, delayedReadyQueueFull: 0, connectionsDenied: 0 };

  test("32 connections × 19 ms: 200 deliveries over 3.8 s, a ceiling of 1,684 msgs/s", () => {
    const v = kumomtaView({ before, after, counters, peakConnections: 32, connectionLimit: 32, maxReady: 1024 });
    expect(v.deliveries).toBe(200);
    expect(v.meanDeliverySeconds).toBeCloseTo(0.019, 12);
    expect(v.ceilingMsgsPerSec).toBeCloseTo(32 / 0.019, 9); // 1684.21…
    expect(v.memoryOverLimit).toBe(2); // absent before: 0
  });

  test("spool saves: 1.5 s over 3000 saves is 0.5 ms each; a histogram absent before the trial reads as 0", () => {
    // kumod exports message_save_latency only once it has saved (message.rs): absent in `before`.
    const after = parsePrometheusText(["message_save_latency_sum 1.5", "message_save_latency_count 3000"].join("\n"));
    const v = kumomtaView({ before, after, counters, peakConnections: 32, connectionLimit: 32, maxReady: 1024 });
    expect(v.spoolSaves).toBe(3000);
    expect(v.meanSpoolSaveSeconds).toBeCloseTo(0.0005, 15);
    // Present before: the delta. (2.0 − 0.5) s over (1200 − 200) saves = 1.5 ms.
    const b2 = parsePrometheusText(["message_save_latency_sum 0.5", "message_save_latency_count 200"].join("\n"));
    const a2 = parsePrometheusText(["message_save_latency_sum 2.0", "message_save_latency_count 1200"].join("\n"));
    const v2 = kumomtaView({ before: b2, after: a2, counters, peakConnections: null, connectionLimit: null, maxReady: null });
    expect(v2.spoolSaves).toBe(1000);
    expect(v2.meanSpoolSaveSeconds).toBeCloseTo(0.0015, 15);
    // No save in the trial (absent throughout, e.g. every message to the null queue): no mean.
    const v3 = kumomtaView({ before, after: before, counters, peakConnections: null, connectionLimit: null, maxReady: null });
    expect(v3.spoolSaves).toBe(0);
    expect(v3.meanSpoolSaveSeconds).toBeNull();
  });

  test("the stand-in kumod exports the histogram and gauge the real one does, read by the same selectors", () => {
    const m = new Metrics();
    m.touch("connection_count", { service: "smtp_client" });
    m.add("connection_count", { service: "smtp_client" }, 3);
    for (const s of [0.003, 0.02, 0.3]) m.observe("deliver_message_latency_rollup", { service: "smtp_client" }, s);
    const text = m.prometheus();
    // The prometheus crate's encoder: cumulative buckets, +Inf = count.
    expect(text).toContain('deliver_message_latency_rollup_bucket{service="smtp_client",le="0.005"} 1\n');
    expect(text).toContain('deliver_message_latency_rollup_bucket{service="smtp_client",le="0.025"} 2\n');
    expect(text).toContain('deliver_message_latency_rollup_bucket{service="smtp_client",le="0.5"} 3\n');
    expect(text).toContain('deliver_message_latency_rollup_bucket{service="smtp_client",le="+Inf"} 3\n');
    expect(text).toContain("# TYPE deliver_message_latency_rollup histogram\n");
    const snap = parsePrometheusText(text);
    expect(seriesValue(snap, KUMOD_SERIES.deliveryLatencyCount)).toBe(3);
    expect(seriesValue(snap, KUMOD_SERIES.deliveryLatencySum)).toBeCloseTo(0.323, 12);
    expect(seriesValue(snap, KUMOD_SERIES.connectionCount)).toBe(3);
  });
});

describe("the verdict", () => {
  const view = (over: Partial<KumomtaView> = {}): KumomtaView => ({
    peakConnections: 32,
    connectionLimit: 32,
    maxReady: 1024,
    delayedReadyQueueFull: 0,
    connectionsDenied: 0,
    memoryOverLimit: 0,
    deliveries: 200,
    meanDeliverySeconds: 0.019,
    ceilingMsgsPerSec: 32 / 0.019,
    ...over,
  });
  const none = { senderCpuPct: 40, sinkCpuPct: 30, diskUtilPct: 10, linkShare: null, nicDrops: 0 };

  test("every connection open and the rate at 95 % of 32 / 19 ms: configuration ceiling, even beside a busy CPU", () => {
    const v = verdictOf({ ...none, senderCpuPct: 93, msgsPerSec: 1600, kumomta: view() });
    expect(v.limit).toBe("kumomta-config");
    // 1600 / 1684.21 = 0.95
    expect(v.evidence.ceilingShare).toBeCloseTo(0.95, 12);
    expect(v.text).toBe("configuration ceiling: connection_limit (32 connections × 19 ms = 1684 msgs/s; measured 1600 msgs/s, 95 % of it); also at the limit: sender CPU 93 %");
  });

  test("a disk-limited trial names kumod's mean spool save time as evidence", () => {
    // 2,000 saves taking 9 s in all: 4.5 ms each.
    const v = verdictOf({ ...none, diskUtilPct: 96, msgsPerSec: 500, kumomta: view({ peakConnections: 10, spoolSaves: 2000, meanSpoolSaveSeconds: 9 / 2000 }) });
    expect(v).toMatchObject({ limit: "disk", text: "spool disk 96 % busy, spool save 4.5 ms mean over 2000 saves" });
    // No save timed (null mean): the disk text stays as before.
    expect(verdictOf({ ...none, diskUtilPct: 96, msgsPerSec: 500, kumomta: view({ peakConnections: 10, spoolSaves: 0, meanSpoolSaveSeconds: null }) }).text).toBe("spool disk 96 % busy");
  });

  test("connections below the limit: not the ceiling; the busiest resource at ≥ 80 % is", () => {
    expect(verdictOf({ ...none, senderCpuPct: 93, msgsPerSec: 1600, kumomta: view({ peakConnections: 20 }) })).toMatchObject({ limit: "sender-cpu", text: "sender CPU 93 %" });
    expect(verdictOf({ ...none, diskUtilPct: 97, senderCpuPct: 85, msgsPerSec: 500, kumomta: null }).text).toBe("spool disk 97 % busy; also at the limit: sender CPU 85 %");
    expect(verdictOf({ ...none, nicDrops: 12, msgsPerSec: 500, kumomta: null })).toMatchObject({ limit: "network", text: "network unknown (no link speed), 12 packets dropped" });
  });

  test("max_ready delays and the memory limit are kumod's ceilings too", () => {
    const v = verdictOf({ ...none, msgsPerSec: 100, kumomta: view({ peakConnections: 4, delayedReadyQueueFull: 57, memoryOverLimit: 3 }) });
    expect(v.limit).toBe("kumomta-config");
    expect(v.text).toBe("configuration ceiling: max_ready 1024 (57 messages delayed, ready queue full); memory limit (exceeded 3 times: load shedding)");
  });

  test("nothing at its limit: undetermined, with every figure", () => {
    const v = verdictOf({ ...none, msgsPerSec: 800, kumomta: view({ peakConnections: 10 }) });
    expect(v.limit).toBe("undetermined");
    expect(v.text).toBe(
      "undetermined (sender CPU 40 %, sink CPU 30 %, spool disk 10 % busy, network unknown (no link speed), connection_limit (32 connections × 19 ms = 1684 msgs/s; measured 800 msgs/s, 48 % of it), peak 10 of 32 connections)",
    );
  });

  const withVerdict = (n: number, msgsPerSec: number, senderCpu: number, peak: number): TrialRecord => {
    const r = makeRecord({ sizeId: "c2-r4", trial: n, startedAt: `2026-03-01T09:${10 + n * 5}:00Z`, senderCpu, sinkCpu: 30, e2eMmh: (msgsPerSec * 3600) / 1e6 });
    const kumomta = view({ peakConnections: peak });
    const withView = { ...r, kumomta };
    return trialRecordSchema.parse({ ...withView, verdict: verdictOfRecord(withView) });
  };

  test("per size: the verdict most valid trials share, in the report's 'limited by'", () => {
    const trials = [withVerdict(1, 1600, 60, 32), withVerdict(2, 1620, 60, 32), withVerdict(3, 1000, 92, 12)];
    expect(trials.map((t) => t.verdict?.limit)).toEqual(["kumomta-config", "kumomta-config", "sender-cpu"]);
    const size = sizeVerdictOf(trials);
    // 1620 / 1684.21 = 96.2 %
    expect(size?.text).toBe("KumoMTA configuration ceiling in 2 of 3 trials: connection_limit (32 connections × 19 ms = 1684 msgs/s; measured 1620 msgs/s, 96 % of it)");
    const row = aggregate(readManifest(join(__dirname, "../fixtures/results/sweep-3-sizes")), trials, []).rows.find((x) => x.sizeId === "c2-r4");
    expect(row?.limitedBy).toEqual(["kumomta-config"]);
    expect(row?.limitText).toBe(size?.text);
  });
});

describe("the one-screen trial summary", () => {
  test("shows the spool disk, drops, kumod's view and the verdict", () => {
    const r = makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T09:15:00Z", senderCpu: 60, sinkCpu: 30, e2eMmh: (1600 * 3600) / 1e6 });
    const stats = (mean: number, max: number) => ({ mean, p95: max, max });
    const sender: HostResources = { ...r.resources!.sender, netDrops: { rx: 1, tx: 2 }, disk: { device: "nvme1n1", iops: stats(7200, 7300), readBytesPerSec: stats(0, 0), writeBytesPerSec: stats(140e6, 150e6), utilPct: stats(88, 99) } };
    const kumomta = { peakConnections: 32, connectionLimit: 32, maxReady: 1024, delayedReadyQueueFull: 5, connectionsDenied: 0, memoryOverLimit: 0, deliveries: 200, meanDeliverySeconds: 0.019, ceilingMsgsPerSec: 32 / 0.019 };
    const rec = trialRecordSchema.parse({ ...r, resources: { sender, sink: { ...r.resources!.sink, netDrops: { rx: 0, tx: 0 } } }, kumomta, verdict: { limit: "kumomta-config", text: "configuration ceiling: x", evidence: { msgsPerSec: 1600, senderCpuPct: 60, sinkCpuPct: 30, diskUtilPct: 88, linkShare: null, nicDrops: 3, ceilingShare: 0.95 } } });
    const text = formatTrialSummary(rec, "results/x/trials.jsonl");
    expect(text).toContain("  dropped packets: sender 3, sink 0\n");
    expect(text).toContain("  spool disk (nvme1n1): 7,200 IOPS, 140.0 MB/s written, 0.0 MB/s read, busy 88 % (max 99 %)\n");
    // 32 / 0.019 = 1684.2
    expect(text).toContain("  kumod: peak 32 of 32 connections, 19.0 ms per message, ceiling 1,684.2 msgs/s; 5 ready-queue-full delays, 0 connections denied, memory limit exceeded 0 times\n");
    expect(text).toContain("  limited by: configuration ceiling: x\n");
  });

  test("shows kumod's mean spool save time beside its delivery time", () => {
    const r = makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T09:15:00Z", senderCpu: 60, sinkCpu: 30, e2eMmh: (1600 * 3600) / 1e6 });
    // 3,000 saves in 1.5 s: 0.5 ms each.
    const kumomta = { peakConnections: 32, connectionLimit: 32, maxReady: 1024, delayedReadyQueueFull: 0, connectionsDenied: 0, memoryOverLimit: 0, deliveries: 200, meanDeliverySeconds: 0.019, ceilingMsgsPerSec: 32 / 0.019, spoolSaves: 3000, meanSpoolSaveSeconds: 1.5 / 3000 };
    const text = formatTrialSummary(trialRecordSchema.parse({ ...r, kumomta }), "results/x/trials.jsonl");
    expect(text).toContain("  kumod: peak 32 of 32 connections, 19.0 ms per message, ceiling 1,684.2 msgs/s, spool save 0.5 ms mean over 3,000 saves; 0 ready-queue-full delays");
  });
});

describe("report flags", () => {
  test("a disk-saturated trial and one with dropped packets flag their size", () => {
    const r1 = makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T09:15:00Z", invalidReasons: [{ code: "disk-saturated", detail: "sender nvme1n1 busy 95 %" }] });
    const r2 = makeRecord({ sizeId: "c2-r4", trial: 2, startedAt: "2026-03-01T09:20:00Z" });
    const withDrops = { ...r2, resources: { ...r2.resources!, sink: { ...r2.resources!.sink, netDrops: { rx: 400, tx: 0 } } } };
    const row = aggregate(readManifest(join(__dirname, "../fixtures/results/sweep-3-sizes")), [r1, withDrops], []).rows.find((x) => x.sizeId === "c2-r4");
    expect(row?.flags).toEqual(expect.arrayContaining(["disk-saturated", "nic-drops"]));
    expect(row?.flagDetails).toEqual(expect.arrayContaining(["disk-saturated: 1 of 2 trials had a disk busy more than 90 % of the trial", "nic-drops: 1 of 2 trials dropped more than 100 packets"]));
  });
});
