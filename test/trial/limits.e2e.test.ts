/**
 * Issue 17 on the namespace lab: a trial records the spool disk and NIC telemetry and kumod's own
 * view, and with the stand-in kumod held to connection_limit 2 in front of a sink that answers each
 * message 100 ms late, its verdict is the KumoMTA configuration ceiling with its figures.
 *
 * Hand-worked: 2 connections ÷ ≥ 0.1 s per message = at most 20 msgs/s; 64 messages take ≥ 3.2 s.
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveLabConfig } from "../../lab-config/resolve";
import type { ProgressEvent } from "../../scripts/progress/events";
import { trialRecordSchema } from "../../scripts/results/trial-record";
import { parseCounterPolls } from "../../scripts/trial/counter-poller";
import { prepareLab, runPreparedTrial, useWorkload, type ProvisionedLab } from "../../scripts/sweep/prepare-lab";
import { createNamespaceLab, skipNamespaceLab, type NamespaceLab } from "../lab/namespace-lab";
import { labHostsOf } from "../lab/namespace-lab-driver";
import { smallLabConfigObject } from "../lab/lab-files";

const skip = skipNamespaceLab();
const LATENCY_MS = 100;
// kumod opens connections as its ready queue grows (ready_queue.rs ideal_connection_count:
// limit × (1 − e^(−0.023 × queue))): a second of 2 needs more than 30 messages waiting.
const MESSAGES = 64;

describe.skipIf(skip)("what limited a trial, on the namespace lab", () => {
  let lab: NamespaceLab;
  let prepared: ProvisionedLab;
  let dir: string;
  const progress = (_e: ProgressEvent): void => undefined;
  const base = smallLabConfigObject({ messageCount: MESSAGES, concurrency: 4, bodySize: "1kb" });
  const cfg = resolveLabConfig(
    {
      ...base,
      kumomta: { ...(base["kumomta"] as Record<string, unknown>), connectionLimit: 2 },
      workloads: { baseline: "published", list: [{ name: "published" }, { name: "slow-sink", sink: { kind: "smart", default: { latencyMs: LATENCY_MS } } }] },
    },
    {},
    "test",
    "none",
  ).config;
  const size = cfg.sender.sizes[0]!;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "kumolab-limits-"));
    lab = await createNamespaceLab({ hosts: ["sender", "sink"] });
    try {
      prepared = await prepareLab(labHostsOf(lab), cfg, { progress });
      await useWorkload(prepared, "slow-sink", cfg, { progress });
    } catch (e) {
      await prepared?.close();
      await lab.destroy();
      throw e;
    }
  }, 120_000);

  afterAll(async () => {
    await prepared?.close();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("records disk/NIC telemetry and kumod's ceilings, and names connection_limit as the limit", async () => {
    const outcome = await runPreparedTrial(prepared, { sizeId: size.id, size, trial: 1, trials: 1, workload: "slow-sink" }, { runId: "limits", resultsDir: dir, cfg, progress, signal: new AbortController().signal });
    expect(outcome.status).toBe("recorded");
    if (outcome.status !== "recorded") return;
    const r = trialRecordSchema.parse(outcome.record);
    expect(r.status, JSON.stringify(r.failure)).toBe("ok");
    expect(r.trafficGen?.sent).toBe(MESSAGES);
    expect(r.endToEnd?.sinkReceived).toBe(MESSAGES);

    // Disk and NIC: the lab's hosts share this machine's root device; findmnt-free, found from mountinfo.
    const sender = r.resources!.sender;
    expect(sender.disk?.device).toMatch(/^[a-z0-9]+$/);
    expect(sender.disk!.utilPct.max).toBeLessThanOrEqual(100);
    expect(sender.netDrops).toEqual({ rx: 0, tx: 0 });
    expect(r.resources!.sink.netDrops).toEqual({ rx: 0, tx: 0 });

    // kumod's view: the limit in force, both connections open at the peak, and every delivery timed.
    const k = r.kumomta!;
    expect(k.connectionLimit).toBe(2);
    expect(k.peakConnections).toBe(2);
    // The raw poll file says the same peak (the outside record of what kumod showed).
    const polls = parseCounterPolls(readFileSync(path.join(dir, r.files["senderConnections"]!), "utf8"));
    expect(Math.max(...polls.map((p) => p.value))).toBe(2);
    expect(k.deliveries).toBe(MESSAGES);
    // One spool save per accepted message (message.rs SAVE_HIST, smtp_server.rs), each a real write.
    expect(k.spoolSaves).toBe(MESSAGES);
    expect(k.meanSpoolSaveSeconds!).toBeGreaterThan(0);
    // Each delivery waited the sink's 100 ms, plus the SMTP exchange on loopback-class links.
    expect(k.meanDeliverySeconds!).toBeGreaterThanOrEqual(LATENCY_MS / 1000);
    expect(k.meanDeliverySeconds!).toBeLessThan(LATENCY_MS / 1000 + 0.15);
    // 2 / mean: at most 2 / 0.1 = 20 msgs/s.
    expect(k.ceilingMsgsPerSec!).toBeCloseTo(2 / k.meanDeliverySeconds!, 9);
    expect(k.ceilingMsgsPerSec!).toBeLessThanOrEqual(20);
    // 64 messages over 2 connections of ≥ 0.1 s each: the end-to-end window is at least 3.2 s.
    expect(r.endToEnd!.seconds!).toBeGreaterThanOrEqual((MESSAGES / 2) * (LATENCY_MS / 1000));

    // The verdict, with its figures.
    const v = r.verdict!;
    expect(v.limit, v.text).toBe("kumomta-config");
    expect(v.evidence.ceilingShare!).toBeGreaterThanOrEqual(0.8);
    expect(v.evidence.ceilingShare!).toBeLessThanOrEqual(1.05);
    expect(v.text).toMatch(/^configuration ceiling: connection_limit \(2 connections × 1\d\d ms = \d+(\.\d+)? msgs\/s; measured \d+(\.\d+)? msgs\/s, \d+ % of it\)/);
  }, 60_000);
});
