/**
 * `--parallel` at the command line, each a process with no Pulumi CLI, no credentials and no
 * network: the plan names every lab, its stack and its sizes, and creates nothing; `--parallel` on
 * an inventory or beside `--resume` is a command-line mistake (exit 2); `down --run` refuses a
 * folder that is not a run and a run without lab stacks, before opening anything.
 */
import { spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync, chmodSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { writeManifest } from "../../scripts/results/results-dir";
import { smallLabConfigObject } from "../lab/lab-files";

const REPO = path.resolve(__dirname, "..", "..");
const TSX_HOOK = path.join(REPO, "node_modules", "tsx", "dist", "cjs", "index.cjs");
const cli = (name: string) => path.join(REPO, "scripts", "cli", `${name}.ts`);

let work: string;
let bare: NodeJS.ProcessEnv;
let labConfig: string;
let inventory: string;
/** A run from before parallel labs: run.json without `labs`. */
let oldRun: string;

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
  work = mkdtempSync(path.join(os.tmpdir(), "kumolab-parallel-cli-"));
  const home = path.join(work, "home");
  mkdirSync(home);
  bare = { PATH: path.dirname(process.execPath), HOME: home, KUMOLAB_TEST_ISOLATED: "1" };
  const cfg = smallLabConfigObject({ messageCount: 400, trials: 2 });
  (cfg["sender"] as { sizes: unknown[] }).sizes.push({ id: "ns-4cpu", instanceType: "ns.cpu4", vcpu: 4, ramGiB: 8, arch: "x86_64", hourlyUsd: 0.4 });
  labConfig = path.join(work, "lab.yaml");
  writeFileSync(labConfig, YAML.stringify(cfg));
  const key = path.join(work, "id_ed25519");
  writeFileSync(key, "not a key\n");
  chmodSync(key, 0o600);
  const host = (address: string) => ({ address, port: 22, user: "ubuntu", privateKeyPath: key, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBN54lDZqZ4Q3nWLyIPrpJhNHuUgMlO0bYmDmn+D62a1", size: { label: "m5.xlarge", vcpu: 4, ramGiB: 16 } });
  inventory = path.join(work, "hosts.yaml");
  writeFileSync(inventory, YAML.stringify({ labId: "mine", sender: host("203.0.113.10"), sink: host("198.51.100.20"), sinkAddressFromSender: "198.51.100.20", sinkPort: 2600 }));
  oldRun = path.join(work, "old-run");
  mkdirSync(oldRun);
  writeManifest(oldRun, {
    schemaVersion: 1,
    runId: "old-run",
    createdAt: "2026-11-01T10:00:00Z",
    source: "stack",
    labId: "stack dev (file:///x)",
    sizes: [{ id: "ns-1cpu", label: "ns.cpu1", vcpu: 1, ramGiB: 4 }],
    sink: { label: "Standard_F8s_v2" },
    trialsPerSize: 2,
    coolDownSeconds: 1,
    traffic: { concurrency: 20, messageCount: 400, bodySizeBytes: 10000, durationCapSeconds: 60, extraArgs: [] },
  });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("sweep --parallel from the command line", () => {
  it("--dry-run --parallel 2: the plan deals 3 sizes to 2 labs, each its own stack; nothing is created", async () => {
    const backend = path.join(work, "state");
    const { code, out } = await run(cli("sweep"), ["--dry-run", "--lab-config", labConfig, "--stack", "team", "--backend", `file://${backend}`, "--parallel", "2"]);
    expect(code, out).toBe(0);
    expect(out).toContain("Labs: 2 at once, each its own stack, Pulumi workspace, sender and sink — lab1 (stack team-lab1): ns-1cpu, ns-4cpu; lab2 (stack team-lab2): ns-2cpu");
    expect(existsSync(backend)).toBe(false);
    expect(existsSync(path.join(REPO, ".pulumi-workspaces", "team-lab1"))).toBe(false);
  });

  it("--parallel 1 (the default) plans one lab on --stack, as before: no Labs line", async () => {
    const { code, out } = await run(cli("sweep"), ["--dry-run", "--lab-config", labConfig, "--parallel", "1"]);
    expect(code, out).toBe(0);
    expect(out).not.toContain("Labs:");
  });

  it("--parallel on an inventory, --parallel 0, and --parallel beside --resume are command-line mistakes: exit 2", async () => {
    const [inv, zero, resume] = await Promise.all([
      run(cli("sweep"), ["--dry-run", "--lab-config", labConfig, "--inventory", inventory, "--parallel", "2"]),
      run(cli("sweep"), ["--dry-run", "--lab-config", labConfig, "--parallel", "0"]),
      run(cli("sweep"), ["--lab-config", labConfig, "--resume", oldRun, "--parallel", "2", "--yes"]),
    ]);
    expect(inv.code, inv.out).toBe(2);
    expect(inv.out).toContain("--parallel 2: an inventory is one pair of hosts, one lab; drop --parallel");
    expect(zero.code, zero.out).toBe(2);
    expect(zero.out).toMatch(/--parallel.*must be a positive integer/);
    expect(resume.code, resume.out).toBe(2);
    expect(resume.out).toContain("(its sizes, trials and labs); drop --sizes/--trials/--workloads/--cool-down/--parallel");
  });

  it("down --run: a folder without run.json, and a run that names no lab stacks, are refused (exit 2) before anything is opened", async () => {
    const [none, old] = await Promise.all([run(cli("down"), ["--run", work]), run(cli("down"), ["--run", oldRun])]);
    expect(none.code, none.out).toBe(2);
    expect(none.out).toMatch(/--run .*: .*run\.json.*missing; give a sweep's results folder/);
    expect(old.code, old.out).toBe(2);
    expect(old.out).toContain("run.json names no lab stacks (a run on an inventory, or from before parallel labs); destroy its stack with --stack <name>");
  });
});
