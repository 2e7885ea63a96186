/**
 * `--parallel N` without a lab: which lab measures which size (and which stack it is), one lab
 * failing while the other goes on, --fail-fast stopping every lab, an interrupt tearing every lab
 * down, the combined result and its exit code, labelled progress lines, each lab's own Pulumi
 * workspace, the stacks `down --run` destroys, and the sink's cost over several labs.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, test } from "vitest";
import YAML from "yaml";
import type { SenderSize } from "../../lab-config/schema";
import { stacksOfRun } from "../../scripts/cli/down";
import type { LabHosts } from "../../scripts/hosts/lab-hosts";
import type { LabDriver, TeardownOutcome } from "../../scripts/lab-drivers/lab-driver";
import { carryStackConfig, labProjectFile, labStackConfig } from "../../scripts/lab-drivers/lab-workspace";
import type { ProgressEvent } from "../../scripts/progress/events";
import { formatProgressEvent } from "../../scripts/progress/terminal";
import { computeSweepCost } from "../../scripts/report/sweep-cost";
import { appendTimelineEvent, readTimeline } from "../../scripts/results/results-dir";
import type { RunManifest } from "../../scripts/results/run-manifest";
import type { TimelineEvent } from "../../scripts/results/timeline";
import { assignSizesToLabs, baseStackOf, labsForResume, labStackName } from "../../scripts/sweep/lab-slots";
import { combineLabResults, runParallelSweep, sweepExitCode, type LabRun } from "../../scripts/sweep/parallel-sweep";
import { trialKey, type PreparedLab, type SweepResult, type TrialOutcome, type TrialSpec } from "../../scripts/sweep/run-sweep";

const size = (id: string, vcpu: number): SenderSize => ({ id, instanceType: `t.${id}`, vcpu, ramGiB: vcpu * 4, arch: "x86_64", hourlyUsd: vcpu / 10 });
const C2 = size("c2-r4", 2);
const C4 = size("c4-r16", 4);
const C8 = size("c8-r32", 8);
const C16 = size("c16-r64", 16);

describe("sizes dealt to labs", () => {
  test("4 sizes, --parallel 2: round-robin in the sweep's order, stacks <stack>-lab1 and -lab2", () => {
    expect(assignSizesToLabs([C2, C4, C8, C16], 2, "dev")).toEqual([
      { lab: "lab1", stack: "dev-lab1", sizes: ["c2-r4", "c8-r32"] },
      { lab: "lab2", stack: "dev-lab2", sizes: ["c4-r16", "c16-r64"] },
    ]);
  });

  test("--parallel 1 is today's sweep: one lab on --stack itself, every size in order", () => {
    expect(assignSizesToLabs([C2, C4, C8], 1, "dev")).toEqual([{ lab: "lab1", stack: "dev", sizes: ["c2-r4", "c4-r16", "c8-r32"] }]);
  });

  test("never more labs than sizes; a repeated size is one size; no stack on an inventory", () => {
    expect(assignSizesToLabs([C2, C4, C2], 8)).toEqual([
      { lab: "lab1", sizes: ["c2-r4"] },
      { lab: "lab2", sizes: ["c4-r16"] },
    ]);
  });

  test.each([0, -1, 1.5])("--parallel %s is refused", (n) => {
    expect(() => assignSizesToLabs([C2], n)).toThrow(/--parallel must be a positive whole number/);
  });

  test("a resume sends each size back to the lab run.json gave it, whatever --parallel would deal now", () => {
    const recorded = [
      { lab: "lab1", stack: "dev-lab1", sizes: ["c4-r16"] },
      { lab: "lab2", stack: "dev-lab2", sizes: ["c2-r4", "c8-r32"] },
    ];
    expect(labsForResume(recorded, [C2, C4, C8], "dev")).toEqual(recorded);
    // A run from before parallel labs was one lab on --stack.
    expect(labsForResume(undefined, [C2, C4], "dev")).toEqual([{ lab: "lab1", stack: "dev", sizes: ["c2-r4", "c4-r16"] }]);
  });

  test("a resume after run.json or the config changed: a size no longer in the sweep is dropped, a size run.json does not name goes to the lab of the size before it, a lab left empty is not opened", () => {
    const recorded = [
      { lab: "lab1", stack: "dev-lab1", sizes: ["c2-r4", "c8-r32"] },
      { lab: "lab2", stack: "dev-lab2", sizes: ["c4-r16"] },
    ];
    // c8-r32 is gone from the sweep; c16-r64 is new and follows c4-r16 (lab2).
    expect(labsForResume(recorded, [C2, C4, C16], "dev")).toEqual([
      { lab: "lab1", stack: "dev-lab1", sizes: ["c2-r4"] },
      { lab: "lab2", stack: "dev-lab2", sizes: ["c4-r16", "c16-r64"] },
    ]);
    // Only lab1's sizes are left: lab2 has nothing to measure and is not opened.
    expect(labsForResume(recorded, [C2, C8], "dev")).toEqual([{ lab: "lab1", stack: "dev-lab1", sizes: ["c2-r4", "c8-r32"] }]);
  });

  test("a resume of labs recorded without stacks (run.json of an older sweep) names them from --stack; on an inventory none", () => {
    const recorded = [
      { lab: "lab1", sizes: ["c2-r4"] },
      { lab: "lab2", sizes: ["c4-r16"] },
    ];
    expect(labsForResume(recorded, [C2, C4], "dev")).toEqual([
      { lab: "lab1", stack: "dev-lab1", sizes: ["c2-r4"] },
      { lab: "lab2", stack: "dev-lab2", sizes: ["c4-r16"] },
    ]);
    expect(labsForResume(recorded, [C2, C4])).toEqual(recorded);
  });

  test("stack names: dev-lab2 comes from dev; one lab keeps the stack's own name", () => {
    expect(labStackName("dev", 1, 3)).toBe("dev-lab2");
    expect(labStackName("dev", 0, 1)).toBe("dev");
    expect(baseStackOf("team-a-lab12")).toBe("team-a");
    expect(baseStackOf("dev")).toBe("dev");
    // Only a trailing -labN is a lab's suffix.
    expect(baseStackOf("dev-lab2-old")).toBe("dev-lab2-old");
  });
});

// --- two labs over in-memory deps ------------------------------------------------------------

function hosts(lab: string): LabHosts {
  const host = (role: "sender" | "sink", address: string) => ({ role, name: `${role} (${address})`, address, port: 22, user: "kumo", hostKey: { kind: "pinned" as const, publicKey: "ssh-ed25519 AAAA" }, credentials: { kind: "private-key-file" as const, path: "/dev/null" } });
  return { labId: lab, sender: host("sender", "198.18.0.10"), sink: host("sink", "198.18.0.20"), sinkAddressFromSender: "198.18.0.20", sinkPort: 2525, cloudFirewalls: [] };
}

interface LabScript {
  ensureError?: Error;
  trial?: (spec: TrialSpec) => TrialOutcome;
  /** Resolves the trial only when released (to hold a lab mid-trial). */
  holdTrial?: Promise<void>;
  teardown?: TeardownOutcome;
}

