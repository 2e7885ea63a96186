/**
 * The report: a pure aggregation of a results folder (run.json, trials.jsonl, timeline.jsonl),
 * every file validated on read. Means, spread and intervals use valid trials only; invalid trials
 * are listed with their reasons and never enter a mean. Flags look at every trial of a size.
 */
import { coolDownText } from "../sweep/settle";
import { sparkline } from "./sparkline";
import { RATE_DROP_THRESHOLD, rateDropText } from "../trial/rate-drop";
import { readManifest, readRecords, readTimeline } from "../results/results-dir";
import type { RunManifest } from "../results/run-manifest";
import type { InvalidReason, LimitKind, TrialRecord } from "../results/trial-record";
import { LIMIT_SHARE, sizeVerdictOf } from "../trial/limit-verdict";
import { matchBaseline, type BaselineMatch } from "./published-baseline";
import { comparePublished, setupOfRecord, type PublishedComparison } from "./setup-match";
import { ci95, mean, sampleStdev, welchTest, type ConfidenceInterval, type WelchTest } from "./statistics";
import { PUBLISHED_WORKLOAD } from "../../lab-config/workloads";
import { computeSweepCost, type SweepCost } from "./sweep-cost";
import { DISK_UTIL_LIMIT_PCT, LINK_SHARE_LIMIT, SINK_CPU_LIMIT_PCT, NIC_DROPS_LIMIT } from "../trial/validity";
import { runFacts, tally, transferCost, type RunFacts, type TransferCost } from "./run-facts";
import { headline } from "./headline";

/** A resource at or above this share of its capacity (trial means over valid trials) is named as what limited a size. */
export { LIMIT_SHARE };

/** What limited a size; disk and the KumoMTA configuration ceiling come from trials' verdicts (scripts/trial/limit-verdict.ts). */
export type Limit = Exclude<LimitKind, "undetermined">;

/** How much of a size's plan ran and whether it has a figure. */
export type SizeStatus = "not-run" | "no-valid-trial" | "partial" | "complete";

/** One trial, for the per-trial table. */
export interface TrialRow {
  sizeId: string;
  /** The trial's workload; only in runs of workloads besides `published` alone (their output is unchanged). */
  workload?: string;
  label: string;
  vcpu: number;
  trial: number;
  status: TrialRecord["status"];
  valid: boolean;
  startedAt: string;
  mmh: number | null;
  sent: number | null;
  failed: number | null;
  elapsedSeconds: number | null;
  endToEndMmh: number | null;
  senderCpuPct: number | null;
  sinkCpuPct: number | null;
  networkMBps: number | null;
  /** The cool-down before the trial in words ("14 s, settled"); absent when none was measured. */
  coolDown?: string;
  /** Accepted msgs/s over the run as a sparkline ("▇▇██"); absent in records without a rate series. */
  rateSparkline?: string;
  /** A steady-state trial's rate-dropped flag in words (scripts/trial/rate-drop.ts); absent when the rate held or was not judged. */
  rateDropped?: string;
  reasons: InvalidReason[];
}

/** Sink CPU (mean over a trial) above which the sink, not the sender, may have been the limit. */
/** Share of the link's speed above which the network may have been the limit. */

export type SizeFlag =
  | "no-valid-trials"
  | "sink-cpu-high"
  | "network-near-link"
  | "deadline-hit"
  | "send-failures"
  | "delivery-failures"
  | "ready-queue-full"
  /** A steady-state trial whose rate fell during the run (scripts/trial/rate-drop.ts). */
  | "rate-dropped"
  | "trial-failed"
  | "missing-port25-proof"
  | "disk-saturated"
  | "nic-drops";

