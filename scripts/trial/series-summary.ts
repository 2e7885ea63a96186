/** mean / p95 / max of a series, as the trial record keeps them. */
export interface SeriesSummary {
  mean: number;
  p95: number;
  max: number;
}

/** Nearest-rank percentile (p in 0..100) of a non-empty series. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) throw new Error("percentile of an empty series");
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.min(sorted.length, Math.max(1, Math.ceil((p / 100) * sorted.length)));
  return sorted[rank - 1] as number;
}

export function summarize(values: readonly number[]): SeriesSummary {
  if (values.length === 0) return { mean: 0, p95: 0, max: 0 };
  const mean = values.reduce((a, b) => a + b, 0) / values.length;
  return { mean, p95: percentile(values, 95), max: Math.max(...values) };
}
