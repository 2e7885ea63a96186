/** The trial's small parts: resource samples, metrics text, the duration cap, traffic-gen's argv, the one-screen summary. */
import { describe, expect, test } from "vitest";
import { loadLabConfig } from "../../lab-config/load";
import type { LabConfig } from "../../lab-config/schema";
import { durationCap, MIN_CAP_SECONDS, PESSIMISTIC_RATE } from "../../scripts/trial/duration-cap";
import { MetricsParseError, parsePrometheusText, perLabelSum, seriesDelta, seriesValue } from "../../scripts/trial/prometheus";
import { parseSamples, resourceSeries, samplerScript, summarizeResources } from "../../scripts/trial/resource-sampler";
import { TRAFFIC_GEN_PATH, trafficGenArgs } from "../../scripts/trial/traffic-gen-args";
import { formatTrialSummary } from "../../scripts/trial/trial-summary";
import { makeRecord } from "../results/make-record";

const cfg = loadLabConfig().config;

function netLine(iface: string, rx: number, tx: number): string {
  // /proc/net/dev: rx bytes packets errs drop fifo frame compressed multicast | tx bytes packets errs drop fifo colls carrier compressed
  return `${iface}: ${rx} 10 0 0 0 0 0 0 ${tx} 20 0 0 0 0 0 0`;
}

function block(t: number, cpu: [number, number, number, number, number], memTotal: number, memAvail: number, rx: number, tx: number, iface = "ens5"): string {
  const [user, nice, system, idle, iowait] = cpu;
  return [`S ${t}`, `cpu  ${user} ${nice} ${system} ${idle} ${iowait} 0 0 0 0 0`, `MemTotal:       ${memTotal} kB`, `MemAvailable:   ${memAvail} kB`, netLine(iface, rx, tx), ""].join("\n");
}

describe("resource sampler", () => {
  test("parses blocks, takes the interface line (not the MemTotal line before it), drops a block cut short", () => {
    const text =
      block(1000.0, [100, 0, 50, 800, 50], 1_000_000, 500_000, 1000, 5000) +
      block(1002.0, [300, 0, 150, 1400, 150], 1_000_000, 250_000, 201_000, 2_005_000) +
      // Cut by the channel close: no /proc/net/dev line.
      `S 1003.0\ncpu  400 0 200 1500 160 0 0 0 0 0\nMemTotal:       1000000 kB\n`;
    const samples = parseSamples(text);
    expect(samples).toHaveLength(2);
    expect(samples[0]).toEqual({ t: 1000, cpuBusy: 150, cpuTotal: 1000, memTotalKiB: 1_000_000, memAvailableKiB: 500_000, rxBytes: 1000, txBytes: 5000, rxDrops: 0, txDrops: 0, disk: null });
  });

  test("a /proc/net/dev line cut mid-way is dropped, not read as zeros", () => {
    const text = block(1000, [1, 0, 1, 8, 0], 1000, 500, 10, 20) + `S 1001\ncpu  2 0 2 16 0 0 0 0 0 0\nMemTotal: 1000 kB\nMemAvailable: 400 kB\nens5: 20 10 0 0`;
    expect(parseSamples(text).map((s) => s.t)).toEqual([1000]);
  });

  test("rates between samples: CPU busy share, memory used, bytes per second", () => {
    const samples = parseSamples(block(1000.0, [100, 0, 50, 800, 50], 1_000_000, 500_000, 1000, 5000) + block(1002.0, [300, 0, 150, 1400, 150], 1_000_000, 250_000, 201_000, 2_005_000));
    const series = resourceSeries(samples);
    expect(series).toHaveLength(1);
    const p = series[0];
    // busy 150 → 450 of total 1000 → 2000: 30 %; iowait counts as idle.
    expect(p?.cpuPct).toBeCloseTo(30, 9);
    expect(p?.memUsedPct).toBeCloseTo(75, 9);
    expect(p?.rxBytesPerSec).toBeCloseTo(100_000, 9);
    expect(p?.txBytesPerSec).toBeCloseTo(1_000_000, 9);
    const summary = summarizeResources("ens5", null, series);
    expect(summary).toMatchObject({ interface: "ens5", samples: 1, cpuPct: { mean: 30, max: 30 } });
  });

  test("a sample that does not move the clock is skipped, not divided by zero", () => {
    const same = parseSamples(block(1000, [1, 0, 1, 8, 0], 1000, 500, 10, 20) + block(1000, [2, 0, 2, 16, 0], 1000, 500, 20, 40));
    expect(resourceSeries(same)).toEqual([]);
  });

  test("the script refuses an interface name it would interpolate unsafely", () => {
    expect(() => samplerScript("eth0; rm -rf /", 10)).toThrow(/not an interface name/);
    expect(samplerScript("eth0.100", 10)).toContain('"eth0.100:"*');
  });
});