export interface ReportRow {
  sizeId: string;
  /** The row's workload: rows are per (size, workload) in runs of workloads besides `published` alone; absent otherwise. */
  workload?: string;
  label: string;
  vcpu: number;
  ramGiB: number;
  arch: string | null;
  trialsTotal: number;
  trialsValid: number;
  /** run.json's trialsPerSize. */
  trialsPlanned: number;
  status: SizeStatus;
  /** "not run (0 of 4 planned)", "no valid trial — see why", "3 of 4 run", "4 of 4 run". */
  statusText: string;
  /** Mean acceptance rate (traffic-gen, computed from sent ÷ elapsed) over valid trials, MMH. */
  mmh: number | null;
  msgsPerSec: number | null;
  stdevMmh: number | null;
  ci95Mmh: ConfidenceInterval | null;
  /** The valid trials' MMH values, in trial order (for audit and the CSV). */
  validMmh: number[];
  endToEndMmh: number | null;
  p99LatencySeconds: number | null;
  senderCpuPct: number | null;
  sinkCpuPct: number | null;
  /** Sender's transmit rate (mean of the per-trial means), MB/s (10^6 bytes). */
  networkMBps: number | null;
  flags: SizeFlag[];
  flagDetails: string[];
  /** Flags hit by at least one valid trial: they bear on the figure itself. */
  figureFlags: SizeFlag[];
  /** Flags hit only by excluded trials: the figure is clean of them; a trial was left out. */
  excludedOnlyFlags: SizeFlag[];
  /** What limited the size: every resource at or above LIMIT_SHARE, most used first; empty = not determined. */
  limitedBy: Limit[];
  /** The limit in words with the figures behind it, e.g. "sender CPU (95 %)" or "not determined (sender CPU 45 %, sink CPU 30 %, network unknown)". */
  limitText: string;
  /** Share of the link the sender's busier direction used (mean over valid trials), when the link speed is known. */
  linkShare: number | null;
  /** The published figure for this shape: the first whose setup matches ours, else the closest (./published-baseline.ts). */
  published: BaselineMatch | null;
  otherPublished: BaselineMatch[];
  /** Whether `published`'s stated setup matches the one our trials recorded, and what differs (./setup-match.ts); null without a published figure. */
  publishedComparison: PublishedComparison | null;
  /** Our mean ÷ the published MMH; null unless the setups match (publishedComparison.comparable). */
  ratioToPublished: number | null;
  /** The lab profile(s) the size's trials recorded (lab-config/profiles.ts); empty for trials from before profiles. */
  profiles: string[];
  hourlyUsd: number | null;
  /** The sender's hourly price ÷ its measured MMH: USD per million messages at this size. */
  costPerMillionUsd: number | null;
  /** What this size's window of the sweep cost for the sender. */
  windowCostUsd: number | null;
}

export interface ExcludedTrial {
  sizeId: string;
  workload?: string;
  trial: number;
  status: TrialRecord["status"];
  reasons: InvalidReason[];
}

/** One workload against the baseline at one size. */
export interface WorkloadDifference {
  sizeId: string;
  label: string;
  vcpu: number;
  workload: string;
  baseline: string;
  /** Means over valid trials, MMH; null without a valid trial. */
  baselineMmh: number | null;
  mmh: number | null;
  nBaseline: number;
  n: number;
  /** (mmh ÷ baselineMmh − 1) × 100. */
  differencePct: number | null;
  /**
   * The 95 % interval of the difference of the means (Welch: difference ± t_{0.975, df}·SE at the
   * Welch–Satterthwaite df) ÷ the baseline mean × 100; null with fewer than 2 valid trials on a side.
   */
  ci95Pct: { low: number; high: number } | null;
  welch: WelchTest | null;
}

/** Runs of several workloads: which is the baseline, and every other one's difference to it per size. */
export interface WorkloadsSection {
  baseline: string;
  names: string[];
  /** Per size (run.json order), then workload (run.json order), every workload but the baseline. */
  differences: WorkloadDifference[];
}

