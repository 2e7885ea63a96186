/** The sweep loop over in-memory deps: order of work, resume, failures, errors, interrupts, teardown. */
import { afterEach, describe, expect, test, vi } from "vitest";
import { loadLabConfig } from "../../lab-config/load";
import type { SenderSize } from "../../lab-config/schema";
import type { LabHosts } from "../../scripts/hosts/lab-hosts";
import type { LabDriver, LabReady, TeardownOutcome } from "../../scripts/lab-drivers/lab-driver";
import type { ProgressEvent } from "../../scripts/progress/events";
import { remainingTrials, runSweep, trialKey, type PreparedLab, type SweepOptions, type TrialOutcome, type TrialSpec } from "../../scripts/sweep/run-sweep";

const sizes = loadLabConfig().config.sender.sizes;
const C2 = sizes.find((s) => s.id === "c2-r4") as SenderSize;
const C4 = sizes.find((s) => s.id === "c4-r16") as SenderSize;

function hostsFor(sizeId: string): LabHosts {
  const host = (role: "sender" | "sink", address: string) => ({
    role,
    name: `${role} (${address})`,
    address,
    port: 22,
    user: "kumo",
    hostKey: { kind: "pinned" as const, publicKey: "ssh-ed25519 AAAA" },
    credentials: { kind: "private-key-file" as const, path: "/dev/null" },
  });
  return { labId: `lab-${sizeId}`, sender: host("sender", "198.18.0.10"), sink: host("sink", "198.18.0.20"), sinkAddressFromSender: "198.18.0.20", sinkPort: 2525, cloudFirewalls: [] };
}

interface World {
  log: string[];
  progress: ProgressEvent[];
  ensureSignals: AbortSignal[];
  deps: Parameters<typeof runSweep<PreparedLab>>[0];
}

interface Script {
  recorded?: string[];
  trial?: (spec: TrialSpec, ctl: { abort: () => void }) => TrialOutcome;
  ensureError?: (sizeId: string) => Error | undefined;
  teardown?: TeardownOutcome;
  teardownThrows?: Error;
  onEnsure?: (sizeId: string, ctl: { abort: () => void }) => void;
  onTrial?: (spec: TrialSpec) => void;
  created?: boolean;
}

/** What each dependency was handed: [call, typeof progress, a signal given]. */
const received: [string, string, boolean][] = [];

function world(script: Script, ctl: { abort: () => void }): World {
  const log: string[] = [];
  const ensureSignals: AbortSignal[] = [];
  let built = script.created ?? false;
  const driver: LabDriver = {
    description: "fake lab",
    source: "stack",
    canResize: true,
    async ensureLab(size, opts): Promise<LabReady> {
      log.push(`ensureLab ${size.id}`);
      ensureSignals.push(opts.signal);
      script.onEnsure?.(size.id, ctl);
      const err = script.ensureError?.(size.id);
      if (err) throw err;
      const change = built ? "resized" : "created";
      built = true;
      return { hosts: hostsFor(size.id), change };
    },
    async existingLab() {
      return undefined;
    },
    async recover(opts) {
      log.push("recover");
      received.push(["recover", typeof opts.progress, false]);
    },
    async teardown(opts) {
      log.push("teardown");
      received.push(["teardown", typeof opts.progress, false]);
      if (script.teardownThrows) throw script.teardownThrows;
      return script.teardown ?? { ok: true, detail: "destroyed" };
    },
  };
  return {
    log,
    progress: [],
    ensureSignals,
    deps: {
      driver,
      async prepare(hosts, opts) {
        log.push(`prepare ${hosts.labId}`);
        received.push(["prepare", typeof opts.progress, opts.signal instanceof AbortSignal]);
        return {
          hosts,
          close: async () => void log.push(`close ${hosts.labId}`),
        };
      },
      async runTrial(_lab, spec, opts) {
        log.push(`trial ${trialKey(spec.sizeId, spec.trial)}`);
        received.push(["runTrial", typeof opts.progress, opts.signal instanceof AbortSignal]);
        script.onTrial?.(spec);
        return script.trial?.(spec, ctl) ?? { status: "ok", detail: "fine" };
      },
      async recordedTrials() {
        return new Set(script.recorded ?? []);
      },
      async timeline(kind, sizeId, detail) {
        log.push(`timeline ${kind}${sizeId ? ` ${sizeId}` : ""}${detail ? ` (${detail})` : ""}`);
      },
    },
  };
}

