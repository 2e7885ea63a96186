/**
 * `npm run smoke` as a user runs it — a process — over the namespace lab: the plan (time and cost)
 * before anything is built, then build, provision (with the port-25 proof), one trial of
 * SMOKE_MESSAGES messages at the smallest size, the report, and the lab destroyed.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { readManifest, readRecords, readTimeline } from "../../scripts/results/results-dir";
import { smallLabConfigObject } from "../lab/lab-files";
import { skipNamespaceLab } from "../lab/namespace-lab";

const REPO = path.resolve(__dirname, "..", "..");
const TSX_HOOK = path.join(REPO, "node_modules", "tsx", "dist", "cjs", "index.cjs");
const ENTRY = path.join(REPO, "test", "lab", "smoke-entry.ts");
const skip = skipNamespaceLab();

function run(args: string[], timeoutMs: number): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--require", TSX_HOOK, ENTRY, ...args], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("exit", (code) => {
      clearTimeout(killer);
      resolve({ code, out });
    });
  });
}

describe.skipIf(skip)("npm run smoke on the namespace lab", () => {
  let work: string;
  let labConfig: string;
  beforeAll(() => {
    work = mkdtempSync(path.join(os.tmpdir(), "kumolab-smoke-"));
    labConfig = path.join(work, "lab.yaml");
    // Two sizes and two trials in the file: the smoke still runs one trial at the smallest.
    writeFileSync(labConfig, YAML.stringify(smallLabConfigObject({ messageCount: 400, concurrency: 10, bodySize: "10kb", trials: 2, coolDownSeconds: 1 })));
  });
  afterAll(() => rmSync(work, { recursive: true, force: true }));

  it("plan first, then one trial of 3000 messages at the smallest size, the report, and the lab destroyed", async () => {
    const dir = path.join(work, "smoke");
    const { code, out } = await run(["--lab-config", labConfig, "--results", dir, "--yes"], 240_000);
    // 0 with a valid figure, 3 when the trial ran but its figure was rejected (on a shared 2-core
    // machine the sink's CPU can exceed its bound): the exit code agrees with the record.
    expect(code, out).toBe(readRecords(dir).records[0]?.valid ? 0 : 3);
    expect(out).toMatch(/^smoke: 3000 messages, one trial at ns-1cpu, then the lab is destroyed$/m);
    // The plan, with time and cost, came before anything was built.
    expect(out.indexOf("Sweep plan")).toBeGreaterThan(-1);
    expect(out).toMatch(/estimate: /);
    const { records } = readRecords(dir);
    expect(records.map((r) => `${r.sizeId}#${r.trial}:${r.status}`)).toEqual(["ns-1cpu#1:ok"]);
    expect(readManifest(dir).traffic).toMatchObject({ messageCount: 3000 });
    // The record and run.json name the lab profile (lab-config/profiles.ts): lab.yaml's default.
    expect(readManifest(dir).profile).toBe("minimal");
    expect(records[0]?.context.profile?.name).toBe("minimal");
    expect(existsSync(path.join(dir, "report.md"))).toBe(true);
    expect(readFileSync(path.join(dir, "report.md"), "utf8")).toMatch(/\| CPU \| RAM \| RATE/);
    const kinds = readTimeline(dir).events.map((e) => e.kind);
    expect(kinds.at(-1)).toBe("lab-destroyed");
  }, 300_000);

  it("refuses to be told sizes or trials (use the sweep for that)", async () => {
    const { code, out } = await run(["--lab-config", labConfig, "--sizes", "ns-2cpu", "--yes"], 60_000);
    expect(code).toBe(2);
    expect(out).toMatch(/smoke: the plan is fixed \(smallest size, one trial, the published workload\); use 'npm run sweep'/);
  }, 90_000);
});
