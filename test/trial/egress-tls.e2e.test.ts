/**
 * The product's sender policy against a kumod sink that offers STARTTLS with a self-signed
 * certificate, as every real kumod listener does (crates/kumod/src/smtp_server.rs,
 * kumo-server-common/src/tls_helpers.rs). With the lab's egress TLS setting the trial delivers
 * everything and is valid; with the setting removed, kumod's default `Opportunistic` refuses the
 * certificate without falling back (crates/kumo-api-types/src/egress_path.rs), nothing reaches the
 * sink, and the trial says so. The stand-in kumod exports its counters as kumod does (a total series
 * plus one per listener / ready queue), so the counts below also show nothing is counted twice.
 */
import { mkdtempSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { pidFileScript } from "../../scripts/provision/kumod-service";
import { SENDER_METRICS_URL, SENDER_POLICY_PATH } from "../../scripts/provision/lab-endpoints";
import type { TrialRecord } from "../../scripts/results/trial-record";
import { prepareLab, runPreparedTrial, type ProvisionedLab } from "../../scripts/sweep/prepare-lab";
import { createNamespaceLab, skipNamespaceLab, type LabHostHandle, type NamespaceLab } from "../lab/namespace-lab";
import { labHostsOf } from "../lab/namespace-lab-driver";
import { smallLabConfig } from "../lab/lab-files";
import { settledKumodTruth } from "../lab/standin-helpers";

const skip = skipNamespaceLab();

describe.skipIf(skip)("egress TLS towards a kumod sink", () => {
  let lab: NamespaceLab;
  let sender: LabHostHandle;
  let sink: LabHostHandle;
  let prepared: ProvisionedLab;
  let dir: string;
  const cfg = smallLabConfig({ messageCount: 300, concurrency: 10, bodySize: "10kb" });
  const size = cfg.sender.sizes[1]!;

  const trial = async (n: number, drainTimeoutSeconds?: number): Promise<TrialRecord> => {
    const outcome = await runPreparedTrial(prepared, { sizeId: size.id, size, trial: n, trials: 2 }, {
      runId: "tls",
      resultsDir: dir,
      cfg,
      progress: () => undefined,
      signal: new AbortController().signal,
      ...(drainTimeoutSeconds !== undefined ? { drainTimeoutSeconds } : {}),
    });
    if (outcome.status !== "recorded") throw new Error(`trial ${n} was not recorded: ${outcome.detail}`);
    return outcome.record;
  };

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "kumolab-tls-"));
    lab = await createNamespaceLab({ hosts: ["sender", "sink"] });
    sender = lab.hosts["sender"] as LabHostHandle;
    sink = lab.hosts["sink"] as LabHostHandle;
    prepared = await prepareLab(labHostsOf(lab), cfg, { progress: () => undefined });
  }, 120_000);

  afterAll(async () => {
    await prepared?.close();
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  it("with the lab's setting (opportunistic-insecure) every message is delivered over STARTTLS and counted once", async () => {
    const r = await trial(1);
    expect(r.status, JSON.stringify(r.failure)).toBe("ok");
    expect(r.invalidReasons.filter((x) => x.code !== "sink-cpu-high")).toEqual([]);
    expect(r.context.kumomta).toEqual({ egressTls: "opportunistic-insecure", retryIntervalSeconds: 5, maxRetryIntervalSeconds: 20, maxReady: 1024, connectionLimit: 32, logFilter: null });
    // 300 sent; the sink's own truth says 300; kumod's metrics carried each count twice (total and
    // per-listener), and the record took one of them.
    const sinkTruth = await settledKumodTruth(sink);
    expect(r.trafficGen?.sent).toBe(300);
    expect(r.endToEnd?.sinkReceived).toBe(300);
    expect(sinkTruth.received).toBe(300);
    expect(r.kumodCounters?.sender).toMatchObject({ received: 300, delivered: 300, transientFailures: 0, permanentFailures: 0 });
    expect(r.kumodCounters?.sink).toMatchObject({ received: 300, delivered: 0 });
    const perListener = Object.keys(r.metrics.sink.after).filter((k) => k.startsWith('total_messages_received{service="esmtp_listener:'));
    expect(perListener, "the stand-in must export kumod's per-listener series too").not.toEqual([]);
  }, 120_000);

  it("with the TLS setting removed from the sender policy, nothing is delivered and the trial says why", async () => {
    // kumod's default then applies: Opportunistic, which refuses the sink's self-signed certificate.
    const removed = await sender.exec(["bash", "-c", `sed -i '/enable_tls/d' ${SENDER_POLICY_PATH} && ! grep -q enable_tls ${SENDER_POLICY_PATH} && echo removed`], { timeoutMs: 10_000 });
    expect(removed.stdout.trim()).toBe("removed");
    const restart = await sender.exec(["bash", "-c", pidFileScript({ role: "sender", policyPath: SENDER_POLICY_PATH, kumodLog: null, policyChanged: true })], { timeoutMs: 30_000 });
    expect(restart.stdout).toMatch(/^started \d+$/m);
    // Bounded wait (10 s) for the restarted kumod's metrics listener.
    const up = await sender.exec(["bash", "-c", `for i in $(seq 1 100); do curl -sf --max-time 1 ${SENDER_METRICS_URL} >/dev/null && exit 0; sleep 0.1; done; exit 1`], { timeoutMs: 20_000 });
    expect(up.code).toBe(0);
    const sinkBefore = (await settledKumodTruth(sink)).received;

    const r = await trial(2, 4);
    expect(r.status, JSON.stringify(r.failure)).toBe("ok");
    expect(r.valid).toBe(false);
    const codes = r.invalidReasons.map((x) => x.code);
    expect(codes).toContain("delivery-failures");
    expect(codes).toContain("queue-not-drained");
    expect(r.invalidReasons.find((x) => x.code === "delivery-failures")?.detail).toMatch(/failed deliveries to the sink \d+ times transiently/);
    expect(r.kumodCounters?.sender?.transientFailures).toBeGreaterThan(0);
    expect(r.kumodCounters?.sender?.delivered).toBe(0);
    expect(r.endToEnd?.sinkReceived).toBe(0);
    expect((await settledKumodTruth(sink)).received).toBe(sinkBefore);
  }, 120_000);
});
