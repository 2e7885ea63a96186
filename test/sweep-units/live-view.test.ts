/** The live view reads at a glance: ETAs people can read, and a long cool-down that says how much is left. */
import { describe, expect, test } from "vitest";
import { formatEta, formatProgressEvent } from "../../scripts/progress/terminal";

describe("ETA text", () => {
  test.each([
    [0, "1 s"],
    [45.4, "45 s"],
    [89, "89 s"],
    [90, "2 min"],
    [29 * 60 + 40, "30 min"],
    [3600 + 5 * 60, "1 h 05 min"],
    [Number.NaN, "unknown"],
  ])("%s s reads %s", (s, text) => {
    expect(formatEta(s)).toBe(text);
  });

  test("before the first trial ends the line says when the ETA comes, not 'NaN' or '0 min'", () => {
    expect(formatProgressEvent({ type: "sweep", sizeId: "c2-r4", trial: 1, trials: 4, done: 0, total: 16 })).toBe("sweep c2-r4 trial 1/4 — 0/16 done, ETA after the first trial");
    expect(formatProgressEvent({ type: "sweep", sizeId: "c2-r4", trial: 2, trials: 4, done: 1, total: 16, etaSeconds: 40 })).toBe("sweep c2-r4 trial 2/4 — 1/16 done, ETA 40 s");
    // From the first second: the plan's estimate, marked as such.
    expect(formatProgressEvent({ type: "sweep", sizeId: "c2-r4", trial: 1, trials: 4, done: 0, total: 16, etaSeconds: 3000, etaFromPlan: true })).toBe("sweep c2-r4 trial 1/4 — 0/16 done, ETA ~50 min (planned)");
  });
});
