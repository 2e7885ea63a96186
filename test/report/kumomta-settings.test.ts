/** The report says which KumoMTA settings and versions the trials ran with, and flags what shaped a figure. */
import path from "node:path";
import { describe, expect, test } from "vitest";
import { aggregate } from "../../scripts/report/build-report";
import { renderMarkdown } from "../../scripts/report/markdown";
import { readManifest } from "../../scripts/results/results-dir";
import type { TrialRecord } from "../../scripts/results/trial-record";
import { makeRecord } from "../results/make-record";

const FIXTURE = path.join(__dirname, "..", "fixtures", "results", "sweep-3-sizes");
const settings = { egressTls: "opportunistic-insecure", retryIntervalSeconds: 5, maxRetryIntervalSeconds: 20, maxReady: 1024, connectionLimit: 32, logFilter: null } as const;
const deltas = { received: 100_000, delivered: 100_000, transientFailures: 0, permanentFailures: 0, delayedReadyQueueFull: 0, connectionsDenied: 0 };

function rec(trial: number, over: Partial<TrialRecord> = {}, kumomta: TrialRecord["context"]["kumomta"] | null = settings): TrialRecord {
  const r = makeRecord({ sizeId: "c2-r4", trial, startedAt: "2026-03-01T09:00:00Z" });
  return { ...r, kumodCounters: { sender: deltas, sink: { ...deltas, delivered: 0 } }, ...over, context: { ...r.context, ...(kumomta ? { kumomta } : {}) } };
}

describe("KumoMTA settings in the report", () => {
  test("one line with the version and the settings in force", () => {
    const report = aggregate(readManifest(FIXTURE), [rec(1), rec(2)], []);
    expect(report.kumomta.versions).toEqual([{ text: "kumod 2026.03.04-abcdef12", trials: 2 }]);
    expect(report.kumomta.settings).toEqual([
      { text: "egress TLS opportunistic-insecure (STARTTLS, certificate not verified), retry 5 s (max 20 s), max_ready 1024, connection_limit 32, KUMOD_LOG unset", trials: 2 },
    ]);
    expect(renderMarkdown(report)).toContain("KumoMTA: kumod 2026.03.04-abcdef12; egress TLS opportunistic-insecure");
    expect(report.warnings).toEqual([]);
  });

  test("mixed settings are listed with their trial counts and warned about", () => {
    const report = aggregate(readManifest(FIXTURE), [rec(1), rec(2, {}, { ...settings, egressTls: "disabled" })], []);
    expect(report.kumomta.settings.map((s) => s.trials)).toEqual([1, 1]);
    expect(report.kumomta.settings[1]?.text).toMatch(/^egress TLS disabled \(no TLS\)/);
    expect(report.warnings.join("\n")).toMatch(/2 different KumoMTA settings/);
  });

  test("records from before the settings were recorded say so instead of guessing", () => {
    const report = aggregate(readManifest(FIXTURE), [rec(1, {}, null)], []);
    expect(report.kumomta.settings).toEqual([{ text: "not recorded (an older kumolab wrote these trials)", trials: 1 }]);
  });

  test("a full ready queue and the sender's failed deliveries flag the size", () => {
    const full = rec(1, { kumodCounters: { sender: { ...deltas, delayedReadyQueueFull: 250 }, sink: null } });
    const failing = rec(2, { valid: false, invalidReasons: [{ code: "delivery-failures", detail: "the sender's kumod failed deliveries to the sink 3 times transiently and 0 permanently" }] });
    const row = aggregate(readManifest(FIXTURE), [full, failing], []).rows.find((r) => r.sizeId === "c2-r4");
    expect(row?.flags).toEqual(expect.arrayContaining(["ready-queue-full", "delivery-failures"]));
    expect(row?.flagDetails).toEqual(expect.arrayContaining(["ready-queue-full: 1 of 2 trials had messages delayed because the ready queue was full (kumomta.maxReady)"]));
  });
});
