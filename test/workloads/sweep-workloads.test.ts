/** The sweep runs sizes × workloads × trials, resumable per (size, workload, trial). */
import { describe, expect, it } from "vitest";
import type { SenderSize } from "../../lab-config/schema";
import { remainingTrials, runSweep, trialKey, type PreparedLab, type SweepDeps } from "../../scripts/sweep/run-sweep";
import type { ProgressEvent } from "../../scripts/progress/events";
import type { LabHosts } from "../../scripts/hosts/lab-hosts";
import { trafficGenArgs } from "../../scripts/trial/traffic-gen-args";
import { loadLabConfig } from "../../lab-config/load";
import { formatProgressEvent } from "../../scripts/progress/terminal";

const size = (id: string): SenderSize => ({ id, instanceType: "c5.large", vcpu: 2, ramGiB: 4, arch: "x86_64" });

describe("sizes × workloads × trials", () => {
  it("record keys: published keeps the pre-workload key, others carry the workload", () => {
    expect(trialKey("c2-r4", 1)).toBe("c2-r4#1");
    expect(trialKey("c2-r4", 1, "published")).toBe("c2-r4#1");
    expect(trialKey("c2-r4", 2, "dkim")).toBe("c2-r4#dkim#2");
  });

  it("order is size, then workload, then trial; recorded ones are skipped, duplicates run once", () => {
    const recorded = new Set(["a#1", "a#smart#2", "b#dkim#1"]);
    const todo = remainingTrials([size("a"), size("b")], 2, recorded, ["published", "dkim", "smart", "dkim"]);
    expect(todo.map((t) => `${t.sizeId}/${t.workload ?? "published"}/${t.trial}`)).toEqual([
      "a/published/2", "a/dkim/1", "a/dkim/2", "a/smart/1",
      "b/published/1", "b/published/2", "b/dkim/2", "b/smart/1", "b/smart/2",
    ]);
  });

  it("traffic-gen's flags for HTTP injection and STARTTLS (crates/traffic-gen/src/main.rs)", () => {
    const t = loadLabConfig().config.traffic;
    expect(trafficGenArgs({ ...t, http: { batchSize: 50 } }, "http://127.0.0.1:8000", 60).extraArgs).toEqual(["--http", "--http-batch-size", "50"]);
    expect(trafficGenArgs({ ...t, starttls: true }, "127.0.0.1:2025", 60).extraArgs).toEqual(["--starttls"]);
    expect(trafficGenArgs({ ...t, http: { batchSize: 2 } }, "http://127.0.0.1:8000", 60).argv.slice(1, 3)).toEqual(["--target", "http://127.0.0.1:8000"]);
    // A body file replaces --body-size (traffic-gen's load_body_file ignores the size then).
    const withFile = trafficGenArgs({ ...t, remoteBodyFile: "/etc/kumolab/bodies/w.eml" }, "127.0.0.1:2025", 60).argv;
    expect(withFile.slice(withFile.indexOf("--body-file"), withFile.indexOf("--body-file") + 2)).toEqual(["--body-file", "/etc/kumolab/bodies/w.eml"]);
    expect(withFile).not.toContain("--body-size");
  });

  it("the sweep's progress line names the workload (published keeps the line it had)", () => {
    const base = { type: "sweep" as const, sizeId: "c2-r4", trial: 1, trials: 2, done: 3, total: 12 };
    expect(formatProgressEvent(base)).toBe("sweep c2-r4 trial 1/2 — 3/12 done, ETA after the first trial");
    expect(formatProgressEvent({ ...base, workload: "dkim" })).toBe("sweep c2-r4 × dkim trial 1/2 — 3/12 done, ETA after the first trial");
  });

  it("runSweep: each workload's policies pushed once before its trials, and the progress events carry the workload", async () => {
    const log: string[] = [];
    const events: ProgressEvent[] = [];
    const hosts = { labId: "lab" } as unknown as LabHosts; // only passed through by runSweep
    const deps: SweepDeps<PreparedLab> = {
      driver: { description: "fake", source: "stack", canResize: true, ensureLab: async () => ({ hosts, change: "created" }), existingLab: async () => undefined, recover: async () => undefined, teardown: async () => ({ ok: true, detail: "gone" }) },
      prepare: async (h) => ({ hosts: h, close: async () => undefined }),
      useWorkload: async (_lab, w) => void log.push(`use ${w}`),
      runTrial: async (_lab, spec) => (log.push(`trial ${trialKey(spec.sizeId, spec.trial, spec.workload)}`), { status: "ok", detail: "" }),
      recordedTrials: async () => new Set(["a#smart#1"]),
      timeline: async () => undefined,
    };
    const ac = new AbortController();
    const r = await runSweep(deps, { sizes: [size("a")], trials: 2, workloads: ["published", "smart"], coolDownSeconds: 0, keep: false, failFast: false, progress: (e) => void events.push(e), signal: ac.signal, pulumiSignal: ac.signal });
    expect(r).toMatchObject({ ran: 3, skipped: 1, failed: 0 });
    expect(log).toEqual(["use published", "trial a#1", "trial a#2", "use smart", "trial a#smart#2"]);
    expect(events.filter((e) => e.type === "sweep").map((e) => (e.type === "sweep" ? `${e.workload ?? "-"} ${e.trial} ${e.done}/${e.total}` : ""))).toEqual(["- 1 1/4", "- 2 2/4", "smart 2 3/4"]);
  });
});
