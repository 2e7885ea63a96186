/**
 * What limited a trial, and a size: sender CPU, sink CPU, the disk, the network, KumoMTA's
 * configuration ceiling, or undetermined — always with the figures it rests on.
 *
 * Rules (each figure a share of its capacity; LIMIT_SHARE = 0.8 is "at the limit"):
 *  1. KumoMTA configuration ceiling, first when it holds: kumod had every connection its
 *     connection_limit allows open (peak ≥ limit) and the measured end-to-end rate is at least
 *     LIMIT_SHARE of connection_limit ÷ mean time per message. Then more CPU, disk or network would
 *     not have made it faster: each connection was busy delivering, and there were no more. Ready
 *     queue full delays (max_ready) and the memory limit exceeded (load shedding) are also kumod's
 *     ceilings: named as such when they happened.
 *     RocksDB's load-shedding gate latched (rocks_spool_load_shed_active) is one too: kumod refused
 *     injections.
 *  2. The load generator: traffic-gen's CPU at or above LIMIT_SHARE of its host's capacity (its
 *     own process's CPU ÷ the host's vCPUs, /proc/<pid>/stat). Then the
 *     offered load, not the MTA, set the rate — even when traffic-gen ran on the sender and so also
 *     filled the sender's CPU.
 *  3. Otherwise the resource with the highest share at or above LIMIT_SHARE: sender CPU (mean %),
 *     sink CPU, the sender's spool disk (mean io_ticks utilisation; a RocksDB write stall or
 *     write slowdown counts as at the limit; its text adds kumod's mean spool save time,
 *     message_save_latency, when kumod exported it), the network (share of the link speed; any dropped
 *     packet, or packets over the ENA allowance, counts as at the limit).
 *  4. Otherwise undetermined, listing every figure.
 */
import type { KumomtaView, LimitKind, TrialRecord, TrialVerdict } from "../results/trial-record";

export const LIMIT_SHARE = 0.8;

export const LIMIT_KIND_NAMES: Readonly<Record<LimitKind, string>> = {
  "sender-cpu": "sender CPU",
  "sink-cpu": "sink CPU",
  disk: "disk",
  network: "network",
  "kumomta-config": "KumoMTA configuration ceiling",
  generator: "load generator (traffic-gen)",
  undetermined: "undetermined",
};

const pct = (share: number): string => `${(share * 100).toFixed(0)} %`;
const rate = (r: number): string => (r >= 100 ? r.toFixed(0) : r.toPrecision(3));
const ms = (s: number): string => { const v = s * 1000; return v >= 10 ? v.toFixed(0) : v.toPrecision(2); };

/** "connection_limit (2 connections × 100 ms = 20.0 msgs/s; measured 19.2 msgs/s, 96 % of it)". */
export function ceilingText(k: KumomtaView, msgsPerSec: number | null): string | null {
  if (k.connectionLimit === null || k.meanDeliverySeconds === null || k.ceilingMsgsPerSec === null) return null;
  const measured = msgsPerSec === null ? "" : `; measured ${rate(msgsPerSec)} msgs/s, ${pct(msgsPerSec / k.ceilingMsgsPerSec)} of it`;
  return `connection_limit (${k.connectionLimit} connections × ${ms(k.meanDeliverySeconds)} ms = ${rate(k.ceilingMsgsPerSec)} msgs/s${measured})`;
}

export interface VerdictInput {
  msgsPerSec: number | null;
  senderCpuPct: number | null;
  sinkCpuPct: number | null;
  diskUtilPct: number | null;
  linkShare: number | null;
  nicDrops: number | null;
  kumomta: KumomtaView | null;
  /** traffic-gen's CPU as a share of its host's capacity (see rule 2); null when not sampled. Default null. */
  generatorCpuShare?: number | null;
  /** Where traffic-gen ran, for the wording; null when unknown. Default null. */
  trafficGenOn?: "sender" | "generator" | null;
  /** Packets over the ENA allowance (ethtool -S), all hosts; null when no host reports them. Default null. */
  nicAllowanceExceeded?: number | null;
}

const polls = (f: { nonZeroPolls: number } | null | undefined, total: number): string => `${f?.nonZeroPolls ?? 0} of ${total} polls`;

