/**
 * The report holds our figure against a published one only where the setups match: the setup our
 * trials recorded (profile, OS and spool volume built, the workload's DKIM, traffic-gen's load, the
 * instance) against what the figure's source states (shared/reference/published-results.md).
 * Expected texts and ratios are worked out by hand from those statements.
 */
import { describe, expect, it } from "vitest";
import { join } from "node:path";
import { aggregate, type ReportRow } from "../../scripts/report/build-report";
import { ratioCell, summaryCells } from "../../scripts/report/report-table";
import { renderMarkdown } from "../../scripts/report/markdown";
import { renderCsv } from "../../scripts/report/csv";
import { compareReports } from "../../scripts/report/compare";
import { readManifest } from "../../scripts/results/results-dir";
import type { RunManifest } from "../../scripts/results/run-manifest";
import type { TrialProfile, TrialRecord } from "../../scripts/results/trial-record";
import { makeRecord } from "../results/make-record";

const FIXTURE = join(__dirname, "../fixtures/results/sweep-3-sizes");

const C5_2XL = { id: "c8-r16", label: "c5.2xlarge", vcpu: 8, ramGiB: 16, arch: "x86_64" as const, hourlyUsd: 0.34 };
const C5N_2XL = { id: "c8-r21", label: "c5n.2xlarge", vcpu: 8, ramGiB: 21, arch: "x86_64" as const, hourlyUsd: 0.432 };
const M5_2XL = { id: "c8-r32", label: "m5.2xlarge", vcpu: 8, ramGiB: 32, arch: "x86_64" as const, hourlyUsd: 0.384 };

const MINIMAL: TrialProfile = { name: "minimal", built: { os: "ubuntu-22.04", spoolVolume: null } };
const P2023: TrialProfile = { name: "kumomta-2023-07", built: { os: "ubuntu-22.04", spoolVolume: { sizeGiB: 100, iops: 7200, throughputMBps: 225 } } };
const P2025: TrialProfile = { name: "kumomta-2025", built: { os: "ubuntu-24.04", spoolVolume: { sizeGiB: 100, iops: 7200, throughputMBps: 225 } } };
const RSA = { name: "dkim-sha256", settings: { name: "dkim-sha256", sender: { dkim: { algorithm: "rsa2048", domains: ["kumolab.example.com"], selector: "kumolab" }, spool: { kind: "RocksDB", flush: false }, logging: "off", policyHelpers: true, egressTls: "opportunistic-insecure" } } };

function manifestWith(size: RunManifest["sizes"][number], workload?: string): RunManifest {
  const m = readManifest(FIXTURE);
  return { ...m, sizes: [size], ...(workload ? { workloads: { names: [workload], baseline: workload } } : {}) };
}

/** Two trials of `size`: 90 s and 90 s of 100,000 messages = 360 ÷ 90 = 4.0 MMH, unless `elapsed` says otherwise. */
function records(size: typeof C5_2XL, profile: TrialProfile | undefined, opts: { workload?: { name: string; settings: Record<string, unknown> }; elapsed?: number; messageCount?: number } = {}): TrialRecord[] {
  return [1, 2].map((trial) => {
    const r = makeRecord({ sizeId: size.id, trial, startedAt: `2026-03-01T09:${10 + trial * 5}:00Z`, elapsedSeconds: opts.elapsed ?? 90, vcpu: size.vcpu, ramGiB: size.ramGiB, label: size.label });
    return {
      ...r,
      params: { ...r.params, messageCount: opts.messageCount ?? r.params.messageCount },
      context: { ...r.context, ...(profile ? { profile } : {}) },
      ...(opts.workload ? { workload: opts.workload } : {}),
    };
  });
}

function row(size: typeof C5_2XL, profile: TrialProfile | undefined, opts: { workload?: { name: string; settings: Record<string, unknown> }; elapsed?: number; messageCount?: number } = {}): ReportRow {
  const r = aggregate(manifestWith(size, opts.workload?.name), records(size, profile, opts), []).rows[0];
  if (!r) throw new Error("no row");
  return r;
}