export interface Report {
  runId: string;
  labId: string;
  source: RunManifest["source"];
  createdAt: string;
  manifest: RunManifest;
  rows: ReportRow[];
  excluded: ExcludedTrial[];
  cost: SweepCost;
  /**
   * The KumoMTA settings the trials ran with (egress TLS, retries, max_ready, connection_limit,
   * KUMOD_LOG) and the kumod versions, each with how many trials; several entries mean the run mixed them.
   */
  kumomta: { settings: Array<{ text: string; trials: number }>; versions: Array<{ text: string; trials: number }> };
  facts: RunFacts;
  transfer: TransferCost;
  /** Every recorded trial of the run's sizes, in size then trial order. */
  trials: TrialRow[];
  /** Present only for runs of workloads besides `published` alone. */
  workloads?: WorkloadsSection;
  /** Sentences written from the data, each present only when the data supports it. */
  headline: string[];
  /** Things the reader should know about the inputs (torn lines, duplicates, unknown sizes). */
  warnings: string[];
}

/** One line for the settings a trial recorded; null for records written before kumolab recorded them. */
export function kumomtaSettingsText(r: TrialRecord): string | null {
  const k = r.context.kumomta;
  if (!k) return null;
  const tls = k.egressTls === "opportunistic-insecure" ? "STARTTLS, certificate not verified" : "no TLS";
  return `egress TLS ${k.egressTls} (${tls}), retry ${k.retryIntervalSeconds} s (max ${k.maxRetryIntervalSeconds} s), max_ready ${k.maxReady}, connection_limit ${k.connectionLimit}, KUMOD_LOG ${k.logFilter ?? "unset"}`;
}


const meanOrNull = (xs: readonly number[]): number | null => (xs.length === 0 ? null : mean(xs));
const defined = <T>(xs: readonly (T | undefined | null)[]): T[] => xs.filter((x): x is T => x !== undefined && x !== null);

function flagsFor(records: readonly TrialRecord[]): { flags: SizeFlag[]; details: string[]; figureFlags: SizeFlag[] } {
  const flags: SizeFlag[] = [];
  const details: string[] = [];
  const figureFlags: SizeFlag[] = [];
  const n = records.length;
  const check = (flag: SizeFlag, hit: (r: TrialRecord) => boolean, what: string): void => {
    const k = records.filter(hit).length;
    if (k > 0) {
      flags.push(flag);
      const inValid = records.filter((r) => r.valid && hit(r)).length;
      if (inValid > 0) figureFlags.push(flag);
      details.push(`${flag}: ${k} of ${n} trials ${what}`);
    }
  };
  const has = (r: TrialRecord, code: InvalidReason["code"]): boolean => r.invalidReasons.some((x) => x.code === code);
  check("trial-failed", (r) => r.status === "failed", "failed");
  // A record's reasons are its verdict (scripts/trial/validity.ts); the figures are checked too, so a
  // record written without a reason (by hand, or by an older kumolab) is still flagged.
  check("sink-cpu-high", (r) => has(r, "sink-cpu-high") || (r.resources?.sink.cpuPct.mean ?? 0) > SINK_CPU_LIMIT_PCT, `had sink CPU above ${SINK_CPU_LIMIT_PCT} %`);
  check(
    "network-near-link",
    (r) =>
      has(r, "network-near-link") ||
      [r.resources?.sender, r.resources?.sink].some((h) => {
        const link = h?.linkBitsPerSecond;
        return h !== undefined && link != null && Math.max(h.netTxBytesPerSec.mean, h.netRxBytesPerSec.mean) * 8 > LINK_SHARE_LIMIT * link;
      }),
    `ran above ${LINK_SHARE_LIMIT * 100} % of the link speed`,
  );
  // A steady-state trial (params.durationSeconds) ends at its deadline by design: not a hit.
  check("deadline-hit", (r) => has(r, "incomplete-deadline") || (r.params.durationSeconds === undefined && r.trafficGen?.outcome === "deadline-reached"), "hit traffic-gen's deadline");
  check("send-failures", (r) => has(r, "send-failures") || (r.trafficGen?.failed ?? 0) > 0, "had failed sends");
  check("delivery-failures", (r) => has(r, "delivery-failures"), "had deliveries to the sink fail at the sender's kumod");
  // Not a reason to exclude a figure, but it shapes it: kumod held messages back for a free ready-queue slot.
  check("ready-queue-full", (r) => (r.kumodCounters?.sender?.delayedReadyQueueFull ?? 0) > 0, "had messages delayed because the ready queue was full (kumomta.maxReady)");
  check("rate-dropped", (r) => r.rateOverTime?.drop?.dropped === true, `lost rate during the run (steady state: the last third below ${RATE_DROP_THRESHOLD * 100} % of the first; burst credits?)`);
  check("missing-port25-proof", (r) => has(r, "missing-port25-proof") || r.context.port25Proof === null, "lacked the port-25 proof");
  check("disk-saturated", (r) => has(r, "disk-saturated"), `had a disk busy more than ${DISK_UTIL_LIMIT_PCT} % of the trial`);
  check("nic-drops", (r) => has(r, "nic-drops") || [r.resources?.sender.netDrops, r.resources?.sink.netDrops].some((d) => d !== undefined && d.rx + d.tx > NIC_DROPS_LIMIT), `dropped more than ${NIC_DROPS_LIMIT} packets`);
  return { flags, details, figureFlags };
}

