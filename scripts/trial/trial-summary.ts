/** The one-screen summary of a trial record, for `npm run lab -- trial`. */
import type { TrialRecord } from "../results/trial-record";

const n = (v: number, digits = 0): string => v.toLocaleString("en-US", { maximumFractionDigits: digits, minimumFractionDigits: digits });
const ms = (s: number): string => (s < 1 ? `${n(s * 1000, 1)} ms` : `${n(s, 2)} s`);
const mbps = (bytesPerSec: number): string => `${n((bytesPerSec * 8) / 1e6, 1)} Mbit/s`;

export function formatTrialSummary(r: TrialRecord, recordFile: string): string {
  const lines: string[] = [];
  lines.push(`Trial ${r.trial} of size ${r.sizeId} (${r.context.senderSize.label}) — lab ${r.labId}`);
  lines.push(`  status: ${r.status}${r.failure ? ` at ${r.failure.step}: ${r.failure.message}` : ""}; figure ${r.valid ? "VALID" : "NOT VALID"}`);
  const tg = r.trafficGen;
  if (tg) {
    lines.push(`  acceptance (traffic-gen): ${n(tg.rate.msgsPerSec, 1)} msgs/s = ${n(tg.rate.mmh, 3)} MMH — ${n(tg.sent)} sent, ${n(tg.failed)} failed in ${n(tg.elapsed.seconds, 2)} s (${tg.outcome})`);
    if (tg.latency) lines.push(`  latency: p50 ${ms(tg.latency.p50)}, p99 ${ms(tg.latency.p99)}, max ${ms(tg.latency.max)}`);
  }
  const e2e = r.endToEnd;
  if (e2e) {
    lines.push(
      e2e.msgsPerSec !== null && e2e.mmh !== null && e2e.seconds !== null
        ? `  end to end (sink):       ${n(e2e.msgsPerSec, 1)} msgs/s = ${n(e2e.mmh, 3)} MMH — ${n(e2e.sinkReceived)} received in ${n(e2e.seconds, 2)} s`
        : `  end to end (sink):       no rate — ${n(e2e.sinkReceived)} received, last delivery not observed`,
    );
    lines.push(`  sender queue: ${e2e.queueDrained ? "drained" : "NOT drained"} after ${n(e2e.drainWaitSeconds, 1)} s`);
  }
  const k = r.kumodCounters?.sender;
  if (k) {
    lines.push(
      `  sender kumod: ${n(k.delivered)} delivered, ${n(k.transientFailures)} transient and ${n(k.permanentFailures)} permanent failures, ${n(k.delayedReadyQueueFull)} held back by a full ready queue`,
    );
  }
  const settings = r.context.kumomta;
  if (settings) lines.push(`  KumoMTA: ${r.context.kumodVersion.sender}; egress TLS ${settings.egressTls}, max_ready ${settings.maxReady}, connection_limit ${settings.connectionLimit}`);
  const res = r.resources;
  if (res) {
    lines.push(`  CPU: sender mean ${n(res.sender.cpuPct.mean)} % (p95 ${n(res.sender.cpuPct.p95)} %), sink mean ${n(res.sink.cpuPct.mean)} % (p95 ${n(res.sink.cpuPct.p95)} %)`);
    lines.push(`  network: sender tx ${mbps(res.sender.netTxBytesPerSec.mean)} (peak ${mbps(res.sender.netTxBytesPerSec.max)}), sink rx ${mbps(res.sink.netRxBytesPerSec.mean)} on ${res.sender.interface}/${res.sink.interface}`);
    const drops = [res.sender.netDrops, res.sink.netDrops];
    if (drops.every((d) => d !== undefined)) lines.push(`  dropped packets: sender ${n(drops[0]!.rx + drops[0]!.tx)}, sink ${n(drops[1]!.rx + drops[1]!.tx)}`);
    const d = res.sender.disk;
    if (d) lines.push(`  spool disk (${d.device}): ${n(d.iops.mean)} IOPS, ${n(d.writeBytesPerSec.mean / 1e6, 1)} MB/s written, ${n(d.readBytesPerSec.mean / 1e6, 1)} MB/s read, busy ${n(d.utilPct.mean)} % (max ${n(d.utilPct.max)} %)`);
  }
  const view = r.kumomta;
  if (view) {
    const conns = view.peakConnections === null ? "peak connections unknown" : `peak ${n(view.peakConnections)} of ${view.connectionLimit ?? "?"} connections`;
    const per = view.meanDeliverySeconds === null ? "no delivery timed" : `${ms(view.meanDeliverySeconds)} per message, ceiling ${view.ceilingMsgsPerSec === null ? "unknown" : `${n(view.ceilingMsgsPerSec, 1)} msgs/s`}`;
    // message_save_latency: absent from records made before kumolab read it.
    const save = view.spoolSaves === undefined ? "" : view.meanSpoolSaveSeconds == null ? ", no spool save" : `, spool save ${ms(view.meanSpoolSaveSeconds)} mean over ${n(view.spoolSaves)} saves`;
    lines.push(`  kumod: ${conns}, ${per}${save}; ${n(view.delayedReadyQueueFull)} ready-queue-full delays, ${n(view.connectionsDenied)} connections denied, memory limit exceeded ${n(view.memoryOverLimit)} times`);
  }
  const run = r.trafficGenRun;
  if (run) {
    const p = run.process;
    const own = p
      ? `${n(p.cpuPct.mean)} % of a core (p95 ${n(p.cpuPct.p95)} %), ${n(p.hostCpuShare * 100)} % of its ${run.vcpu ?? "?"} vCPUs, ${n(p.cpuSeconds, 2)} CPU-s, peak ${n(p.peakRssKiB / 1024, 1)} MiB resident`
      : "its own CPU and memory not sampled";
    lines.push(`  traffic-gen on the ${run.ranOn} → ${run.target}: ${own}`);
  }
  if (res?.generator) lines.push(`  generator host: CPU mean ${n(res.generator.cpuPct.mean)} % (p95 ${n(res.generator.cpuPct.p95)} %), tx ${mbps(res.generator.netTxBytesPerSec.mean)}`);
  const health: string[] = [];
  if (view?.memory) health.push(`memory peak ${n(view.memory.peakUsageBytes / 2 ** 20)} MiB${view.memory.peakShare !== null ? ` (${n(view.memory.peakShare * 100)} % of its limit)` : ""}`);
  const rocks = view?.rocksdb;
  if (rocks) {
    const g = (name: string, f: { nonZeroPolls: number } | null): string => (f === null ? `${name} not exported` : `${name} in ${f.nonZeroPolls} of ${rocks.polls} polls`);
    health.push(`RocksDB: ${g("write stall", rocks.writeStopped)}, ${g("load shedding", rocks.loadShedActive)}`);
  }
  if (health.length) lines.push(`  kumod health: ${health.join("; ")}`);
  if (r.nic) {
    const nics = Object.entries(r.nic).map(([host, s]) => (s.available ? `${host} ${s.allowanceExceeded === null ? "no ENA allowance counters" : `${n(s.allowanceExceeded)} packets over the ENA allowance`}` : `${host} — ${s.reason}`));
    lines.push(`  NIC (ethtool -S): ${nics.join("; ")}`);
  }
  if (r.verdict) lines.push(`  limited by: ${r.verdict.text}`);
  for (const reason of r.invalidReasons) lines.push(`  WARNING ${reason.code}: ${reason.detail}`);
  lines.push(`  record: ${recordFile}`);
  return lines.join("\n");
}
