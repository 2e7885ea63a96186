/**
 * The knee report: `knee-report.md` (the curve as a table, the rule and the knee) and
 * `knee-chart.svg` (p50 and p99 against offered load, Vega-Lite like the sweep's charts, with the
 * rule's limit drawn and the knee marked). Rebuilt from knee.json + trials.jsonl alone.
 */
import { join } from "node:path";
import type { TopLevelSpec } from "vega-lite";
import { toSvg } from "../report/chart";
import { writeTextAtomic } from "../results/durable-file";
import { readRecords } from "../results/results-dir";
import { judged, kneeCurve, type KneeCurve } from "./knee-curve";
import { KNEE_FACTOR } from "./knee-rule";
import { readKneeRun, type KneeRun } from "./knee-run";
import { sparkline } from "../report/sparkline";
import type { TrialRecord } from "../results/trial-record";

export const KNEE_REPORT_FILES = { markdown: "knee-report.md", svg: "knee-chart.svg" } as const;

const ms = (s: number | null): string => (s === null ? "—" : `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`);
const rate = (r: number | null): string => (r === null ? "—" : `${r.toFixed(1)}`);

/** x of a point on the chart: the offered load, or for the unthrottled step the rate it achieved. */
const xOf = (p: KneeCurve["points"][number]): number | null => p.offeredMsgsPerSec ?? p.achievedMsgsPerSec;

export function kneeMarkdown(run: KneeRun, curve: KneeCurve, records: readonly TrialRecord[]): string {
  const lines = [
    `# Knee: ${run.sizeId}`,
    "",
    `Run ${run.runId} on ${run.lab}, created ${run.createdAt}. ${run.durationSeconds !== undefined ? `Each step ran ${run.durationSeconds} s (steady state).` : "Each step sent traffic.messageCount messages."}`,
    `Unthrottled rate: ${run.maxMsgsPerSec === null ? "not measured" : `${run.maxMsgsPerSec.toFixed(1)} msgs/s`}; steps at ${run.fractions.map((f) => `${Math.round(f * 100)} %`).join(", ")} of it (traffic-gen --throttle).`,
    "",
    `**${curve.knee.text}.**`,
    ...(curve.caveats.length > 0 ? ["", `Caveat: steps up to the knee are invalid as sweep figures (${curve.caveats.join(", ")}): the lab, not only the sender, may have set their latency.`] : []),
    "",
    `Rule: the reference is the p99 of the lightest judged step; a step turns up when its p99 exceeds ${KNEE_FACTOR}× the reference; the knee is the highest offered load before the first step that turns up. Latency is traffic-gen's transaction latency (each message's SMTP transaction into the sender, as traffic-gen times it); "kumod delivery (mean)" is the sender kumod's mean time per delivery to the sink (deliver_message_latency_rollup _sum ÷ _count over the step). Failed steps, and steps with failed sends or nothing sent, are shown but not judged; other invalid steps are judged and named.`,
    "",
    "| step | offered (msgs/s) | throttle | achieved (msgs/s) | p50 | p99 | p99 ÷ reference | kumod delivery (mean) | rate over time | valid |",
    "|---|---|---|---|---|---|---|---|---|---|",
  ];
  const ref = curve.knee.referenceP99Seconds;
  for (const p of curve.points) {
    const rec = records.find((r) => r.sizeId === run.sizeId && r.trial === p.trial);
    const spark = rec?.rateOverTime ? sparkline(rec.rateOverTime.series.accepted) + (rec.rateOverTime.drop?.dropped ? " ⚠ rate-dropped" : "") : "—";
    // Without a step that turns up, the knee lies at or beyond the heaviest step: say so, not "knee".
    const atKnee = curve.knee.kneeIndex !== null && curve.points[curve.knee.kneeIndex] === p;
    const mark = atKnee ? (curve.knee.turnIndex === null ? " ← heaviest step, p99 not yet turned up" : " ← knee") : curve.knee.turnIndex !== null && curve.points[curve.knee.turnIndex] === p ? " ← turns up" : "";
    lines.push(
      `| ${p.trial}${mark} | ${p.offeredMsgsPerSec === null ? "unthrottled" : rate(p.offeredMsgsPerSec)} | ${p.throttle ?? "—"} | ${rate(p.achievedMsgsPerSec)} | ${ms(p.p50Seconds)} | ${ms(p.p99Seconds)} | ${ref && p.p99Seconds !== null ? `${(p.p99Seconds / ref).toFixed(2)}×` : "—"} | ${ms(p.kumodMeanDeliverySeconds)} | ${spark} | ${p.valid ? "yes" : `no (${p.notes.join("; ")}${judged(p) ? "; judged" : "; not judged"})`} |`,
    );
  }
  lines.push("", `Chart: ${KNEE_REPORT_FILES.svg}. Records: trials.jsonl (step = trial number), raw output under raw/.`, "");
  return lines.join("\n");
}