const linkShareOf = (r: TrialRecord): number | null => {
  const h = r.resources?.sender;
  const link = h?.linkBitsPerSecond;
  return h === undefined || link == null ? null : (Math.max(h.netTxBytesPerSec.mean, h.netRxBytesPerSec.mean) * 8) / link;
};

function limitsOf(valid: readonly TrialRecord[]): { limitedBy: Limit[]; limitText: string; linkShare: number | null } {
  if (valid.length === 0) return { limitedBy: [], limitText: "no valid trial", linkShare: null };
  // Trials that carry a verdict (disk, NIC and KumoMTA's own view weighed): the size's is theirs.
  const judged = valid.filter((r) => r.verdict !== undefined);
  const size = judged.length > 0 ? sizeVerdictOf(judged) : null;
  if (size) {
    const linkShare = meanOrNull(defined(valid.map(linkShareOf)));
    return { limitedBy: size.limit === "undetermined" ? [] : [size.limit], limitText: size.text, linkShare };
  }
  const senderCpu = meanOrNull(defined(valid.map((r) => r.resources?.sender.cpuPct.mean)));
  const sinkCpu = meanOrNull(defined(valid.map((r) => r.resources?.sink.cpuPct.mean)));
  const linkShare = meanOrNull(defined(valid.map(linkShareOf)));
  const used: Array<[Limit, number | null, string]> = [
    ["sender-cpu", senderCpu === null ? null : senderCpu / 100, senderCpu === null ? "sender CPU unknown" : `sender CPU ${senderCpu.toFixed(0)} %`],
    ["sink-cpu", sinkCpu === null ? null : sinkCpu / 100, sinkCpu === null ? "sink CPU unknown" : `sink CPU ${sinkCpu.toFixed(0)} %`],
    ["network", linkShare, linkShare === null ? "network unknown (no link speed)" : `network ${(linkShare * 100).toFixed(0)} % of the link`],
  ];
  const hits = used.filter((u): u is [Limit, number, string] => u[1] !== null && u[1] >= LIMIT_SHARE).sort((a, b) => b[1] - a[1]);
  if (hits.length === 0) return { limitedBy: [], limitText: `not determined (${used.map((u) => u[2]).join(", ")})`, linkShare };
  return { limitedBy: hits.map((h) => h[0]), limitText: hits.map((h) => h[2]).join("; "), linkShare };
}

function statusOf(total: number, valid: number, planned: number): { status: SizeStatus; statusText: string } {
  if (total === 0) return { status: "not-run", statusText: `not run (0 of ${planned} planned)` };
  if (valid === 0) return { status: "no-valid-trial", statusText: "no valid trial — see why" };
  if (total < planned) return { status: "partial", statusText: `${total} of ${planned} run` };
  return { status: "complete", statusText: `${total} of ${planned} run` };
}

