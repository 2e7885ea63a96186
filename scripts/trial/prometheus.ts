/**
 * Reads kumod's `/metrics` (Prometheus text format) into a snapshot of every series, keyed by its
 * canonical text (`name{a="x",b="y"}`, labels sorted). Readers name the exact series they mean
 * (scripts/kumomta/metrics.ts); nothing here sums over labels, because kumod exports each counter
 * as a total series and per-instance series at once.
 *
 * Format: kumod has two writers. The prometheus crate joins labels with `,` and escapes `\`, `"`
 * and newlines in label values; kumo's own registries join them with `, ` and write values
 * unescaped (crates/kumo-prometheus/src/labels.rs) — harmless for the lab's values, which never
 * hold a quote or backslash. A sample may carry a timestamp.
 */
import { z } from "zod";
import { seriesKey, type SeriesSelector } from "../kumomta/metrics";

export const metricsSnapshotSchema = z.object({
  at: z.iso.datetime(),
  series: z.record(z.string(), z.number()),
});
export type MetricsSnapshot = z.infer<typeof metricsSnapshotSchema>;

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;

export class MetricsParseError extends Error {}

/** `{a="x", b="y"}` at the start of `text` → the labels and the length consumed; a message when malformed. */
function parseLabels(text: string): { labels: Record<string, string>; length: number } | string {
  const labels: Record<string, string> = {};
  let i = 1; // past "{"
  for (let guard = 0; guard < 1000; guard++) {
    while (text[i] === " " || text[i] === ",") i++;
    if (text[i] === "}") return { labels, length: i + 1 };
    const name = LABEL_NAME.exec(text.slice(i))?.[0];
    if (!name) return "a label name";
    i += name.length;
    if (text[i] !== "=" || text[i + 1] !== '"') return `="…" after label ${name}`;
    i += 2;
    let value = "";
    for (;;) {
      const c = text[i];
      if (c === undefined) return `the closing quote of label ${name}`;
      i++;
      if (c === '"') break;
      if (c === "\\") {
        const e = text[i++];
        value += e === "n" ? "\n" : (e ?? "");
      } else value += c;
    }
    if (name in labels) return `label ${name} only once`;
    labels[name] = value;
  }
  return "fewer labels";
}

/** A sample value; undefined when it is not one. */
function parseValue(text: string): number | undefined {
  if (text === "+Inf") return Infinity;
  if (text === "-Inf") return -Infinity;
  if (text === "NaN") return NaN;
  // Number("") is 0 and Number("0x1f") is 31: neither is a Prometheus value.
  if (!/^[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/.test(text)) return undefined;
  return Number(text);
}

export function parsePrometheusText(text: string, at: Date = new Date()): MetricsSnapshot {
  const series: Record<string, number> = {};
  let samples = 0;
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const shown = JSON.stringify(line.slice(0, 120));
    const name = NAME.exec(line)?.[0];
    if (!name) throw new MetricsParseError(`not a Prometheus sample line: ${shown}`);
    let rest = line.slice(name.length);
    let labels: Record<string, string> = {};
    if (rest.startsWith("{")) {
      const parsed = parseLabels(rest);
      if (typeof parsed === "string") throw new MetricsParseError(`malformed labels (expected ${parsed}) in ${shown}`);
      labels = parsed.labels;
      rest = rest.slice(parsed.length);
    }
    const fields = rest.trim().split(/\s+/);
    if (!/^\s/.test(rest) || fields.length < 1 || fields.length > 2 || (fields[1] !== undefined && !/^-?\d+$/.test(fields[1]))) {
      throw new MetricsParseError(`not a Prometheus sample line: ${shown}`);
    }
    const valueText = fields[0] ?? "";
    const value = parseValue(valueText);
    if (value === undefined) throw new MetricsParseError(`bad value in ${shown}`);
    samples++;
    // +Inf/NaN have no JSON form (the series go into the trial record): read, but not kept.
    // The snapshot schema would otherwise reject the whole scrape.
    if (!Number.isFinite(value)) continue;
    series[seriesKey(name, labels)] = value;
  }
  if (samples === 0) throw new MetricsParseError("the metrics endpoint answered with no samples");
  return metricsSnapshotSchema.parse({ at: at.toISOString(), series });
}

/** The value of exactly this series (name and complete label set); undefined when kumod does not export it. */
export function seriesValue(s: MetricsSnapshot, sel: SeriesSelector): number | undefined {
  return s.series[seriesKey(sel.name, sel.labels)];
}

/**
 * after − before of one series. A series absent from a snapshot counts as 0: kumod creates some
 * only when they first happen (a listener's first connection, the first scheduled message).
 */
export function seriesDelta(before: MetricsSnapshot, after: MetricsSnapshot, sel: SeriesSelector): number {
  return (seriesValue(after, sel) ?? 0) - (seriesValue(before, sel) ?? 0);
}

/**
 * Sum of a family whose every series carries exactly one label, `label` (one series per queue and
 * no total series, such as delayed_due_to_ready_queue_full). A series with other labels is an error:
 * it would mean the family has gained a total series that this sum would count twice.
 */
export function perLabelSum(s: MetricsSnapshot, family: { name: string; perSeriesLabel: string }): number {
  let sum = 0;
  const prefix = `${family.name}{`;
  for (const [key, value] of Object.entries(s.series)) {
    if (key === family.name) throw new MetricsParseError(`${family.name} has an unlabelled series: summing it per ${family.perSeriesLabel} would double-count`);
    if (!key.startsWith(prefix)) continue;
    if (!key.startsWith(`${prefix}${family.perSeriesLabel}="`) || key.includes('",')) {
      throw new MetricsParseError(`${key}: expected only the label ${family.perSeriesLabel}; summing would double-count`);
    }
    sum += value;
  }
  return sum;
}