function fakeLab(name: string, sizes: SenderSize[], script: LabScript, log: string[], onTrialStart?: () => void): LabRun<PreparedLab> {
  const driver: LabDriver = {
    description: `fake ${name}`,
    source: "stack",
    canResize: true,
    async ensureLab(s) {
      log.push(`${name} ensureLab ${s.id}`);
      if (script.ensureError) throw script.ensureError;
      return { hosts: hosts(name), change: "created" };
    },
    existingLab: async () => undefined,
    recover: async () => void log.push(`${name} recover`),
    teardown: async () => {
      log.push(`${name} teardown`);
      return script.teardown ?? { ok: true, detail: `${name} destroyed` };
    },
  };
  return {
    slot: { lab: name, stack: `dev-${name}`, sizes: sizes.map((s) => s.id) },
    sizes,
    deps: {
      driver,
      prepare: async (h) => ({ hosts: h, close: async () => undefined }),
      runTrial: async (_lab, spec, o) => {
        log.push(`${name} trial ${trialKey(spec.sizeId, spec.trial)}`);
        onTrialStart?.();
        if (script.holdTrial) {
          if (!o.signal.aborted) await Promise.race([script.holdTrial, new Promise((r) => o.signal.addEventListener("abort", r, { once: true }))]);
          if (o.signal.aborted) return { status: "interrupted", detail: "aborted" };
        }
        return script.trial?.(spec) ?? { status: "ok", detail: "fine", valid: true };
      },
      recordedTrials: async () => new Set<string>(),
      timeline: async (kind, sizeId) => void log.push(`${name} timeline ${kind}${sizeId ? ` ${sizeId}` : ""}`),
    },
  };
}