export function verdictOf(x: VerdictInput): TrialVerdict {
  const k = x.kumomta;
  const ceilingShare = k?.ceilingMsgsPerSec && x.msgsPerSec !== null ? x.msgsPerSec / k.ceilingMsgsPerSec : null;
  const evidence: TrialVerdict["evidence"] = {
    msgsPerSec: x.msgsPerSec,
    senderCpuPct: x.senderCpuPct,
    sinkCpuPct: x.sinkCpuPct,
    diskUtilPct: x.diskUtilPct,
    linkShare: x.linkShare,
    nicDrops: x.nicDrops,
    ceilingShare,
    generatorCpuShare: x.generatorCpuShare ?? null,
    nicAllowanceExceeded: x.nicAllowanceExceeded ?? null,
  };
  const rocks = k?.rocksdb;
  const stalled = rocks && ((rocks.writeStopped?.max ?? 0) > 0 || (rocks.delayedWriteRate?.max ?? 0) > 0);
  const stallText = stalled
    ? `RocksDB write stall (rocks_spool_write_stopped in ${polls(rocks.writeStopped, rocks.polls)}, write slowdown in ${polls(rocks.delayedWriteRate, rocks.polls)})`
    : null;
  const allowance = x.nicAllowanceExceeded ?? 0;
  const diskShare = x.diskUtilPct === null ? null : x.diskUtilPct / 100;
  // kumod's own view of the disk: how long each spool save took (message_save_latency).
  const saveText = k?.meanSpoolSaveSeconds != null && k.spoolSaves ? `, spool save ${ms(k.meanSpoolSaveSeconds)} ms mean over ${k.spoolSaves} saves` : "";
  const resources: Array<[Exclude<LimitKind, "kumomta-config" | "undetermined">, number | null, string]> = [
    ["sender-cpu", x.senderCpuPct === null ? null : x.senderCpuPct / 100, x.senderCpuPct === null ? "sender CPU unknown" : `sender CPU ${x.senderCpuPct.toFixed(0)} %`],
    ["sink-cpu", x.sinkCpuPct === null ? null : x.sinkCpuPct / 100, x.sinkCpuPct === null ? "sink CPU unknown" : `sink CPU ${x.sinkCpuPct.toFixed(0)} %`],
    [
      "disk",
      stalled ? Math.max(1, diskShare ?? 0) : diskShare,
      `${x.diskUtilPct === null ? "spool disk unknown" : `spool disk ${x.diskUtilPct.toFixed(0)} % busy`}${saveText}${stallText ? `, ${stallText}` : ""}`,
    ],
    [
      "network",
      (x.nicDrops !== null && x.nicDrops > 0) || allowance > 0 ? Math.max(1, x.linkShare ?? 0) : x.linkShare,
      `${x.linkShare === null ? "network unknown (no link speed)" : `network ${pct(x.linkShare)} of the link`}${x.nicDrops ? `, ${x.nicDrops} packets dropped` : ""}${allowance > 0 ? `, ${allowance} packets over the ENA allowance` : ""}`,
    ],
  ];
  const gen = x.generatorCpuShare ?? null;
  const genText = gen === null ? null : `traffic-gen ${x.trafficGenOn === "generator" ? "on the generator host" : x.trafficGenOn === "sender" ? "on the sender" : ""} at ${pct(gen)} of its host's CPU`.replace("  ", " ");
  const hits = resources.filter((r): r is [Exclude<LimitKind, "kumomta-config" | "undetermined">, number, string] => r[1] !== null && r[1] >= LIMIT_SHARE).sort((a, b) => b[1] - a[1]);

  const kumod: string[] = [];
  if (k && ceilingShare !== null && ceilingShare >= LIMIT_SHARE && k.connectionLimit !== null && k.peakConnections !== null && k.peakConnections >= k.connectionLimit) {
    kumod.push(ceilingText(k, x.msgsPerSec) as string);
  }
  if (k && k.delayedReadyQueueFull > 0) kumod.push(`max_ready${k.maxReady !== null ? ` ${k.maxReady}` : ""} (${k.delayedReadyQueueFull} messages delayed, ready queue full)`);
  if (k && k.memoryOverLimit > 0) kumod.push(`memory limit (exceeded ${k.memoryOverLimit} times: load shedding)`);
  if (rocks && (rocks.loadShedActive?.max ?? 0) > 0) kumod.push(`spool load shedding (rocks_spool_load_shed_active in ${polls(rocks.loadShedActive, rocks.polls)}: injections refused)`);
  const also = (names: Array<[unknown, number, string]>): string => (names.length ? `; also at the limit: ${names.map((h) => h[2]).join(", ")}` : "");

  if (kumod.length > 0) return { limit: "kumomta-config", text: `configuration ceiling: ${kumod.join("; ")}${also(hits)}`, evidence };
  if (gen !== null && gen >= LIMIT_SHARE && genText) return { limit: "generator", text: `${genText}: the offered load, not the MTA, set the rate${also(hits)}`, evidence };
  const top = hits[0];
  if (top && top[0] === "sender-cpu" && x.trafficGenOn === "sender" && gen !== null && gen >= 0.2) {
    return { limit: top[0], text: `${top[2]} (traffic-gen took ${pct(gen)} of it: a generator host would leave it to kumod)${also(hits.slice(1))}`, evidence };
  }
  if (top) return { limit: top[0], text: `${top[2]}${also(hits.slice(1))}`, evidence };
  const ceiling = k ? ceilingText(k, x.msgsPerSec) : null;
  return {
    limit: "undetermined",
    text: `undetermined (${[...resources.map((r) => r[2]), ...(genText ? [genText] : []), ceiling ?? "configuration ceiling unknown", ...(k && k.peakConnections !== null && k.connectionLimit !== null ? [`peak ${k.peakConnections} of ${k.connectionLimit} connections`] : [])].join(", ")})`,
    evidence,
  };
}