describe("Prometheus text", () => {
  // kumod's own shape (crates/kumo-prometheus/src/registry.rs; crates/kumod/src/delivery_metrics.rs):
  // a total series plus one per ready queue; kumo registries join labels with ", ".
  const text = [
    "# HELP total_messages_delivered delivered",
    "# TYPE total_messages_delivered counter",
    'total_messages_delivered{service="smtp_client"} 100',
    'total_messages_delivered{service="smtp_client:unspecified->mx_list:[198.18.0.2]@smtp_client"} 90',
    'total_messages_delivered{service="smtp_client:unspecified->mx_list:[198.18.0.3]@smtp_client"} 10',
    "scheduled_count_total 3 1700000000000",
    'two_labels{service="a", queue="b\\"c"} 4',
    'latency_bucket{le="+Inf"} 100',
    "odd_gauge +Inf",
    'latency_quantile{q="0.99"} NaN',
    "",
  ].join("\n");
  const delivered = { name: "total_messages_delivered", labels: { service: "smtp_client" } };

  test("each series by its name and exact labels, never a sum; timestamps handled; +Inf/NaN read but not kept", () => {
    const s = parsePrometheusText(text, new Date("2026-03-01T12:00:00Z"));
    expect(s.at).toBe("2026-03-01T12:00:00.000Z");
    expect(seriesValue(s, delivered)).toBe(100);
    expect(seriesValue(s, { name: "total_messages_delivered", labels: { service: "smtp_client:unspecified->mx_list:[198.18.0.3]@smtp_client" } })).toBe(10);
    expect(seriesValue(s, { name: "scheduled_count_total", labels: {} })).toBe(3);
    // Label order and the ", " separator do not matter; escapes are undone.
    expect(seriesValue(s, { name: "two_labels", labels: { queue: 'b"c', service: "a" } })).toBe(4);
    expect(seriesValue(s, { name: "two_labels", labels: { service: "a" } })).toBeUndefined();
    expect(seriesValue(s, { name: "latency_bucket", labels: { le: "+Inf" } })).toBe(100);
    // Not representable in the JSON trial record.
    expect(seriesValue(s, { name: "odd_gauge", labels: {} })).toBeUndefined();
    expect(seriesValue(s, { name: "latency_quantile", labels: { q: "0.99" } })).toBeUndefined();
    expect(JSON.parse(JSON.stringify(s))).toEqual(s);
  });

  test("after − before of one series; 0 when kumod never had it", () => {
    const before = parsePrometheusText('total_messages_delivered{service="smtp_client"} 10\ntotal_messages_delivered{service="smtp_client:q"} 10\n');
    const after = parsePrometheusText(text);
    expect(seriesDelta(before, after, delivered)).toBe(90);
    expect(seriesDelta(before, after, { name: "total_messages_fail", labels: { service: "smtp_client" } })).toBe(0);
  });

  test("a family with only per-queue series is summed over its one label; a total series there is refused", () => {
    const q = { name: "delayed_due_to_ready_queue_full", perSeriesLabel: "queue" };
    const s = parsePrometheusText('delayed_due_to_ready_queue_full{queue="[198.18.0.2]"} 7\ndelayed_due_to_ready_queue_full{queue="b"} 5\nother{queue="c"} 100\n');
    expect(perLabelSum(s, q)).toBe(12);
    expect(perLabelSum(parsePrometheusText("other 1\n"), q)).toBe(0);
    expect(() => perLabelSum(parsePrometheusText('delayed_due_to_ready_queue_full{queue="a"} 1\ndelayed_due_to_ready_queue_full 1\n'), q)).toThrow(/double-count/);
  });

  test("an HTML error page, an empty answer or a malformed line is an error, never zeros", () => {
    expect(() => parsePrometheusText("<html>502 Bad Gateway</html>")).toThrow(MetricsParseError);
    expect(() => parsePrometheusText("# only comments\n\n")).toThrow(/no samples/);
    expect(() => parsePrometheusText('m{a="b"} twelve')).toThrow(/bad value/);
    expect(() => parsePrometheusText("m 0x1f")).toThrow(/bad value/);
    expect(() => parsePrometheusText('m{a="b} 1')).toThrow(/malformed labels/);
    expect(() => parsePrometheusText('m{a="1",a="2"} 1')).toThrow(/only once/);
    expect(() => parsePrometheusText("m")).toThrow(/not a Prometheus sample line/);
  });
});