async function parallel(labs: LabRun<PreparedLab>[], over: { failFast?: boolean; signal?: AbortSignal } = {}) {
  const progress: ProgressEvent[] = [];
  const out = await runParallelSweep(labs, {
    trials: 2,
    coolDownSeconds: 0,
    keep: false,
    failFast: over.failFast ?? false,
    progress: (e) => void progress.push(e),
    signal: over.signal ?? new AbortController().signal,
    pulumiSignal: new AbortController().signal,
  });
  return { ...out, progress };
}

describe("two labs at once", () => {
  test("lab2 fails to build: lab1 measures all its sizes, both labs are torn down, the run fails (exit 1) naming lab2", async () => {
    const log: string[] = [];
    const { labs, total, progress } = await parallel([fakeLab("lab1", [C2, C8], {}, log), fakeLab("lab2", [C4], { ensureError: new Error("vCPU quota exceeded") }, log)]);
    expect(log.filter((l) => l.startsWith("lab1 trial"))).toEqual(["lab1 trial c2-r4#1", "lab1 trial c2-r4#2", "lab1 trial c8-r32#1", "lab1 trial c8-r32#2"]);
    expect(log).toContain("lab1 teardown");
    expect(log.filter((l) => l.startsWith("lab2"))).toEqual(["lab2 timeline lab-up-start c4-r16", "lab2 ensureLab c4-r16", "lab2 recover", "lab2 timeline lab-destroy-start", "lab2 teardown", "lab2 timeline lab-destroyed"]);
    expect(labs.map((l) => [l.slot.lab, l.result.ran, l.result.error?.message])).toEqual([
      ["lab1", 4, undefined],
      ["lab2", 0, "vCPU quota exceeded"],
    ]);
    expect(total).toMatchObject({ ran: 4, failed: 0, interrupted: false, teardown: { ok: true, detail: "lab1: lab1 destroyed; lab2: lab2 destroyed" } });
    expect(total.error?.message).toBe("lab2: vCPU quota exceeded");
    expect(sweepExitCode(total, 0)).toBe(1);
    // Every line of a lab says which lab; the last says how all of them ended.
    const lines = progress.map((e) => formatProgressEvent(e) ?? "");
    expect(lines.filter((l) => l.includes("vCPU quota exceeded"))).toEqual(["[lab2] warning: sweep stopped: vCPU quota exceeded"]);
    expect(lines.at(-1)).toBe("all 2 labs finished: 4 valid, 0 invalid, 0 failed, 0 already recorded, stopped by an error");
  });

  test("a failed trial in lab1 without --fail-fast: recorded, and both labs go on to the end", async () => {
    const log: string[] = [];
    const { total } = await parallel([fakeLab("lab1", [C2], { trial: (s) => (s.trial === 1 ? { status: "failed", detail: "traffic-gen exited 1" } : { status: "ok", detail: "", valid: true }) }, log), fakeLab("lab2", [C4], {}, log)]);
    expect(log.filter((l) => l.includes(" trial "))).toHaveLength(4);
    expect(total).toMatchObject({ ran: 3, failed: 1, interrupted: false });
    expect(total.error).toBeUndefined();
    expect(sweepExitCode(total, 3)).toBe(3);
  });

  test("--fail-fast: lab1's failed trial stops lab2 mid-trial; both torn down; exit 1, not 130", async () => {
    const log: string[] = [];
    let lab2Started!: () => void;
    const lab2Running = new Promise<void>((r) => (lab2Started = r));
    const lab1 = fakeLab("lab1", [C2], { trial: () => ({ status: "failed", detail: "sink refused" }) }, log);
    // lab1's trial waits until lab2 is inside its first trial, so the stop has something to stop.
    const slowFail = lab1.deps.runTrial;
    lab1.deps.runTrial = async (l, spec, o) => {
      await lab2Running;
      return slowFail(l, spec, o);
    };
    const lab2 = fakeLab("lab2", [C4], { holdTrial: new Promise(() => undefined) }, log, () => lab2Started());
    const { total, labs } = await parallel([lab1, lab2], { failFast: true });
    expect(log.filter((l) => l.startsWith("lab2 trial"))).toEqual(["lab2 trial c4-r16#1"]);
    expect(log).toContain("lab1 teardown");
    expect(log).toContain("lab2 teardown");
    expect(labs[1]?.result.interrupted).toBe(true);
    expect(total.interrupted).toBe(false);
    expect(total.error?.message).toMatch(/lab1: trial 1 of size c2-r4 failed and --fail-fast is set: sink refused/);
    expect(sweepExitCode(total, 0)).toBe(1);
  });

  test("an interrupt while both labs are mid-trial: every lab recovers and is destroyed; exit 130", async () => {
    const log: string[] = [];
    const ac = new AbortController();
    let started = 0;
    const onStart = () => {
      if (++started === 2) ac.abort(new Error("SIGINT received"));
    };
    const hold = new Promise<void>(() => undefined);
    const { total } = await parallel([fakeLab("lab1", [C2], { holdTrial: hold }, log, onStart), fakeLab("lab2", [C4], { holdTrial: hold }, log, onStart)], { signal: ac.signal });
    for (const lab of ["lab1", "lab2"]) expect(log.filter((l) => l.startsWith(lab)).slice(-5)).toEqual([`${lab} timeline interrupted`, `${lab} recover`, `${lab} timeline lab-destroy-start`, `${lab} teardown`, `${lab} timeline lab-destroyed`]);
    expect(total).toMatchObject({ ran: 0, interrupted: true, teardown: { ok: true } });
    expect(sweepExitCode(total, 0)).toBe(130);
  });

  test("the labs are destroyed at the same time: each lab's destroy is under way before either ends", async () => {
    const log: string[] = [];
    const started = new Map<string, () => void>();
    const both = ["lab1", "lab2"].map((lab) => new Promise<void>((r) => started.set(lab, r)));
    const labs = [fakeLab("lab1", [C2], {}, log), fakeLab("lab2", [C4], {}, log)];
    for (const l of labs) {
      const own = l.deps.driver.teardown.bind(l.deps.driver);
      l.deps.driver.teardown = async (o) => {
        started.get(l.slot.lab)?.();
        // One after the other, the first destroy would wait here for ever: bounded, it fails instead.
        const other = await Promise.race([Promise.all(both).then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), 5000))]);
        return other ? own(o) : { ok: false, remaining: [`${l.slot.lab} waited alone`], howToRemove: "-" };
      };
    }
    const { total } = await parallel(labs);
    expect(total.teardown).toEqual({ ok: true, detail: "lab1: lab1 destroyed; lab2: lab2 destroyed" });
  });

  test("one lab's destroy fails: the run's teardown fails, what remains is named by lab; exit 1 even after an interrupt", () => {
    const ok: SweepResult = { ran: 2, invalid: 0, failed: 0, spotInterrupted: 0, skipped: 0, interrupted: true, teardown: { ok: true, detail: "stack dev-lab1 destroyed" } };
    const bad: SweepResult = { ran: 1, invalid: 1, failed: 1, spotInterrupted: 0, skipped: 2, interrupted: true, teardown: { ok: false, remaining: ["aws:ec2/instance:Instance i-0abc"], howToRemove: "npm run down -- --stack dev-lab2" } };
    const total = combineLabResults(
      [
        { slot: { lab: "lab1", sizes: ["c2-r4"] }, result: ok },
        { slot: { lab: "lab2", sizes: ["c4-r16"] }, result: bad },
      ],
      true,
    );
    expect(total).toEqual({ ran: 3, invalid: 1, failed: 1, spotInterrupted: 0, skipped: 2, interrupted: true, teardown: { ok: false, remaining: ["[lab2] aws:ec2/instance:Instance i-0abc"], howToRemove: "lab2: npm run down -- --stack dev-lab2" } });
    expect(sweepExitCode(total, 0)).toBe(1);
  });
});

