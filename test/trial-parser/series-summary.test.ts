/** mean / p95 / max of a trial's samples. Nearest-rank percentile (Hyndman & Fan 1996, "Sample quantiles in statistical packages", definition 1: the inverse of the empirical distribution function): the value of rank ⌈p/100 · n⌉ in sorted order. */
import { describe, expect, test } from "vitest";
import { percentile, summarize } from "../../scripts/trial/series-summary";

const oneToForty = Array.from({ length: 40 }, (_, i) => 40 - i); // 40, 39, …, 1: unsorted on purpose

describe("percentile (nearest rank)", () => {
  test("p95 of 1..40 is the 38th value, not the max", () => {
    expect(percentile(oneToForty, 95)).toBe(38);
  });

  test("the rank is rounded up: p95 of 1..10 is rank ⌈9.5⌉ = 10", () => {
    expect(percentile([3, 1, 2, 10, 9, 8, 7, 6, 5, 4], 95)).toBe(10);
    expect(percentile([3, 1, 2, 10, 9, 8, 7, 6, 5, 4], 50)).toBe(5);
    expect(percentile([3, 1, 2, 10, 9, 8, 7, 6, 5, 4], 51)).toBe(6);
  });

  test("numbers are sorted as numbers, not as text", () => {
    // sorted: 2, 9, 10, 100 (as text it would be 10, 100, 2, 9)
    expect(percentile([10, 9, 100, 2], 50)).toBe(9);
    expect(percentile([10, 9, 100, 2], 25)).toBe(2);
    expect(percentile([10, 9, 100, 2], 75)).toBe(10);
  });

  test("the ends: p0 is the smallest value, p100 the largest, one value is every percentile", () => {
    expect(percentile([7, 3, 5], 0)).toBe(3);
    expect(percentile([7, 3, 5], 100)).toBe(7);
    expect(percentile([4.5], 95)).toBe(4.5);
  });

  test("the input is left as it was; an empty series is refused", () => {
    const xs = [3, 1, 2];
    percentile(xs, 50);
    expect(xs).toEqual([3, 1, 2]);
    expect(() => percentile([], 95)).toThrow("percentile of an empty series");
  });
});

describe("summarize", () => {
  test("1..40: mean 20.5, p95 38, max 40", () => {
    expect(summarize(oneToForty)).toEqual({ mean: 20.5, p95: 38, max: 40 });
  });

  test("a few CPU samples", () => {
    // mean (12 + 97.5 + 40 + 40.5) / 4 = 47.5; p95 rank ⌈3.8⌉ = 4 → 97.5
    expect(summarize([12, 97.5, 40, 40.5])).toEqual({ mean: 47.5, p95: 97.5, max: 97.5 });
  });

  test("no samples: zeros", () => {
    expect(summarize([])).toEqual({ mean: 0, p95: 0, max: 0 });
  });
});