const workloadOf = (r: TrialRecord): string => r.workload?.name ?? PUBLISHED_WORKLOAD;

/** The workloads a run planned, and whether its report shows them (anything but `published` alone). */
export function runWorkloads(manifest: RunManifest): { names: string[]; baseline: string; shown: boolean } {
  const names = manifest.workloads?.names ?? [PUBLISHED_WORKLOAD];
  const baseline = manifest.workloads?.baseline ?? PUBLISHED_WORKLOAD;
  return { names, baseline, shown: !(names.length === 1 && names[0] === PUBLISHED_WORKLOAD) };
}

/** The rows the headline and charts are about: the baseline's (or the first workload's when the baseline was not run). */
export function headlineRows(rows: readonly ReportRow[], manifest: RunManifest): ReportRow[] {
  const w = runWorkloads(manifest);
  if (!w.shown) return [...rows];
  const which = w.names.includes(w.baseline) ? w.baseline : w.names[0];
  return rows.filter((r) => r.workload === which);
}

/**
 * The report as sizes only: the baseline workload's rows and trials (the first workload's when the
 * baseline was not run). What the charts draw and what `--compare` compares across runs; a run
 * without workloads is returned as it is.
 */
export function baselineView(report: Report): Report {
  if (report.workloads === undefined) return report;
  const rows = headlineRows(report.rows, report.manifest);
  const which = rows[0]?.workload;
  return { ...report, rows, trials: report.trials.filter((t) => t.workload === which), excluded: report.excluded.filter((e) => e.workload === which) };
}

/** Each workload but the baseline against it, per size: % difference and the Welch interval of the difference. */
export function workloadDifferences(rows: readonly ReportRow[], baseline: string): WorkloadDifference[] {
  const out: WorkloadDifference[] = [];
  for (const row of rows) {
    if (row.workload === undefined || row.workload === baseline) continue;
    const base = rows.find((b) => b.sizeId === row.sizeId && b.workload === baseline);
    if (base === undefined) continue;
    const bm = base.mmh;
    const w = welchTest(base.validMmh, row.validMmh);
    const usable = bm !== null && bm > 0;
    out.push({
      sizeId: row.sizeId,
      label: row.label,
      vcpu: row.vcpu,
      workload: row.workload,
      baseline,
      baselineMmh: bm,
      mmh: row.mmh,
      nBaseline: base.trialsValid,
      n: row.trialsValid,
      differencePct: usable && row.mmh !== null ? (row.mmh / bm - 1) * 100 : null,
      ci95Pct: usable && w !== null ? { low: ((w.difference - w.tCritical * w.standardError) / bm) * 100, high: ((w.difference + w.tCritical * w.standardError) / bm) * 100 } : null,
      welch: w,
    });
  }
  return out;
}

function trialRow(r: TrialRecord, size: { label: string; vcpu: number }, shown: boolean): TrialRow {
  const tg = r.trafficGen;
  const tx = r.resources?.sender.netTxBytesPerSec.mean;
  return {
    sizeId: r.sizeId,
    ...(shown ? { workload: workloadOf(r) } : {}),
    label: size.label,
    vcpu: size.vcpu,
    trial: r.trial,
    status: r.status,
    valid: r.valid,
    startedAt: r.startedAt,
    mmh: tg?.rate.mmh ?? null,
    sent: tg?.sent ?? null,
    failed: tg?.failed ?? null,
    elapsedSeconds: tg?.elapsed.seconds ?? null,
    endToEndMmh: r.endToEnd?.mmh ?? null,
    senderCpuPct: r.resources?.sender.cpuPct.mean ?? null,
    sinkCpuPct: r.resources?.sink.cpuPct.mean ?? null,
    networkMBps: tx === undefined ? null : tx / 1e6,
    ...(r.coolDown ? { coolDown: coolDownText(r.coolDown) } : {}),
    ...(r.rateOverTime ? { rateSparkline: sparkline(r.rateOverTime.series.accepted) } : {}),
    ...(r.rateOverTime?.drop?.dropped ? { rateDropped: rateDropText(r.rateOverTime.drop) } : {}),
    reasons: r.invalidReasons,
  };
}

