/**
 * The commands as a new user meets them, each a process with no Pulumi CLI, no credentials and no
 * network: `sweep --dry-run` (= `npm run plan`) prints the plan offline and creates nothing;
 * `doctor` says what to fix and how; config and command-line mistakes exit 2 from every command;
 * `--resume` refuses a folder that is not a run, the wrong kind of lab, and a changed config.
 */
import { spawn } from "node:child_process";
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { resolveLabConfig } from "../../lab-config/resolve";
import { writeManifest } from "../../scripts/results/results-dir";
import { manifestTraffic, runSettingsOf, workloadTrafficOf } from "../../scripts/sweep/run-settings";
import { smallLabConfigObject } from "../lab/lab-files";

const REPO = path.resolve(__dirname, "..", "..");
const TSX_HOOK = path.join(REPO, "node_modules", "tsx", "dist", "cjs", "index.cjs");
const cli = (name: string) => path.join(REPO, "scripts", "cli", `${name}.ts`);

let work: string;
/** An environment with nothing in it: node alone on PATH, an empty home, no cloud or Pulumi variables. */
let bare: NodeJS.ProcessEnv;

function run(script: string, args: string[], env: NodeJS.ProcessEnv = bare): Promise<{ code: number | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ["--require", TSX_HOOK, script, ...args], { cwd: work, env, stdio: ["ignore", "pipe", "pipe"] });
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

const cfgObject = (over: Record<string, unknown> = {}) => ({ ...smallLabConfigObject({ messageCount: 400, trials: 2 }), ...over });
function writeConfig(name: string, obj: Record<string, unknown>): string {
  const f = path.join(work, name);
  writeFileSync(f, YAML.stringify(obj));
  return f;
}

let labConfig: string;
let autoConfig: string;
let badConfig: string;
let workloadsConfig: string;
let inventory: string;

