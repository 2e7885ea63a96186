/**
 * Issue 17, the rest of the telemetry: traffic-gen's own CPU and memory (/proc/<pid>/stat and
 * status), kumod's RocksDB and memory gauges, the NICs' own counters (ethtool -S), and the verdicts
 * they feed — `generator` when traffic-gen is the limit — each against figures worked by hand.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterEach, describe, expect, test } from "vitest";
import { ROCKS_SPOOL_GAUGES } from "../../scripts/kumomta/metrics";
import type { KumomtaView } from "../../scripts/results/trial-record";
import { kumodGaugePollerScript, parseKumodGaugePolls } from "../../scripts/trial/kumod-gauges";
import { kumomtaView } from "../../scripts/trial/kumomta-view";
import { generatorCpuShareOf, sizeVerdictOf, verdictOf, type VerdictInput } from "../../scripts/trial/limit-verdict";
import { nicStatsOf, parseEthtool } from "../../scripts/trial/nic-stats";
import { parsePrometheusText } from "../../scripts/trial/prometheus";
import { parseProcessSamples, processSamplerScript, summarizeProcess } from "../../scripts/trial/process-sampler";
import { Metrics } from "../fixtures/kumod/metrics";
import { makeRecord } from "../results/make-record";
import { aggregate } from "../../scripts/report/build-report";
import { compareReports } from "../../scripts/report/compare";
import { renderMarkdown } from "../../scripts/report/markdown";
import { trafficGenOnText } from "../../scripts/report/run-facts";
import { readManifest } from "../../scripts/results/results-dir";

const FIXTURE = path.join(__dirname, "..", "fixtures", "results", "sweep-3-sizes");

describe("traffic-gen's own CPU and memory", () => {
  test("CPU per interval from utime+stime ticks, memory from VmRSS/VmHWM", () => {
    // USER_HZ 100. 0.5 s apart: +50 ticks = 0.5 CPU-s in 0.5 s = 100 % of a core; then +150 ticks in 0.5 s = 300 %.
    const text = ["HZ 100", "P 1000.0 100 50 2048 4096", "P 1000.5 125 75 3072 4096", "P 1001.0 250 100 1024 8192", "X 1001.25", ""].join("\n");
    const p = parseProcessSamples(text);
    expect(p.hz).toBe(100);
    expect(p.samples.map((s) => s.cpuTicks)).toEqual([150, 200, 350]);
    const s = summarizeProcess(p, 4);
    // mean (100 + 300) / 2 = 200 % of a core; on 4 vCPUs that is 200 / 400 = 0.5 of the host.
    expect(s?.cpuPct.mean).toBeCloseTo(200, 9);
    expect(s?.cpuPct.max).toBeCloseTo(300, 9);
    expect(s?.hostCpuShare).toBeCloseTo(0.5, 9);
    // 350 − 150 = 200 ticks = 2 CPU-seconds.
    expect(s?.cpuSeconds).toBeCloseTo(2, 9);
    // RSS 2048, 3072, 1024 KiB: mean 2048; the high-water mark at the last sample is 8192.
    expect(s?.rssKiB.mean).toBeCloseTo(2048, 9);
    expect(s?.peakRssKiB).toBe(8192);
  });

  test("fewer than two samples: no figure, not a guess", () => {
    expect(summarizeProcess(parseProcessSamples("HZ 100\nP 5.0 1 1 10 10\n"), 2)).toBeNull();
    expect(summarizeProcess(parseProcessSamples("HZ 100\n"), 2)).toBeNull();
  });

  describe("the script on this machine's /proc", () => {
    let dir: string | undefined;
    let proc: ChildProcess | undefined;
    afterEach(() => {
      proc?.kill("SIGKILL");
      if (dir) rmSync(dir, { recursive: true, force: true });
    });

    test("finds the process by its pid file, even with ') ' in its name, and reads what ps reads", async () => {
      dir = mkdtempSync(path.join(os.tmpdir(), "kumolab-proc-"));
      // A comm with a space and a parenthesis: /proc/<pid>/stat's fields must be counted after the LAST ')'.
      const odd = path.join(dir, "tg b) c");
      copyFileSync("/bin/sleep", odd);
      spawnSync("chmod", ["755", odd]);
      proc = spawn(odd, ["30"], { stdio: "ignore" });
      const pidFile = path.join(dir, "tg.pid");
      writeFileSync(pidFile, `${proc.pid}\n`);
      const sampler = spawn("bash", ["-c", processSamplerScript(3, 0.05, pidFile)], { stdio: ["pipe", "pipe", "inherit"] });
      let out = "";
      sampler.stdout.on("data", (b: Buffer) => (out += b.toString("utf8")));
      const code = await new Promise<number | null>((r) => sampler.on("exit", r));
      expect(code).toBe(0);
      const p = parseProcessSamples(out);
      expect(p.samples).toHaveLength(3);
      // ps (procps) is the outside reference for the resident set, in KiB.
      const rss = Number(spawnSync("ps", ["-o", "rss=", "-p", String(proc.pid)], { encoding: "utf8" }).stdout.trim());
      for (const s of p.samples) {
        expect(s.rssKiB).toBeGreaterThan(0);
        expect(Math.abs(s.rssKiB - rss)).toBeLessThanOrEqual(64);
      }
      // A sleeping process uses (next to) no CPU: at most a tick over the samples.
      expect((p.samples[2]?.cpuTicks ?? 0) - (p.samples[0]?.cpuTicks ?? 0)).toBeLessThanOrEqual(1);
      expect(p.hz).toBe(Number(spawnSync("getconf", ["CLK_TCK"], { encoding: "utf8" }).stdout.trim()));
    });
  });
});

describe("kumod's RocksDB and memory gauges", () => {
  // Two spools (data, meta); a write stall on data in the 2nd poll, a slowdown in polls 2 and 3.
  const poll = (t: number, stopped: [number, number], rate: number, shed: number | null, usage: number): string =>
    [
      `G ${t}`,
      `memory_limit 3000000000`,
      `memory_usage ${usage}`,
      `rocks_spool_actual_delayed_write_rate{path="/var/spool/kumomta/data"} ${rate}`,
      `rocks_spool_write_stopped{path="/var/spool/kumomta/data"} ${stopped[0]}`,
      `rocks_spool_write_stopped{path="/var/spool/kumomta/meta"} ${stopped[1]}`,
      ...(shed === null ? [] : [`rocks_spool_load_shed_active{path="/var/spool/kumomta/data"} ${shed}`]),
      "",
    ].join("\n");

  test("highest value over the spools and the polls above 0; absent families are unknown, not 0", () => {
    const g = parseKumodGaugePolls(poll(1, [0, 0], 0, null, 1e9) + poll(2, [1, 0], 16_777_216, null, 2.4e9) + poll(3, [0, 0], 8_388_608, null, 1.5e9));
    expect(g.polls).toBe(3);
    expect(g.rocksdb.writeStopped).toEqual({ max: 1, nonZeroPolls: 1 });
    expect(g.rocksdb.delayedWriteRate).toEqual({ max: 16_777_216, nonZeroPolls: 2 });
    expect(g.rocksdb.loadShedActive).toBeNull();
    expect(g.rocksdb.backgroundErrors).toBeNull();
    // 2.4 GB of a 3 GB soft limit: 0.8.
    expect(g.memory).toEqual({ peakUsageBytes: 2.4e9, limitBytes: 3e9, peakShare: 0.8 });
  });

  test("a release kumod (no rocks_spool stall gauges) and a cut last block", () => {
    const g = parseKumodGaugePolls(`G 1\nmemory_usage 5\nG 2\nmemory_usa`);
    expect(g.polls).toBe(2);
    expect(Object.values(g.rocksdb).every((v) => v === null)).toBe(true);
    expect(g.memory).toEqual({ peakUsageBytes: 5, limitBytes: null, peakShare: null });
  });

  test("the poller keeps exactly the wanted families from a real kumod text (the stand-in's renderer)", async () => {
    const m = new Metrics();
    m.set("memory_usage", {}, 123456789);
    m.set("memory_limit", {}, 3e9);
    m.touch("rocks_spool_mem_table_total", { path: "/var/spool/kumomta/data" });
    m.add("total_messages_received", { service: "esmtp_listener" }, 7);
    const body = m.prometheus();
    // A one-shot HTTP server on loopback answering with that text.
    const http = await import("node:http");
    const server = http.createServer((_req, res) => res.end(body));
    await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
    const port = (server.address() as { port: number }).port;
    try {
      const child = spawn("bash", ["-c", kumodGaugePollerScript(`http://127.0.0.1:${port}/metrics`, 1)], { stdio: ["pipe", "pipe", "inherit"] });
      let out = "";
      child.stdout.on("data", (b: Buffer) => (out += b.toString("utf8")));
      await new Promise((r) => child.on("exit", r));
      expect(out.split("\n").filter((l) => l && !l.startsWith("G "))).toEqual(["memory_limit 3000000000", "memory_usage 123456789"]);
      expect(parseKumodGaugePolls(out).memory?.peakUsageBytes).toBe(123456789);
    } finally {
      server.close();
    }
  });

  test("the kumod view keeps them, and counts memory_low_count from before/after (absent = 0)", () => {
    const before = parsePrometheusText("total_messages_received{service=\"esmtp_listener\"} 0\n");
    const after = parsePrometheusText("total_messages_received{service=\"esmtp_listener\"} 10\nmemory_low_count 2\n");
    const counters = { received: 10, delivered: 10, transientFailures: 0, permanentFailures: 0, delayedReadyQueueFull: 0, connectionsDenied: 0 };
    const gauges = parseKumodGaugePolls(poll(1, [1, 0], 0, 1, 100));
    const v = kumomtaView({ before, after, counters, peakConnections: 3, connectionLimit: 32, maxReady: 1024, gauges });
    expect(v.memoryLowCount).toBe(2);
    expect(v.rocksdb).toEqual({ polls: 1, writeStopped: { max: 1, nonZeroPolls: 1 }, delayedWriteRate: { max: 0, nonZeroPolls: 0 }, loadShedActive: { max: 1, nonZeroPolls: 1 }, backgroundErrors: null });
    expect(v.memory).toEqual({ peakUsageBytes: 100, limitBytes: 3e9, peakShare: 100 / 3e9 });
  });

  test("the names are KumoMTA's (crates/spool/src/rocks.rs on main)", () => {
    expect(Object.values(ROCKS_SPOOL_GAUGES).sort()).toEqual(["rocks_spool_actual_delayed_write_rate", "rocks_spool_background_errors", "rocks_spool_load_shed_active", "rocks_spool_write_stopped"]);
  });
});

describe("ethtool -S", () => {
  const ena = (bwOut: number, pps: number, rxDrops: number): string =>
    ["NIC statistics:", "     tx_timeout: 0", "     suspend: 0", `     bw_in_allowance_exceeded: 0`, `     bw_out_allowance_exceeded: ${bwOut}`, `     pps_allowance_exceeded: ${pps}`, "     conntrack_allowance_exceeded: 0", "     linklocal_allowance_exceeded: 0", `     queue_0_rx_drops: ${rxDrops}`, "     queue_0_tx_cnt: 100"].join("\n");

  test("ENA's allowance counters over the trial (AWS: packets shaped beyond the instance's allowance)", () => {
    const s = nicStatsOf("ens5", parseEthtool(0, ena(10, 5, 0)), parseEthtool(0, ena(410, 25, 3)));
    // (410 − 10) + (25 − 5) = 420 packets over the allowance.
    expect(s).toMatchObject({ available: true, interface: "ens5", allowanceExceeded: 420 });
    if (!s.available) return;
    expect(s.deltas["bw_out_allowance_exceeded"]).toBe(400);
    expect(s.deltas["queue_0_rx_drops"]).toBe(3);
    // Unmoved and not a drop/error/allowance counter: left out.
    expect(s.deltas).not.toHaveProperty("queue_0_tx_cnt");
    expect(s.deltas).not.toHaveProperty("suspend");
  });

  test("absence is recorded, not an error: no ethtool, no statistics, a driver without ENA counters", () => {
    expect(nicStatsOf("eth0", parseEthtool(127, "ethtool: not installed"), parseEthtool(127, ""))).toEqual({ available: false, interface: "eth0", reason: "ethtool is not installed on the host" });
    // ethtool's own message for a driver without statistics (e.g. lo).
    expect(nicStatsOf("lo", parseEthtool(94, "no stats available"), parseEthtool(94, "no stats available"))).toEqual({ available: false, interface: "lo", reason: "ethtool -S: no stats available" });
    const veth = "NIC statistics:\n     peer_ifindex: 7\n     rx_queue_0_drops: 0\n";
    expect(nicStatsOf("eth0", parseEthtool(0, veth), parseEthtool(0, veth))).toEqual({ available: true, interface: "eth0", deltas: { rx_queue_0_drops: 0 }, allowanceExceeded: null });
  });
});

describe("the verdict with the generator and kumod's health", () => {
  const base: VerdictInput = { msgsPerSec: 5000, senderCpuPct: 40, sinkCpuPct: 20, diskUtilPct: 30, linkShare: 0.1, nicDrops: 0, kumomta: null };
  const view = (over: Partial<KumomtaView>): KumomtaView => ({
    peakConnections: 10,
    connectionLimit: 32,
    maxReady: 1024,
    delayedReadyQueueFull: 0,
    connectionsDenied: 0,
    memoryOverLimit: 0,
    deliveries: 1000,
    meanDeliverySeconds: 0.001,
    ceilingMsgsPerSec: 32_000,
    ...over,
  });

  test("traffic-gen on the generator host at 92 % of its CPU: the generator set the rate", () => {
    const v = verdictOf({ ...base, generatorCpuShare: 0.92, trafficGenOn: "generator" });
    expect(v.limit).toBe("generator");
    expect(v.text).toBe("traffic-gen on the generator host at 92 % of its host's CPU: the offered load, not the MTA, set the rate");
    expect(v.evidence.generatorCpuShare).toBe(0.92);
  });

  test("traffic-gen on the sender at 85 % of the sender: the generator, not the sender's CPU (which it filled)", () => {
    const v = verdictOf({ ...base, senderCpuPct: 97, generatorCpuShare: 0.85, trafficGenOn: "sender" });
    expect(v.limit).toBe("generator");
    expect(v.text).toBe("traffic-gen on the sender at 85 % of its host's CPU: the offered load, not the MTA, set the rate; also at the limit: sender CPU 97 %");
  });

  test("sender CPU the limit with traffic-gen beside kumod taking 30 % of it: named, with the way out", () => {
    const v = verdictOf({ ...base, senderCpuPct: 95, generatorCpuShare: 0.3, trafficGenOn: "sender" });
    expect(v.limit).toBe("sender-cpu");
    expect(v.text).toBe("sender CPU 95 % (traffic-gen took 30 % of it: a generator host would leave it to kumod)");
  });

  test("traffic-gen at 79 % is below the limit share: not the generator", () => {
    expect(verdictOf({ ...base, generatorCpuShare: 0.79, trafficGenOn: "generator" }).limit).toBe("undetermined");
  });

  test("a RocksDB write stall makes the disk the limit even at 30 % io_ticks", () => {
    const rocksdb = { polls: 10, writeStopped: { max: 1, nonZeroPolls: 3 }, delayedWriteRate: { max: 1_048_576, nonZeroPolls: 6 }, loadShedActive: { max: 0, nonZeroPolls: 0 }, backgroundErrors: null };
    const v = verdictOf({ ...base, kumomta: view({ rocksdb }) });
    expect(v.limit).toBe("disk");
    expect(v.text).toBe("spool disk 30 % busy, RocksDB write stall (rocks_spool_write_stopped in 3 of 10 polls, write slowdown in 6 of 10 polls)");
  });

  test("RocksDB load shedding is one of kumod's own ceilings", () => {
    const rocksdb = { polls: 4, writeStopped: { max: 0, nonZeroPolls: 0 }, delayedWriteRate: null, loadShedActive: { max: 1, nonZeroPolls: 2 }, backgroundErrors: { max: 3, nonZeroPolls: 4 } };
    const v = verdictOf({ ...base, kumomta: view({ rocksdb }) });
    expect(v.limit).toBe("kumomta-config");
    expect(v.text).toBe("configuration ceiling: spool load shedding (rocks_spool_load_shed_active in 2 of 4 polls: injections refused)");
  });

  test("packets over the ENA allowance put the network at the limit", () => {
    const v = verdictOf({ ...base, nicAllowanceExceeded: 420 });
    expect(v.limit).toBe("network");
    expect(v.text).toBe("network 10 % of the link, 420 packets over the ENA allowance");
  });

  test("the share from a record: traffic-gen's own process, never its host's whole CPU", () => {
    const summary = { mean: 0, p95: 0, max: 0 };
    const host = (cpuMean: number) => ({ interface: "ens5", linkBitsPerSecond: null, samples: 3, cpuPct: { mean: cpuMean, p95: cpuMean, max: cpuMean }, memUsedPct: summary, netRxBytesPerSec: summary, netTxBytesPerSec: summary });
    const proc = { samples: 5, cpuPct: summary, cpuSeconds: 1, hostCpuShare: 0.6, rssKiB: summary, peakRssKiB: 1 };
    const resources = { sender: host(50), sink: host(10), generator: host(90) };
    // The generator host at 90 % (other work, or a shared machine) does not make traffic-gen's share 0.9.
    expect(generatorCpuShareOf({ ...{ resources }, trafficGenRun: { ranOn: "generator", host: "g", target: "10.0.0.1:2025", vcpu: 8, process: proc } })).toBeCloseTo(0.6, 9);
    // On the sender, the sender's own CPU is kumod's too: only traffic-gen's process counts.
    expect(generatorCpuShareOf({ ...{ resources }, trafficGenRun: { ranOn: "sender", host: "s", target: "127.0.0.1:2025", vcpu: 2, process: proc } })).toBeCloseTo(0.6, 9);
    expect(generatorCpuShareOf({ ...{ resources }, trafficGenRun: { ranOn: "sender", host: "s", target: "127.0.0.1:2025", vcpu: 2, process: null } })).toBeNull();
    expect(generatorCpuShareOf({})).toBeNull();
  });

  test("a size whose trials agree on the generator", () => {
    const v = verdictOf({ ...base, generatorCpuShare: 0.95, trafficGenOn: "generator" });
    const s = sizeVerdictOf([{ verdict: v, resources: undefined, endToEnd: undefined, kumomta: undefined }, { verdict: v, resources: undefined, endToEnd: undefined, kumomta: undefined }]);
    expect(s?.limit).toBe("generator");
    expect(s?.text).toBe("load generator (traffic-gen) in 2 of 2 trials: traffic-gen on the generator host at 95 % of its host's CPU: the offered load, not the MTA, set the rate");
  });
});

describe("the report says where traffic-gen ran", () => {
  const rec = (trial: number, ranOn?: "sender" | "generator") => {
    const r = makeRecord({ sizeId: "c2-r4", trial, startedAt: "2026-11-30T08:00:00Z" });
    return ranOn === undefined ? r : { ...r, trafficGenRun: { ranOn, host: `${ranOn} (10.42.1.11)`, target: "10.42.1.10:2025", vcpu: 8, process: null } };
  };

  test("per trial, with records from before the generator read as on the sender (where it always ran)", () => {
    expect(trafficGenOnText(rec(1, "generator"))).toBe("on a generator host (8 vCPUs), the sender's CPU left to kumod");
    expect(trafficGenOnText(rec(2, "sender"))).toBe("on the sender, beside kumod");
    expect(trafficGenOnText(rec(3))).toBe("on the sender, beside kumod");
  });

  test("in the run facts, the markdown report and a comparison of two runs", () => {
    const manifest = readManifest(FIXTURE);
    const a = aggregate(manifest, [rec(1, "generator"), rec(2, "generator")], []);
    const b = aggregate(manifest, [rec(1)], []);
    expect(a.facts.trafficGenOn).toEqual([{ text: "on a generator host (8 vCPUs), the sender's CPU left to kumod", trials: 2 }]);
    expect(renderMarkdown(a)).toContain("- traffic-gen ran: on a generator host (8 vCPUs), the sender's CPU left to kumod\n");
    const c = compareReports([{ dir: "a", report: a }, { dir: "b", report: b }]);
    expect(c.differences.find((d) => d.what === "traffic-gen ran")?.values).toEqual(["on a generator host (8 vCPUs), the sender's CPU left to kumod", "on the sender, beside kumod"]);
  });
});
