/**
 * Figures 2 and 3 on the namespace lab, through the sweep's own code (prepareLab, runPreparedTrial):
 *  - per-trial overhead: a trial's whole wall time minus traffic-gen's own elapsed time, with where
 *    it goes, and the stand-in traffic-gen's start-up (a node start-up, which the real binary lacks)
 *    measured on its own so it can be subtracted;
 *  - accuracy: the rates the lab reports against the stand-ins' ground truth (their own clocks and
 *    counters), each trial on a fresh lab so the truth files hold that trial alone.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { ProgressEvent } from "../../scripts/progress/events";
import { SENDER_SUBMISSION_ADDRESS } from "../../scripts/provision/lab-endpoints";
import type { TrialRecord } from "../../scripts/results/trial-record";
import { prepareLab, runPreparedTrial, settleLab, type ProvisionedLab } from "../../scripts/sweep/prepare-lab";
import { unsettledBy } from "../../scripts/sweep/settle";
import { TRAFFIC_GEN_PATH } from "../../scripts/trial/traffic-gen-args";
import type { LabConfig } from "../../lab-config/schema";
import { createNamespaceLab, type LabHostHandle, type NamespaceLab } from "../lab/namespace-lab";
import { labHostsOf } from "../lab/namespace-lab-driver";
import { smallLabConfig, type SmallTraffic } from "../lab/lab-files";
import { readTrafficGenTruth, settledKumodTruth } from "../lab/standin-helpers";
import { median, ratio, worstDeviation } from "./stats";

type Log = (m: string) => void;

async function withPreparedLab<T>(cfg: LabConfig, cloudLike: boolean, fn: (lab: NamespaceLab, prepared: ProvisionedLab) => Promise<T>): Promise<T> {
  const lab = await createNamespaceLab({ hosts: ["sender", "sink"], machineLogin: !cloudLike });
  let prepared: ProvisionedLab | undefined;
  try {
    prepared = await prepareLab(labHostsOf(lab), cfg, { progress: () => undefined });
    return await fn(lab, prepared);
  } finally {
    await prepared?.close();
    await lab.destroy();
  }
}

interface TimedTrial {
  record: TrialRecord;
  wallMs: number;
  /** ms from the trial's start: traffic-gen launched, its first rate line, it returned. */
  marks: { trafficGenStart?: number; firstRate?: number; trafficGenDone?: number };
}

async function timedTrial(prepared: ProvisionedLab, cfg: LabConfig, trial: number, resultsDir: string): Promise<TimedTrial> {
  const size = cfg.sender.sizes[0];
  if (!size) throw new Error("the bench's lab config has no sender size");
  const marks: TimedTrial["marks"] = {};
  const start = process.hrtime.bigint();
  const since = () => Number(process.hrtime.bigint() - start) / 1e6;
  const progress = (e: ProgressEvent): void => {
    if (e.type === "step-start" && e.step.startsWith("traffic-gen")) marks.trafficGenStart ??= since();
    else if (e.type === "rate") marks.firstRate ??= since();
    else if (e.type === "step-done" && e.step === "traffic-gen") marks.trafficGenDone ??= since();
  };
  const outcome = await runPreparedTrial(prepared, { sizeId: size.id, size, trial, trials: trial }, { runId: "bench", resultsDir, cfg, progress, signal: new AbortController().signal });
  const wallMs = since();
  if (outcome.status !== "recorded") throw new Error(`bench trial ${trial} was not recorded: ${outcome.detail}`);
  const r = outcome.record;
  if (r.status !== "ok" || !r.trafficGen || !r.endToEnd) throw new Error(`bench trial ${trial} failed: ${JSON.stringify(r.failure ?? r.invalidReasons)}`);
  if (r.trafficGen.sent !== cfg.traffic.messageCount || r.endToEnd.sinkReceived !== r.trafficGen.sent) {
    throw new Error(`bench trial ${trial}: sent ${r.trafficGen.sent}, sink received ${r.endToEnd.sinkReceived}, expected ${cfg.traffic.messageCount} each`);
  }
  return { record: r, wallMs, marks };
}

export interface OverheadTrial {
  wallMs: number;
  trafficGenElapsedMs: number;
  overheadMs: number;
  /** Before traffic-gen is launched: facts, metrics before, samplers and pollers started. */
  beforeMs: number | null;
  /** traffic-gen's command (SSH exec, process start-up and exit) minus its own elapsed time. */
  launchMs: number | null;
  /** After traffic-gen returned: queue drain, metrics after, pollers stopped, raw files written. */
  afterMs: number | null;
  /** From launching traffic-gen to its first progress line. */
  firstRateMs: number | null;
  /**
   * The sweep's measured cool-down right after this trial (outside its wall time): until the hosts
   * settled, at most SETTLE_BOUND_SECONDS; when bounded, what kept them from settling at the last read.
   */
  settle: { seconds: number; outcome: "settled" | "bounded"; unsettledBy: string[] };
}

