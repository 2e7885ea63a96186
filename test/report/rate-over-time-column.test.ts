/** The per-trial table shows each trial's rate over time as a sparkline, and a steady-state trial's rate-dropped flag in its result. */
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { aggregate } from "../../scripts/report/build-report";
import { renderMarkdown } from "../../scripts/report/markdown";
import { renderHtml } from "../../scripts/report/html";
import { readManifest } from "../../scripts/results/results-dir";
import { makeRecord } from "../results/make-record";

const FIXTURE = join(__dirname, "../fixtures/results/sweep-3-sizes");
const series = (accepted: number[]) => ({ intervalSeconds: 60, startAt: "2026-03-01T09:15:00.000Z", accepted, delivered: accepted });

describe("per-trial rate over time", () => {
  it("a held rate reads flat; a dropped one is flagged with its figures; older records show neither", () => {
    const held = { ...makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T09:15:00Z" }), rateOverTime: { series: series([800, 800, 800, 800]), drop: { series: "accepted" as const, firstRate: 800, lastRate: 800, ratio: 1, dropped: false } } };
    const dropped = { ...makeRecord({ sizeId: "c2-r4", trial: 2, startedAt: "2026-03-01T09:20:00Z" }), rateOverTime: { series: series([800, 800, 400, 400]), drop: { series: "accepted" as const, firstRate: 800, lastRate: 400, ratio: 0.5, dropped: true } } };
    const older = makeRecord({ sizeId: "c2-r4", trial: 3, startedAt: "2026-03-01T09:25:00Z" });
    const md = renderMarkdown(aggregate(readManifest(FIXTURE), [held, dropped, older], [])).split("\n");
    const header = (md.find((l) => l.startsWith("| size | trial |")) ?? "").split(" | ");
    const rows = md.filter((l) => /^\| .* \| [123] \| /.test(l)).map((l) => l.split(" | "));
    const elapsed = header.indexOf("elapsed");
    const result = header.indexOf("result");
    // ▁▂▃▄▅▆▇█ scaled 0..max: 800 of 800 is █, 400 of 800 is round(3.5) = ▅.
    expect(rows.map((r) => (r[elapsed] ?? "").split(" ").at(-1))).toEqual(["████", "██▅▅", expect.stringMatching(/s$/)]);
    expect(rows[0]?.[result]).not.toMatch(/rate-dropped/);
    expect(rows[1]?.[result]).toMatch(/⚠ rate-dropped: accepted rate in the last third 400\.0 msgs\/s = 50 % of the first third's 800\.0 msgs\/s/);
    expect(rows[2]?.[result]).not.toMatch(/rate-dropped/);
  });
});

describe("per-size flags of steady-state trials", () => {
  it("reaching the deadline is the plan (no deadline-hit); a dropped rate flags the size, red when a valid trial dropped", () => {
    const steady = (trial: number, dropped: boolean) => {
      const r = makeRecord({ sizeId: "c2-r4", trial, startedAt: `2026-03-01T09:1${trial}:00Z`, outcome: "deadline-reached" });
      return { ...r, params: { ...r.params, durationSeconds: 1800 }, rateOverTime: { series: series([800, 800, 800, dropped ? 300 : 800]), drop: { series: "accepted" as const, firstRate: 800, lastRate: dropped ? 300 : 800, ratio: dropped ? 0.375 : 1, dropped } } };
    };
    const report = aggregate(readManifest(FIXTURE), [steady(1, false), steady(2, true)], []);
    const row = report.rows.find((r) => r.sizeId === "c2-r4");
    expect(row?.flags).not.toContain("deadline-hit");
    expect(row?.flags).toContain("rate-dropped");
    expect(row?.figureFlags).toContain("rate-dropped");
    // The same trials as message-count trials did hit the deadline.
    const counted = aggregate(readManifest(FIXTURE), [makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T09:11:00Z", outcome: "deadline-reached" })], []);
    expect(counted.rows.find((r) => r.sizeId === "c2-r4")?.flags).toContain("deadline-hit");
  });
});

describe("a steady-state run's header", () => {
  it("says the trials' length instead of a message count, in the Markdown and the HTML", () => {
    const manifest = { ...readManifest(FIXTURE), trialDurationSeconds: 1800 };
    const report = aggregate(manifest, [makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T09:15:00Z" })], []);
    expect(renderMarkdown(report)).toMatch(/traffic-gen: 1800 s steady state \(--duration, no --message-count\), bodies of /);
    expect(renderHtml(report, { rate: "", rateNarrow: "", cost: "", costNarrow: "" })).toMatch(/1800 s steady state per trial \(--duration\), bodies of [\d,]+ bytes, concurrency [\d,]+[;,]/);
  });
});
