/**
 * `npm run sweep -- --spot` on the namespace lab, with the sender "reclaimed" mid-trial: every process
 * of the sender's namespace killed at once (test/lab/namespace-lab-driver.ts, reclaimNamespaceHost),
 * triggered by the first traffic-gen progress line of trial 1. Expected: that trial recorded failed
 * with the reason spot-interrupted (record, terminal, report), the size retried on demand on a rebuilt
 * lab with its trials recorded, and nothing left afterwards. One short sweep: one size, 2 trials of
 * 300 messages held to 100 msgs/s (so that the trial is still running ~1 s in, when the first
 * progress line comes).
 */
import { spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { readRecords, readTimeline } from "../../scripts/results/results-dir";
import { smallLabConfigObject } from "../lab/lab-files";
import { reclaimNamespaceHost } from "../lab/namespace-lab-driver";
import { skipNamespaceLab } from "../lab/namespace-lab";

const REPO = path.resolve(__dirname, "..", "..");
const TSX_HOOK = path.join(REPO, "node_modules", "tsx", "dist", "cjs", "index.cjs");
const ENTRY = path.join(REPO, "test", "lab", "sweep-entry.ts");

/** The namespaces of the labs a sweep process made: the harness names them `kl<pid base 36><counter>-<host>`. */
function labNamespacesOf(pid: number | undefined): string[] {
  if (pid === undefined) return [];
  const prefix = `kl${(pid % 46656).toString(36).padStart(3, "0")}`;
  return spawnSync("ip", ["netns", "list"], { encoding: "utf8" })
    .stdout.split("\n")
    .map((l) => l.split(" ")[0] ?? "")
    .filter((n) => n.startsWith(prefix) && /^kl[0-9a-z]{4}-(sender|sink)$/.test(n));
}

describe.skipIf(skipNamespaceLab())("--spot: a reclaimed sender", () => {
  const work = mkdtempSync(path.join(os.tmpdir(), "kumolab-spot-"));
  let child: ReturnType<typeof spawn> | undefined;
  afterAll(() => {
    if (child && child.exitCode === null) child.kill("SIGKILL");
    rmSync(work, { recursive: true, force: true });
  });

  it("the reclaimed trial is recorded failed (spot-interrupted), the size is retried on demand and its trials recorded, the lab torn down", async () => {
    const cfg = smallLabConfigObject({ messageCount: 300, concurrency: 10, bodySize: "10kb", trials: 2, coolDownSeconds: 0 });
    Object.assign(cfg["traffic"] as Record<string, unknown>, { throttle: "100/s", durationCapSeconds: 30 });
    const labConfig = path.join(work, "lab.yaml");
    writeFileSync(labConfig, YAML.stringify(cfg));
    const dir = path.join(work, "run");

    child = spawn(process.execPath, ["--require", TSX_HOOK, ENTRY, "--lab-config", labConfig, "--results", dir, "--yes", "--sizes", "ns-1cpu", "--spot"], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    const pid = child.pid;
    let out = "";
    let reclaimedAt: number | undefined;
    const exit = new Promise<number | null>((resolve) => child?.on("exit", (code) => resolve(code)));
    const onData = (d: Buffer): void => {
      out += d.toString();
      // Causal trigger: the first live rate line of trial 1 — traffic-gen is sending.
      if (reclaimedAt === undefined && /sweep ns-1cpu trial 1\/2[\s\S]*\nrate [\d,]+ msgs\/s \(sent/.test(out)) {
        const sender = labNamespacesOf(pid).find((n) => n.endsWith("-sender"));
        if (sender !== undefined) reclaimedAt = reclaimNamespaceHost(sender);
      }
    };
    child.stdout?.on("data", onData);
    child.stderr?.on("data", onData);
    const timeout = setTimeout(() => child?.kill("SIGKILL"), 150_000);
    const code = await exit;
    clearTimeout(timeout);

    expect(reclaimedAt, out).toBeGreaterThan(0);
    const { records } = readRecords(dir);
    expect(records.map((r) => `${r.sizeId}#${r.trial}:${r.status}`), out).toEqual(["ns-1cpu#1:failed", "ns-1cpu#1:ok", "ns-1cpu#2:ok"]);
    const lost = records[0];
    expect(lost?.failure?.reason).toBe("spot-interrupted");
    expect(lost?.failure?.reclaimed?.map((h) => h.host)).toEqual(["sender"]);
    expect(lost?.failure?.message).toMatch(/^spot-interrupted: sender \(namespace host kl[0-9a-z]{4}-sender has no process left \(simulated spot reclaim\)\) reclaimed by the cloud — the trial's own error: /);
    // The terminal: the trial's line, the retry, and the count (2 planned trials + the lost one).
    expect(out).toMatch(/ns-1cpu trial 1: FAILED — [^\n]*spot-interrupted: sender/);
    expect(out).toMatch(/spot: sender \([^\n]*\) reclaimed during trial 1 of size ns-1cpu — recorded as failed \(spot-interrupted\); retrying size ns-1cpu with sender on demand/);
    expect(out).toMatch(/^Capacity: spot — the sender, and the sink where its size and location offer it/m);
    expect(out).toMatch(/namespace lab: rebuilding the lab on demand after a reclaim/);
    expect(out).toMatch(/ns-1cpu: \d valid, \d invalid, 1 failed/);
    // The report lists the lost trial among the excluded ones with its reason.
    expect(readFileSync(path.join(dir, "report.md"), "utf8")).toMatch(/ns-1cpu trial 1 \(failed\): failed — spot-interrupted — sender \(namespace host/);
    const everyValid = records.slice(1).some((r) => r.valid);
    expect(code, out).toBe(everyValid ? 0 : 3);
    expect(readTimeline(dir).events.at(-1)?.kind).toBe("lab-destroyed");
    expect(labNamespacesOf(pid)).toEqual([]);
  }, 180_000);
});
