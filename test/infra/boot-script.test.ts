/**
 * The first-boot script cloud-init runs, executed here by bash with stand-in steps and its status
 * and log in a temporary folder: it stops at the first failed step, leaves that step's name and exit
 * code, bounds its retries; and provisioning's facts script reads that status and the log tail back.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import YAML from "yaml";
import { BOOT_SCRIPT, bootScript, bootSteps, renderCloudInit } from "../../infra/cloud-init";
import { bootFailure, factsScript, parseFacts } from "../../scripts/provision/host-facts";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kumolab-boot-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

let n = 0;
function runBoot(steps: { name: string; argv: string[] }[]): { code: number | null; status: string; log: string; dir: string } {
  const dir = mkdtempSync(path.join(tmp, `run${n++}-`));
  const files = { status: path.join(dir, "state", "boot-status"), log: path.join(dir, "boot.log") };
  const script = path.join(dir, "boot.sh");
  writeFileSync(script, bootScript(steps, files), { mode: 0o755 });
  const r = spawnSync("bash", [script], { timeout: 20_000, encoding: "utf8", cwd: dir });
  return { code: r.status, status: readFileSync(files.status, "utf8"), log: existsSync(files.log) ? readFileSync(files.log, "utf8") : "", dir };
}

const kv = (text: string) => Object.fromEntries(text.trim().split("\n").map((l) => l.split(/=(.*)/s).slice(0, 2) as [string, string]));

describe("the boot script", () => {
  test("stops at the first failed step and leaves its name and exit code", () => {
    const r = runBoot([
      { name: "first", argv: ["true"] },
      { name: "it's the second", argv: ["sh", "-c", "echo apt says no; exit 7"] },
      { name: "third", argv: ["touch", "third-ran"] },
    ]);
    expect(r.code).toBe(7);
    expect(kv(r.status)).toMatchObject({ state: "failed", step: "it's the second", exit: "7" });
    expect(existsSync(path.join(r.dir, "third-ran"))).toBe(false);
    expect(r.log).toContain("== kumolab boot: it's the second\napt says no\n");
  });

  test("a run of good steps ends 'ok'", () => {
    const r = runBoot([{ name: "one", argv: ["true"] }, { name: "two", argv: ["true"] }]);
    expect(r.code).toBe(0);
    expect(kv(r.status)).toMatchObject({ state: "ok", step: "done", exit: "0" });
  });

  test("retry is bounded: it gives up after its tries with the command's failure", () => {
    const r = runBoot([{ name: "wait for the network", argv: ["retry", "3", "0", "sh", "-c", "echo try >> tries; exit 1"] }]);
    expect(r.code).toBe(1);
    expect(readFileSync(path.join(r.dir, "tries"), "utf8")).toBe("try\ntry\ntry\n");
    expect(r.log).toContain("gave up after 3 tries");
    expect(kv(r.status)).toMatchObject({ state: "failed", step: "wait for the network" });
  });

  test("the real steps: wait for the network, then the apt lock, install nftables, load it, then KumoMTA", () => {
    const names = bootSteps({ os: "ubuntu-22.04", kumomta: { channel: "stable", version: null } }).map((s) => s.name);
    const argv = bootSteps({ os: "ubuntu-22.04", kumomta: { channel: "stable", version: null } }).map((s) => s.argv.join(" "));
    expect(names.slice(0, 3)).toEqual(["wait for the network (KumoMTA's repository reachable over https)", "wait for the apt lock (unattended-upgrades at first boot)", "apt-get update"]);
    expect(argv[0]).toBe("retry 60 5 curl -fsS --connect-timeout 5 --max-time 10 -o /dev/null https://openrepo.kumomta.com/kumomta-ubuntu-22/public.gpg");
    expect(argv[3]).toBe("apt-get install -y -q nftables curl gnupg ca-certificates");
    expect(argv[4]).toBe("nft -f /etc/nftables.conf");
    expect(argv.indexOf("apt-get install -y -q kumomta")).toBeGreaterThan(4);
    // The whole script is valid bash.
    const f = path.join(tmp, "real.sh");
    writeFileSync(f, bootScript(bootSteps({ os: "ubuntu-20.04", kumomta: { channel: "dev", version: null } })));
    execFileSync("bash", ["-n", f], { timeout: 10_000 });
  });

  test("cloud-init runs the script (one runcmd entry) and apt waits for its lock", () => {
    const doc = YAML.parse(renderCloudInit({ role: "sender", os: "ubuntu-22.04", kumomta: { channel: "stable", version: null }, sshUser: "ubuntu", loginPublicKey: "ssh-ed25519 AAAA", hostKey: { privateOpenssh: "k", publicOpenssh: "ssh-ed25519 BBBB" } })) as Record<string, unknown>;
    expect(doc["runcmd"]).toEqual([[BOOT_SCRIPT]]);
    const files = doc["write_files"] as { path: string; content: string; permissions: string }[];
    expect(files.find((w) => w.path === BOOT_SCRIPT)).toMatchObject({ permissions: "0755" });
    // apt.conf(5): "DPkg::Lock::Timeout" — seconds to wait for the dpkg lock.
    expect(files.find((w) => w.path === "/etc/apt/apt.conf.d/90-kumolab-lock-timeout")?.content).toBe('DPkg::Lock::Timeout "600";\n');
  });
});

describe("provisioning reads the boot status back", () => {
  function fakeCloudInitDone(): NodeJS.ProcessEnv {
    const bin = mkdtempSync(path.join(tmp, "bin-"));
    writeFileSync(path.join(bin, "cloud-init"), "#!/bin/sh\nexit 0\n", { mode: 0o755 });
    return { ...process.env, PATH: `${bin}:${process.env["PATH"] ?? ""}` };
  }

  test("a failed boot: the step, the exit code and the log tail, in provisioning's message", () => {
    const r = runBoot([{ name: "install KumoMTA: apt-get install", argv: ["sh", "-c", "echo 'E: Unable to locate package kumomta'; exit 100"] }]);
    const files = { status: path.join(r.dir, "state", "boot-status"), log: path.join(r.dir, "boot.log") };
    const out = spawnSync("sh", ["-c", factsScript(5, files)], { env: fakeCloudInitDone(), encoding: "utf8", timeout: 20_000 }).stdout;
    const facts = parseFacts(out);
    if (facts === "cloud-init-timeout") throw new Error("unexpected timeout");
    expect(facts.boot).toMatchObject({ state: "failed", step: "install KumoMTA: apt-get install", exit: 100 });
    expect(facts.boot?.logTail).toContain("E: Unable to locate package kumomta");
    const failure = bootFailure(facts);
    expect(failure?.what).toMatch(/^the first-boot script \(cloud-init\) failed at step 'install KumoMTA: apt-get install' \(exit 100\); last lines of \/var\/log\/kumolab-boot.log:\n(.|\n)*E: Unable to locate package kumomta$/);
    expect(failure?.hint).toContain("sudo /usr/local/sbin/kumolab-boot");
  });

  test("a good boot, or a host kumolab did not build, is no failure", () => {
    const r = runBoot([{ name: "one", argv: ["true"] }]);
    const files = { status: path.join(r.dir, "state", "boot-status"), log: path.join(r.dir, "boot.log") };
    const ok = parseFacts(spawnSync("sh", ["-c", factsScript(5, files)], { env: fakeCloudInitDone(), encoding: "utf8", timeout: 20_000 }).stdout);
    if (ok === "cloud-init-timeout") throw new Error("unexpected timeout");
    expect(ok.boot?.state).toBe("ok");
    expect(bootFailure(ok)).toBeUndefined();
    const none = parseFacts(spawnSync("sh", ["-c", factsScript(5, { status: path.join(tmp, "none"), log: path.join(tmp, "none.log") })], { env: fakeCloudInitDone(), encoding: "utf8", timeout: 20_000 }).stdout);
    if (none === "cloud-init-timeout") throw new Error("unexpected timeout");
    expect(none.boot).toBeUndefined();
  });
});
