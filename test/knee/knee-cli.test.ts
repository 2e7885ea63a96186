/**
 * `npm run knee` and `npm run sweep -- --duration` as processes, offline (no Pulumi CLI, no
 * credentials, no network): command-line and config mistakes exit 2 before anything is opened; a
 * resumed sweep keeps the kind of trial it began with.
 */
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { resolveLabConfig } from "../../lab-config/resolve";
import { appendRecord, writeManifest } from "../../scripts/results/results-dir";
import { writeKneeRun } from "../../scripts/knee/knee-run";
import { makeRecord } from "../results/make-record";
import { existsSync, readFileSync } from "node:fs";
import { manifestTraffic, runSettingsOf, workloadTrafficOf } from "../../scripts/sweep/run-settings";
import { smallLabConfigObject } from "../lab/lab-files";

const REPO = path.resolve(__dirname, "..", "..");
const TSX_HOOK = path.join(REPO, "node_modules", "tsx", "dist", "cjs", "index.cjs");
const cli = (name: string) => path.join(REPO, "scripts", "cli", `${name}.ts`);

let work: string;
let bare: NodeJS.ProcessEnv;
let labConfig: string;

function run(script: string, args: string[]): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--require", TSX_HOOK, script, ...args], { cwd: work, env: bare, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const killer = setTimeout(() => child.kill("SIGKILL"), 60_000);
    child.on("exit", (code) => {
      clearTimeout(killer);
      resolve({ code, out });
    });
  });
}

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), "kumolab-knee-cli-"));
  const home = path.join(work, "home");
  mkdirSync(home);
  bare = { PATH: path.dirname(process.execPath), HOME: home, KUMOLAB_TEST_ISOLATED: "1" };
  labConfig = path.join(work, "lab.yaml");
  writeFileSync(labConfig, YAML.stringify(smallLabConfigObject({ messageCount: 400, trials: 2 })));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("npm run knee: mistakes exit 2 before anything is opened", () => {
  it("no --size (and no inventory), an unknown size, a fraction above 1, a throttle already in the config", async () => {
    const throttled = path.join(work, "throttled.yaml");
    const obj = smallLabConfigObject({ messageCount: 400 });
    (obj["traffic"] as Record<string, unknown>)["throttle"] = "100/s";
    writeFileSync(throttled, YAML.stringify(obj));
    const [noSize, unknown, fraction, preset] = await Promise.all([
      run(cli("knee"), ["--lab-config", labConfig, "--yes"]),
      run(cli("knee"), ["--lab-config", labConfig, "--size", "c9-r99", "--yes"]),
      run(cli("knee"), ["--lab-config", labConfig, "--size", "ns-1cpu", "--fractions", "0.5,1.5", "--yes"]),
      run(cli("knee"), ["--lab-config", throttled, "--size", "ns-1cpu", "--yes"]),
    ]);
    expect(noSize.code, noSize.out).toBe(2);
    expect(noSize.out).toMatch(/--size is required: one of ns-1cpu, ns-2cpu/);
    expect(unknown.code, unknown.out).toBe(2);
    expect(unknown.out).toMatch(/--size: .*c9-r99/);
    expect(fraction.code, fraction.out).toBe(2);
    expect(fraction.out).toMatch(/'1\.5' is not a fraction in \(0, 1\]/);
    expect(preset.code, preset.out).toBe(2);
    expect(preset.out).toMatch(/traffic\.throttle is set \(100\/s\).*set it to null/);
  }, 90_000);
});

describe("npm run sweep -- --duration with --resume", () => {
  it("a run that began with message-count trials refuses --duration; one that began with 90 s steady-state trials refuses a different one", async () => {
    const cfg = resolveLabConfig(smallLabConfigObject({ messageCount: 400, trials: 2 }), {}, "test", "none").config;
    const manifest = (dir: string, trialDurationSeconds?: number) =>
      writeManifest(dir, {
        schemaVersion: 1, runId: path.basename(dir), createdAt: "2026-03-01T09:00:00.000Z", source: "inventory", labId: "inventory hosts.yaml",
        sizes: [{ id: "ns-1cpu", label: "ns.cpu1", vcpu: 1, ramGiB: 4 }], sink: { label: cfg.sink.vmSize }, trialsPerSize: 2,
        workloads: { names: ["published"], baseline: "published" }, coolDownSeconds: 1,
        ...(trialDurationSeconds !== undefined ? { trialDurationSeconds } : {}),
        traffic: manifestTraffic(cfg.traffic), settings: runSettingsOf(cfg), workloadTraffic: workloadTrafficOf(cfg, ["published"]),
      });
    const counted = path.join(work, "counted");
    const steady = path.join(work, "steady");
    mkdirSync(counted);
    mkdirSync(steady);
    manifest(counted);
    manifest(steady, 90);
    const inventory = path.join(work, "hosts.yaml");
    writeFileSync(inventory, YAML.stringify({ labId: "inv", sender: { address: "198.18.0.10", user: "root", privateKeyPath: path.join(work, "k"), hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl", size: { label: "x", vcpu: 1, ramGiB: 4 } }, sink: { address: "198.18.0.11", user: "root", privateKeyPath: path.join(work, "k"), hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl", size: { label: "y", vcpu: 8, ramGiB: 16 } }, sinkAddressFromSender: "198.18.0.11", sinkPort: 2525 }));
    const [refused, again] = await Promise.all([
      run(cli("sweep"), ["--dry-run", "--lab-config", labConfig, "--resume", counted, "--inventory", inventory, "--duration", "60"]),
      run(cli("sweep"), ["--dry-run", "--lab-config", labConfig, "--resume", steady, "--inventory", inventory, "--duration", "30"]),
    ]);
    expect(refused.code, refused.out).toBe(2);
    expect(refused.out).toMatch(/--resume: this run's trials are message-count trials \(run\.json\); drop --duration/);
    expect(again.code, again.out).toBe(2);
    expect(again.out).toMatch(/--resume: this run's trials are 90 s steady-state trials \(run\.json\); drop --duration/);
  }, 90_000);
});

describe("npm run report on a knee folder", () => {
  it("rebuilds knee-report.md and knee-chart.svg from knee.json and trials.jsonl", async () => {
    const dir = path.join(work, "knee-x");
    mkdirSync(dir);
    writeKneeRun(dir, {
      schemaVersion: 1, runId: "knee-x", createdAt: "2026-03-01T09:00:00.000Z", lab: "inventory hosts.yaml", sizeId: "c2-r4", fractions: [0.5], maxMsgsPerSec: 800,
      steps: [{ trial: 1, fraction: null, throttle: null, offeredMsgsPerSec: null }, { trial: 2, fraction: 0.5, throttle: "400/s", offeredMsgsPerSec: 400 }],
    });
    appendRecord(dir, makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T09:01:00Z", p99: 0.05 }));
    appendRecord(dir, makeRecord({ sizeId: "c2-r4", trial: 2, startedAt: "2026-03-01T09:02:00Z", p99: 0.01 }));
    const r = await run(cli("report"), [dir]);
    expect(r.code, r.out).toBe(0);
    // p99 50 ms unthrottled > 2 × 10 ms at 400 msgs/s: it turns up there, and the knee is 400.
    const md = readFileSync(path.join(dir, "knee-report.md"), "utf8");
    expect(md).toMatch(/the knee is 400\.0 msgs\/s/);
    expect(md.split("\n").filter((l) => /^\| \d/.test(l))).toHaveLength(2);
    expect(existsSync(path.join(dir, "knee-chart.svg"))).toBe(true);
  }, 60_000);
});
