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
function runBoot(steps: { name: string; argv: string[] }[], env?: NodeJS.ProcessEnv): { code: number | null; status: string; log: string; dir: string } {
  const dir = mkdtempSync(path.join(tmp, `run${n++}-`));
  const files = { status: path.join(dir, "state", "boot-status"), log: path.join(dir, "boot.log") };
  const script = path.join(dir, "boot.sh");
  writeFileSync(script, bootScript(steps, files), { mode: 0o755 });
  const r = spawnSync("bash", [script], { timeout: 20_000, encoding: "utf8", cwd: dir, ...(env ? { env } : {}) });
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

describe("the spool volume (profiles kumomta-2025, kumomta-2023-07)", () => {
  const VOLUME = "vol-0a1b2c3d4e5f67890";
  const steps = bootSteps({ os: "ubuntu-24.04", kumomta: { channel: "stable", version: null }, spoolVolumeId: VOLUME });

  test("mounted after the KumoMTA package is installed (its preinst makes the kumod user) and before kumod is checked", () => {
    const argv = steps.map((s) => s.argv.join(" "));
    const mount = argv.indexOf("mount_spool /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0a1b2c3d4e5f67890 /var/spool/kumomta /etc/fstab");
    expect(mount).toBeGreaterThan(argv.indexOf("apt-get install -y -q kumomta"));
    expect(mount).toBeLessThan(argv.indexOf("/opt/kumomta/sbin/kumod --version"));
    // Ubuntu 24.04 installs KumoMTA's 22.04 package: KumoMTA builds none for 24.04 (.github/workflows/kumomta.yml).
    expect(argv[0]).toContain("https://openrepo.kumomta.com/kumomta-ubuntu-22/public.gpg");
    const f = path.join(tmp, "spool.sh");
    writeFileSync(f, bootScript(steps));
    execFileSync("bash", ["-n", f], { timeout: 10_000 });
  });

  test("the step formats the device, adds it to fstab by UUID beside the root, mounts it and gives it to kumod", () => {
    const dir = mkdtempSync(path.join(tmp, "spool-"));
    const bin = path.join(dir, "bin");
    const calls = path.join(dir, "calls");
    execFileSync("mkdir", ["-p", bin]);
    // Stand-ins for the commands that touch a real disk or user: each logs its arguments.
    for (const cmd of ["mkfs.ext4", "mount", "chown"]) writeFileSync(path.join(bin, cmd), `#!/bin/sh\necho "${cmd} $*" >> ${calls}\n`, { mode: 0o755 });
    writeFileSync(path.join(bin, "blkid"), "#!/bin/sh\necho 5f0c1d2e-0000-4000-8000-000000000001\n", { mode: 0o755 });
    const device = path.join(dir, "nvme1n1");
    writeFileSync(device, "");
    const fstab = path.join(dir, "fstab");
    writeFileSync(fstab, "LABEL=cloudimg-rootfs\t/\text4\tdiscard,errors=remount-ro\t0 1\n");
    const spoolDir = path.join(dir, "var-spool-kumomta");
    const step = steps.find((s) => s.argv[0] === "mount_spool");
    if (!step) throw new Error("no mount_spool step");
    const r = runBoot([{ name: step.name, argv: ["mount_spool", device, spoolDir, fstab] }], { ...process.env, PATH: `${bin}:${process.env["PATH"] ?? ""}` });
    expect(r.code).toBe(0);
    expect(kv(r.status)).toMatchObject({ state: "ok" });
    expect(readFileSync(calls, "utf8")).toBe(
      [`mkfs.ext4 -q -F -L kumolab-spool -E lazy_itable_init=0,lazy_journal_init=0 ${device}`, `mount ${spoolDir}`, `chown kumod:kumod ${spoolDir}`, ""].join("\n"),
    );
    expect(readFileSync(fstab, "utf8")).toBe(`LABEL=cloudimg-rootfs\t/\text4\tdiscard,errors=remount-ro\t0 1\nUUID=5f0c1d2e-0000-4000-8000-000000000001 ${spoolDir} ext4 defaults,noatime,nofail 0 2\n`);
    expect(existsSync(spoolDir)).toBe(true);
  });

  test("a volume id that is not one is refused before anything is rendered", () => {
    expect(() => bootSteps({ os: "ubuntu-24.04", kumomta: { channel: "stable", version: null }, spoolVolumeId: "sender-spool-id" })).toThrow("'sender-spool-id' is not an EBS volume id (vol-0123456789abcdef0)");
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