async function sweep(script: Script, over: Partial<SweepOptions> = {}) {
  const ac = new AbortController();
  const pulumiAc = new AbortController();
  const w = world(script, { abort: () => ac.abort(new Error("SIGINT received")) });
  const result = await runSweep(w.deps, {
    sizes: [C2, C4],
    trials: 2,
    coolDownSeconds: 0.01,
    keep: false,
    failFast: false,
    signal: ac.signal,
    pulumiSignal: pulumiAc.signal,
    progress: (e) => {
      w.progress.push(e);
      if (e.type === "log" && e.message.startsWith("cool-down")) w.log.push("cool-down");
    },
    ...over,
  });
  return { ...w, result, pulumiSignal: pulumiAc.signal };
}

describe("runSweep", () => {
  test("2 sizes × 2 trials: build, prepare, trials with cool-down between them, resize, and teardown at the end", async () => {
    const { log, result, progress, ensureSignals, pulumiSignal } = await sweep({});
    expect(log).toEqual([
      "timeline lab-up-start c2-r4",
      "ensureLab c2-r4",
      "timeline lab-up-done c2-r4 (created)",
      "prepare lab-c2-r4",
      "trial c2-r4#1",
      "cool-down",
      "trial c2-r4#2",
      "close lab-c2-r4",
      "timeline size-done c2-r4",
      "timeline size-start c4-r16",
      "ensureLab c4-r16",
      "timeline size-start c4-r16 (resized)",
      "prepare lab-c4-r16",
      "trial c4-r16#1",
      "cool-down",
      "trial c4-r16#2",
      "close lab-c4-r16",
      "timeline size-done c4-r16",
      "timeline lab-destroy-start",
      "teardown",
      "timeline lab-destroyed (destroyed)",
    ]);
    expect(result).toMatchObject({ ran: 4, failed: 0, skipped: 0, interrupted: false, teardown: { ok: true } });
    expect(result.error).toBeUndefined();
    // The Pulumi operation gets the Pulumi signal (see interrupts.ts), not the sweep's.
    expect(ensureSignals.every((s) => s === pulumiSignal)).toBe(true);
    // Trial k of n for size s, and how far the sweep is.
    const positions = progress.flatMap((e) => (e.type === "sweep" ? [`${e.sizeId} ${e.trial}/${e.trials} ${e.done}/${e.total}`] : []));
    expect(positions).toEqual(["c2-r4 1/2 0/4", "c2-r4 2/2 1/4", "c4-r16 1/2 2/4", "c4-r16 2/2 3/4"]);
  });

  test("--keep: no teardown, and the result says the lab was kept", async () => {
    const { log, result } = await sweep({}, { keep: true });
    expect(log).not.toContain("teardown");
    expect(log).not.toContain("timeline lab-destroy-start");
    expect(result.teardown).toEqual({ ok: true, detail: "lab kept (--keep)" });
  });

  test("resume: recorded pairs are skipped; a size with nothing left is not even built", async () => {
    const { log, result } = await sweep({ recorded: [trialKey("c2-r4", 1), trialKey("c2-r4", 2), trialKey("c4-r16", 2)] });
    expect(log.filter((l) => l.startsWith("ensureLab") || l.startsWith("trial"))).toEqual(["ensureLab c4-r16", "trial c4-r16#1"]);
    expect(result).toMatchObject({ ran: 1, skipped: 3 });
  });

  test("a failed trial is counted and the sweep goes on", async () => {
    const { log, result, progress } = await sweep({ trial: (s) => (s.sizeId === "c2-r4" && s.trial === 1 ? { status: "failed", detail: "traffic-gen exited 1" } : { status: "ok", detail: "" }) });
    expect(log.filter((l) => l.startsWith("trial"))).toEqual(["trial c2-r4#1", "trial c2-r4#2", "trial c4-r16#1", "trial c4-r16#2"]);
    expect(result).toMatchObject({ ran: 3, failed: 1, interrupted: false });
    expect(result.error).toBeUndefined();
    expect(progress.some((e) => e.type === "log" && e.level === "warn" && e.message.includes("trial 1 of size c2-r4 failed: traffic-gen exited 1"))).toBe(true);
  });

  test("--fail-fast: the first failure stops the sweep, the lab is still closed and torn down", async () => {
    const { log, result } = await sweep({ trial: (s) => (s.trial === 1 ? { status: "failed", detail: "sink refused" } : { status: "ok", detail: "" }) }, { failFast: true });
    expect(log.filter((l) => l.startsWith("trial"))).toEqual(["trial c2-r4#1"]);
    expect(log).toContain("close lab-c2-r4");
    expect(log).not.toContain("ensureLab c4-r16");
    expect(log.slice(-4)).toEqual(["recover", "timeline lab-destroy-start", "teardown", "timeline lab-destroyed (destroyed)"]);
    expect(result.failed).toBe(1);
    expect(result.error?.message).toMatch(/--fail-fast/);
    expect(result.error?.message).toContain("sink refused");
  });

  test("an error building the lab: recover, then teardown; the error is in the result", async () => {
    const { log, result } = await sweep({ ensureError: (id) => (id === "c2-r4" ? new Error("quota exceeded for c5.large") : undefined) });
    expect(log).not.toContain("prepare lab-c2-r4");
    expect(log.filter((l) => l.startsWith("trial"))).toEqual([]);
    expect(log.slice(-4)).toEqual(["recover", "timeline lab-destroy-start", "teardown", "timeline lab-destroyed (destroyed)"]);
    expect(result.error?.message).toBe("quota exceeded for c5.large");
    expect(result.ran).toBe(0);
  });

  test("interrupted mid-trial: the trial is not counted, the sweep stops, recover and teardown run", async () => {
    const { log, result } = await sweep({
      trial: (s, ctl) => {
        if (s.trial === 2) {
          ctl.abort();
          return { status: "interrupted", detail: "SIGINT" };
        }
        return { status: "ok", detail: "" };
      },
    });
    expect(result.interrupted).toBe(true);
    expect(result).toMatchObject({ ran: 1, failed: 0 });
    expect(result.error).toBeUndefined();
    expect(log).not.toContain("ensureLab c4-r16");
    expect(log).toContain("close lab-c2-r4");
    expect(log).not.toContain("timeline size-done c2-r4");
    expect(log.slice(-5)).toEqual(["timeline interrupted (SIGINT received)", "recover", "timeline lab-destroy-start", "teardown", "timeline lab-destroyed (destroyed)"]);
  });

  test("interrupted during the cool-down: the next trial never starts", async () => {
    const ac = new AbortController();
    const w = world({}, { abort: () => undefined });
    const result = await runSweep(w.deps, {
      sizes: [C2],
      trials: 2,
      coolDownSeconds: 30,
      keep: false,
      failFast: false,
      signal: ac.signal,
      pulumiSignal: new AbortController().signal,
      progress: (e) => {
        // Ctrl-C as soon as the cool-down starts: a 30 s wait must end at once.
        if (e.type === "log" && e.message.startsWith("cool-down")) setTimeout(() => ac.abort(new Error("SIGTERM received")), 1);
      },
    });
    expect(w.log.filter((l) => l.startsWith("trial"))).toEqual(["trial c2-r4#1"]);
    expect(result).toMatchObject({ ran: 1, interrupted: true });
    expect(w.log).toContain("recover");
    expect(w.log).toContain("teardown");
  }, 10_000);

  test("a size given twice (--sizes c2-r4,c2-r4) runs its trials once", async () => {
    const { log, result } = await sweep({}, { sizes: [C2, C2] });
    expect(log.filter((l) => l.startsWith("trial"))).toEqual(["trial c2-r4#1", "trial c2-r4#2"]);
    expect(log.filter((l) => l.startsWith("ensureLab"))).toEqual(["ensureLab c2-r4"]);
    expect(result).toMatchObject({ ran: 2, skipped: 0 });
    const totals = result.ran + result.failed + result.skipped;
    expect(totals).toBe(2);
  });

  test("a failed teardown is returned as is (what remains, how to remove), without 'lab-destroyed'", async () => {
    const failed: TeardownOutcome = { ok: false, remaining: ["aws:ec2/instance:Instance i-0abc"], howToRemove: "npm run down -- --stack dev" };
    const { log, result } = await sweep({ teardown: failed });
    expect(result.teardown).toEqual(failed);
    expect(log).not.toContain("timeline lab-destroyed (destroyed)");
    expect(log.at(-1)).toBe("teardown");
  });
});

