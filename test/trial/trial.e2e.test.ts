/**
 * A trial on the namespace lab, through the product's own code: provision over SSH, run the
 * stand-in traffic-gen through the sender's kumod to the sink, and check every figure of the
 * record against what the stand-ins counted with their own clocks. Then the failure cases: the
 * sender's SSH connection killed mid-trial, and the sink's kumod killed mid-trial.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../scripts/progress/events";
import { appendRecord, readRecords } from "../../scripts/results/results-dir";
import { trialRecordSchema, type TrialRecord } from "../../scripts/results/trial-record";
import { prepareLab, runPreparedTrial, type ProvisionedLab } from "../../scripts/sweep/prepare-lab";
import { createNamespaceLab, skipNamespaceLab, type ExecResult, type LabHostHandle, type NamespaceLab } from "../lab/namespace-lab";
import { labHostsOf } from "../lab/namespace-lab-driver";
import { smallLabConfig, writeInventory, writeSmallLabConfig } from "../lab/lab-files";
import { readTrafficGenTruth, settledKumodTruth } from "../lab/standin-helpers";

const skip = skipNamespaceLab();

describe.skipIf(skip)("a trial on the namespace lab", () => {
  let lab: NamespaceLab;
  let sender: LabHostHandle;
  let sink: LabHostHandle;
  let prepared: ProvisionedLab;
  let dir: string;
  const cfg = smallLabConfig({ messageCount: 2000, concurrency: 20, bodySize: "50kb" });
  const events: ProgressEvent[] = [];
  const progress = (e: ProgressEvent): void => void events.push(e);
  const size = cfg.sender.sizes[1]!;

  // The fault tests inject their fault on the first progress line, which traffic-gen prints after
  // a second of running: unthrottled, the stand-in's 2,000 messages can all be accepted before
  // that on a fast machine, and no fault would happen. Throttled, the run lasts at least ~3 s on
  // any machine (traffic-gen's --throttle lets a burst of the limit through at once,
  // crates/throttle/src/throttle.rs max_burst, then the limit per second), so the first progress
  // line always comes while messages are still being sent; a slower machine only lengthens it.
  const FAULT_THROTTLE = "500/s";
  const faultCfg: typeof cfg = { ...cfg, traffic: { ...cfg.traffic, throttle: FAULT_THROTTLE } };

  // The accuracy check needs a run long enough (~10 s here) that the counters' 25 ms polls are well under 1 %.
  const longCfg = smallLabConfig({ messageCount: 6000, concurrency: 20, bodySize: "100kb" });
  const trial = async (n: number, c = cfg): Promise<TrialRecord> => {
    const outcome = await runPreparedTrial(prepared, { sizeId: size.id, size, trial: n, trials: 3 }, { runId: "e2e", resultsDir: dir, cfg: c, progress, signal: new AbortController().signal });
    if (outcome.status !== "recorded") throw new Error(`trial ${n} was not recorded: ${outcome.detail}`);
    appendRecord(dir, outcome.record);
    return outcome.record;
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "kumolab-trial-"));
    lab = await createNamespaceLab({ hosts: ["sender", "sink"] });
    sender = lab.hosts["sender"] as LabHostHandle;
    sink = lab.hosts["sink"] as LabHostHandle;
    prepared = await prepareLab(labHostsOf(lab), cfg, { progress });
  }, 120_000);

  afterAll(async () => {
    await prepared?.close();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("records every figure, and the rates match what the stand-ins counted themselves", async () => {
    const r = await trial(1, longCfg);
    expect(r.status, JSON.stringify(r.failure)).toBe("ok");
    // The namespace hosts share this machine's CPUs (and /proc/stat is machine-wide), so the
    // sink's CPU is the whole machine's: "sink CPU high" is an honest verdict here, and so is a busy
    // disk (one device under every host and every other job): nothing else is.
    expect(r.invalidReasons.filter((x) => x.code !== "sink-cpu-high" && x.code !== "disk-saturated"), JSON.stringify(r.invalidReasons)).toEqual([]);
    expect(r.valid).toBe(r.invalidReasons.length === 0);
    const tg = r.trafficGen!;
    const e2e = r.endToEnd!;
    // Every message sent reached the sink, and the sink's counters say so.
    expect(tg.sent).toBe(6000);
    expect(tg.failed).toBe(0);
    expect(e2e.sinkReceived).toBe(tg.sent);
    expect(e2e.senderDelivered).toBe(tg.sent);
    expect(e2e.queueDrained).toBe(true);

    // Ground truth, each by the stand-in's own clock and counter.
    const tgTruth = readTrafficGenTruth(sender);
    const sinkTruth = await settledKumodTruth(sink);
    expect(tgTruth.sent).toBe(tg.sent);
    expect(sinkTruth.received).toBe(e2e.sinkReceived);
    const trueAcceptance = tgTruth.sent / (Number(tgTruth.elapsedNs) / 1e9);
    expect(Math.abs(tg.rate.msgsPerSec / trueAcceptance - 1)).toBeLessThan(0.01);
    // End to end: from the first message the sender's kumod accepted to the last the sink accepted,
    // each by that stand-in's own clock.
    const senderTruth = await settledKumodTruth(sender);
    expect(senderTruth.received).toBe(tg.sent);
    const trueEndToEnd = sinkTruth.received / ((sinkTruth.lastReceivedAtMs! - senderTruth.firstReceivedAtMs!) / 1000);
    expect(e2e.msgsPerSec).not.toBeNull();
    const why = JSON.stringify({ e2e, senderTruth, sinkTruth });
    expect(Math.abs(e2e.msgsPerSec! / trueEndToEnd - 1), why).toBeLessThan(0.01);
    expect(e2e.mmh).toBeCloseTo((e2e.msgsPerSec! * 3600) / 1e6, 9);

    // The limit: CPU and network sampled on both hosts, plausible values.
    const res = r.resources!;
    for (const h of [res.sender, res.sink]) {
      expect(h.samples).toBeGreaterThan(1);
      expect(h.cpuPct.mean).toBeGreaterThan(0);
      expect(h.cpuPct.max).toBeLessThanOrEqual(100.5);
      expect(h.memUsedPct.mean).toBeGreaterThan(0);
      expect(h.interface).toBe("eth0");
    }
    // 6000 × 100 KB crossed the link: the sender sent at least that much, the sink received it.
    expect(res.sender.netTxBytesPerSec.mean * res.sender.samples).toBeGreaterThan(6000 * 100_000 * 0.5);
    expect(res.sink.netRxBytesPerSec.max).toBeGreaterThan(0);
    const rawSamples = readFileSync(path.join(dir, r.files.samples), "utf8").trim().split("\n");
    expect(rawSamples.length).toBe(res.sender.samples);

    // Context a reader needs to reproduce the figure.
    expect(r.context.kumodVersion.sender).toMatch(/^kumod /);
    expect(r.context.hosts?.sender.vcpu).toBe(2);
    expect(r.context.port25Proof).not.toBeNull();
    expect(r.params.argv).toContain("--message-count");
    expect(r.params.durationCapReason).toMatch(/auto/);
    // The live rate reached the progress sink.
    expect(events.some((e) => e.type === "rate")).toBe(true);
    // Durable: the record reads back through the schema.
    expect(readRecords(dir).records.at(-1)).toEqual(trialRecordSchema.parse(r));
  }, 120_000);

  it("a dropped SSH connection fails the trial with a reason, and the next trial works", async () => {
    // The fault: the sshd processes serving our sessions on the sender (not the listener) killed
    // on the first progress line, while traffic-gen runs. pkill's status says whether it found any.
    const fault: { kill?: Promise<ExecResult>; sentAtKill?: number } = {};
    const killer = (e: ProgressEvent): void => {
      if (e.type === "rate" && fault.kill === undefined) {
        fault.sentAtKill = e.sent;
        // Only this host's sshd sessions: the lab's hosts share the machine's PID namespace.
        fault.kill = sender.exec(["bash", "-c", 'pkill --ns $$ --nslist net -f "sshd: root@notty"'], { timeoutMs: 10_000 });
      }
    };
    events.length = 0;
    const before = Date.now();
    const outcome = await runPreparedTrial(
      prepared,
      { sizeId: size.id, size, trial: 2, trials: 3 },
      { runId: "e2e", resultsDir: dir, cfg: faultCfg, progress: (e) => (progress(e), killer(e)), signal: new AbortController().signal },
    );
    expect(Date.now() - before).toBeLessThan(90_000);
    // The fault happened, mid-run, before anything is said about its consequences.
    if (!fault.kill) throw new Error("no progress line arrived while traffic-gen ran: the fault was never injected");
    const killed = await fault.kill;
    expect(killed.code, `pkill found no sshd session to kill: ${killed.stderr}`).toBe(0);
    expect(fault.sentAtKill).toBeLessThan(2000);
    expect(outcome.status).toBe("recorded");
    if (outcome.status !== "recorded") return;
    appendRecord(dir, outcome.record);
    expect(outcome.record.status).toBe("failed");
    expect(outcome.record.valid).toBe(false);
    expect(outcome.record.failure?.step).toBe("traffic-gen");
    expect(outcome.record.failure?.message).toMatch(/lost the SSH connection to sender/);

    const next = await trial(3);
    expect(next.status, JSON.stringify(next.failure)).toBe("ok");
    expect(next.trafficGen?.sent).toBe(2000);
    expect(readRecords(dir).records.map((x) => [x.trial, x.status])).toEqual([
      [1, "ok"],
      [2, "failed"],
      [3, "ok"],
    ]);
  }, 180_000);

  it("the sink's kumod killed mid-trial: failures counted, the trial invalid with its reasons, nothing hangs", async () => {
    // The fault: the sink's kumod SIGKILLed on the first progress line, while traffic-gen still
    // has messages to send (the throttle guarantees some remain). kill's status says it hit.
    const fault: { kill?: Promise<ExecResult>; sentAtKill?: number } = {};
    const killer = (e: ProgressEvent): void => {
      if (e.type === "rate" && fault.kill === undefined) {
        fault.sentAtKill = e.sent;
        fault.kill = sink.exec(["bash", "-c", "kill -9 \"$(cat /run/kumolab/kumod.pid)\""], { timeoutMs: 10_000 });
      }
    };
    const outcome = await runPreparedTrial(
      prepared,
      { sizeId: size.id, size, trial: 4, trials: 4 },
      { runId: "e2e", resultsDir: dir, cfg: faultCfg, progress: (e) => (progress(e), killer(e)), signal: new AbortController().signal, drainTimeoutSeconds: 5 },
    );
    if (!fault.kill) throw new Error("no progress line arrived while traffic-gen ran: the fault was never injected");
    const killed = await fault.kill;
    expect(killed.code, `the sink's kumod was not killed: ${killed.stderr}`).toBe(0);
    expect(fault.sentAtKill).toBeLessThan(2000);
    expect(outcome.status).toBe("recorded");
    if (outcome.status !== "recorded") return;
    const r = outcome.record;
    expect(r.valid).toBe(false);
    const codes = r.invalidReasons.map((x) => x.code);
    expect(codes).toContain("queue-not-drained");
    expect(codes.some((c) => c === "send-failures" || c === "failed")).toBe(true);
    expect(trialRecordSchema.safeParse(r).success).toBe(true);
  }, 180_000);

  it("`npm run lab -- trial` re-provisions (restarting the dead sink) and prints the one-screen summary", () => {
    const cliDir = mkdtempSync(path.join(os.tmpdir(), "kumolab-trial-cli-"));
    try {
      const inventory = writeInventory(cliDir, lab);
      const labConfig = writeSmallLabConfig(cliDir, { messageCount: 1000, concurrency: 10, bodySize: "10kb" });
      const results = path.join(cliDir, "results");
      const repo = path.resolve(__dirname, "..", "..");
      const r = spawnSync(process.execPath, [path.join(repo, "node_modules/tsx/dist/cli.mjs"), path.join(repo, "scripts/cli/lab.ts"), "trial", "--inventory", inventory, "--lab-config", labConfig, "--results", results], {
        encoding: "utf8",
        timeout: 150_000,
        cwd: repo,
      });
      expect(r.status, r.stderr + r.stdout).toBe(0);
      expect(r.stdout).toMatch(/acceptance \(traffic-gen\): [\d,.]+ msgs\/s = [\d.]+ MMH — 1,000 sent, 0 failed/);
      expect(r.stdout).toMatch(/end to end \(sink\): +[\d,.]+ msgs\/s = [\d.]+ MMH — 1,000 received/);
      expect(r.stdout).toMatch(/latency: p50 .*, p99 /);
      expect(r.stdout).toMatch(/CPU: sender mean \d+ %/);
      const { records } = readRecords(results);
      expect(records).toHaveLength(1);
      expect(records[0]?.status).toBe("ok");
      expect(records[0]?.endToEnd?.sinkReceived).toBe(1000);
    } finally {
      rmSync(cliDir, { recursive: true, force: true });
    }
  }, 180_000);
});
