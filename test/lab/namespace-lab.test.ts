import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNamespaceLab, skipNamespaceLab, type NamespaceLab } from "./namespace-lab";

function banner(address: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const s = net.connect({ host: address, port, timeout: 5000 });
    s.once("data", (d: Buffer) => { s.destroy(); resolve(d.toString("utf8")); });
    s.once("error", reject);
    s.once("timeout", () => { s.destroy(); reject(new Error(`no banner from ${address}:${port}`)); });
  });
}

const sh = (cmd: string) => spawnSync("sh", ["-c", cmd], { encoding: "utf8" });

describe.skipIf(skipNamespaceLab())("namespace lab harness", () => {
  let lab: NamespaceLab | undefined;
  let destroyed = false;
  beforeAll(async () => { lab = await createNamespaceLab({ hosts: ["sender", "sink"] }); });
  afterAll(async () => { if (lab && !destroyed) await lab.destroy(); });

  it("runs a real sshd on each host, answering with an SSH banner and its own host key", async () => {
    if (!lab) throw new Error("no lab");
    const keys = new Set<string>();
    for (const h of Object.values(lab.hosts)) {
      expect(await banner(h.address, h.sshPort)).toMatch(/^SSH-2\.0-OpenSSH/);
      expect(h.hostPublicKey).toMatch(/^ssh-ed25519 AAAA/);
      expect(h.address).toMatch(/^198\.1[89]\./);
      keys.add(h.hostPublicKey);
    }
    expect(keys.size).toBe(2);
  });

  it("logs the non-root user in by key, with working sudo, and the stand-ins installed", async () => {
    if (!lab) throw new Error("no lab");
    const sink = lab.hosts.sink!;
    const r = await lab.hosts.sender!.exec([
      "ssh", "-o", "BatchMode=yes", "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null", "-o", "ConnectTimeout=5",
      "-i", lab.client.privateKeyPath, `${lab.nonRootUser}@${sink.address}`,
      "id -un; sudo -n id -u; /opt/kumomta/sbin/kumod --version; test -x /opt/kumomta/sbin/traffic-gen && echo tg-ok",
    ], { timeoutMs: 20_000 });
    expect(r.stderr).not.toMatch(/denied|password/i);
    expect(r.stdout.split("\n").slice(0, 4)).toEqual([lab.nonRootUser, "0", "kumod 2026.11.01-4b1ff5a2", "tg-ok"]);
  });

  it("keeps each host's /opt/kumomta private", async () => {
    if (!lab) throw new Error("no lab");
    const marker = `marker-${lab.id}-${Date.now()}`;
    const w = await lab.hosts.sender!.exec(["sh", "-c", `echo ${marker} > /opt/kumomta/etc/private-file && echo ${marker} > /tmp/private-tmp`]);
    expect(w.code).toBe(0);
    expect((await lab.hosts.sender!.exec(["cat", "/opt/kumomta/etc/private-file"])).stdout.trim()).toBe(marker);
    const other = await lab.hosts.sink!.exec(["sh", "-c", "cat /opt/kumomta/etc/private-file /tmp/private-tmp 2>&1; true"]);
    expect(other.stdout).not.toContain(marker);
    expect(fs.existsSync("/opt/kumomta/etc/private-file")).toBe(false);
    expect(fs.existsSync("/tmp/private-tmp")).toBe(false);
  });

  it("runs nftables inside a host namespace without touching the machine's ruleset", async () => {
    if (!lab) throw new Error("no lab");
    const table = `kltest${lab.id}`;
    const add = await lab.hosts.sink!.exec(["nft", "add", "table", "inet", table]);
    expect(add.stderr).toBe("");
    expect(add.code).toBe(0);
    expect((await lab.hosts.sink!.exec(["nft", "list", "tables"])).stdout).toContain(table);
    expect((await lab.hosts.sender!.exec(["nft", "list", "tables"])).stdout).not.toContain(table);
    expect(sh("nft list tables").stdout).not.toContain(table);
  });

  it("lets hosts reach each other but have no route elsewhere", async () => {
    if (!lab) throw new Error("no lab");
    const sink = lab.hosts.sink!;
    const ok = await lab.hosts.sender!.exec(["bash", "-c", `exec 3<>/dev/tcp/${sink.address}/22 && head -c 7 <&3`], { timeoutMs: 5000 });
    expect(ok.stdout).toBe("SSH-2.0");
    const routes = await lab.hosts.sender!.exec(["ip", "route"]);
    expect(routes.stdout).not.toMatch(/default/);
  });

  it("survives stopSshd/startSshd and replaces the host key on demand", async () => {
    if (!lab) throw new Error("no lab");
    const sink = lab.hosts.sink!;
    await sink.stopSshd();
    await expect(banner(sink.address, 22)).rejects.toThrow();
    // the host's namespaces outlive sshd
    expect((await sink.exec(["ls", "/opt/kumomta/sbin"])).stdout).toContain("kumod");
    await sink.startSshd();
    const before = sink.hostPublicKey;
    await sink.replaceHostKey();
    expect(sink.hostPublicKey).not.toBe(before);
    const scan = await lab.hosts.sender!.exec(["ssh-keyscan", "-t", "ed25519", "-T", "5", sink.address], { timeoutMs: 10_000 });
    expect(scan.stdout).toContain(sink.hostPublicKey.split(" ")[1]);
  });

  it("leaves no namespace, interface, process or state behind after destroy()", async () => {
    if (!lab) throw new Error("no lab");
    // a stray process inside a host must be reaped too
    await lab.hosts.sink!.exec(["sh", "-c", "nohup sleep 1000 >/dev/null 2>&1 &"]);
    const netns = Object.values(lab.hosts).map((h) => h.netns);
    const rootDirs = Object.values(lab.hosts).map((h) => h.rootDir);
    const pids = netns.flatMap((ns) => sh(`ip netns pids ${ns}`).stdout.split(/\s+/).filter(Boolean));
    expect(pids.length).toBeGreaterThanOrEqual(4);
    await lab.destroy();
    destroyed = true;
    const nsList = sh("ip netns list").stdout;
    for (const ns of netns) expect(nsList).not.toContain(ns);
    expect(sh("ip -o link show").stdout).not.toContain(`kl${lab.id}`);
    const running = pids.filter((pid) => {
      try { return !/^State:\s+Z/m.test(fs.readFileSync(path.join("/proc", pid, "status"), "utf8")); } catch { return false; }
    });
    expect(running).toEqual([]);
    for (const d of rootDirs) expect(fs.existsSync(d)).toBe(false);
  });
});
