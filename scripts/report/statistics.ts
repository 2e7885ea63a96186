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

/**
 * ln Γ(x) for x > 0 (Lanczos approximation, g = 7, 9 coefficients; relative error below 1e-13),
 * used by the regularized incomplete beta function below.
 */
function logGamma(x: number): number {
  const g = 7;
  const c = [0.99999999999980993, 676.5203681218851, -1259.1392167224028, 771.32342877765313, -176.61502916214059, 12.507343278686905, -0.13857109526572012, 9.9843695780195716e-6, 1.5056327351493116e-7];
  if (x < 0.5) return Math.log(Math.PI / Math.sin(Math.PI * x)) - logGamma(1 - x);
  const z = x - 1;
  let a = c[0] as number;
  const t = z + g + 0.5;
  for (let i = 1; i < g + 2; i++) a += (c[i] as number) / (z + i);
  return 0.5 * Math.log(2 * Math.PI) + (z + 0.5) * Math.log(t) - t + Math.log(a);
}

/** Continued fraction of the incomplete beta function (modified Lentz; Numerical Recipes §6.4). */
function betaContinuedFraction(a: number, b: number, x: number): number {
  const tiny = 1e-300;
  let c = 1;
  let d = 1 - ((a + b) * x) / (a + 1);
  if (Math.abs(d) < tiny) d = tiny;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= 300; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((a + m2 - 1) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (a + b + m) * x) / ((a + m2) * (a + m2 + 1));
    d = 1 + aa * d;
    if (Math.abs(d) < tiny) d = tiny;
    c = 1 + aa / c;
    if (Math.abs(c) < tiny) c = tiny;
    d = 1 / d;
    const del = d * c;
    h *= del;
    if (Math.abs(del - 1) < 1e-15) break;
  }
  return h;
}

/** The regularized incomplete beta function I_x(a, b). */
export function regularizedIncompleteBeta(x: number, a: number, b: number): number {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const front = Math.exp(logGamma(a + b) - logGamma(a) - logGamma(b) + a * Math.log(x) + b * Math.log(1 - x));
  return x < (a + 1) / (a + b + 2) ? (front * betaContinuedFraction(a, b, x)) / a : 1 - (front * betaContinuedFraction(b, a, 1 - x)) / b;
}

/** P(T ≤ t) for Student's t with df degrees of freedom; df may be fractional (Welch). */
export function studentTCdf(t: number, df: number): number {
  if (!(df > 0)) throw new Error(`degrees of freedom must be positive, got ${df}`);
  const tail = 0.5 * regularizedIncompleteBeta(df / (df + t * t), df / 2, 0.5);
  return t >= 0 ? 1 - tail : tail;
}

/** The p-quantile of Student's t with df (fractional allowed) degrees of freedom, by bisection on the CDF. */
export function studentTQuantile(p: number, df: number): number {
  if (!(p > 0 && p < 1)) throw new Error(`probability must be in (0, 1), got ${p}`);
  if (p < 0.5) return -studentTQuantile(1 - p, df);
  let lo = 0;
  let hi = 1;
  while (studentTCdf(hi, df) < p) hi *= 2;
  for (let i = 0; i < 200 && hi - lo > 1e-12 * Math.max(1, hi); i++) {
    const mid = (lo + hi) / 2;
    if (studentTCdf(mid, df) < p) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

export interface WelchTest {
  /** mean(b) − mean(a). */
  difference: number;
  /** The standard error of the difference, √(s_a²/n_a + s_b²/n_b). */
  standardError: number;
  t: number;
  /** Welch–Satterthwaite degrees of freedom (fractional). */
  df: number;
  /** t_{0.975, df} at the fractional df. */
  tCritical: number;
  /** Two-sided p-value. */
  p: number;
  /** |t| > t_{0.975, df}: the means differ at the 95 % level. */
  significant: boolean;
}

/**
 * Welch's unequal-variance t-test of two samples at 95 % (two-sided):
 * t = (x̄_b − x̄_a) / √(s_a²/n_a + s_b²/n_b), df = (s_a²/n_a + s_b²/n_b)² / ((s_a²/n_a)²/(n_a−1) + (s_b²/n_b)²/(n_b−1)).
 * null when a sample has fewer than two values or both have no spread (no test is possible).
 */
export function welchTest(a: readonly number[], b: readonly number[]): WelchTest | null {
  const sa = sampleStdev(a);
  const sb = sampleStdev(b);
  if (sa === null || sb === null) return null;
  const va = (sa * sa) / a.length;
  const vb = (sb * sb) / b.length;
  if (va + vb === 0) return null;
  const difference = mean(b) - mean(a);
  const standardError = Math.sqrt(va + vb);
  const t = difference / standardError;
  const df = (va + vb) ** 2 / (va ** 2 / (a.length - 1) + vb ** 2 / (b.length - 1));
  const tCritical = studentTQuantile(0.975, df);
  const p = 2 * (1 - studentTCdf(Math.abs(t), df));
  return { difference, standardError, t, df, tCritical, p, significant: Math.abs(t) > tCritical };
}