/**
 * The bound of the settle measurement, shorter than lab.yaml's 120 s so a machine that never reads
 * idle costs the bench 30 s a trial, not 2 minutes. The namespace lab's hosts read the whole
 * machine's /proc/stat: on a busy machine CPU alone keeps them from settling.
 */
export const SETTLE_BOUND_SECONDS = 30;

export interface OverheadFigures {
  traffic: SmallTraffic;
  trials: OverheadTrial[];
  medianOverheadMs: number;
  /** The stand-in traffic-gen's start-up + exit (wall time on the host minus its own elapsed), per run. */
  standinStartupMs: number[];
  medianStandinStartupMs: number;
  /** medianOverheadMs minus the stand-in's start-up. */
  adjustedOverheadMs: number;
  medianBeforeMs: number | null;
  medianLaunchMs: number | null;
  medianAfterMs: number | null;
  /** Median of the trials' settle times (the plan's settleSeconds assumption cites it). */
  medianSettleSeconds: number;
}

const medianOrNull = (v: Array<number | null>): number | null => {
  const xs = v.filter((x): x is number => x !== null);
  return xs.length > 0 ? median(xs) : null;
};

/** The stand-in's start-up: a 1-message run timed on the host itself, minus the elapsed time it recorded. */
async function standinStartup(prepared: ProvisionedLab, sender: LabHostHandle, runs: number): Promise<number[]> {
  const out: number[] = [];
  for (let i = 0; i < runs; i++) {
    const cmd = `s=$(date +%s%N); ${TRAFFIC_GEN_PATH} --target ${SENDER_SUBMISSION_ADDRESS} --concurrency 1 --message-count 1 --body-size 1000 --duration 30 >/dev/null 2>&1; rc=$?; e=$(date +%s%N); echo "$rc $((e-s))"`;
    const r = await prepared.sessions.sender.exec(cmd, { timeoutMs: 60_000, step: "bench: traffic-gen start-up" });
    const m = /^(\d+) (\d+)$/m.exec(r.stdout.trim());
    if (!m || m[1] !== "0") throw new Error(`bench: the 1-message traffic-gen run failed on the sender: ${r.stdout.trim()} ${r.stderr.trim().slice(0, 300)}`);
    const truth = readTrafficGenTruth(sender);
    if (truth.sent !== 1) throw new Error(`bench: the 1-message traffic-gen run recorded ${truth.sent} sent`);
    out.push((Number(m[2]) - Number(truth.elapsedNs)) / 1e6);
  }
  return out;
}

export async function benchOverhead(traffic: SmallTraffic, trials: number, startupRuns: number, cloudLike: boolean, log: Log): Promise<OverheadFigures> {
  const cfg = smallLabConfig(traffic);
  const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), "kumolab-bench-overhead-"));
  try {
    return await withPreparedLab(cfg, cloudLike, async (lab, prepared) => {
      const rows: OverheadTrial[] = [];
      for (let t = 1; t <= trials; t++) {
        const { record, wallMs, marks } = await timedTrial(prepared, cfg, t, resultsDir);
        const tgMs = (record.trafficGen?.elapsed.seconds ?? 0) * 1000;
        const settled = await settleLab(prepared, { boundSeconds: SETTLE_BOUND_SECONDS, signal: new AbortController().signal });
        const row: OverheadTrial = {
          wallMs,
          trafficGenElapsedMs: tgMs,
          overheadMs: wallMs - tgMs,
          beforeMs: marks.trafficGenStart ?? null,
          launchMs: marks.trafficGenStart !== undefined && marks.trafficGenDone !== undefined ? marks.trafficGenDone - marks.trafficGenStart - tgMs : null,
          afterMs: marks.trafficGenDone !== undefined ? wallMs - marks.trafficGenDone : null,
          firstRateMs: marks.trafficGenStart !== undefined && marks.firstRate !== undefined ? marks.firstRate - marks.trafficGenStart : null,
          settle: { seconds: settled.seconds, outcome: settled.outcome, unsettledBy: settled.outcome === "bounded" ? (settled.readings ? unsettledBy(settled.readings) : ["no reading came back"]) : [] },
        };
        rows.push(row);
        log(`  trial ${t}/${trials}: wall ${(wallMs / 1000).toFixed(2)} s, traffic-gen ${(tgMs / 1000).toFixed(2)} s, overhead ${(row.overheadMs / 1000).toFixed(2)} s; then ${row.settle.outcome === "settled" ? `settled in ${row.settle.seconds.toFixed(1)} s` : `not settled in ${row.settle.seconds.toFixed(0)} s (${row.settle.unsettledBy.join(", ")})`}`);
      }
      const startup = await standinStartup(prepared, lab.hosts["sender"] as LabHostHandle, startupRuns);
      log(`  stand-in traffic-gen start-up + exit: ${startup.map((s) => (s / 1000).toFixed(2)).join(", ")} s`);
      const medianOverheadMs = median(rows.map((r) => r.overheadMs));
      const medianStandinStartupMs = median(startup);
      return {
        traffic,
        trials: rows,
        medianOverheadMs,
        standinStartupMs: startup,
        medianStandinStartupMs,
        adjustedOverheadMs: medianOverheadMs - medianStandinStartupMs,
        medianBeforeMs: medianOrNull(rows.map((r) => r.beforeMs)),
        medianLaunchMs: medianOrNull(rows.map((r) => r.launchMs)),
        medianAfterMs: medianOrNull(rows.map((r) => r.afterMs)),
        medianSettleSeconds: median(rows.map((r) => r.settle.seconds)),
      };
    });
  } finally {
    fs.rmSync(resultsDir, { recursive: true, force: true });
  }
}

