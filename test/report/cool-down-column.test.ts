/** The per-trial table shows each trial's measured cool-down. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { aggregate } from "../../scripts/report/build-report";
import { renderMarkdown } from "../../scripts/report/markdown";
import { readManifest } from "../../scripts/results/results-dir";
import { makeRecord } from "../results/make-record";

const FIXTURE = join(__dirname, "../fixtures/results/sweep-3-sizes");
const READINGS = { senderQueue: 0, senderOpen: 0, senderDeliveryQuiet: true, senderCpuPct: 2, sinkCpuPct: 1, timeWait: 3 };

describe("per-trial cool-down", () => {
  it("'14 s, settled' and 'not settled' in its column; a dash where none was measured", () => {
    const first = makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T09:15:00Z" });
    const second = { ...makeRecord({ sizeId: "c2-r4", trial: 2, startedAt: "2026-03-01T09:20:00Z" }), coolDown: { seconds: 14, boundSeconds: 120, outcome: "settled" as const, readings: READINGS } };
    const third = { ...makeRecord({ sizeId: "c2-r4", trial: 3, startedAt: "2026-03-01T09:25:00Z" }), coolDown: { seconds: 120, boundSeconds: 120, outcome: "bounded" as const, readings: null } };
    const report = aggregate(readManifest(FIXTURE), [first, second, third], []);
    expect(report.trials.map((t) => t.coolDown)).toEqual([undefined, "14 s, settled", "120 s, not settled (bound 120 s)"]);
    const md = renderMarkdown(report).split("\n");
    const header = md.find((l) => l.startsWith("| size | trial |")) ?? "";
    const col = header.split(" | ").indexOf("cool-down");
    expect(col).toBeGreaterThan(0);
    const rows = md.filter((l) => /^\| .* \| [123] \| /.test(l)).map((l) => l.split(" | ")[col]);
    expect(rows).toEqual(["—", "14 s, settled", "120 s, not settled (bound 120 s)"]);
  });
});
