/**
 * The sweep as a user runs it — a process — over the namespace lab: a 2-size × 2-trial sweep
 * completes and reports; a sweep killed mid-trial (SIGKILL) and resumed ends with exactly the
 * planned trials; SIGINT mid-sweep tears the lab down and keeps the results; failing trials are
 * recorded and the sweep goes on, or stops with --fail-fast.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { readManifest, readRecords, readTimeline } from "../../scripts/results/results-dir";
import { createNamespaceLab, skipNamespaceLab, type LabHostHandle } from "../lab/namespace-lab";
import { smallLabConfigObject, writeInventory } from "../lab/lab-files";

const REPO = path.resolve(__dirname, "..", "..");
// tsx's require hook in this node process (its CLI would run a second, child node process, and a
// signal to the CLI is not a signal to the sweep).
const TSX_HOOK = path.join(REPO, "node_modules", "tsx", "dist", "cjs", "index.cjs");
const ENTRY = path.join(REPO, "test", "lab", "sweep-entry.ts");
/** The product's own `npm run sweep` entry (no test hooks). */
const SWEEP_CLI = path.join(REPO, "scripts", "cli", "sweep.ts");
const skip = skipNamespaceLab();

interface Run {
  child: ChildProcess;
  out: () => string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
}

function startSweep(args: string[], entry = ENTRY): Run {
  const child = spawn(process.execPath, ["--require", TSX_HOOK, entry, ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  child.stdout?.on("data", (d: Buffer) => (out += d.toString()));
  child.stderr?.on("data", (d: Buffer) => (out += d.toString()));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => child.on("exit", (code, signal) => resolve({ code, signal })));
  return { child, out: () => out, exit };
}

async function waitFor(what: string, cond: () => boolean, timeoutMs: number): Promise<void> {
  const until = Date.now() + timeoutMs;
  for (let i = 0; i < 10_000 && Date.now() < until; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}`);
}

/**
 * Namespaces of the labs a sweep process made and left behind. The harness names a lab
 * `kl<pid base 36><counter>`, so a process's labs are known by its pid alone, whatever other labs
 * exist on the machine.
 */
function labNamespacesOf(pid: number | undefined): string[] {
  if (pid === undefined) return [];
  const prefix = `kl${(pid % 46656).toString(36).padStart(3, "0")}`;
  return spawnSync("ip", ["netns", "list"], { encoding: "utf8" })
    .stdout.split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(prefix) && /^kl[0-9a-z]{4}-(sender|sink)$/.test(n));
}

const recordCount = (dir: string): number => (existsSync(path.join(dir, "trials.jsonl")) ? readRecords(dir).records.length : 0);

describe.skipIf(skip)("npm run sweep on the namespace lab", () => {
  let work: string;
  let labConfig: string;
  let failingConfig: string;
  const runs: Run[] = [];

  beforeAll(() => {
    work = mkdtempSync(path.join(os.tmpdir(), "kumolab-sweep-"));
    labConfig = path.join(work, "lab.yaml");
    require("node:fs").writeFileSync(labConfig, YAML.stringify(smallLabConfigObject({ messageCount: 400, concurrency: 10, bodySize: "10kb", trials: 2, coolDownSeconds: 1 })));
    failingConfig = path.join(work, "failing.yaml");
    const failing = smallLabConfigObject({ messageCount: 400, concurrency: 10, bodySize: "10kb", trials: 2, coolDownSeconds: 0 });
    // traffic-gen refuses this throttle spec: every trial fails at its traffic-gen step.
    (failing["traffic"] as Record<string, unknown>)["throttle"] = "not-a-rate";
    require("node:fs").writeFileSync(failingConfig, YAML.stringify(failing));
  });

  afterAll(() => {
    for (const r of runs) if (r.child.exitCode === null) r.child.kill("SIGKILL");
    rmSync(work, { recursive: true, force: true });
  });

  it("2 sizes × 2 trials, killed mid-trial (SIGKILL) and resumed: exactly the planned trials, the sender resized between sizes, the report written, the lab torn down", async () => {
    const dir = path.join(work, "sweep");
    const first = startSweep(["--lab-config", labConfig, "--results", dir, "--yes", "--sizes", "ns-1cpu,ns-2cpu"]);
    runs.push(first);
    await waitFor("the first trial record", () => recordCount(dir) >= 1, 120_000);
    // Mid-trial: the second trial starts right after the cool-down.
    await waitFor("the second trial to start", () => /sweep ns-1cpu trial 2\/2/.test(first.out()), 60_000);
    first.child.kill("SIGKILL");
    await first.exit;
    expect(recordCount(dir)).toBe(1);
    // The plan came first, then progress with trial k of n.
    expect(first.out()).toMatch(/Sweep plan/);
    expect(first.out()).toMatch(/estimate: /);

    const resumed = startSweep(["--lab-config", labConfig, "--resume", dir, "--yes"]);
    runs.push(resumed);
    const { code } = await resumed.exit;
    // 0 when every size has a valid figure, else 3: on a 2-core machine shared with other work the
    // sink's CPU can exceed its bound (sink-cpu-high), and the exit code must agree with the records.
    const everySizeValid = ["ns-1cpu", "ns-2cpu"].every((id) => readRecords(dir).records.some((r) => r.sizeId === id && r.valid));
    expect(code, resumed.out()).toBe(everySizeValid ? 0 : 3);
    expect(resumed.out()).toMatch(/resuming: 1 of 4 trials already recorded, 3 to run/);
    expect(resumed.out()).toMatch(/sweep ns-2cpu trial 2\/2 — 3\/4 done/);
    const { records } = readRecords(dir);
    expect(records.map((r) => `${r.sizeId}#${r.trial}:${r.status}`).sort()).toEqual(["ns-1cpu#1:ok", "ns-1cpu#2:ok", "ns-2cpu#1:ok", "ns-2cpu#2:ok"]);
    // The emulated resize: the sender reported 1 vCPU, then 2.
    expect(records.map((r) => [r.sizeId, r.context.hosts?.sender.vcpu])).toEqual([
      ["ns-1cpu", 1],
      ["ns-1cpu", 1],
      ["ns-2cpu", 2],
      ["ns-2cpu", 2],
    ]);
    for (const f of ["report.md", "report.csv", "report.json", "chart.svg", "report.html", "run.json", "timeline.jsonl"]) expect(existsSync(path.join(dir, f)), f).toBe(true);
    expect(readFileSync(path.join(dir, "report.md"), "utf8")).toMatch(/\| CPU \| RAM \| RATE/);
    expect(readTimeline(dir).events.at(-1)?.kind).toBe("lab-destroyed");
    expect([...labNamespacesOf(first.child.pid), ...labNamespacesOf(resumed.child.pid)]).toEqual([]);
  }, 300_000);

  it("SIGINT mid-sweep: the lab is torn down, the results are kept, and the way to resume is printed", async () => {
    const dir = path.join(work, "sigint");
    const run = startSweep(["--lab-config", labConfig, "--results", dir, "--yes"]);
    runs.push(run);
    await waitFor("the first trial record", () => recordCount(dir) >= 1, 120_000);
    run.child.kill("SIGINT");
    const { code } = await run.exit;
    expect(code, run.out()).toBe(130);
    expect(run.out()).toMatch(/SIGINT received: stopping/);
    expect(run.out().slice(-2500)).toMatch(/Finish with: npm run sweep -- --resume /);
    expect(recordCount(dir)).toBeGreaterThanOrEqual(1);
    const kinds = readTimeline(dir).events.map((e) => e.kind);
    expect(kinds).toContain("interrupted");
    expect(kinds.at(-1)).toBe("lab-destroyed");
    expect(labNamespacesOf(run.child.pid)).toEqual([]);
  }, 180_000);

  it("on an inventory (the product's own entry point): failing trials are recorded and the sweep goes on; the hosts are left as given", async () => {
    const lab = await createNamespaceLab({ hosts: ["sender", "sink"] });
    try {
      const inventory = writeInventory(work, lab);
      const dir = path.join(work, "inventory");
      const run = startSweep(["--inventory", inventory, "--lab-config", failingConfig, "--results", dir, "--yes"], SWEEP_CLI);
      runs.push(run);
      // Ran to its end without a valid figure: exit 3 (scripts/cli/exit-codes.ts), not 0 and not a crash's 1.
      expect((await run.exit).code, run.out()).toBe(3);
      expect(run.out()).toMatch(/ns-[a-z0-9]+ trial 1: FAILED — traffic-gen: .*→ INVALID/);
      expect(run.out()).toMatch(/ns-[a-z0-9]+: 0 valid, 0 invalid, 2 failed {2}← NO VALID FIGURE/);
      expect(run.out()).toMatch(/inventory .*hosts\.yaml/);
      const all = readRecords(dir).records;
      expect(all.map((r) => `${r.sizeId}#${r.trial}:${r.status}`)).toEqual([`ns-${lab.id}#1:failed`, `ns-${lab.id}#2:failed`]);
      expect(all[0]?.failure?.step).toBe("traffic-gen");
      expect(all[0]?.failure?.message).toMatch(/throttle/);
      expect(readFileSync(path.join(dir, "report.md"), "utf8")).toMatch(/excluded/i);
      expect(run.out()).toMatch(/inventory hosts left running/);
      // Not ours to destroy: the hosts still answer.
      expect((await (lab.hosts["sender"] as LabHostHandle).exec(["true"])).code).toBe(0);
    } finally {
      await lab.destroy();
    }
  }, 240_000);

  it("every figure rejected: each trial line ends INVALID with its reason, NO VALID FIGURE said, exit 3; a resume with a changed config is refused with the difference, and goes on only when accepted (recorded)", async () => {
    const dir = path.join(work, "all-invalid");
    const invalid = smallLabConfigObject({ messageCount: 400, concurrency: 10, bodySize: "10kb", trials: 1, coolDownSeconds: 0 });
    // traffic-gen is held to 40 msgs/s and stopped after 1 s: every trial is incomplete, so invalid (not failed).
    Object.assign(invalid["traffic"] as Record<string, unknown>, { throttle: "40/s", durationCapSeconds: 1 });
    const invalidConfig = path.join(work, "invalid.yaml");
    require("node:fs").writeFileSync(invalidConfig, YAML.stringify(invalid));
    const run = startSweep(["--lab-config", invalidConfig, "--results", dir, "--yes", "--sizes", "ns-1cpu"]);
    runs.push(run);
    expect((await run.exit).code, run.out()).toBe(3);
    expect(run.out()).toMatch(/ns-1cpu trial 1: [\d.]+ msgs\/s \(not used\) → INVALID: incomplete-deadline \(traffic-gen sent \d+ of 400 messages/);
    expect(run.out()).toMatch(/sweep finished in \d+ s: 0 valid, 1 invalid, 0 failed/);
    expect(run.out()).toMatch(/ {2}ns-1cpu: 0 valid, 1 invalid, 0 failed \([^)]*incomplete-deadline ×1[^)]*\) {2}← NO VALID FIGURE/);
    expect(run.out()).toMatch(/NO VALID FIGURE for ns-1cpu: the sweep produced no figure at all/);
    expect(run.out()).not.toMatch(/Every size has a valid figure/);
    expect(readManifest(dir).settings?.traffic).toMatchObject({ messageCount: 400, throttle: "40/s", durationCapSeconds: 1 });

    // Today's config says 500 messages: the resume refuses, naming the difference; nothing is built.
    const changedConfig = path.join(work, "invalid-changed.yaml");
    (invalid["traffic"] as Record<string, unknown>)["messageCount"] = 500;
    require("node:fs").writeFileSync(changedConfig, YAML.stringify(invalid));
    const refused = startSweep(["--lab-config", changedConfig, "--resume", dir, "--yes"]);
    runs.push(refused);
    expect((await refused.exit).code, refused.out()).toBe(2);
    expect(refused.out()).toContain("  - traffic.messageCount: 400 in run.json, 500 in today's config");
    expect(refused.out()).not.toMatch(/Sweep plan/);
    const accepted = startSweep(["--lab-config", changedConfig, "--resume", dir, "--yes", "--accept-config-change"]);
    runs.push(accepted);
    expect((await accepted.exit).code, accepted.out()).toBe(3);
    expect(accepted.out()).toMatch(/resuming: 1 of 1 trials already recorded, 0 to run/);
    // The plan is the run's own traffic, not today's.
    expect(accepted.out()).toMatch(/traffic-gen: 400 messages/);
    expect(readManifest(dir).resumes?.[0]?.acceptedDifferences).toContain("traffic.messageCount: 400 in run.json, 500 in today's config");
    expect(readRecords(dir).records).toHaveLength(1);
    expect([...labNamespacesOf(run.child.pid), ...labNamespacesOf(accepted.child.pid)]).toEqual([]);
  }, 180_000);

  it("--fail-fast stops at the first failed trial and still tears the lab down", async () => {
    const fast = path.join(work, "fail-fast");
    const stop = startSweep(["--lab-config", failingConfig, "--results", fast, "--yes", "--fail-fast"]);
    runs.push(stop);
    expect((await stop.exit).code, stop.out()).toBe(1);
    expect(readRecords(fast).records.map((r) => `${r.sizeId}#${r.trial}`)).toEqual(["ns-1cpu#1"]);
    expect(stop.out()).toMatch(/--fail-fast/);
    expect(readTimeline(fast).events.at(-1)?.kind).toBe("lab-destroyed");
    expect(labNamespacesOf(stop.child.pid)).toEqual([]);
  }, 240_000);
});