describe("what else knows about several labs", () => {
  test("two labs writing one timeline at once: every event reads back, each lab's in its order, no torn line", async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "kumolab-two-writers-"));
    try {
      const writer = async (lab: string) => {
        for (let i = 0; i < 40; i++) {
          appendTimelineEvent(dir, { at: new Date(Date.UTC(2026, 10, 30, 10, 0, i)).toISOString(), kind: "size-start", sizeId: `s${i}`, lab });
          // Each lab yields between writes, as a lab's awaits do between its steps.
          await new Promise((r) => setImmediate(r));
        }
      };
      await Promise.all([writer("lab1"), writer("lab2")]);
      const { events, torn } = readTimeline(dir);
      expect(torn).toBeNull();
      for (const lab of ["lab1", "lab2"]) expect(events.filter((e) => e.lab === lab).map((e) => e.sizeId)).toEqual(Array.from({ length: 40 }, (_, i) => `s${i}`));
      // Interleaved, not one lab after the other: the writes really were concurrent.
      expect(events.slice(0, 2).map((e) => e.lab)).toEqual(["lab1", "lab2"]);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("progress lines carry their lab; without one they read as before", () => {
    expect(formatProgressEvent({ type: "sweep", sizeId: "c4-r16", trial: 1, trials: 2, done: 0, total: 2, lab: "lab2" })).toBe("[lab2] sweep c4-r16 trial 1/2 — 0/2 done, ETA after the first trial");
    expect(formatProgressEvent({ type: "step-done", host: "sink (198.18.0.20)", step: "start kumod", ms: 31, changed: false, lab: "lab1" })).toBe("[lab1] [sink (198.18.0.20)] start kumod ✓ 31 ms (unchanged)");
    expect(formatProgressEvent({ type: "log", level: "info", message: "x" })).toBe("x");
  });

  test("a lab's own workspace: the same project and program, stack config files kept in the project folder", () => {
    const project = "name: kumolab\nruntime:\n  name: nodejs\nmain: infra/\n";
    const out = YAML.parse(labProjectFile(project, "/p", "/p/.pulumi-workspaces/dev-lab2")) as Record<string, unknown>;
    expect(out).toEqual({ name: "kumolab", runtime: { name: "nodejs" }, main: "../../infra/", stackConfigDir: "../.." });
  });

  test("the base stack's settings are carried into a lab stack; encrypted ones are not (each stack has its own key)", () => {
    const { config, skipped } = labStackConfig(
      { "kumolab:aws.region": "eu-west-1", "kumolab:traffic": { concurrency: 5000 }, "kumolab:token": { secure: "v1:abc" } },
      { "kumolab:sender.size": "c4-r16", "kumolab:aws.region": "us-east-1" },
    );
    expect(config).toEqual({ "kumolab:sender.size": "c4-r16", "kumolab:aws.region": "eu-west-1", "kumolab:traffic": { concurrency: 5000 } });
    expect(skipped).toEqual(["kumolab:token"]);

    const dir = mkdtempSync(path.join(os.tmpdir(), "kumolab-carry-"));
    try {
      writeFileSync(path.join(dir, "Pulumi.dev.yaml"), "config:\n  kumolab:aws.region: eu-west-1\n");
      writeFileSync(path.join(dir, "Pulumi.dev-lab2.yaml"), "encryptionsalt: v1:salt\n");
      expect(carryStackConfig("dev", "dev-lab2", dir)).toEqual([]);
      // The salt `pulumi stack init` wrote stays: without it the lab's secrets (its SSH key) cannot be read.
      expect(YAML.parse(readFileSync(path.join(dir, "Pulumi.dev-lab2.yaml"), "utf8"))).toEqual({ encryptionsalt: "v1:salt", config: { "kumolab:aws.region": "eu-west-1" } });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("down --run destroys every lab stack run.json names, and nothing for a lab without a stack", () => {
    expect(stacksOfRun([{ lab: "lab1", stack: "dev-lab1" }, { lab: "lab2", stack: "dev-lab2" }])).toEqual([
      { lab: "lab1", stack: "dev-lab1" },
      { lab: "lab2", stack: "dev-lab2" },
    ]);
    expect(stacksOfRun([{ lab: "lab1" }])).toEqual([]);
    expect(stacksOfRun(undefined)).toEqual([]);
  });

  test("cost: one sink per lab, each over its own window; a size's window closes at its own lab's events", () => {
    const manifest = {
      schemaVersion: 1,
      runId: "r",
      createdAt: "2026-11-30T10:00:00Z",
      source: "stack",
      labId: "2 labs",
      sizes: [
        { id: "c2-r4", label: "c5.large", vcpu: 2, ramGiB: 4, hourlyUsd: 0.1 },
        { id: "c4-r16", label: "m5.xlarge", vcpu: 4, ramGiB: 16, hourlyUsd: 0.2 },
      ],
      sink: { label: "Standard_F8s_v2", hourlyUsd: 0.4 },
      trialsPerSize: 1,
      coolDownSeconds: 0,
      traffic: { concurrency: 1, messageCount: 1, bodySizeBytes: 1, durationCapSeconds: 1, extraArgs: [] },
      labs: [
        { lab: "lab1", stack: "dev-lab1", sizes: ["c2-r4"] },
        { lab: "lab2", stack: "dev-lab2", sizes: ["c4-r16"] },
      ],
    } satisfies RunManifest;
    const at = (m: number) => new Date(Date.parse("2026-11-30T10:00:00Z") + m * 60_000).toISOString();
    const timeline: TimelineEvent[] = [
      { at: at(0), kind: "lab-up-start", sizeId: "c2-r4", lab: "lab1" },
      { at: at(0), kind: "lab-up-start", sizeId: "c4-r16", lab: "lab2" },
      { at: at(10), kind: "size-start", sizeId: "c2-r4", lab: "lab1" },
      { at: at(10), kind: "size-start", sizeId: "c4-r16", lab: "lab2" },
      // lab2 finishes first: its destroy must not end lab1's size window.
      { at: at(20), kind: "size-done", sizeId: "c4-r16", lab: "lab2" },
      { at: at(22), kind: "lab-destroy-start", lab: "lab2" },
      { at: at(30), kind: "lab-destroyed", lab: "lab2" },
      { at: at(40), kind: "size-done", sizeId: "c2-r4", lab: "lab1" },
      { at: at(42), kind: "lab-destroy-start", lab: "lab1" },
      { at: at(50), kind: "lab-destroyed", lab: "lab1" },
    ];
    const cost = computeSweepCost(manifest, timeline, []);
    // Sinks: lab1 50 min + lab2 30 min = 80 min at $0.40/h = $0.5333…; senders: c2 30 min at $0.10, c4 10 min at $0.20.
    expect(cost.lab.seconds).toBe(80 * 60);
    expect(cost.sinkUsd).toBeCloseTo(0.4 * (80 / 60), 10);
    expect(cost.sizes.map((s) => [s.sizeId, s.window.seconds])).toEqual([
      ["c2-r4", 30 * 60],
      ["c4-r16", 10 * 60],
    ]);
    expect(cost.totalUsd).toBeCloseTo(0.4 * (80 / 60) + 0.1 * 0.5 + 0.2 * (10 / 60), 10);
  });
});
