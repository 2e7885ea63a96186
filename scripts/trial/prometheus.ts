/**
 * Reads kumod's `/metrics` (Prometheus text format) into numbers. Series are keyed by their full
 * text (`name{labels}`); `totals` sums every series of a metric name across its labels.
 */
import { z } from "zod";

export const metricsSnapshotSchema = z.object({
  at: z.iso.datetime(),
  series: z.record(z.string(), z.number()),
  totals: z.record(z.string(), z.number()),
});
export type MetricsSnapshot = z.infer<typeof metricsSnapshotSchema>;

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)(\s+\d+)?$/;

export class MetricsParseError extends Error {}

export function parsePrometheusText(text: string, at: Date = new Date()): MetricsSnapshot {
  const series: Record<string, number> = {};
  const totals: Record<string, number> = {};
  let lines = 0;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const m = SAMPLE.exec(line);
    if (!m || !m[1] || !m[3]) throw new MetricsParseError(`not a Prometheus sample line: ${JSON.stringify(line.slice(0, 120))}`);
    const value = m[3] === "+Inf" ? Infinity : m[3] === "-Inf" ? -Infinity : Number(m[3]);
    if (Number.isNaN(value) && m[3] !== "NaN") throw new MetricsParseError(`bad value in ${JSON.stringify(line.slice(0, 120))}`);
    lines++;
    // +Inf/NaN have no JSON form (the series go into the trial record) and add nothing to a total:
    // read, but not kept. The snapshot schema would otherwise reject the whole scrape.
    if (!Number.isFinite(value)) continue;
    series[`${m[1]}${m[2] ?? ""}`] = value;
    totals[m[1]] = (totals[m[1]] ?? 0) + value;
  }
  if (lines === 0) throw new MetricsParseError("the metrics endpoint answered with no samples");
  return metricsSnapshotSchema.parse({ at: at.toISOString(), series, totals });
}

/** after − before for a metric total (0 when absent in both: kumod prunes idle series). */
export function totalDelta(before: MetricsSnapshot, after: MetricsSnapshot, name: string): number {
  return (after.totals[name] ?? 0) - (before.totals[name] ?? 0);
}
