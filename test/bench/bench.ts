/**
 * `npm run bench`: measures the lab itself on the namespace test lab (root only) and prints the four
 * figures beside their goals; the same table and every run go to bench-results/bench-<time>.json.
 *   1. provisioning a fresh lab, kumolab vs a scripted-OpenSSH peer (alternating, fresh lab per run)
 *   2. per-trial overhead (trial wall time minus traffic-gen's own elapsed time), and the measured
 *      cool-down after each trial (until the hosts settle)
 *   3. accuracy of the reported rates against the stand-ins' own clocks and counters
 *   4. the default sweep's wall time and cost under every plan (the sweep's estimator: a model), and
 *      the goal: the best plan in ≤ 0.40× the naive plan's wall time at ≤ 1.05× its cost
 * `--quick` runs each part once (a smoke run, not figures to publish). By default each lab host's
 * root login is made cloud-like first (see cloud-like-login.ts); `--machine-login` keeps this
 * machine's own /root/.bashrc, whose cost is then charged to every SSH command.
 */
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { PROJECT_DIR } from "../../lab-config/load";
import { formatDuration, formatUsd } from "../../scripts/sweep/estimate";
import { DEFAULT_PLAN_ASSUMPTIONS } from "../../scripts/sweep/plan-model";
import { canRunNamespaceLab } from "../lab/namespace-lab";
import { benchProvisioning, type ProvisioningFigures } from "./provisioning-bench";
import { deviationPct, fileTimestamp, formatTable, medianRun, seconds, type TableRow } from "./stats";
import { SWEEP_GOAL, sweepModel, type SweepModelFigures } from "./sweep-model";
import { benchAccuracy, benchOverhead, SETTLE_BOUND_SECONDS, type AccuracyFigures, type OverheadFigures } from "./trial-bench";
import type { SmallTraffic } from "../lab/lab-files";

const GOALS = { provisioningRatio: 0.5, overheadMs: 2000, accuracy: 0.01 } as const;

interface Settings {
  provisioningRunsEach: number;
  overheadTraffic: SmallTraffic;
  overheadTrials: number;
  startupRuns: number;
  accuracyTraffic: SmallTraffic;
  accuracyTrials: number;
}

function settings(quick: boolean): Settings {
  return {
    provisioningRunsEach: quick ? 1 : 3,
    overheadTraffic: { messageCount: 1000, concurrency: 10, bodySize: "10kb" },
    overheadTrials: quick ? 1 : 5,
    startupRuns: quick ? 1 : 3,
    // ≥ ~8 s of traffic so the counters' 25 ms polls are well under 1 % of the window.
    accuracyTraffic: { messageCount: 6500, concurrency: 20, bodySize: "100kb" },
    accuracyTrials: quick ? 1 : 3,
  };
}

const log = (m: string): void => void process.stdout.write(`${m}\n`);

async function part<T>(title: string, errors: string[], fn: () => Promise<T> | T): Promise<T | undefined> {
  log(`\n== ${title}`);
  const start = Date.now();
  try {
    const v = await fn();
    log(`   (${((Date.now() - start) / 1000).toFixed(0)} s)`);
    return v;
  } catch (e) {
    // Reported and counted: the other parts still run, and the bench exits non-zero.
    const msg = `${title}: ${(e as Error).message}`;
    errors.push(msg);
    log(`   FAILED: ${msg}`);
    return undefined;
  }
}

