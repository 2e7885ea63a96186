/**
 * Student's t at fractional degrees of freedom and Welch's t-test, against outside figures:
 * quantiles and CDF values from SciPy 1.17 (scipy.stats.t.ppf / t.cdf, an independent
 * implementation, Cephes' incomplete beta), integer rows also in the NIST/SEMATECH table (§1.3.6.7.2).
 */
import { describe, expect, test } from "vitest";
import { studentTCdf, studentTQuantile, welchTest } from "../../scripts/report/statistics";

describe("Student's t", () => {
  test.each([
    // [df, t_{0.975, df}] — SciPy stats.t.ppf(0.975, df); NIST rounds 1, 2, 10, 30 to 12.706, 4.303, 2.228, 2.042
    [1, 12.706204736174694],
    [2, 4.302652729749462],
    [2.5, 3.5746548420036817],
    [3.7, 2.8675207071911895],
    [4.0849, 2.7538347033769077],
    [10, 2.228138851986274],
    [30, 2.0422724563012378],
    [120, 1.9799304050824402],
  ])("t_{0.975, %f} = %f", (df, t) => {
    expect(studentTQuantile(0.975, df)).toBeCloseTo(t, 8);
    expect(studentTQuantile(0.025, df)).toBeCloseTo(-t, 8);
  });

  test("CDF at fractional df (SciPy stats.t.cdf)", () => {
    expect(studentTCdf(2.0, 3.3)).toBeCloseTo(0.9345205677802753, 10);
    expect(studentTCdf(-1.2, 7.5)).toBeCloseTo(0.13333446139661093, 10);
    expect(studentTCdf(0, 4)).toBe(0.5);
  });
});

describe("welchTest", () => {
  test("a clear difference is significant", () => {
    // a = 2.4, 2.5, 2.25 (mean 2.383333, s² 0.0158333); b = 3, 2.88, 2.8125 (mean 2.8975, s² 0.00901875).
    // s²/n: 0.00527778 and 0.00300625; SE = √0.00828403 = 0.0910166; t = 0.5141667 / 0.0910166 = 5.649150.
    // df = 0.00828403² / (0.00527778²/2 + 0.00300625²/2) = 6.86251e-5 / 1.84464e-5 = 3.720277.
    // t_{0.975, 3.720277} = 2.860745 and p = 0.005996 (SciPy stats.ttest_ind(b, a, equal_var=False) gives t, df and p alike).
    const w = welchTest([2.4, 2.5, 2.25], [3, 2.88, 2.8125]);
    expect(w?.difference).toBeCloseTo(0.514167, 6);
    expect(w?.t).toBeCloseTo(5.649150, 5);
    expect(w?.df).toBeCloseTo(3.720277, 5);
    expect(w?.tCritical).toBeCloseTo(2.860745, 5);
    expect(w?.p).toBeCloseTo(0.005996, 5);
    expect(w?.significant).toBe(true);
  });

  test("a small difference within the noise is not", () => {
    // a = 4.8, 4.5, 5 (mean 4.766667, s² 0.0633333); b = 5, 5, 4.5 (mean 4.833333, s² 0.0833333).
    // s²/n: 0.0211111 and 0.0277778; SE = √0.0488889 = 0.221108; t = 0.0666667 / 0.221108 = 0.301511.
    // df = 0.0488889² / (0.0211111²/2 + 0.0277778²/2) = 0.00239012 / 0.000608642 = 3.926978; t_{0.975} = 2.796925; p = 0.778315.
    const w = welchTest([4.8, 4.5, 5], [5, 5, 4.5]);
    expect(w?.t).toBeCloseTo(0.301511, 5);
    expect(w?.df).toBeCloseTo(3.926978, 5);
    expect(w?.tCritical).toBeCloseTo(2.796925, 5);
    expect(w?.p).toBeCloseTo(0.778315, 5);
    expect(w?.significant).toBe(false);
  });

  test("no test without two values on each side or with no spread at all", () => {
    expect(welchTest([1], [1, 2])).toBeNull();
    expect(welchTest([2, 2], [2, 2])).toBeNull();
  });
});