describe("duration cap", () => {
  const traffic = (over: Partial<LabConfig["traffic"]>): LabConfig["traffic"] => ({ ...cfg.traffic, ...over });

  test("auto: the message count at a pessimistic rate, never under the minimum; the reason says so", () => {
    expect(durationCap(traffic({ durationCapSeconds: "auto", messageCount: 100_000 })).seconds).toBe(100_000 / PESSIMISTIC_RATE);
    expect(durationCap(traffic({ durationCapSeconds: "auto", messageCount: 100_001 })).seconds).toBe(2001);
    const small = durationCap(traffic({ durationCapSeconds: "auto", messageCount: 100 }));
    expect(small.seconds).toBe(MIN_CAP_SECONDS);
    expect(small.reason).toMatch(/^auto: 100 messages/);
  });

  test("an explicit cap is used as set, and the reason names the config key", () => {
    const c = durationCap(traffic({ durationCapSeconds: 900 }));
    expect(c).toEqual({ seconds: 900, reason: expect.stringContaining("traffic.durationCapSeconds = 900") as unknown as string });
  });
});

describe("traffic-gen argv", () => {
  test("the published run's flags, the body size in bytes, and no extras by default", () => {
    const { argv, extraArgs } = trafficGenArgs({ ...cfg.traffic, domains: [], headers: [], throttle: null }, "198.18.0.10:25", 2000);
    expect(argv[0]).toBe(TRAFFIC_GEN_PATH);
    const flag = (name: string): string | undefined => argv[argv.indexOf(name) + 1];
    expect(flag("--target")).toBe("198.18.0.10:25");
    expect(flag("--concurrency")).toBe(String(cfg.traffic.concurrency));
    expect(flag("--message-count")).toBe(String(cfg.traffic.messageCount));
    // lab.yaml says 100kb: traffic-gen gets 100000 bytes, never a unit.
    expect(flag("--body-size")).toBe("100000");
    expect(flag("--duration")).toBe("2000");
    expect(extraArgs).toEqual([]);
  });

  test("domains (with weights), headers and a throttle become extra flags, kept as separate argv entries", () => {
    const { argv, extraArgs } = trafficGenArgs(
      { ...cfg.traffic, domains: [{ name: "a.example" }, { name: "b.example", weight: 3 }], headers: ["X-Test: hello world"], throttle: "1000/s" },
      "198.18.0.10:25",
      60,
    );
    expect(extraArgs).toEqual(["--domain", "a.example", "--domain", "b.example:3", "--header", "X-Test: hello world", "--throttle", "1000/s"]);
    expect(argv.slice(-extraArgs.length)).toEqual(extraArgs);
  });
});

