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

describe("provisioning as a short list per host", () => {
  test("a brief step gets one line when it ends; a start line only if it is still running 2 s later (a hang still shows)", async () => {
    const { vi } = await import("vitest");
    const { terminalProgress } = await import("../../scripts/progress/terminal");
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout"] });
    try {
      const lines: string[] = [];
      const progress = terminalProgress({ write: (c: string) => void lines.push(c.trimEnd()) });
      progress({ type: "step-start", host: "sender", step: "push init.lua", brief: true });
      vi.advanceTimersByTime(500);
      progress({ type: "step-done", host: "sender", step: "push init.lua", ms: 87, changed: true });
      progress({ type: "step-start", host: "sink", step: "wait for SMTP", brief: true });
      vi.advanceTimersByTime(2500);
      progress({ type: "step-done", host: "sink", step: "wait for SMTP", ms: 2600, changed: false });
      vi.advanceTimersByTime(5000);
      expect(lines).toEqual([
        "[sender] push init.lua ✓ 87 ms (changed)",
        "[sink] wait for SMTP … (still running)",
        "[sink] wait for SMTP ✓ 2.6 s (unchanged)",
      ]);
    } finally {
      vi.useRealTimers();
    }
  });
});
