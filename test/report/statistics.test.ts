/**
 * The report's statistics against published and hand-worked figures.
 *
 * Student-t quantiles t_{0.975, df} (two-sided 95 %): NIST/SEMATECH e-Handbook of Statistical
 * Methods, §1.3.6.7.2 "Critical Values of the Student's t Distribution"
 * (https://www.itl.nist.gov/div898/handbook/eda/section3/eda3672.htm), column 0.975 — the same
 * values as Biometrika Tables for Statisticians vol. 1 (Pearson & Hartley, 1966), table 12, which
 * also gives the row df = 120 (1.980). The function returns the table row at or below df (the
 * larger, conservative value) between rows, and the normal 1.960 beyond df = 1000.
 */
import { describe, expect, test } from "vitest";
import { ci95, mean, sampleStdev, studentT975 } from "../../scripts/report/statistics";

describe("studentT975", () => {
  // NIST/SEMATECH, column 0.975, df 1–30.
  const published: [number, number][] = [
    [1, 12.706], [2, 4.303], [3, 3.182], [4, 2.776], [5, 2.571], [6, 2.447], [7, 2.365], [8, 2.306], [9, 2.262], [10, 2.228],
    [11, 2.201], [12, 2.179], [13, 2.16], [14, 2.145], [15, 2.131], [16, 2.12], [17, 2.11], [18, 2.101], [19, 2.093], [20, 2.086],
    [21, 2.08], [22, 2.074], [23, 2.069], [24, 2.064], [25, 2.06], [26, 2.056], [27, 2.052], [28, 2.048], [29, 2.045], [30, 2.042],
  ];
  test.each(published)("df %d → %f (published)", (df, t) => {
    expect(studentT975(df)).toBe(t);
  });

  test.each([
    // the published rows past 30: 40 → 2.021, 60 → 2.000 (NIST), 120 → 1.980 (Biometrika)
    [40, 2.021],
    [60, 2.0],
    [120, 1.98],
    // between rows: the row below, never the (smaller) row above
    [31, 2.042],
    [39, 2.042],
    [41, 2.021],
    [59, 2.021],
    [61, 2.0],
    [119, 2.0],
    [121, 1.98],
    [1000, 1.98],
    // beyond 1000 the normal quantile, z_{0.975} = 1.960 (last row of the same table)
    [1001, 1.96],
    [100000, 1.96],
  ])("df %d → %f", (df, t) => {
    expect(studentT975(df)).toBe(t);
  });

  test.each([0, -1, 2.5, Number.NaN])("df %d is refused", (df) => {
    expect(() => studentT975(df)).toThrow(`degrees of freedom must be a positive integer, got ${df}`);
  });
});

describe("mean, sample stdev, 95 % interval", () => {
  test("mean", () => {
    expect(mean([2, 4, 9])).toBe(5);
    expect(mean([7])).toBe(7);
    expect(() => mean([])).toThrow("mean of no values");
  });

  test("sample stdev divides by n − 1", () => {
    // 2, 4, 9: mean 5, squared deviations 9 + 1 + 16 = 26, 26 / 2 = 13, √13 = 3.605551
    expect(sampleStdev([2, 4, 9])).toBeCloseTo(3.605551, 6);
    // 1, 3: mean 2, (1 + 1) / 1 = 2, √2 = 1.414214
    expect(sampleStdev([1, 3])).toBeCloseTo(1.414214, 6);
    expect(sampleStdev([5])).toBeNull();
    expect(sampleStdev([])).toBeNull();
  });

  test("ci95: mean ± t_{0.975, n−1} · s / √n", () => {
    // n = 3, df 2, t 4.303: 4.303 × 3.605551 / √3 = 4.303 × 2.081666 = 8.957409
    const three = ci95([2, 4, 9]);
    expect(three?.halfWidth).toBeCloseTo(8.957409, 6);
    expect(three?.low).toBeCloseTo(-3.957409, 6);
    expect(three?.high).toBeCloseTo(13.957409, 6);
    // n = 2, df 1, t 12.706: 12.706 × 1.414214 / √2 = 12.706
    expect(ci95([1, 3])).toEqual({ low: expect.closeTo(-10.706, 9), high: expect.closeTo(14.706, 9), halfWidth: expect.closeTo(12.706, 9) });
    expect(ci95([4])).toBeNull();
    expect(ci95([])).toBeNull();
  });
});
