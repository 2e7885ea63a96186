/** The sweep's cool-down with a settle check (SweepDeps.settle): measured, bounded, recorded with the next trial. */
import { describe, expect, test } from "vitest";
import { loadLabConfig } from "../../lab-config/load";
import type { SenderSize } from "../../lab-config/schema";
import type { LabHosts } from "../../scripts/hosts/lab-hosts";
import type { LabDriver } from "../../scripts/lab-drivers/lab-driver";
import type { ProgressEvent } from "../../scripts/progress/events";
import { runSweep, type PreparedLab, type SweepDeps, type TrialSpec } from "../../scripts/sweep/run-sweep";
import type { CoolDown } from "../../scripts/sweep/settle";

const C2 = loadLabConfig().config.sender.sizes.find((s) => s.id === "c2-r4") as SenderSize;

const HOSTS = { labId: "lab-1", sinkAddressFromSender: "198.18.0.20", sinkPort: 2525, cloudFirewalls: [] } as unknown as LabHosts;

const driver: LabDriver = {
  description: "fake lab",
  source: "stack",
  canResize: true,
  ensureLab: async () => ({ hosts: HOSTS, change: "created" }),
  existingLab: async () => undefined,
  recover: async () => undefined,
  teardown: async () => ({ ok: true, detail: "destroyed" }),
};

const READINGS = { senderQueue: 0, senderOpen: 0, senderDeliveryQuiet: true, senderCpuPct: 2, sinkCpuPct: 1, timeWait: 3 };

async function sweep(settle: SweepDeps["settle"], o: { coolDownSeconds: number; trials?: number; abort?: AbortController }) {
  const specs: TrialSpec[] = [];
  const settleCalls: Array<{ lab: string; boundSeconds: number }> = [];
  const messages: string[] = [];
  const deps: SweepDeps<PreparedLab> = {
    driver,
    prepare: async (hosts) => ({ hosts, close: async () => undefined }),
    runTrial: async (_lab, spec) => {
      specs.push(spec);
      return { status: "ok", detail: "fine" };
    },
    recordedTrials: async () => new Set(),
    timeline: async () => undefined,
    ...(settle
      ? {
          settle: async (lab: PreparedLab, x: { boundSeconds: number; progress: (e: ProgressEvent) => void; signal: AbortSignal }) => {
            settleCalls.push({ lab: lab.hosts.labId, boundSeconds: x.boundSeconds });
            return settle(lab, x);
          },
        }
      : {}),
  };
  const ac = o.abort ?? new AbortController();
  const t0 = Date.now();
  const result = await runSweep(deps, {
    sizes: [C2],
    trials: o.trials ?? 3,
    coolDownSeconds: o.coolDownSeconds,
    keep: true,
    failFast: false,
    signal: ac.signal,
    pulumiSignal: new AbortController().signal,
    progress: (e) => void (e.type === "log" && messages.push(e.message)),
  });
  return { specs, settleCalls, messages, result, ms: Date.now() - t0 };
}

describe("runSweep with a settle check", () => {
  test("between trials only, bounded by the configured cool-down; each wait is handed to the next trial", async () => {
    const waits: CoolDown[] = [
      { seconds: 4.2, boundSeconds: 120, outcome: "settled", readings: READINGS },
      { seconds: 120, boundSeconds: 120, outcome: "bounded", readings: { ...READINGS, senderQueue: 7, timeWait: 250 } },
    ];
    let i = 0;
    const { specs, settleCalls, messages, result, ms } = await sweep(async () => waits[i++] as CoolDown, { coolDownSeconds: 120 });
    expect(result.ran).toBe(3);
    // The sweep itself never sleeps when a settle check is given: the check owns the wait.
    expect(ms).toBeLessThan(2000);
    expect(settleCalls).toEqual([
      { lab: "lab-1", boundSeconds: 120 },
      { lab: "lab-1", boundSeconds: 120 },
    ]);
    expect(specs.map((s) => [s.trial, s.coolDown])).toEqual([
      [1, undefined],
      [2, waits[0]],
      [3, waits[1]],
    ]);
    expect(messages.filter((m) => m.startsWith("cool-down"))).toEqual([
      "cool-down: up to 120 s, until the hosts settle, before trial 2 of 3 (size c2-r4)",
      "cool-down: 4.2 s, settled",
      "cool-down: up to 120 s, until the hosts settle, before trial 3 of 3 (size c2-r4)",
      "cool-down: 120 s, not settled (bound 120 s) — sender queue 7, 250 TIME_WAIT sockets",
    ]);
  });

  test("a zero cool-down skips the check", async () => {
    const { settleCalls, specs } = await sweep(async () => ({ seconds: 0, boundSeconds: 0, outcome: "settled", readings: READINGS }), { coolDownSeconds: 0 });
    expect(settleCalls).toEqual([]);
    expect(specs.map((s) => s.coolDown)).toEqual([undefined, undefined, undefined]);
  });

  test("without the dependency the cool-down is today's plain sleep and nothing is recorded", async () => {
    const { specs, messages, ms } = await sweep(undefined, { coolDownSeconds: 0.2, trials: 2 });
    expect(ms).toBeGreaterThanOrEqual(190);
    expect(specs.map((s) => s.coolDown)).toEqual([undefined, undefined]);
    expect(messages.filter((m) => m.startsWith("cool-down"))).toEqual(["cool-down 0.2 s before trial 2 of 2 (size c2-r4)"]);
  });

  test("interrupted during the settle wait: the next trial never starts", async () => {
    const ac = new AbortController();
    const { specs, result } = await sweep(
      async () => {
        ac.abort(new Error("SIGINT received"));
        return { seconds: 1, boundSeconds: 120, outcome: "bounded", readings: null };
      },
      { coolDownSeconds: 120, abort: ac },
    );
    expect(specs.map((s) => s.trial)).toEqual([1]);
    expect(result.interrupted).toBe(true);
  });
});

describe("the ETA with measured cool-downs", () => {
  test("counts the mean wait measured so far, not the 120-s bound: waits 4.2 s and 10 s → 7.1 s per cool-down left", async () => {
    const waits = [4.2, 10, 10];
    let i = 0;
    const events: ProgressEvent[] = [];
    await runSweep(
      {
        driver,
        prepare: async (hosts) => ({ hosts, close: async () => undefined }),
        runTrial: async () => ({ status: "ok", detail: "fine" }),
        settle: async () => ({ seconds: waits[i++] ?? 0, boundSeconds: 120, outcome: "settled", readings: READINGS }),
        recordedTrials: async () => new Set(),
        timeline: async () => undefined,
      },
      { sizes: [C2], trials: 4, coolDownSeconds: 120, keep: true, failFast: false, signal: new AbortController().signal, pulumiSignal: new AbortController().signal, progress: (e) => void events.push(e) },
    );
    const third = events.find((e) => e.type === "sweep" && e.trial === 3);
    // Before trial 3: two trials done, two left, one cool-down between them: 2 × (a trial of a few ms) + 1 × (4.2 + 10) / 2.
    const eta = third?.type === "sweep" ? third.etaSeconds : undefined;
    expect(eta).toBeGreaterThanOrEqual(7.1);
    expect(eta).toBeLessThan(8);
  });
});