function rows(p: ProvisioningFigures | undefined, o: OverheadFigures | undefined, a: AccuracyFigures | undefined, s: SweepModelFigures | undefined, st: Settings): TableRow[] {
  const out: TableRow[] = [];
  if (p) {
    out.push({ figure: `1. provisioning, kumolab (median of ${st.provisioningRunsEach})`, measured: seconds(p.oursMedianMs), goal: "", met: undefined });
    out.push({ figure: `   provisioning, OpenSSH peer (median of ${st.provisioningRunsEach})`, measured: seconds(p.peerMedianMs), goal: "", met: undefined });
    out.push({ figure: "   ratio kumolab / peer", measured: p.ratio.toFixed(2), goal: `≤ ${GOALS.provisioningRatio.toFixed(2)}`, met: p.ratio <= GOALS.provisioningRatio });
    out.push({ figure: `   ratio, both minus the stand-in kumod's start-up (${seconds(p.medianKumodVersionMs)})`, measured: p.ratioWithoutKumodVersion.toFixed(2), goal: `≤ ${GOALS.provisioningRatio.toFixed(2)}`, met: p.ratioWithoutKumodVersion <= GOALS.provisioningRatio });
  }
  if (o) {
    const what = `${o.traffic.messageCount} × ${o.traffic.bodySize}, c${o.traffic.concurrency}`;
    out.push({ figure: `2. per-trial overhead, raw (median of ${o.trials.length}, ${what})`, measured: seconds(o.medianOverheadMs), goal: `< ${seconds(GOALS.overheadMs, 0)}`, met: o.medianOverheadMs < GOALS.overheadMs });
    out.push({ figure: `   minus stand-in traffic-gen start-up (${seconds(o.medianStandinStartupMs)})`, measured: seconds(o.adjustedOverheadMs), goal: `< ${seconds(GOALS.overheadMs, 0)}`, met: o.adjustedOverheadMs < GOALS.overheadMs });
    const bounded = o.trials.filter((t) => t.settle.outcome === "bounded").length;
    out.push({ figure: `   cool-down until settled, after a trial (median of ${o.trials.length}${bounded > 0 ? `, ${bounded} not settled within ${SETTLE_BOUND_SECONDS} s` : ""})`, measured: `${o.medianSettleSeconds.toFixed(1)} s`, goal: `the plan assumes ${DEFAULT_PLAN_ASSUMPTIONS.settleSeconds} s`, met: undefined });
  }
  if (a) {
    const what = `${a.traffic.messageCount} × ${a.traffic.bodySize}`;
    out.push({ figure: `3. end-to-end rate ÷ truth (worst of ${a.trials.length}, ${what})`, measured: `${a.worstEndToEnd.ratio.toFixed(4)} (${deviationPct(a.worstEndToEnd.ratio)})`, goal: "within 1 %", met: a.worstEndToEnd.deviation <= GOALS.accuracy });
    out.push({ figure: "   acceptance rate ÷ truth (worst)", measured: `${a.worstAcceptance.ratio.toFixed(4)} (${deviationPct(a.worstAcceptance.ratio)})`, goal: "within 1 %", met: a.worstAcceptance.deviation <= GOALS.accuracy });
  }
  if (s) {
    for (const [i, plan] of [s.naive, ...s.plans].entries()) {
      const mark = plan.label === s.recommended ? " (recommended)" : "";
      out.push({ figure: `${i === 0 ? "4." : "  "} sweep (model), ${plan.label}${mark}`, measured: `${formatDuration(plan.wallSeconds)}, ${formatUsd(plan.costUsd)}`, goal: "", met: undefined });
    }
    if (s.goal) {
      const cost = s.goal.costRatio === undefined ? "cost unknown" : `${s.goal.costRatio.toFixed(2)}× cost`;
      out.push({ figure: `   best plan ÷ naive (${s.goal.best.label})`, measured: `${s.goal.wallRatio.toFixed(2)}× time, ${cost}`, goal: `≤ ${SWEEP_GOAL.wallRatio.toFixed(2)}× time at ≤ ${SWEEP_GOAL.costRatio.toFixed(2)}× cost`, met: s.goal.met });
    }
  }
  return out;
}

function details(p: ProvisioningFigures | undefined, o: OverheadFigures | undefined, a: AccuracyFigures | undefined, s: SweepModelFigures | undefined): string[] {
  const lines: string[] = [];
  if (p) {
    const each = (who: "ours" | "peer") => p.runs.filter((r) => r.provisioner === who).map((r) => (r.ms / 1000).toFixed(2)).join(", ");
    lines.push(`1. runs in order ${p.runs.map((r) => r.provisioner).join(", ")}; kumolab ${each("ours")} s; peer ${each("peer")} s`);
    const mid = medianRun(p.runs.filter((r) => r.provisioner === "ours"), (r) => r.ms);
    lines.push(`   both provisioners wait once for the stand-in kumod to start (a node start-up, bundled: ${p.runs.flatMap((r) => (r.kumodVersionMs !== undefined ? [seconds(r.kumodVersionMs)] : [])).join(", ")}, timed on the host as \`kumod --version\` after each run, caches warm) before its SMTP banner; the real binary starts in milliseconds, so the second ratio takes it out of both.`);
    if (mid?.steps) {
      const hosts = [...new Set(mid.steps.map((x) => x.host))];
      for (const h of hosts) lines.push(`   kumolab's median run, ${h}: ${mid.steps.filter((x) => x.host === h).map((x) => `${x.step} ${x.ms} ms`).join(", ")}`);
    }
  }
  if (o) {
    const f = (v: number | null) => (v === null ? "n/a" : seconds(v));
    lines.push(`2. overhead medians: before traffic-gen ${f(o.medianBeforeMs)} (facts, metrics, pollers), launching it ${f(o.medianLaunchMs)} (SSH exec + process start-up/exit beyond its own elapsed), after it ${f(o.medianAfterMs)} (drain, metrics, pollers stopped, files)`);
    const notSettled = o.trials.filter((t) => t.settle.outcome === "bounded");
    lines.push(`   cool-downs after the trials: ${o.trials.map((t) => `${t.settle.seconds.toFixed(1)} s ${t.settle.outcome}`).join(", ")}${notSettled.length > 0 ? `; kept from settling by: ${[...new Set(notSettled.flatMap((t) => t.settle.unsettledBy.map((w) => w.replace(/\d+ %/, "…%"))))].join(", ")} (the namespace lab's hosts read the whole machine's CPU)` : ""}`);
    lines.push(`   the stand-in traffic-gen is a node program (bundled): its start-up + exit, measured alone on the host (1-message runs), was ${o.standinStartupMs.map((v) => seconds(v)).join(", ")}; the real Rust binary starts in milliseconds, so the second overhead row subtracts it`);
  }
  if (a) {
    for (const [i, t] of a.trials.entries()) {
      lines.push(`3. trial ${i + 1}: end to end ${t.endToEnd.reported.toFixed(1)} vs ${t.endToEnd.truth.toFixed(1)} msgs/s (${deviationPct(t.endToEnd.ratio)}); acceptance ${t.acceptance.reported.toFixed(1)} vs ${t.acceptance.truth.toFixed(1)} (${deviationPct(t.acceptance.ratio)}); traffic-gen ${t.trafficGenSeconds.toFixed(1)} s`);
    }
    lines.push("   truth: sink stand-in's received ÷ (its last receipt − the sender stand-in's first receipt), each by its own clock; acceptance: traffic-gen stand-in's sent ÷ its monotonic elapsed; a fresh lab per trial");
  }
  if (s) {
    lines.push(`4. default sweep: sizes ${s.sizes.join(", ")}; ${s.trials} trials each, ${s.coolDownSeconds} s apart; ${s.messageCount} × ${s.bodySizeBytes} B`);
    lines.push(...s.assumptionLines.map((l) => `   assumption: ${l}`));
  }
  return lines;
}