describe("formatTrialSummary", () => {
  test("shows acceptance and end-to-end rates in msgs/s and MMH, latency, resources, and the record's place", () => {
    const r = makeRecord({ sizeId: "c2-r4", trial: 2, startedAt: "2026-03-01T12:00:00Z", sent: 100_000, elapsedSeconds: 80, p99: 2, e2eMmh: 4.41 });
    const text = formatTrialSummary(r, "results/x/trials.jsonl");
    expect(text).toContain("Trial 2 of size c2-r4 (c5.large)");
    expect(text).toContain("figure VALID");
    // 100,000 in 80 s = 1,250 msgs/s = 4.5 MMH.
    expect(text).toContain("acceptance (traffic-gen): 1,250.0 msgs/s = 4.500 MMH — 100,000 sent, 0 failed in 80.00 s (all-clients-finished)");
    expect(text).toMatch(/end to end \(sink\): +1,225\.0 msgs\/s = 4\.410 MMH/);
    expect(text).toContain("p99 2.00 s");
    expect(text).toContain("p50 500.0 ms");
    expect(text).toContain("sender queue: drained");
    expect(text).toMatch(/CPU: sender mean 90 %/);
    expect(text).toContain("record: results/x/trials.jsonl");
    expect(text).not.toContain("WARNING");
  });

  test("shows the sender kumod's delivery counters and the KumoMTA settings in force", () => {
    const base = makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T12:00:00Z" });
    const counters = { received: 100_000, delivered: 99_990, transientFailures: 12, permanentFailures: 0, delayedReadyQueueFull: 3456, connectionsDenied: 0 };
    const r = {
      ...base,
      kumodCounters: { sender: counters, sink: null },
      context: { ...base.context, kumomta: { egressTls: "disabled" as const, retryIntervalSeconds: 5, maxRetryIntervalSeconds: 20, maxReady: 2048, connectionLimit: 64, logFilter: null } },
    };
    const text = formatTrialSummary(r, "t.jsonl");
    expect(text).toContain("sender kumod: 99,990 delivered, 12 transient and 0 permanent failures, 3,456 held back by a full ready queue");
    expect(text).toContain("KumoMTA: kumod 2026.03.04-abcdef12; egress TLS disabled, max_ready 2048, connection_limit 64");
  });

  test("an invalid trial lists every warning and says NOT VALID", () => {
    const r = makeRecord({
      sizeId: "c4-r16",
      trial: 1,
      startedAt: "2026-03-01T12:00:00Z",
      sinkCpu: 92,
      invalidReasons: [
        { code: "sink-cpu-high", detail: "sink CPU averaged 92 % (> 85 %)" },
        { code: "incomplete-deadline", detail: "traffic-gen sent 90000 of 100000 messages" },
      ],
    });
    const text = formatTrialSummary(r, "t.jsonl");
    expect(text).toContain("figure NOT VALID");
    expect(text).toContain("WARNING sink-cpu-high: sink CPU averaged 92 % (> 85 %)");
    expect(text).toContain("WARNING incomplete-deadline: traffic-gen sent 90000 of 100000 messages");
  });

  test("a failed trial names the step and has no rate", () => {
    const r = makeRecord({ sizeId: "c2-r4", trial: 3, startedAt: "2026-03-01T12:00:00Z", failedStep: { step: "traffic-gen", message: "connection lost" } });
    const text = formatTrialSummary(r, "t.jsonl");
    expect(text).toContain("status: failed at traffic-gen: connection lost");
    expect(text).not.toContain("acceptance");
    expect(text).toContain("WARNING failed");
  });
});