export function kneeChartSpec(run: KneeRun, curve: KneeCurve): TopLevelSpec {
  const data = curve.points.flatMap((p) => {
    const x = xOf(p);
    if (x === null) return [];
    const label = p.offeredMsgsPerSec === null ? "unthrottled" : `${Math.round((p.fraction ?? 0) * 100)} %`;
    return [
      { x, ms: p.p50Seconds === null ? null : p.p50Seconds * 1000, series: "p50", label, valid: p.valid },
      { x, ms: p.p99Seconds === null ? null : p.p99Seconds * 1000, series: "p99", label, valid: p.valid },
    ].filter((d) => d.ms !== null);
  });
  const knee = curve.knee.kneeIndex === null ? undefined : curve.points[curve.knee.kneeIndex];
  const kneeX = knee ? xOf(knee) : null;
  const x = { field: "x", type: "quantitative" as const, title: "offered load (msgs/s; unthrottled: its achieved rate)" };
  const y = { field: "ms", type: "quantitative" as const, title: "transaction latency (ms)" };
  return {
    $schema: "https://vega.github.io/schema/vega-lite/v5.json",
    title: { text: `Latency against offered load — ${run.sizeId}`, subtitle: curve.knee.text },
    width: 640,
    height: 320,
    layer: [
      { data: { values: data }, mark: { type: "line", point: { size: 70, filled: true } }, encoding: { x, y, color: { field: "series", type: "nominal", title: null, scale: { domain: ["p50", "p99"], range: ["#4c78a8", "#e45756"] } } } },
      { data: { values: data.filter((d) => d.series === "p99") }, mark: { type: "text", dy: -12, fontSize: 12 }, encoding: { x, y, text: { field: "label" } } },
      ...(curve.knee.limitP99Seconds !== null
        ? [{ data: { values: [{ ms: curve.knee.limitP99Seconds * 1000, text: `${KNEE_FACTOR}× the lightest step's p99` }] }, mark: { type: "rule" as const, strokeDash: [6, 4], color: "#888" }, encoding: { y: { field: "ms", type: "quantitative" as const } } }]
        : []),
      ...(kneeX !== null ? [{ data: { values: [{ x: kneeX, text: "knee" }] }, mark: { type: "rule" as const, color: "#2f8f4e", strokeWidth: 2 }, encoding: { x: { field: "x", type: "quantitative" as const } } }] : []),
    ],
  } as TopLevelSpec;
}

/** Builds the knee report from the results folder and writes it there; returns the curve and the markdown. */
export async function writeKneeReport(dir: string): Promise<{ curve: KneeCurve; markdown: string; files: string[] }> {
  const run = readKneeRun(dir);
  const { records } = readRecords(dir);
  const curve = kneeCurve(run, records);
  const markdown = kneeMarkdown(run, curve, records);
  writeTextAtomic(join(dir, KNEE_REPORT_FILES.markdown), markdown);
  writeTextAtomic(join(dir, KNEE_REPORT_FILES.svg), await toSvg(kneeChartSpec(run, curve)));
  return { curve, markdown, files: Object.values(KNEE_REPORT_FILES).map((f) => join(dir, f)) };
}