/** The sender's share of its link (mean of the busier direction), or null without a link speed. */
export function linkShareOf(r: Pick<TrialRecord, "resources">): number | null {
  const h = r.resources?.sender;
  const link = h?.linkBitsPerSecond;
  return h === undefined || link == null ? null : (Math.max(h.netTxBytesPerSec.mean, h.netRxBytesPerSec.mean) * 8) / link;
}

/**
 * traffic-gen's CPU as a share of its host's capacity: its own process's mean CPU ÷ (vCPUs × 100),
 * wherever it ran. Not the host's CPU: on the sender that is kumod's too, and a host's /proc/stat
 * may count more than the generator (the namespace test lab's hosts share one machine's). null when
 * the process was not sampled.
 */
export function generatorCpuShareOf(r: Pick<TrialRecord, "trafficGenRun">): number | null {
  return r.trafficGenRun?.process?.hostCpuShare ?? null;
}

/** A trial's verdict from what its record holds. */
export function verdictOfRecord(r: Pick<TrialRecord, "resources" | "endToEnd" | "kumomta"> & Partial<Pick<TrialRecord, "trafficGenRun" | "nic">>): TrialVerdict {
  const res = r.resources;
  const drops = res ? [res.sender.netDrops, res.sink.netDrops, res.generator?.netDrops].filter((d) => d !== undefined) : [];
  const nics = r.nic ? [r.nic.sender, r.nic.sink, r.nic.generator].flatMap((n) => (n?.available && n.allowanceExceeded !== null ? [n.allowanceExceeded] : [])) : [];
  return verdictOf({
    msgsPerSec: r.endToEnd?.msgsPerSec ?? null,
    senderCpuPct: res?.sender.cpuPct.mean ?? null,
    sinkCpuPct: res?.sink.cpuPct.mean ?? null,
    diskUtilPct: res?.sender.disk?.utilPct.mean ?? null,
    linkShare: linkShareOf(r),
    nicDrops: drops.length ? drops.reduce((a, d) => a + d.rx + d.tx, 0) : null,
    kumomta: r.kumomta ?? null,
    generatorCpuShare: generatorCpuShareOf(r),
    trafficGenOn: r.trafficGenRun?.ranOn ?? null,
    nicAllowanceExceeded: nics.length ? nics.reduce((a, b) => a + b, 0) : null,
  });
}

export interface SizeVerdict {
  limit: LimitKind;
  /** e.g. "KumoMTA configuration ceiling in 3 of 3 trials: connection_limit (…)". */
  text: string;
  trials: number;
  agreeing: number;
}

/**
 * A size's verdict: the limit most of its trials share (ties: the order of LIMIT_KIND_NAMES),
 * worded by its most recent trial with that verdict, and how many trials agree.
 */
export function sizeVerdictOf(records: readonly (Pick<TrialRecord, "verdict" | "resources" | "endToEnd" | "kumomta"> & Partial<Pick<TrialRecord, "trafficGenRun" | "nic">>)[]): SizeVerdict | null {
  const verdicts = records.map((r) => r.verdict ?? verdictOfRecord(r));
  if (verdicts.length === 0) return null;
  const order = Object.keys(LIMIT_KIND_NAMES) as LimitKind[];
  const counts = new Map<LimitKind, number>();
  for (const v of verdicts) counts.set(v.limit, (counts.get(v.limit) ?? 0) + 1);
  const [limit, agreeing] = [...counts.entries()].sort((a, b) => b[1] - a[1] || order.indexOf(a[0]) - order.indexOf(b[0]))[0] as [LimitKind, number];
  const example = [...verdicts].reverse().find((v) => v.limit === limit) as TrialVerdict;
  const text = limit === "undetermined" ? example.text : `${LIMIT_KIND_NAMES[limit]} in ${agreeing} of ${verdicts.length} trials: ${example.text.replace(/^configuration ceiling: /, "")}`;
  return { limit, text, trials: verdicts.length, agreeing };
}