export interface AccuracyTrial {
  lab: string;
  sent: number;
  endToEnd: { reported: number; truth: number; ratio: number };
  acceptance: { reported: number; truth: number; ratio: number };
  trafficGenSeconds: number;
}

export interface AccuracyFigures {
  traffic: SmallTraffic;
  trials: AccuracyTrial[];
  worstEndToEnd: { ratio: number; deviation: number };
  worstAcceptance: { ratio: number; deviation: number };
}

export async function benchAccuracy(traffic: SmallTraffic, trials: number, cloudLike: boolean, log: Log): Promise<AccuracyFigures> {
  const cfg = smallLabConfig(traffic);
  const rows: AccuracyTrial[] = [];
  const resultsDir = fs.mkdtempSync(path.join(os.tmpdir(), "kumolab-bench-accuracy-"));
  try {
    for (let t = 1; t <= trials; t++) {
      // A fresh lab per trial: the stand-ins' truth counts from their start, so it then holds this trial alone.
      const row = await withPreparedLab(cfg, cloudLike, async (lab, prepared) => {
        const { record } = await timedTrial(prepared, cfg, t, resultsDir);
        const sender = lab.hosts["sender"] as LabHostHandle;
        const sink = lab.hosts["sink"] as LabHostHandle;
        const tgTruth = readTrafficGenTruth(sender);
        const senderTruth = await settledKumodTruth(sender);
        const sinkTruth = await settledKumodTruth(sink);
        const tg = record.trafficGen;
        const e2e = record.endToEnd;
        if (!tg || !e2e || e2e.msgsPerSec === null) throw new Error(`bench accuracy trial ${t}: no end-to-end rate in the record`);
        if (senderTruth.firstReceivedAtMs === null || sinkTruth.lastReceivedAtMs === null) throw new Error(`bench accuracy trial ${t}: the stand-ins recorded no messages`);
        if (sinkTruth.received !== e2e.sinkReceived || tgTruth.sent !== tg.sent) {
          throw new Error(`bench accuracy trial ${t}: counts differ from the truth (sink ${e2e.sinkReceived} vs ${sinkTruth.received}, sent ${tg.sent} vs ${tgTruth.sent})`);
        }
        const trueE2e = sinkTruth.received / ((sinkTruth.lastReceivedAtMs - senderTruth.firstReceivedAtMs) / 1000);
        const trueAcceptance = tgTruth.sent / (Number(tgTruth.elapsedNs) / 1e9);
        return {
          lab: lab.id,
          sent: tg.sent,
          endToEnd: { reported: e2e.msgsPerSec, truth: trueE2e, ratio: ratio(e2e.msgsPerSec, trueE2e) },
          acceptance: { reported: tg.rate.msgsPerSec, truth: trueAcceptance, ratio: ratio(tg.rate.msgsPerSec, trueAcceptance) },
          trafficGenSeconds: tg.elapsed.seconds,
        };
      });
      rows.push(row);
      log(`  trial ${t}/${trials}: end to end ${row.endToEnd.reported.toFixed(1)} vs truth ${row.endToEnd.truth.toFixed(1)} msgs/s (×${row.endToEnd.ratio.toFixed(4)}), acceptance ×${row.acceptance.ratio.toFixed(4)}, traffic-gen ${row.trafficGenSeconds.toFixed(1)} s`);
    }
  } finally {
    fs.rmSync(resultsDir, { recursive: true, force: true });
  }
  return {
    traffic,
    trials: rows,
    worstEndToEnd: worstDeviation(rows.map((r) => r.endToEnd.ratio)),
    worstAcceptance: worstDeviation(rows.map((r) => r.acceptance.ratio)),
  };
}
