/** The bench's arithmetic and its printed table (pure: tested in bench.test.ts). */

/** Median of a non-empty list (mean of the middle two for an even count). */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new Error("median of no values");
  if (values.some((v) => !Number.isFinite(v))) throw new Error(`median of non-finite values: ${values.join(", ")}`);
  const s = [...values].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? (s[mid] as number) : ((s[mid - 1] as number) + (s[mid] as number)) / 2;
}

/** a ÷ b; refuses a zero or non-finite denominator rather than printing Infinity. */
export function ratio(a: number, b: number): number {
  if (!Number.isFinite(a) || !Number.isFinite(b) || b === 0) throw new Error(`ratio ${a} / ${b} is undefined`);
  return a / b;
}

/** The ratio farthest from 1 (the worst accuracy), with its deviation. */
export function worstDeviation(ratios: readonly number[]): { ratio: number; deviation: number } {
  if (ratios.length === 0) throw new Error("worst of no ratios");
  let worst = ratios[0] as number;
  for (const r of ratios) if (Math.abs(r - 1) > Math.abs(worst - 1)) worst = r;
  return { ratio: worst, deviation: Math.abs(worst - 1) };
}

export function seconds(ms: number, digits = 2): string {
  return `${(ms / 1000).toFixed(digits)} s`;
}

/** `+0.12 %` style deviation of a ratio from 1. */
export function deviationPct(r: number): string {
  const d = (r - 1) * 100;
  return `${d >= 0 ? "+" : "−"}${Math.abs(d).toFixed(2)} %`;
}

export interface TableRow {
  figure: string;
  measured: string;
  goal: string;
  /** undefined: no goal to meet (a model figure). */
  met: boolean | undefined;
}

/** A plain-text table, columns padded to the widest cell (by code points, so `≤`/`—` count as one). */
export function formatTable(rows: readonly TableRow[]): string {
  const header = ["figure", "measured", "goal", "met"];
  const cells = rows.map((r) => [r.figure, r.measured, r.goal, r.met === undefined ? "—" : r.met ? "yes" : "NO"]);
  const all = [header, ...cells];
  const len = (s: string) => [...s].length;
  const widths = header.map((_, i) => Math.max(...all.map((row) => len(row[i] ?? ""))));
  const line = (row: string[]) => row.map((c, i) => c + " ".repeat((widths[i] ?? 0) - len(c))).join(" | ").trimEnd();
  return [line(header), widths.map((w) => "-".repeat(w)).join("-|-"), ...cells.map(line)].join("\n");
}

/** A file-name-safe timestamp: 2025-01-02T03-04-05Z. */
export function fileTimestamp(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, "Z").replace(/:/g, "-");
}

/** The run whose value is the median (the lower middle one for an even count), to show its detail. */
export function medianRun<T>(runs: readonly T[], value: (r: T) => number): T | undefined {
  const sorted = [...runs].sort((a, b) => value(a) - value(b));
  return sorted[Math.floor((sorted.length - 1) / 2)];
}