beforeAll(() => {
  work = mkdtempSync(path.join(os.tmpdir(), "kumolab-terminal-"));
  const home = path.join(work, "home");
  mkdirSync(home);
  bare = { PATH: path.dirname(process.execPath), HOME: home, KUMOLAB_TEST_ISOLATED: "1" };
  labConfig = writeConfig("lab.yaml", cfgObject());
  // Offline: the lookup URL refuses at once (nothing listens on port 9 of this machine).
  autoConfig = writeConfig("auto.yaml", cfgObject({ operatorCidr: "auto", allowWorldOpenOperatorCidr: false, operatorIpLookupUrl: "https://127.0.0.1:9/" }));
  badConfig = writeConfig("bad.yaml", cfgObject({ traffic: { ...(cfgObject()["traffic"] as object), concurrency: 0 } }));
  workloadsConfig = writeConfig(
    "workloads.yaml",
    cfgObject({ workloads: { baseline: "published", list: [{ name: "published" }, { name: "dkim", traffic: { messageCount: 5000 }, sender: { dkim: { algorithm: "ed25519", domains: ["example.com"] } } }] } }),
  );
  const key = path.join(work, "id_ed25519");
  writeFileSync(key, "not a key\n");
  chmodSync(key, 0o600);
  const host = (address: string) => ({ address, port: 22, user: "ubuntu", privateKeyPath: key, hostKey: "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBN54lDZqZ4Q3nWLyIPrpJhNHuUgMlO0bYmDmn+D62a1", size: { label: "m5.xlarge", vcpu: 4, ramGiB: 16 } });
  inventory = writeConfig("hosts.yaml", { labId: "mine", sender: host("203.0.113.10"), sink: host("198.51.100.20"), sinkAddressFromSender: "198.51.100.20", sinkPort: 2600 });
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe("sweep --dry-run (npm run plan): offline, without the Pulumi CLI, credentials or a stack", () => {
  it("prints the plan, the estimate and its assumptions, and creates nothing", async () => {
    const backend = path.join(work, "state");
    const { code, out } = await run(cli("sweep"), ["--dry-run", "--lab-config", labConfig, "--stack", "drytest", "--backend", `file://${backend}`]);
    expect(code, out).toBe(0);
    expect(out).toMatch(/^Sweep plan — stack drytest \(file:\/\/.*state\)$/m);
    expect(out).toMatch(/trials: 2 per size, 1 s cool-down between them \(4 in all\)/);
    // No published figure for a 1-vCPU namespace size: unknown, bounded by the duration cap, never guessed.
    expect(out).toMatch(/ns-1cpu: rate unknown \(no published figure for this size\): at most 1m05s per trial \(traffic-gen's duration cap\)/);
    expect(out).toMatch(/estimate: at most \S+ wall time \(1 lab, prefetch\); cost: compute at most \$\d+\.\d\d \+ data transfer \$\d+\.\d\d = at most \$\d+\.\d\d in all/);
    expect(out).toMatch(/assumptions: lab up \d+ s/);
    expect(out).toMatch(/Dry run: nothing was opened or created/);
    expect(existsSync(backend)).toBe(false);
    expect(existsSync(path.join(REPO, "Pulumi.drytest.yaml"))).toBe(false);
    expect(readdirSync(work).filter((f) => f.startsWith("results"))).toEqual([]);
  });

  it("the plan options choose the estimate's plan (--parallel 2 --no-prefetch --spot); every plan is shown, one recommended", async () => {
    const { code, out } = await run(cli("sweep"), ["--dry-run", "--lab-config", labConfig, "--parallel", "2", "--no-prefetch", "--spot"]);
    expect(code, out).toBe(0);
    // Two sizes on two labs: one size each, so prefetch has nothing to do.
    expect(out).toMatch(/estimate: at most \S+ wall time \(2 labs, spot; \S+ expected with interruptions\); /);
    expect(out).toMatch(/^ +★?→ 2 labs, spot +\S+/m);
    expect(out).toMatch(/^ +naive: a new lab per size, in turn +\S+ +\$\d+\.\d\d +1\.00× +1\.00×/m);
    expect(out).toMatch(/^ {2}recommended: .* \(--parallel \d( --no-prefetch)? --spot\) — /m);
    const bad = await run(cli("sweep"), ["--dry-run", "--lab-config", labConfig, "--parallel", "0"]);
    expect(bad.code, bad.out).toBe(2);
    expect(bad.out).toMatch(/--parallel <n>.*must be a positive integer/);
  });

  it("an inventory: its hosts and port, no cloud prices, nothing destroyed, no 'npm run down' (even with --keep)", async () => {
    const { code, out } = await run(cli("sweep"), ["--dry-run", "--lab-config", labConfig, "--inventory", inventory, "--keep"]);
    expect(code, out).toBe(0);
    expect(out).toMatch(/Sweep plan — inventory .*hosts\.yaml \(lab mine\): your own two hosts/);
    expect(out).toContain("sizes: mine (m5.xlarge, 4 vCPU / 16 GiB)");
    expect(out).toContain("hosts: sender 203.0.113.10, sink 198.51.100.20 port 2600 (your inventory)");
    expect(out).toContain("nothing is destroyed: your hosts stay as they are");
    expect(out).toContain("cost: not priced");
    expect(out).not.toMatch(/\$\d|Standard_|npm run down|port 2525/);
  });

  it("an estimate per workload (--workloads a,b); the new workload's rate is said to be unknown", async () => {
    const { code, out } = await run(cli("sweep"), ["--dry-run", "--lab-config", workloadsConfig, "--sizes", "ns-2cpu", "--workloads", "published,dkim"]);
    expect(code, out).toBe(0);
    expect(out).toContain("workloads: published, dkim (at each size, in this order)");
    expect(out).toMatch(/traffic-gen \(dkim\): 5000 messages/);
    expect(out).toMatch(/ns-2cpu × dkim: rate unknown \(no published figure for this workload\): at most 1m45s per trial/);
  });
});

describe("doctor: what to fix, offline", () => {
  it("no CLI, no passphrase, no credentials, no network: each said with its fix; exit 1", async () => {
    const { code, out } = await run(cli("doctor"), ["--lab-config", autoConfig]);
    expect(code, out).toBe(1);
    expect(out).toMatch(/^✓ Node\.js: v\d+/m);
    expect(out).toMatch(/^✓ lab config: /m);
    expect(out).toMatch(/^✗ Pulumi CLI: not found \(KUMOLAB_PULUMI_CLI, PATH, ~\/\.pulumi\/bin\)/m);
    expect(out).toMatch(/fix: install the Pulumi CLI .*KUMOLAB_PULUMI_CLI=.*Offline: /);
    expect(out).toMatch(/^✗ state backend: .* none is set\n {4}fix: export PULUMI_CONFIG_PASSPHRASE=/m);
    expect(out).toMatch(/^✗ AWS credentials: none found.*\n {4}fix: run 'aws configure'/m);
    expect(out).toMatch(/^✗ Azure credentials: none found.*\n {4}fix: run 'az login'/m);
    expect(out).toMatch(/^✗ operator address: operatorCidr auto: looking up your address at https:\/\/127\.0\.0\.1:9\/ failed .*\n {4}fix: .*operatorCidr: 203\.0\.113\.7\/32/m);
    expect(out).toMatch(/5 things to fix \(nothing was created\)\./);
    expect(existsSync(path.join(bare["HOME"] as string, ".pulumi"))).toBe(false);
  });

  it("everything in place: exit 0 (a CLI on PATH, a passphrase, both clouds' variables, a configured address)", async () => {
    const bin = path.join(work, "bin");
    mkdirSync(bin, { recursive: true });
    writeFileSync(path.join(bin, "pulumi"), "#!/bin/sh\necho v3.250.0\n");
    chmodSync(path.join(bin, "pulumi"), 0o755);
    const env = {
      ...bare,
      PATH: `${bin}:${bare["PATH"]}:/bin:/usr/bin`,
      PULUMI_CONFIG_PASSPHRASE: "x",
      AWS_ACCESS_KEY_ID: "AKIAEXAMPLE",
      AWS_SECRET_ACCESS_KEY: "example",
      ARM_CLIENT_ID: "c",
      ARM_CLIENT_SECRET: "s",
      ARM_TENANT_ID: "t",
      ARM_SUBSCRIPTION_ID: "sub",
    };
    const { code, out } = await run(cli("doctor"), ["--lab-config", labConfig], env);
    expect(code, out).toBe(0);
    expect(out).toMatch(/^✓ Pulumi CLI: v3\.250\.0 at .*bin\/pulumi$/m);
    expect(out).toMatch(/^✓ operator address: operatorCidr 198\.18\.0\.0\/15 \(set in the config: no lookup\)$/m);
    expect(out).not.toContain("AKIAEXAMPLE");
    expect(out).toMatch(/Ready: nothing to fix/);
  });
});

describe("config and command-line mistakes: exit 2 from every command, with what to do", () => {
  it("an invalid lab config: sweep, lab config and doctor all exit 2", async () => {
    const [sweep, lab, doctor] = await Promise.all([
      run(cli("sweep"), ["--dry-run", "--lab-config", badConfig]),
      run(cli("lab"), ["config", "--lab-config", badConfig]),
      run(cli("doctor"), ["--lab-config", badConfig]),
    ]);
    for (const r of [sweep, lab, doctor]) {
      expect(r.code, r.out).toBe(2);
      expect(r.out).toMatch(/traffic\.concurrency = 0: /);
    }
  });

  it("values that would make the measurement meaningless, and the first mistakes people make: exit 2 with what to write", async () => {
    const traffic = cfgObject()["traffic"] as object;
    const sink = cfgObject()["sink"] as object;
    const huge = writeConfig("huge.yaml", cfgObject({ traffic: { ...traffic, concurrency: 1_000_000_000, bodySize: "5000mb", messageCount: 1_000_000_000_000 } }));
    const port22 = writeConfig("port22.yaml", cfgObject({ sink: { ...sink, smtpPort: 22 } }));
    const bareIp = writeConfig("bare-ip.yaml", cfgObject({ operatorCidr: "203.0.113.7", allowWorldOpenOperatorCidr: false }));
    const [a, b, c] = await Promise.all([
      run(cli("sweep"), ["--dry-run", "--lab-config", huge]),
      run(cli("sweep"), ["--dry-run", "--lab-config", port22]),
      run(cli("sweep"), ["--dry-run", "--lab-config", bareIp]),
    ]);
    for (const r of [a, b, c]) expect(r.code, r.out).toBe(2);
    expect(a.out).toMatch(/traffic\.concurrency = 1000000000: must be at most 32,768: kumod's default max_connections/);
    expect(a.out).toMatch(/traffic\.bodySize = "5000mb": is 5,000,000,000 bytes: kumod refuses messages over max_message_size/);
    expect(a.out).toMatch(/traffic\.messageCount = 1000000000000: must be at most 10,000,000 per trial/);
    expect(b.out).toMatch(/sink\.smtpPort = 22: 22 is sshd's port on the sink/);
    expect(c.out).toMatch(/operatorCidr = "203\.0\.113\.7": is an address without a prefix: add \/32 for that one address \(203\.0\.113\.7\/32\)/);
  });

  it("an unknown option exits 2 (commander's usage error), like a bad value", async () => {
    const [sweep, lab] = await Promise.all([run(cli("sweep"), ["--dry-run", "--bogus"]), run(cli("lab"), ["config", "--bogus"])]);
    for (const r of [sweep, lab]) {
      expect(r.code, r.out).toBe(2);
      expect(r.out).toMatch(/unknown option '--bogus'/);
    }
  });

  it("--sizes '' and --workloads '' are refused, naming what can be given", async () => {
    const [sizes, workloads] = await Promise.all([
      run(cli("sweep"), ["--dry-run", "--lab-config", labConfig, "--sizes", ""]),
      run(cli("sweep"), ["--dry-run", "--lab-config", labConfig, "--workloads", " , "]),
    ]);
    expect(sizes.code, sizes.out).toBe(2);
    expect(sizes.out).toMatch(/--sizes: empty; give one or more size ids \(ns-1cpu, ns-2cpu\)/);
    expect(workloads.code, workloads.out).toBe(2);
    expect(workloads.out).toMatch(/--workloads: empty; give one or more of published/);
  });
});

describe("--resume refuses what it cannot finish faithfully", () => {
  function writeRun(dir: string, cfgObj: Record<string, unknown>, source: "stack" | "inventory"): void {
    const cfg = resolveLabConfig(cfgObj, {}, "test", "none").config;
    mkdirSync(dir, { recursive: true });
    writeManifest(dir, {
      schemaVersion: 1,
      runId: path.basename(dir),
      createdAt: new Date().toISOString(),
      source,
      labId: source === "stack" ? "stack dev (file:///x)" : "inventory hosts.yaml (lab mine)",
      sizes: [{ id: "ns-1cpu", label: "ns.cpu1", vcpu: 1, ramGiB: 4, arch: "x86_64" }],
      sink: { label: cfg.sink.vmSize },
      trialsPerSize: 2,
      workloads: { names: ["published"], baseline: "published" },
      coolDownSeconds: 1,
      traffic: manifestTraffic(cfg.traffic),
      settings: runSettingsOf(cfg),
      workloadTraffic: workloadTrafficOf(cfg, ["published"]),
    });
  }

  it("a folder that is not a run, or does not exist", async () => {
    mkdirSync(path.join(work, "empty"), { recursive: true });
    const [none, empty] = await Promise.all([
      run(cli("sweep"), ["--dry-run", "--lab-config", labConfig, "--resume", path.join(work, "nope")]),
      run(cli("sweep"), ["--dry-run", "--lab-config", labConfig, "--resume", path.join(work, "empty")]),
    ]);
    expect(none.code, none.out).toBe(2);
    expect(none.out).toMatch(/--resume .*nope: no such folder; give the results folder of a sweep/);
    expect(empty.code, empty.out).toBe(2);
    expect(empty.out).toMatch(/--resume .*empty: this folder holds no run\.json, so no sweep to finish/);
  });

  it("--inventory for a run on a cloud lab, and no --inventory for a run on your hosts", async () => {
    writeRun(path.join(work, "stackrun"), cfgObject(), "stack");
    writeRun(path.join(work, "invrun"), cfgObject(), "inventory");
    const [withInv, withoutInv] = await Promise.all([
      run(cli("sweep"), ["--dry-run", "--lab-config", labConfig, "--resume", path.join(work, "stackrun"), "--inventory", inventory]),
      run(cli("sweep"), ["--dry-run", "--lab-config", labConfig, "--resume", path.join(work, "invrun")]),
    ]);
    expect(withInv.code, withInv.out).toBe(2);
    expect(withInv.out).toMatch(/--resume: this run was on a cloud lab \(stack dev .*\), not on an inventory; drop --inventory/);
    expect(withoutInv.code, withoutInv.out).toBe(2);
    expect(withoutInv.out).toMatch(/--resume: this run was on your own hosts .*; add --inventory with the same hosts file/);
  });

  it("a config changed since the run started: refused with each difference; --accept-config-change goes on with run.json's settings", async () => {
    const dir = path.join(work, "changed");
    writeRun(dir, smallLabConfigObject({ messageCount: 20000, trials: 2 }), "stack");
    const refused = await run(cli("sweep"), ["--dry-run", "--lab-config", labConfig, "--resume", dir]);
    expect(refused.code, refused.out).toBe(2);
    expect(refused.out).toMatch(/today's lab config differs from the settings this run started with/);
    expect(refused.out).toContain("  - traffic.messageCount: 20000 in run.json, 400 in today's config");
    expect(refused.out).toContain("  - workload.published.traffic.messageCount: 20000 in run.json, 400 in today's config");
    expect(refused.out).toMatch(/add --accept-config-change/);
    const accepted = await run(cli("sweep"), ["--dry-run", "--lab-config", labConfig, "--resume", dir, "--accept-config-change"]);
    expect(accepted.code, accepted.out).toBe(0);
    // The plan is the run's: 20,000 messages, not today's 400.
    expect(accepted.out).toMatch(/traffic-gen: 20000 messages/);
  });
});