/** Aggregates already-validated inputs (the pure part; buildReport reads the folder). */
export function aggregate(manifest: RunManifest, allRecords: readonly TrialRecord[], timeline: Parameters<typeof computeSweepCost>[1], warnings: string[] = []): Report {
  // Resume must never duplicate a trial; if a folder has one anyway, the later record wins and we say so.
  const wl = runWorkloads(manifest);
  const byKey = new Map<string, TrialRecord>();
  for (const [i, r] of allRecords.entries()) {
    // A trial lost to a spot interruption was run again on demand (scripts/sweep/spot-retry.ts): both records stay, the lost one excluded.
    const key = `${r.sizeId}#${workloadOf(r)}#${r.trial}${r.failure?.reason === "spot-interrupted" ? `#spot-interrupted-${i}` : ""}`;
    if (byKey.has(key)) warnings.push(`size ${r.sizeId}${wl.shown ? ` workload ${workloadOf(r)}` : ""} trial ${r.trial} is recorded more than once; the last record is used`);
    byKey.set(key, r);
  }
  const planned = new Set(wl.names);
  for (const name of new Set(allRecords.map(workloadOf).filter((n) => !planned.has(n)))) warnings.push(`trials of workload '${name}' are not in run.json's workloads (${wl.names.join(", ")}) and are left out`);
  const records = [...byKey.values()].filter((r) => planned.has(workloadOf(r)));
  const known = new Set(manifest.sizes.map((s) => s.id));
  for (const id of new Set(records.filter((r) => !known.has(r.sizeId)).map((r) => r.sizeId))) warnings.push(`trials of size '${id}' are not in run.json's sizes and are left out`);
  const cost = computeSweepCost(manifest, timeline, records.filter((r) => known.has(r.sizeId)));

  const rows: ReportRow[] = manifest.sizes.flatMap((size) => wl.names.map((workload) => ({ size, workload }))).map(({ size, workload }) => {
    const own = records.filter((r) => r.sizeId === size.id && workloadOf(r) === workload).sort((a, b) => a.trial - b.trial);
    const valid = own.filter((r) => r.valid && r.trafficGen !== undefined);
    const validMmh = valid.map((r) => r.trafficGen?.rate.mmh ?? 0);
    const mmh = meanOrNull(validMmh);
    const { flags, details, figureFlags } = flagsFor(own);
    if (valid.length === 0 && own.length > 0) {
      flags.unshift("no-valid-trials");
      details.unshift(`no-valid-trials: none of ${own.length} trials is valid; no rate is reported`);
    }
    // Held against a published figure only where the setups match: the first comparable match, else the closest (which says what differs).
    const ours = own[0] === undefined ? null : setupOfRecord(valid[0] ?? own[0], size.label);
    const matches = matchBaseline(size.vcpu, size.ramGiB).map((m) => ({ m, c: ours === null ? null : comparePublished(ours, m) }));
    const chosen = matches.find((x) => x.c?.comparable === true) ?? matches[0];
    const published = chosen?.m;
    const otherPublished = matches.filter((x) => x !== chosen).map((x) => x.m);
    const publishedComparison = chosen?.c ?? null;
    const hourlyUsd = size.hourlyUsd ?? null;
    const net = defined(valid.map((r) => r.resources?.sender.netTxBytesPerSec.mean));
    return {
      sizeId: size.id,
      ...(wl.shown ? { workload } : {}),
      label: size.label,
      vcpu: size.vcpu,
      ramGiB: size.ramGiB,
      arch: size.arch ?? null,
      trialsTotal: own.length,
      trialsValid: valid.length,
      trialsPlanned: manifest.trialsPerSize,
      // Distinct trials: one lost to a spot interruption and run again counts once.
      ...statusOf(new Set(own.map((r) => r.trial)).size, valid.length, manifest.trialsPerSize),
      mmh,
      msgsPerSec: meanOrNull(valid.map((r) => r.trafficGen?.rate.msgsPerSec ?? 0)),
      stdevMmh: sampleStdev(validMmh),
      ci95Mmh: ci95(validMmh),
      validMmh,
      endToEndMmh: meanOrNull(defined(valid.map((r) => r.endToEnd?.mmh))),
      p99LatencySeconds: meanOrNull(defined(valid.map((r) => r.trafficGen?.latency?.p99))),
      senderCpuPct: meanOrNull(defined(valid.map((r) => r.resources?.sender.cpuPct.mean))),
      sinkCpuPct: meanOrNull(defined(valid.map((r) => r.resources?.sink.cpuPct.mean))),
      networkMBps: net.length === 0 ? null : mean(net) / 1e6,
      flags,
      flagDetails: details,
      figureFlags,
      excludedOnlyFlags: flags.filter((f) => f !== "no-valid-trials" && !figureFlags.includes(f)),
      ...limitsOf(valid),
      published: published ?? null,
      otherPublished,
      publishedComparison,
      ratioToPublished: published && publishedComparison?.comparable === true && mmh !== null ? mmh / published.mmh : null,
      profiles: [...new Set(own.map((r) => r.context.profile?.name).filter((x): x is string => x !== undefined))],
      hourlyUsd,
      costPerMillionUsd: hourlyUsd !== null && mmh !== null && mmh > 0 ? hourlyUsd / mmh : null,
      windowCostUsd: cost.sizes.find((c) => c.sizeId === size.id)?.usd ?? null,
    };
  });

  const excluded: ExcludedTrial[] = records
    .filter((r) => known.has(r.sizeId) && !r.valid)
    .sort((a, b) => manifest.sizes.findIndex((s) => s.id === a.sizeId) - manifest.sizes.findIndex((s) => s.id === b.sizeId) || wl.names.indexOf(workloadOf(a)) - wl.names.indexOf(workloadOf(b)) || a.trial - b.trial)
    .map((r) => ({ sizeId: r.sizeId, ...(wl.shown ? { workload: workloadOf(r) } : {}), trial: r.trial, status: r.status, reasons: r.invalidReasons }));

  const inRun = records.filter((r) => known.has(r.sizeId));
  const kumomta = {
    settings: tally(inRun.map((r) => kumomtaSettingsText(r) ?? "not recorded (an older kumolab wrote these trials)")),
    versions: tally(inRun.map((r) => (r.context.kumodVersion.sender === r.context.kumodVersion.sink ? r.context.kumodVersion.sender : `sender ${r.context.kumodVersion.sender}, sink ${r.context.kumodVersion.sink}`))),
  };
  const profiles = new Set(inRun.map((r) => r.context.profile?.name ?? "not recorded"));
  if (profiles.size > 1) warnings.push(`the trials ran under ${profiles.size} lab profiles (${[...profiles].join(", ")}); their figures are not comparable`);
  if (kumomta.settings.length > 1) warnings.push(`the trials ran with ${kumomta.settings.length} different KumoMTA settings (see "KumoMTA"); their figures are not comparable`);
  const sizeOf = new Map(manifest.sizes.map((s, i) => [s.id, { ...s, index: i }]));
  const trials = inRun
    .map((r) => ({ r, s: sizeOf.get(r.sizeId) }))
    .filter((x): x is { r: TrialRecord; s: NonNullable<typeof x.s> } => x.s !== undefined)
    .sort((a, b) => a.s.index - b.s.index || wl.names.indexOf(workloadOf(a.r)) - wl.names.indexOf(workloadOf(b.r)) || a.r.trial - b.r.trial)
    .map(({ r, s }) => trialRow(r, s, wl.shown));
  const partial = { runId: manifest.runId, labId: manifest.labId, source: manifest.source, createdAt: manifest.createdAt, manifest, rows, excluded, cost, kumomta, facts: runFacts(manifest, inRun), transfer: transferCost(manifest, inRun), trials, warnings };
  if (!wl.shown) return { ...partial, headline: headline(partial) };
  const workloads: WorkloadsSection = { baseline: wl.baseline, names: wl.names, differences: workloadDifferences(rows, wl.baseline) };
  // The headline speaks of the baseline's figures (sizes compared with sizes), then of the workloads.
  const view = baselineView({ ...partial, workloads, headline: [] });
  const which = view.rows[0]?.workload ?? wl.baseline;
  const said = headline({ ...partial, rows: view.rows, trials: view.trials, excluded: view.excluded });
  const about = `Figures for the ${which === wl.baseline ? "baseline " : ""}workload '${which}'${which === wl.baseline ? "" : ` (the baseline '${wl.baseline}' was not run)`}; the Workloads section compares the others with it.`;
  return { ...partial, workloads, headline: [about, ...said, ...workloadHeadline(workloads)] };
}