describe("runSweep: what the operator is told", () => {
  const logs = (progress: ProgressEvent[]) => progress.flatMap((e) => (e.type === "log" ? [`${e.level}: ${e.message}`] : []));

  test("a teardown that throws still says what remains and how to remove it", async () => {
    const { log, result } = await sweep({ teardownThrows: new Error("pulumi: connection reset") });
    expect(result.teardown).toEqual({
      ok: false,
      remaining: ["the teardown itself failed: pulumi: connection reset"],
      howToRemove: "check fake lab by hand and destroy what is left ('npm run down' for a stack)",
    });
    expect(log.at(-1)).toBe("teardown");
  });

  test("an error raised by an interrupted trial is an interrupt, not an error", async () => {
    const { result, progress } = await sweep({
      trial: (_s, ctl) => {
        ctl.abort();
        throw new Error("connection reset by the interrupt");
      },
    });
    expect(result.interrupted).toBe(true);
    expect(result.error).toBeUndefined();
    expect(logs(progress).filter((l) => l.startsWith("warn"))).toEqual([]);
  });

  test("an error that is not an interrupt is warned about and returned", async () => {
    const { result, progress } = await sweep({ ensureError: () => new Error("quota") });
    expect(result.interrupted).toBe(false);
    expect(logs(progress)).toContain("warn: sweep stopped: quota");
  });

  test("interrupted while the lab is built: nothing is prepared, the lab is recovered and torn down", async () => {
    const { log, result } = await sweep({ onEnsure: (_id, ctl) => ctl.abort() });
    expect(log.slice(0, 3)).toEqual(["timeline lab-up-start c2-r4", "ensureLab c2-r4", "timeline lab-up-done c2-r4 (created)"]);
    expect(log.filter((l) => l.startsWith("prepare") || l.startsWith("trial"))).toEqual([]);
    expect(log.slice(-5)).toEqual(["timeline interrupted (SIGINT received)", "recover", "timeline lab-destroy-start", "teardown", "timeline lab-destroyed (destroyed)"]);
    expect(result).toMatchObject({ ran: 0, interrupted: true });
  });

  test("an interrupt whose reason is not an Error is recorded as 'interrupted'", async () => {
    const ac = new AbortController();
    const w = world({}, { abort: () => undefined });
    ac.abort("stop");
    const result = await runSweep(w.deps, { sizes: [C2], trials: 1, coolDownSeconds: 0, keep: true, failFast: false, signal: ac.signal, pulumiSignal: new AbortController().signal, progress: () => undefined });
    expect(result.interrupted).toBe(true);
    expect(w.log).toEqual(["timeline interrupted (interrupted)"]);
  });

  test("--keep after an error: the lab is neither recovered nor torn down", async () => {
    const { log, result } = await sweep({ ensureError: () => new Error("quota") }, { keep: true });
    expect(log).not.toContain("recover");
    expect(log).not.toContain("teardown");
    expect(result.teardown).toEqual({ ok: true, detail: "lab kept (--keep)" });
  });

  test("each trial's verdict line is shown (INVALID as a warning) and invalid trials are counted apart from valid ones", async () => {
    const { progress, result } = await sweep({
      trial: (s) => (s.trial === 1 ? { status: "ok", detail: "", valid: true, verdict: `${s.sizeId} trial 1: 900.0 msgs/s → VALID` } : { status: "ok", detail: "", valid: false, verdict: `${s.sizeId} trial 2: 12.0 msgs/s (not used) → INVALID: sink-cpu-high (x)` }),
    });
    const messages = logs(progress);
    expect(messages).toContain("info: c2-r4 trial 1: 900.0 msgs/s → VALID");
    expect(messages).toContain("warn: c2-r4 trial 2: 12.0 msgs/s (not used) → INVALID: sink-cpu-high (x)");
    expect(messages.at(-1)).toMatch(/^info: sweep finished in \d+ s: 2 valid, 2 invalid, 0 failed, 0 already recorded$/);
    expect(result).toMatchObject({ ran: 4, invalid: 2, failed: 0 });
  });

  test("resume, cool-down and summary messages", async () => {
    const { progress } = await sweep({ recorded: [trialKey("c2-r4", 1)], trial: (s) => (s.sizeId === "c4-r16" && s.trial === 2 ? { status: "failed", detail: "x" } : { status: "ok", detail: "" }) });
    const messages = logs(progress);
    expect(messages[0]).toBe("info: resuming: 1 of 4 trials already recorded, 3 to run");
    expect(messages).toContain("info: cool-down 0.01 s before trial 2 of 2 (size c4-r16)");
    expect(messages.filter((m) => m.includes("cool-down"))).toHaveLength(1); // c2-r4 runs one trial: no cool-down before it
    expect(messages.at(-1)).toMatch(/^info: sweep finished in \d+ s: 2 valid, 0 invalid, 1 failed, 1 already recorded$/);
    const interrupted = await sweep({ onEnsure: (_id, ctl) => ctl.abort() });
    expect(logs(interrupted.progress).at(-1)).toMatch(/^info: sweep finished in \d+ s: 0 valid, 0 invalid, 0 failed, 0 already recorded, interrupted$/);
  });

  test("before any trial has run the ETA is the plan's: its trial time × trials left + the cool-downs", async () => {
    // 2 sizes × 2 trials, 100 s planned per trial, 0.01 s cool-down: at the first trial 4 × 100 + 3 × 0.01.
    const { progress } = await sweep({}, { plannedTrialSeconds: () => 100 });
    const first = progress.find((e) => e.type === "sweep");
    expect(first).toMatchObject({ etaFromPlan: true });
    expect(first?.type === "sweep" && first.etaSeconds).toBeCloseTo(400.03, 9);
    const later = progress.filter((e) => e.type === "sweep").at(-1);
    expect(later?.type === "sweep" && later.etaFromPlan).toBeFalsy();
  });

  test("a long cool-down counts down every 30 s (on a fake clock): 95 s → 65, 35 and 5 s left", async () => {
    vi.useFakeTimers({ toFake: ["setTimeout", "clearTimeout", "Date"] });
    try {
      const run = sweep({}, { coolDownSeconds: 95, sizes: [C2] });
      for (let i = 0; i < 50; i++) await vi.advanceTimersByTimeAsync(10_000);
      const { progress } = await run;
      expect(logs(progress).filter((m) => m.includes("cool-down"))).toEqual([
        "info: cool-down 95 s before trial 2 of 2 (size c2-r4)",
        "info: … cool-down: 65 s left",
        "info: … cool-down: 35 s left",
        "info: … cool-down: 5 s left",
      ]);
    } finally {
      vi.useRealTimers();
    }
  });

  test("nothing recorded: no resume message; no cool-down configured: none announced", async () => {
    const { progress, log } = await sweep({}, { coolDownSeconds: 0 });
    expect(logs(progress).filter((m) => m.includes("resuming") || m.includes("cool-down"))).toEqual([]);
    expect(log).not.toContain("cool-down");
  });

  test("the ETA is unknown before the first trial ends, then known", async () => {
    const { progress } = await sweep({});
    const etas = progress.flatMap((e) => (e.type === "sweep" ? [e.etaSeconds] : []));
    expect(etas[0]).toBeUndefined();
    // 3 trials left after the first, 2 cool-downs of 0.01 s between them at least
    expect(etas[1]).toBeGreaterThanOrEqual(0.02);
    expect(etas.slice(1).every((e) => typeof e === "number" && e >= 0)).toBe(true);
  });
});

