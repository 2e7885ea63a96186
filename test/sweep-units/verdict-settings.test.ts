/** The sweep's verdict per size (× workload) and exit code; run.json's settings and the differences a resume refuses. */
import { describe, expect, test } from "vitest";
import { DEFAULTS_FILE, readYamlFile } from "../../lab-config/load";
import { resolveLabConfig } from "../../lab-config/resolve";
import { configForRun, runSettingsOf, settingsDifferences } from "../../scripts/sweep/run-settings";
import { sweepVerdict, trialVerdictLine, type VerdictRecord } from "../../scripts/sweep/verdict";

const rec = (sizeId: string, trial: number, o: Partial<VerdictRecord> = {}): VerdictRecord => ({ sizeId, trial, status: "ok", valid: true, invalidReasons: [], trafficGen: { rate: { msgsPerSec: 1232.66 } }, ...o });
const cpu = { code: "sink-cpu-high", detail: "sink CPU averaged 99 %" };

describe("trialVerdictLine", () => {
  test("VALID, INVALID with every reason and the rate marked unused, FAILED with its step", () => {
    expect(trialVerdictLine(rec("c2", 1))).toBe("c2 trial 1: 1232.7 msgs/s → VALID");
    expect(trialVerdictLine(rec("c2", 2, { valid: false, invalidReasons: [cpu, { code: "network-near-link", detail: "x" }] }))).toBe(
      "c2 trial 2: 1232.7 msgs/s (not used) → INVALID: sink-cpu-high (sink CPU averaged 99 %); network-near-link (x)",
    );
    expect(trialVerdictLine(rec("c2", 3, { status: "failed", valid: false, failure: { step: "traffic-gen", message: "exit 2" } }))).toBe("c2 trial 3: FAILED — traffic-gen: exit 2 → INVALID");
    expect(trialVerdictLine(rec("c2", 1, { workload: { name: "dkim" } }))).toMatch(/^c2 × dkim trial 1: /);
  });
});

describe("sweepVerdict", () => {
  test("every size valid: exit 0", () => {
    const v = sweepVerdict([rec("a", 1), rec("a", 2, { valid: false, invalidReasons: [cpu] }), rec("b", 1)], { sizeIds: ["a", "b"], workloads: ["published"], trials: 2 });
    expect(v.exitCode).toBe(0);
    expect(v.lines).toContain("  a: 1 valid, 1 invalid, 0 failed (sink-cpu-high ×1)");
    expect(v.lines).toContain("  b: 1 valid, 0 invalid, 0 failed, 1 not run");
    expect(v.lines.at(-1)).toBe("Every size has a valid figure.");
  });

  test("a size whose trials were all rejected or failed: NO VALID FIGURE, exit 3", () => {
    const v = sweepVerdict([rec("a", 1), rec("b", 1, { valid: false, invalidReasons: [cpu] }), rec("b", 2, { status: "failed", valid: false })], { sizeIds: ["a", "b"], workloads: ["published"], trials: 2 });
    expect(v.exitCode).toBe(3);
    expect(v.withoutFigure.map((c) => c.sizeId)).toEqual(["b"]);
    expect(v.lines).toContain("  b: 0 valid, 1 invalid, 1 failed (sink-cpu-high ×1)  ← NO VALID FIGURE");
    expect(v.lines.at(-1)).toMatch(/^NO VALID FIGURE for b: the report shows/);
  });

  test("per workload; none valid anywhere is said as such", () => {
    const v = sweepVerdict([rec("a", 1, { valid: false, invalidReasons: [cpu], workload: { name: "dkim" } })], { sizeIds: ["a"], workloads: ["published", "dkim"], trials: 1 });
    expect(v.lines).toContain("  a × published: 0 valid, 0 invalid, 0 failed, 1 not run  ← NO VALID FIGURE");
    expect(v.lines).toContain("  a × dkim: 0 valid, 1 invalid, 0 failed (sink-cpu-high ×1)  ← NO VALID FIGURE");
    expect(v.lines.at(-1)).toMatch(/the sweep produced no figure at all/);
  });
});

describe("run settings", () => {
  const base = readYamlFile(DEFAULTS_FILE) as Record<string, unknown>;
  const cfgWith = (traffic: Record<string, unknown>) => resolveLabConfig({ ...base, traffic: { ...(base["traffic"] as object), ...traffic } }, {}, "t", "none").config;
  const started = cfgWith({ messageCount: 20000 });
  const today = cfgWith({ messageCount: 3000 });
  const manifest = { traffic: { concurrency: 1, messageCount: 20000, bodySizeBytes: 1, durationCapSeconds: 60, extraArgs: [] }, settings: runSettingsOf(started) };

  test("a resume runs with run.json's settings, not today's", () => {
    const cfg = configForRun(today, manifest as never);
    expect(cfg.traffic.messageCount).toBe(20000);
    expect(cfg.aws).toEqual(today.aws);
  });

  test("each differing setting named once per place it matters; none when equal", () => {
    expect(settingsDifferences(started, today, ["published"])).toEqual([
      "traffic.messageCount: 20000 in run.json, 3000 in today's config",
      "workload.published.traffic.messageCount: 20000 in run.json, 3000 in today's config",
    ]);
    expect(settingsDifferences(started, started, ["published"])).toEqual([]);
    expect(settingsDifferences(started, today, ["gone"])).toEqual(["traffic.messageCount: 20000 in run.json, 3000 in today's config"]);
  });

  test("a run.json from before settings were kept: its traffic is applied", () => {
    const cfg = configForRun(today, { traffic: manifest.traffic } as never);
    expect(cfg.traffic).toMatchObject({ messageCount: 20000, concurrency: 1, bodySize: 1 });
  });
});
