/** The report's new per-size and per-run facts over the recorded fixture, against hand-worked figures. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { aggregate, buildReport } from "../../scripts/report/build-report";
import { readManifest } from "../../scripts/results/results-dir";
import { makeRecord } from "../results/make-record";

const FIXTURE = join(__dirname, "../fixtures/results/sweep-3-sizes");

describe("what limited each size, and which flags bear on the figure", () => {
  it("sender CPU at 2 and 4 vCPU, the network at 8 vCPU", () => {
    const [c2, c4, c8] = buildReport(FIXTURE).rows;
    // valid trials' sender CPU means: (95 + 96 + 94) / 3 = 95; (88 + 90) / 2 = 89
    expect(c2?.limitedBy).toEqual(["sender-cpu"]);
    expect(c2?.limitText).toBe("sender CPU 95 %");
    expect(c4?.limitText).toBe("sender CPU 89 %");
    // 1.2e8 B/s × 8 = 0.96 Gbit/s on a 1 Gbit/s link; sender CPU (70 + 72 + 71) / 3 = 71 % stays under 80 %
    expect(c8?.limitedBy).toEqual(["network"]);
    expect(c8?.linkShare).toBeCloseTo(0.96, 12);
  });

  it("a flag hit only by an excluded trial is kept apart from one a valid trial hit", () => {
    const [c2, c4, c8] = buildReport(FIXTURE).rows;
    expect(c2?.figureFlags).toEqual([]);
    expect(c2?.excludedOnlyFlags).toEqual(["deadline-hit"]);
    expect(c4?.excludedOnlyFlags).toEqual(["trial-failed", "sink-cpu-high"]);
    expect(c8?.figureFlags).toEqual(["network-near-link"]);
    expect(c8?.excludedOnlyFlags).toEqual(["send-failures"]);
  });

  it("no resource near its limit is 'not determined', with the figures", () => {
    const r = makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T09:15:00Z", senderCpu: 45, sinkCpu: 30 });
    const row = aggregate(readManifest(FIXTURE), [r], []).rows[0];
    expect(row?.limitedBy).toEqual([]);
    expect(row?.limitText).toBe("not determined (sender CPU 45 %, sink CPU 30 %, network unknown (no link speed))");
  });
});

describe("partial and empty sweeps", () => {
  it("a size never reached is 'not run (0 of 4 planned)', with no flag; every trial excluded is 'no valid trial — see why'", () => {
    const failed = makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T09:15:00Z", failedStep: { step: "provision", message: "kumod did not start" } });
    const report = aggregate(readManifest(FIXTURE), [failed], []);
    const [c2, c4] = report.rows;
    expect(c2?.statusText).toBe("no valid trial — see why");
    expect(c4?.statusText).toBe("not run (0 of 4 planned)");
    expect(c4?.flags).toEqual([]);
    expect(report.headline).toEqual(["No figure for c5.large (no valid trial — see why), m5.xlarge (not run (0 of 4 planned)), m5.2xlarge (not run (0 of 4 planned)).", "1 of 1 trials were excluded from the means (see the per-trial table for why)."]);
  });

  it("nothing run at all says so", () => {
    expect(aggregate(readManifest(FIXTURE), [], []).headline).toContain("Nothing was measured: no trial of the 3 planned sizes has been run.");
  });
});

describe("run facts and data transfer", () => {
  it("data transfer: message bodies sent × $0.09/GB (the sweep plan's definition)", () => {
    const t = buildReport(FIXTURE).transfer;
    // 10 trials × 100,000 messages + 80,000 (deadline) + 0 for the failed trial with no summary = 1,080,000 messages × 100,000 B = 108 GB
    expect(t.bytes).toBe(108e9);
    // 108 GB × $0.09
    expect(t.usd).toBeCloseTo(9.72, 10);
  });

  it("a cloud sink is its VM size; an inventory or namespace sink is never called by the cloud config's VM size", () => {
    expect(buildReport(FIXTURE).facts.sink).toEqual({ kind: "cloud-vm", text: "cloud VM Standard_F8s_v2 (8 vCPU / 16 GiB)" });
    const m = { ...readManifest(FIXTURE), source: "inventory" as const };
    const r = makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T09:15:00Z" });
    const inv = aggregate(m, [{ ...r, context: { ...r.context, sinkSize: { label: "bare-metal sink, 16 cores" } } }], []);
    expect(inv.facts.sink).toEqual({ kind: "inventory-host", text: "inventory host: bare-metal sink, 16 cores" });
    expect(inv.transfer.usd).toBeNull();
    const ns = aggregate({ ...m, labId: "ns-abc" }, [{ ...r, context: { ...r.context, sinkSize: { label: "namespace host" } } }], []);
    expect(ns.facts.sink.kind).toBe("namespace-lab");
    expect(ns.facts.sink.text).not.toContain("Standard_F8s_v2");
  });

  it("versions, regions and kernels per host", () => {
    const f = buildReport(FIXTURE).facts;
    expect(f.kumodVersions.sender).toEqual([{ text: "kumod 2026.03.04-abcdef12", trials: 12 }]);
    expect(f.regions).toEqual({ sender: [{ text: "us-west-2", trials: 12 }], sink: [{ text: "westus2", trials: 12 }] });
    expect(f.kernels.sink).toEqual([{ text: "6.8.0-1015-azure", trials: 12 }]);
    expect(f.dates).toEqual({ created: "2026-03-01T08:59:00.000Z", firstTrialStart: "2026-03-01T09:15:00.000Z", lastTrialEnd: "2026-03-01T10:22:00.000Z" });
  });
});