/** Every lab profile the run's trials recorded, in row order (empty: trials from before profiles). */
export function runProfiles(report: Pick<Report, "rows">): string[] {
  return [...new Set(report.rows.flatMap((r) => r.profiles))];
}

/** Reads and validates a results folder and aggregates it. */
export function buildReport(resultsDir: string): Report {
  const manifest = readManifest(resultsDir);
  const warnings: string[] = [];
  const trials = readRecords(resultsDir);
  if (trials.torn) warnings.push(`${trials.torn.file}:${trials.torn.line} is a torn last line (a crash during a write); it was ignored`);
  const timeline = readTimeline(resultsDir);
  if (timeline.torn) warnings.push(`${timeline.torn.file}:${timeline.torn.line} is a torn last line (a crash during a write); it was ignored`);
  for (const r of trials.records) {
    if (r.runId !== manifest.runId) warnings.push(`size ${r.sizeId} trial ${r.trial} belongs to run ${r.runId}, not ${manifest.runId}`);
  }
  return aggregate(manifest, trials.records, timeline.events, warnings);
}

const signedPct = (v: number): string => `${v >= 0 ? "+" : "−"}${Math.abs(v).toFixed(1)} %`;

/** A difference in words: "+12.0 % (95 % CI +3.1 to +20.9 %)", "−4.0 % (one valid trial a side: no interval)", "no figure". */
export function differenceText(d: WorkloadDifference): string {
  if (d.differencePct === null) return d.mmh === null ? `no figure (${d.workload} has no valid trial)` : `no figure (${d.baseline} has no valid trial)`;
  const ci = d.ci95Pct === null ? "fewer than 2 valid trials a side: no interval" : `95 % CI ${signedPct(d.ci95Pct.low)} to ${signedPct(d.ci95Pct.high)}`;
  return `${signedPct(d.differencePct)} (${ci})`;
}

/** Whether the interval excludes 0: the same decision as Welch's test at 95 %. */
export function differenceVerdict(d: WorkloadDifference): string {
  if (d.differencePct === null) return "—";
  if (d.welch === null) return "too few valid trials to test";
  return d.welch.significant ? `${d.differencePct >= 0 ? "faster" : "slower"}: significant at 95 % (p = ${d.welch.p < 0.001 ? "< 0.001" : d.welch.p.toFixed(3)})` : `within the noise (p = ${d.welch.p.toFixed(2)})`;
}

function workloadHeadline(w: WorkloadsSection): string[] {
  if (!w.names.includes(w.baseline)) return [`The baseline workload '${w.baseline}' was not run: no workload is compared.`];
  const said = w.differences.filter((d) => d.differencePct !== null).map((d) => `${d.workload} ${differenceText(d)} at ${d.vcpu} vCPU`);
  return said.length === 0 ? [] : [`Workloads against ${w.baseline}: ${said.join("; ")}.`];
}