describe("runSweep: progress and timing, on a controlled clock", () => {
  afterEach(() => vi.restoreAllMocks());

  test("every dependency gets the progress sink, and prepare/runTrial the sweep's signal", async () => {
    received.length = 0;
    await sweep({}, { sizes: [C2], trials: 1 });
    expect(received).toEqual([
      ["prepare", "function", true],
      ["runTrial", "function", true],
      ["teardown", "function", false],
    ]);
    received.length = 0;
    await sweep({ ensureError: () => new Error("quota") }, { sizes: [C2], trials: 1 });
    expect(received).toEqual([
      ["recover", "function", false],
      ["teardown", "function", false],
    ]);
  });

  test("each trial takes 10 s: the ETA is the mean trial time × trials left + the cool-downs between them", async () => {
    let now = 1_000_000;
    vi.spyOn(Date, "now").mockImplementation(() => now);
    const { progress } = await sweep({ onTrial: () => void (now += 10_000) }, { coolDownSeconds: 0.01 });
    const etas = progress.flatMap((e) => (e.type === "sweep" ? [e.etaSeconds] : []));
    // after 1 trial: 10 × 3 + 2 × 0.01; after 2: 10 × 2 + 0.01; after 3: 10 × 1
    expect(etas[0]).toBeUndefined();
    expect(etas[1]).toBeCloseTo(30.02, 9);
    expect(etas[2]).toBeCloseTo(20.01, 9);
    expect(etas[3]).toBeCloseTo(10, 9);
    const finished = progress.flatMap((e) => (e.type === "log" && e.message.startsWith("sweep finished") ? [e.message] : []));
    expect(finished).toEqual(["sweep finished in 40 s: 4 valid, 0 invalid, 0 failed, 0 already recorded"]);
  });

  test("a failed trial counts as done for the position and the ETA", async () => {
    let now = 0;
    vi.spyOn(Date, "now").mockImplementation(() => now);
    const { progress } = await sweep(
      { onTrial: () => void (now += 20_000), trial: (s) => (s.sizeId === "c2-r4" && s.trial === 1 ? { status: "failed", detail: "x" } : { status: "ok", detail: "" }) },
      { coolDownSeconds: 0 },
    );
    const events = progress.flatMap((e) => (e.type === "sweep" ? [[e.done, e.etaSeconds]] : []));
    expect(events).toEqual([
      [0, undefined],
      [1, 60],
      [2, 40],
      [3, 20],
    ]);
  });

  test("the cool-down is waited in seconds", async () => {
    const starts: number[] = [];
    await sweep({ onTrial: () => void starts.push(performance.now()) }, { sizes: [C2], coolDownSeconds: 0.2 });
    expect(starts).toHaveLength(2);
    expect((starts[1] ?? 0) - (starts[0] ?? 0)).toBeGreaterThanOrEqual(190);
  });

  test("an interrupt during a trial that still completed: no further trial, even without a cool-down", async () => {
    const { log, result } = await sweep({ trial: (s, ctl) => (s.trial === 1 ? (ctl.abort(), { status: "ok", detail: "" }) : { status: "ok", detail: "" }) }, { coolDownSeconds: 0 });
    expect(log.filter((l) => l.startsWith("trial"))).toEqual(["trial c2-r4#1"]);
    expect(result).toMatchObject({ ran: 1, interrupted: true });
  });
});

describe("remainingTrials", () => {
  test("in order, each pair once, recorded pairs left out", () => {
    const todo = remainingTrials([C2, C4], 3, new Set([trialKey("c2-r4", 2), trialKey("c4-r16", 1), trialKey("c9-r9", 1)]));
    expect(todo.map((t) => trialKey(t.sizeId, t.trial))).toEqual(["c2-r4#1", "c2-r4#3", "c4-r16#2", "c4-r16#3"]);
    expect(todo.every((t) => t.trials === 3)).toBe(true);
  });

  test("a size listed twice is not run twice", () => {
    const todo = remainingTrials([C2, C2], 2, new Set());
    expect(todo.map((t) => trialKey(t.sizeId, t.trial))).toEqual(["c2-r4#1", "c2-r4#2"]);
    expect(todo[0]).toEqual({ sizeId: "c2-r4", size: C2, trial: 1, trials: 2 });
  });

  test("everything recorded: nothing to do", () => {
    expect(remainingTrials([C2], 2, new Set(["c2-r4#1", "c2-r4#2"]))).toEqual([]);
  });
});
