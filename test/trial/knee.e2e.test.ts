/**
 * `npm run knee` on the namespace lab, through the product's own CLI (the lab driver is the test
 * lab's): steady-state steps of 4 s — an unthrottled one, then 30 % and 60 % of its rate with
 * traffic-gen's --throttle — each recorded with its rate over time and counted exactly; the knee
 * report with a 3-step latency curve; the lab torn down. Lean: one lab, three short steps.
 */
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { kneeMain } from "../../scripts/cli/knee";
import { readKneeRun } from "../../scripts/knee/knee-run";
import { KNEE_REPORT_FILES } from "../../scripts/knee/knee-report";
import { readRecords } from "../../scripts/results/results-dir";
import { skipNamespaceLab } from "../lab/namespace-lab";
import { NamespaceLabDriver } from "../lab/namespace-lab-driver";
import { smallLabConfigObject } from "../lab/lab-files";

const skip = skipNamespaceLab();
const STEP_SECONDS = 4;

describe.skipIf(skip)("npm run knee on the namespace lab (steady-state steps)", () => {
  let work: string;
  let dir: string;
  let code: number;
  let driver: NamespaceLabDriver;

  beforeAll(async () => {
    work = mkdtempSync(path.join(os.tmpdir(), "kumolab-knee-"));
    dir = path.join(work, "knee");
    const cfgFile = path.join(work, "lab.yaml");
    writeFileSync(cfgFile, YAML.stringify(smallLabConfigObject({ messageCount: 300, concurrency: 10, bodySize: "10kb", coolDownSeconds: 0 })));
    driver = new NamespaceLabDriver();
    code = await kneeMain(
      ["--lab-config", cfgFile, "--size", "ns-2cpu", "--fractions", "0.3,0.6", "--duration", String(STEP_SECONDS), "--cool-down", "0", "--results", dir, "--yes"],
      { makeDriver: async () => driver },
    );
  }, 120_000);

  afterAll(async () => {
    // The knee tears its lab down itself; this only runs if it did not get that far.
    if (await driver.existingLab()) await driver.teardown({ progress: () => undefined });
    rmSync(work, { recursive: true, force: true });
  });

  it("runs 3 steps: unthrottled, then --throttle at 30 % and 60 % of the unthrottled rate, each for --duration 4 s without --message-count", () => {
    const run = readKneeRun(dir);
    const { records } = readRecords(dir);
    expect(records.map((r) => r.trial)).toEqual([1, 2, 3]);
    expect(run.steps.map((s) => s.fraction)).toEqual([null, 0.3, 0.6]);
    const max = records[0]?.trafficGen?.rate.msgsPerSec ?? 0;
    expect(run.maxMsgsPerSec).toBe(max);
    for (const r of records) {
      expect(r.params.durationSeconds).toBe(STEP_SECONDS);
      expect(r.params.argv).not.toContain("--message-count");
      expect(r.params.argv[r.params.argv.indexOf("--duration") + 1]).toBe(String(STEP_SECONDS));
    }
    expect(records[0]?.params.argv).not.toContain("--throttle");
    // ≥ 10 msgs/s is rendered N/s (scripts/knee/throttle-spec.ts).
    expect(records[1]?.params.extraArgs).toEqual(["--throttle", `${Math.round(0.3 * max)}/s`]);
    expect(records[2]?.params.extraArgs).toEqual(["--throttle", `${Math.round(0.6 * max)}/s`]);
    // The throttle took effect: 30 % offered cannot be accepted at the unthrottled rate. A burst of
    // one second's limit passes at once (crates/throttle/src/throttle.rs), so over 4 s at most
    // about (4 + 1) ÷ 4 × 30 % ≈ 38 % of the maximum; 60 % leaves room for a slow start.
    expect(records[1]?.trafficGen?.rate.msgsPerSec ?? Infinity).toBeLessThan(0.6 * max);
  });

  it("each step ran to its deadline, drained, and was counted exactly: the sink received what the sender's kumod accepted", () => {
    for (const r of readRecords(dir).records) {
      expect(r.status, JSON.stringify(r.failure)).toBe("ok");
      expect(r.trafficGen?.outcome).toBe("deadline-reached");
      expect(r.invalidReasons.map((x) => x.code)).not.toContain("incomplete-deadline");
      expect(r.endToEnd?.queueDrained).toBe(true);
      expect(r.kumodCounters?.sender?.received ?? 0).toBeGreaterThan(0);
      expect(r.endToEnd?.sinkReceived).toBe(r.kumodCounters?.sender?.received);
    }
  });

  it("each step records its rate over time: half-second intervals from the first injection to traffic-gen's deadline (within its 4 s), whose messages are at most what kumod accepted, and the drop rule judged them", () => {
    for (const r of readRecords(dir).records) {
      const rot = r.rateOverTime;
      expect(rot?.series.intervalSeconds).toBe(0.5);
      // Whole intervals within the 4 s traffic-gen ran, and at least 3 after the first (the rule's minimum).
      expect(rot?.series.accepted.length).toBeGreaterThanOrEqual(4);
      expect(rot?.series.accepted.length).toBeLessThanOrEqual(STEP_SECONDS * 2);
      expect(rot?.series.delivered).toHaveLength(rot?.series.accepted.length ?? -1);
      const acceptedInSeries = (rot?.series.accepted ?? []).reduce((a, b) => a + b * 0.5, 0);
      expect(acceptedInSeries).toBeGreaterThan(0);
      expect(acceptedInSeries).toBeLessThanOrEqual(r.kumodCounters?.sender?.received ?? 0);
      expect(rot?.drop).not.toBeNull();
      expect(["accepted", "delivered"]).toContain(rot?.drop?.series);
    }
  });

  it("writes the knee report: a 3-step latency curve with p50/p99 per step, the rule's outcome and the chart; the lab is gone", () => {
    const md = readFileSync(path.join(dir, KNEE_REPORT_FILES.markdown), "utf8");
    const rows = md.split("\n").filter((l) => /^\| \d/.test(l));
    expect(rows).toHaveLength(3);
    // Lightest first; the unthrottled step last.
    expect(rows[0]).toMatch(/\| \d+\/s \|/);
    expect(rows[2]).toMatch(/unthrottled/);
    for (const row of rows) expect(row).toMatch(/ ms \| .* ms \|/);
    // The sender kumod's mean delivery time per step (deliver_message_latency_rollup _sum ÷ _count).
    const header = (md.split("\n").find((l) => l.startsWith("| step |")) ?? "").split(" | ");
    const kumodCol = header.indexOf("kumod delivery (mean)");
    expect(kumodCol).toBeGreaterThan(0);
    for (const row of rows) expect(row.split(" | ")[kumodCol]).toMatch(/^\d+(\.\d+)? ms$/);
    // The lightest step is the rule's reference: its p99 is 1.00× itself.
    expect(rows[0]).toMatch(/\| 1\.00× \|/);
    expect(md).toMatch(/p99 (stayed within|turns up at)/);
    const svg = readFileSync(path.join(dir, KNEE_REPORT_FILES.svg), "utf8");
    expect(svg.startsWith("<svg")).toBe(true);
    expect(svg).toMatch(/Latency against offered load/);
    expect([0, 3]).toContain(code);
    expect(existsSync(path.join(dir, "knee.json"))).toBe(true);
  });

  it("the lab was torn down at the end", async () => {
    expect(await driver.existingLab()).toBeUndefined();
  });
});
