/** Mean, sample standard deviation and the Student-t 95 % confidence interval of a small sample. */

/** Two-sided 95 % Student-t quantiles (t_{0.975, df}) for df 1..30. */
const T975: readonly number[] = [
  12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228, 2.201, 2.179, 2.16, 2.145, 2.131, 2.12, 2.11, 2.101, 2.093, 2.086, 2.08, 2.074,
  2.069, 2.064, 2.06, 2.056, 2.052, 2.048, 2.045, 2.042,
];
const T975_LARGE: readonly [number, number][] = [
  [40, 2.021],
  [60, 2.0],
  [120, 1.98],
];

/** t_{0.975, df}; between table rows the smaller df's (larger, conservative) value is used. */
export function studentT975(df: number): number {
  if (!Number.isInteger(df) || df < 1) throw new Error(`degrees of freedom must be a positive integer, got ${df}`);
  if (df <= T975.length) return T975[df - 1] as number;
  let t = T975[T975.length - 1] as number;
  for (const [d, v] of T975_LARGE) if (df >= d) t = v;
  return df > 1000 ? 1.96 : t;
}

export function mean(values: readonly number[]): number {
  if (values.length === 0) throw new Error("mean of no values");
  return values.reduce((a, b) => a + b, 0) / values.length;
}

/** Sample standard deviation (n − 1); null for fewer than two values. */
export function sampleStdev(values: readonly number[]): number | null {
  if (values.length < 2) return null;
  const m = mean(values);
  return Math.sqrt(values.reduce((a, v) => a + (v - m) ** 2, 0) / (values.length - 1));
}

export interface ConfidenceInterval {
  low: number;
  high: number;
  halfWidth: number;
}

/** 95 % interval of the mean: mean ± t_{0.975, n−1} · s / √n; null for fewer than two values. */
export function ci95(values: readonly number[]): ConfidenceInterval | null {
  const s = sampleStdev(values);
  if (s === null) return null;
  const m = mean(values);
  const halfWidth = (studentT975(values.length - 1) * s) / Math.sqrt(values.length);
  return { low: m - halfWidth, high: m + halfWidth, halfWidth };
}