describe("July 2023 figure (c5.2xlarge, 4.034 MMH: DKIM sha256, RocksDB, 7,200 IOPS disk)", () => {
  it("a minimal run on the same instance is not compared: its spool disk is gp3's baseline and it signs nothing", () => {
    const r = row(C5_2XL, MINIMAL);
    expect(r.published?.mmh).toBe(4.034);
    expect(r.ratioToPublished).toBeNull();
    expect(ratioCell(r)).toBe("not comparable: spool volume 3,000 IOPS vs 7,200; no DKIM; no policy helpers (egress pool and source, listener domains, shaping, tenants) (profile kumomta-2023-07 reproduces it)");
    const csv = renderCsv(aggregate(manifestWith(C5_2XL), records(C5_2XL, MINIMAL), [])).trim().split("\n");
    const head = csv[0]?.split(",") ?? [];
    expect(head.slice(head.indexOf("ratioToPublished"), head.indexOf("ratioToPublished") + 2)).toEqual(["ratioToPublished", "publishedNotComparable"]);
    expect(csv[1]).toContain(',4.034,july-2023-blog c5.2xlarge,,"spool volume 3,000 IOPS vs 7,200; no DKIM; no policy helpers (egress pool and source, listener domains, shaping, tenants)",');
    expect(summaryCells(r)[5]).toBe("4.034 (not comparable: spool volume 3,000 IOPS vs 7,200; no DKIM; no policy helpers (egress pool and source, listener domains, shaping, tenants) (profile kumomta-2023-07 reproduces it))");
  });

  it("a kumomta-2023-07 run (RSA-SHA256 on every message, 7,200 IOPS volume) is compared: 4.0 ÷ 4.034 = 0.99×", () => {
    const r = row(C5_2XL, P2023, { workload: RSA });
    expect(r.publishedComparison).toEqual({ comparable: true, differences: [], profile: "kumomta-2023-07" });
    expect(r.ratioToPublished).toBeCloseTo(4 / 4.034, 9);
    expect(ratioCell(r)).toBe("0.99×");
    expect(r.profiles).toEqual(["kumomta-2023-07"]);
  });

  it("RSA signing on the 7,200 IOPS volume without the round's policy helpers is not the round's setup (records from before sender.policyHelpers have none)", () => {
    const plain = { ...RSA, settings: { ...RSA.settings, sender: { dkim: RSA.settings.sender.dkim, spool: RSA.settings.sender.spool, logging: "off", egressTls: "opportunistic-insecure" } } };
    const r = row(C5_2XL, P2023, { workload: plain });
    expect(r.ratioToPublished).toBeNull();
    expect(ratioCell(r)).toBe("not comparable: no policy helpers (egress pool and source, listener domains, shaping, tenants) (profile kumomta-2023-07 reproduces it)");
  });

  it("Ed25519 signing is another DKIM than the round's", () => {
    const ed = { ...RSA, settings: { ...RSA.settings, sender: { ...RSA.settings.sender, dkim: { algorithm: "ed25519", domains: ["kumolab.example.com"], selector: "kumolab" } } } };
    expect(ratioCell(row(C5_2XL, P2023, { workload: ed }))).toBe("not comparable: DKIM ed25519 vs rsa-sha256 (profile kumomta-2023-07 reproduces it)");
  });
});