async function main(): Promise<number> {
  if (typeof process.getuid !== "function" || process.getuid() !== 0) {
    process.stderr.write("npm run bench needs root: it builds namespace test labs (network namespaces, bind mounts, sshd, nftables). Run it as root, e.g. `sudo npm run bench`.\n");
    return 2;
  }
  const can = canRunNamespaceLab();
  if (!can.ok) {
    process.stderr.write(`npm run bench cannot build the namespace lab here: ${can.reason}\n`);
    return 2;
  }
  const quick = process.argv.includes("--quick");
  const st = settings(quick);
  const cloudLike = !process.argv.includes("--machine-login");
  const startedAt = new Date();
  const loadBefore = os.loadavg();
  log(`kumolab bench${quick ? " (--quick: one run of each, not figures to publish)" : ""} — ${os.cpus().length} CPUs, load ${loadBefore.map((l) => l.toFixed(2)).join(" ")}`);
  log(cloudLike
    ? "lab hosts: root's .bashrc shadowed by a cloud-like one that returns at once for non-interactive shells (--machine-login to keep this machine's)"
    : "lab hosts: this machine's /root/.bashrc runs for every SSH command (--machine-login)");
  const errors: string[] = [];

  const p = await part(`1/4 provisioning a fresh lab: kumolab vs the OpenSSH peer, ${st.provisioningRunsEach} runs each, alternating`, errors, () => benchProvisioning(st.provisioningRunsEach, cloudLike, log));
  const o = await part(`2/4 per-trial overhead: ${st.overheadTrials} trials of ${st.overheadTraffic.messageCount} × ${st.overheadTraffic.bodySize}`, errors, () => benchOverhead(st.overheadTraffic, st.overheadTrials, st.startupRuns, cloudLike, log));
  const a = await part(`3/4 accuracy against the stand-ins' ground truth: ${st.accuracyTrials} trials of ${st.accuracyTraffic.messageCount} × ${st.accuracyTraffic.bodySize}, a fresh lab each`, errors, () => benchAccuracy(st.accuracyTraffic, st.accuracyTrials, cloudLike, log));
  const s = await part("4/4 the default sweep's wall time and cost (model: the sweep's estimator)", errors, () => sweepModel());

  const table = rows(p, o, a, s, st);
  const notes = details(p, o, a, s);
  const durationSeconds = (Date.now() - startedAt.getTime()) / 1000;
  const loadAfter = os.loadavg();
  log("\n" + formatTable(table));
  log("");
  for (const l of notes) log(l);
  log(`\nbench took ${formatDuration(durationSeconds)}; load average before ${loadBefore.map((l) => l.toFixed(2)).join(" ")}, after ${loadAfter.map((l) => l.toFixed(2)).join(" ")} (other work on the machine skews every timing)`);

  const dir = path.join(PROJECT_DIR, "bench-results");
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `bench-${fileTimestamp(startedAt)}.json`);
  const json = {
    schema: "kumolab-bench/v1",
    startedAt: startedAt.toISOString(),
    durationSeconds,
    quick,
    loginShell: cloudLike ? "cloud-like .bashrc (returns for non-interactive shells)" : "this machine's /root/.bashrc",
    machine: { cpus: os.cpus().length, model: os.cpus()[0]?.model ?? "unknown", node: process.version, kernel: os.release(), loadBefore, loadAfter },
    goals: GOALS,
    settings: st,
    table,
    notes,
    provisioning: p ?? null,
    overhead: o ?? null,
    accuracy: a ?? null,
    sweepModel: s ?? null,
    errors,
  };
  fs.writeFileSync(file, JSON.stringify(json, null, 2) + "\n");
  log(`written: ${path.relative(process.cwd(), file)}`);
  if (errors.length > 0) {
    process.stderr.write(`\n${errors.length} part(s) failed:\n${errors.map((e) => `  ${e}`).join("\n")}\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    process.stderr.write(`bench failed: ${(e as Error).stack ?? String(e)}\n`);
    process.exitCode = 1;
  },
);
