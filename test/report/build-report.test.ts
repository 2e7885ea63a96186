import { cpSync, mkdtempSync, rmSync, unlinkSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { aggregate, buildReport } from "../../scripts/report/build-report";
import { markdownTable, renderMarkdown } from "../../scripts/report/markdown";
import { renderCsv } from "../../scripts/report/csv";
import { matchBaseline } from "../../scripts/report/published-baseline";
import { readManifest } from "../../scripts/results/results-dir";
import { makeRecord } from "../results/make-record";

const FIXTURE = join(__dirname, "../fixtures/results/sweep-3-sizes");
let dir: string;
beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), "kumolab-report-"));
  cpSync(FIXTURE, dir, { recursive: true });
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe("buildReport over recorded results", () => {
  it("means, stdev and Student-t 95 % CI over valid trials only", () => {
    const report = buildReport(dir);
    const [c2, c4, c8] = report.rows;
    // MMH = 100,000 × 3600 ÷ elapsed ÷ 10^6 = 360 ÷ elapsed. Figures below worked out by hand (and
    // checked with a calculator), not with the report's code: mean, sample stdev (n − 1), half-width
    // t · s / √n with t_{0.975} from the NIST/SEMATECH table (df 2: 4.303, df 1: 12.706).
    // 2 vCPU: 2.4, 2.5, 2.25 (trial 3, deadline, excluded): mean 2.383333, s 0.125831, half 0.312606.
    expect(c2?.trialsValid).toBe(3);
    expect(c2?.trialsTotal).toBe(4);
    expect(c2?.mmh).toBeCloseTo(2.383333, 6);
    expect(c2?.validMmh).toEqual([2.4, 2.5, 2.25]);
    expect(c2?.stdevMmh).toBeCloseTo(0.125831, 6);
    expect(c2?.ci95Mmh?.halfWidth).toBeCloseTo(0.312606, 6);
    expect(c2?.ci95Mmh?.low).toBeCloseTo(2.070728, 6);
    expect(c2?.ci95Mmh?.high).toBeCloseTo(2.695939, 6);
    // (666.667 + 694.444 + 625) / 3
    expect(c2?.msgsPerSec).toBeCloseTo(662.037037, 6);

    // 4 vCPU: 4 and 4.235294 (sink-cpu-high and failed trials excluded): mean 4.117647, s 0.166378, half 1.494824.
    expect(c4?.trialsValid).toBe(2);
    expect(c4?.mmh).toBeCloseTo(4.117647, 6);
    expect(c4?.ci95Mmh?.halfWidth).toBeCloseTo(1.494824, 6);
    expect(c4?.ci95Mmh?.high).toBeCloseTo(5.612471, 6);

    // 8 vCPU: 4.8, 5, 4.897959 (send-failures trial excluded): mean 4.899320, s 0.100007.
    expect(c8?.mmh).toBeCloseTo(4.89932, 6);
    expect(c8?.stdevMmh).toBeCloseTo(0.100007, 6);
    expect(c8?.ci95Mmh?.halfWidth).toBeCloseTo(0.248451, 6);
    expect(c8?.validMmh).toHaveLength(3);
  });

  it("end-to-end, latency, CPU and network are means over valid trials", () => {
    const [c2, , c8] = buildReport(dir).rows;
    expect(c2?.endToEndMmh).toBeCloseTo((2.3 + 2.4 + 2.2) / 3, 12);
    expect(c2?.p99LatencySeconds).toBeCloseTo(3, 12);
    expect(c2?.senderCpuPct).toBeCloseTo(95, 12);
    expect(c2?.sinkCpuPct).toBeCloseTo(31, 12);
    expect(c8?.networkMBps).toBeCloseTo(120, 9);
  });

  it("lists every excluded trial with its reasons", () => {
    const report = buildReport(dir);
    expect(report.excluded.map((e) => [e.sizeId, e.trial, e.status, e.reasons.map((r) => r.code)])).toEqual([
      ["c2-r4", 3, "ok", ["incomplete-deadline"]],
      ["c4-r16", 2, "ok", ["sink-cpu-high"]],
      ["c4-r16", 4, "failed", ["failed"]],
      ["c8-r32", 3, "ok", ["send-failures"]],
    ]);
    const md = renderMarkdown(report);
    expect(md).toContain("4 of 12 trials are excluded from every mean:");
    expect(md).toContain("- c4-r16 trial 4 (failed): failed — traffic-gen: SSH connection to the sender closed after 41 s");
    expect(md).toContain("- c2-r4 trial 3 (ok): incomplete-deadline — traffic-gen stopped at its 2000 s deadline");
  });

  it("flags sizes whose figure may not be the sender's limit", () => {
    const [c2, c4, c8] = buildReport(dir).rows;
    expect(c2?.flags).toEqual(["deadline-hit"]);
    expect(c4?.flags).toEqual(["trial-failed", "sink-cpu-high"]);
    expect(c8?.flags).toEqual(["network-near-link", "send-failures"]);
    expect(c8?.flagDetails).toContain("network-near-link: 4 of 4 trials ran above 80 % of the link speed");
  });

  it("puts the published figure beside ours, matched by vCPU and RAM", () => {
    const [c2, c4, c8] = buildReport(dir).rows;
    expect(c2?.published?.mmh).toBe(2.7);
    expect(c4?.published?.mmh).toBe(4.4);
    expect(c8?.published).toMatchObject({ mmh: 4.9, vcpu: 8, ramGiB: 30, source: "performance-testing-page" });
    // 4.899320 ÷ 4.9
    expect(c8?.ratioToPublished).toBeCloseTo(0.999861, 6);
    const table = markdownTable(buildReport(dir));
    const lines = table.split("\n");
    expect(lines[0]).toMatch(/^\| CPU \| RAM \| RATE \| size \| valid\/total \| stdev \(MMH\) \| 95% CI \(MMH\) \|/);
    expect(lines[2]).toMatch(/^\| 2 \| 4 \| 2\.383 MMH \| c5\.large \| 3\/4 \| 0\.126 \| 2\.071–2\.696 \| 2\.300 \| 3\.00 s \| 95 % \| 31 % \| 120\.0 \| deadline-hit \| 2\.7 \(perf page, 2\/4\) \| 0\.88× \| \$0\.036 \|$/);
    expect(lines[4]).toContain("| 4.9 (perf page, 8/30) | 1.00× |");
  });

  it("computes the sweep cost from the timeline windows and the cost per million messages", () => {
    const report = buildReport(dir);
    const c = report.cost;
    expect(c.lab).toMatchObject({ source: "timeline", seconds: 93 * 60 });
    expect(c.sinkUsd).toBeCloseTo((0.338 * 93) / 60, 12);
    expect(c.sizes.map((s) => [s.sizeId, s.window.seconds, s.window.source])).toEqual([
      ["c2-r4", 23 * 60, "timeline"],
      ["c4-r16", 24 * 60, "timeline"],
      ["c8-r32", 24 * 60, "timeline"],
    ]);
    expect(c.notes).toEqual([]);
    const c8 = report.rows[2];
    // 0.384 $/h ÷ 4.899320 million messages per hour
    expect(c8?.costPerMillionUsd).toBeCloseTo(0.078378, 6);
    // (31.434 + 1.955 + 4.608 + 9.216) / 60 = 0.786883
    expect(c.totalUsd).toBeCloseTo(0.786883, 6);
    expect(renderMarkdown(report)).toContain("**Sweep total: $0.79**");
  });

  it("falls back to the trials' windows when the timeline lacks them, and says so", () => {
    unlinkSync(join(dir, "timeline.jsonl"));
    const report = buildReport(dir);
    const c = report.cost;
    // First trial 09:15:00, last trial (c8-r32 #4) ended 10:20:00 + 120 s.
    expect(c.lab).toMatchObject({ source: "trials", seconds: 67 * 60 });
    expect(c.sizes[0]).toMatchObject({ window: { source: "trials", seconds: 17 * 60 } });
    expect(c.notes[0]).toMatch(/no lab-up-start event: the lab window is taken from the first trial start/);
    expect(c.notes.filter((n) => /its trials' window is used/.test(n))).toHaveLength(3);
    expect(renderMarkdown(report)).toContain("Note: the timeline has no lab-up-start event");
  });

  it("CSV has one line per size with raw numbers", () => {
    const csv = renderCsv(buildReport(dir)).trim().split("\n");
    expect(csv).toHaveLength(4);
    const head = csv[0]?.split(",") ?? [];
    const c2 = csv[1]?.split(",") ?? [];
    expect(c2[head.indexOf("sizeId")]).toBe("c2-r4");
    expect(Number(c2[head.indexOf("mmh")])).toBeCloseTo(2.383333, 6);
    expect(c2[head.indexOf("flags")]).toBe("deadline-hit");
    expect(c2[head.indexOf("publishedMmh")]).toBe("2.7");
  });
});

describe("aggregate edge cases", () => {
  const manifest = () => readManifest(FIXTURE);

  it("a size with no valid trial reports no rate (never zero) and is flagged; missing port-25 proof is flagged", () => {
    const recs = [
      makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T09:15:00Z", port25Proof: null, invalidReasons: [{ code: "missing-port25-proof", detail: "provisioning recorded no proof" }] }),
      makeRecord({ sizeId: "c2-r4", trial: 2, startedAt: "2026-03-01T09:20:00Z", failedStep: { step: "provision", message: "kumod did not start" } }),
    ];
    const report = aggregate(manifest(), recs, []);
    const c2 = report.rows[0];
    expect(c2?.mmh).toBeNull();
    expect(c2?.stdevMmh).toBeNull();
    expect(c2?.flags).toEqual(["no-valid-trials", "trial-failed", "missing-port25-proof"]);
    expect(markdownTable(report).split("\n")[2]).toMatch(/^\| 2 \| 4 \| — \| c5\.large \| 0\/2 \|/);
    expect(report.rows[1]?.trialsTotal).toBe(0);
  });

  it("a single valid trial has a mean but no spread", () => {
    const report = aggregate(manifest(), [makeRecord({ sizeId: "c8-r32", trial: 1, startedAt: "2026-03-01T09:15:00Z", elapsedSeconds: 72 })], []);
    expect(report.rows[2]?.mmh).toBeCloseTo(5, 12);
    expect(report.rows[2]?.ci95Mmh).toBeNull();
  });

  it("a trial with no observed delivery has no end-to-end rate, and it does not pull the mean to zero", () => {
    const a = makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T09:15:00Z", e2eMmh: 2.2 });
    const b = makeRecord({ sizeId: "c2-r4", trial: 2, startedAt: "2026-03-01T09:20:00Z" });
    if (!b.endToEnd) throw new Error("fixture has no endToEnd");
    b.endToEnd = { ...b.endToEnd, lastDeliveryAt: null, seconds: null, msgsPerSec: null, mmh: null };
    expect(aggregate(manifest(), [a, b], []).rows[0]?.endToEndMmh).toBeCloseTo(2.2, 12);
  });

  it("a duplicated trial is counted once and reported", () => {
    const r = makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T09:15:00Z", elapsedSeconds: 150 });
    const r2 = makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T09:20:00Z", elapsedSeconds: 144 });
    const report = aggregate(manifest(), [r, r2], []);
    expect(report.rows[0]?.trialsTotal).toBe(1);
    expect(report.rows[0]?.mmh).toBeCloseTo(2.5, 12);
    expect(report.warnings).toEqual(["size c2-r4 trial 1 is recorded more than once; the last record is used"]);
  });
});

describe("published baseline matching", () => {
  it.each([
    [2, 4, 2.7],
    [4, 16, 4.4],
    [8, 32, 4.9],
    [8, 30, 4.9],
    [8, 16, 4.034],
    [16, 32, 4.434],
    [16, 64, 5.1],
    [96, 192, 6.831],
  ])("%d vCPU / %d GiB → %f", (vcpu, ram, mmh) => {
    expect(matchBaseline(vcpu, ram)[0]?.mmh).toBe(mmh);
  });

  it.each([
    [4, 8],
    [8, 64],
    [3, 16],
  ])("%d vCPU / %d GiB → none", (vcpu, ram) => {
    expect(matchBaseline(vcpu, ram)).toEqual([]);
  });

});