describe("2025 update figure (c5n.2xlarge, nearly 3.3 MMH: Ubuntu 24, 100 GB gp3 at 7,200 IOPS / 225 MB/s)", () => {
  it("a kumomta-2025 run is compared: 100,000 in 120 s = 3.0 MMH, 3.0 ÷ 3.3 = 0.91×", () => {
    const r = row(C5N_2XL, P2025, { elapsed: 120 });
    expect(r.published?.source).toBe("performance-update-2025");
    expect(r.mmh).toBeCloseTo(3, 9);
    expect(ratioCell(r)).toBe("0.91×");
  });

  it("a minimal run on c5n.2xlarge says each stated item that differs", () => {
    expect(ratioCell(row(C5N_2XL, MINIMAL, { elapsed: 120 }))).toBe("not comparable: OS Ubuntu 22.04 vs Ubuntu 24.04; spool volume 3,000 IOPS vs 7,200; spool volume 125 MB/s vs 225 (profile kumomta-2025 reproduces it)");
  });

  it("on your own hosts kumolab built neither the OS nor the disk: not comparable, and it says why", () => {
    const inventory: TrialProfile = { name: "kumomta-2025", built: null };
    expect(ratioCell(row(C5N_2XL, inventory, { elapsed: 120 }))).toBe(
      "not comparable: OS not built by kumolab (your own hosts) vs Ubuntu 24.04; spool disk not built by kumolab (your own hosts) vs 7,200 IOPS (profile kumomta-2025 reproduces it)",
    );
  });
});

describe("performance-testing page (8 CPU / 30 GB, 4.9 MMH: 100,000 × 100 KB; disk, OS and DKIM not stated)", () => {
  it("the minimal lab is compared as before (the page states nothing it lacks): 4.0 ÷ 4.9 = 0.82×", () => {
    const r = row(M5_2XL, MINIMAL);
    expect(r.published?.source).toBe("performance-testing-page");
    expect(ratioCell(r)).toBe("0.82×");
  });

  it("trials from before profiles are still compared with the page", () => {
    expect(ratioCell(row(M5_2XL, undefined))).toBe("0.82×");
  });

  it("a smoke-sized trial of 3,000 messages is not the page's 100,000-message run", () => {
    const r = row(M5_2XL, MINIMAL, { messageCount: 3000 });
    expect(ratioCell(r)).toBe("not comparable: 3,000 messages per trial vs 100,000 (profile minimal reproduces it)");
  });
});

describe("the report says what it compared and what it did not", () => {
  it("no 'Against the published figures' line when no figure is comparable; the profile and its stated differences in the run facts", () => {
    const report = aggregate(manifestWith(C5_2XL), records(C5_2XL, MINIMAL), []);
    expect(report.headline.join("\n")).not.toContain("Against the published figures");
    expect(report.headline).toContain("Not compared with the published figures (the setups differ): 8 vCPU, 4.034 MMH — spool volume 3,000 IOPS vs 7,200, no DKIM, no policy helpers (egress pool and source, listener domains, shaping, tenants) (profile kumomta-2023-07 reproduces it).");
    const md = renderMarkdown(report);
    expect(md).toContain("- lab profile: minimal: the lab.yaml setup (spool on the root gp3 volume at its baseline 3,000 IOPS / 125 MB/s, minimal policy)\n");
    const p2023 = renderMarkdown(aggregate(manifestWith(C5_2XL, "dkim-sha256"), records(C5_2XL, P2023, { workload: RSA }), []));
    expect(p2023).toContain("- lab profile: kumomta-2023-07: the July 2023 round's test bed");
    expect(p2023).toContain("not reproduced: The round states a 7,200 IOPS disk but not its size, type or throughput");
    expect(p2023).toContain("Against the published figures: 0.99× at 8 vCPU");
  });

  it("trials of two profiles in one run are flagged as not comparable with each other", () => {
    const recs = [...records(C5_2XL, MINIMAL).slice(0, 1), ...records(C5_2XL, P2023).slice(1)];
    expect(aggregate(manifestWith(C5_2XL), recs, []).warnings).toContain("the trials ran under 2 lab profiles (minimal, kumomta-2023-07); their figures are not comparable");
  });

  it("--compare of a minimal run and a kumomta-2025 run names the profile among what differs", () => {
    const a = aggregate(manifestWith(C5N_2XL), records(C5N_2XL, MINIMAL), []);
    const b = aggregate(manifestWith(C5N_2XL), records(C5N_2XL, P2025), []);
    const c = compareReports([{ dir: "a", report: a }, { dir: "b", report: b }]);
    expect(c.differences).toContainEqual({ what: "lab profile", values: ["minimal", "kumomta-2025"] });
  });
});
