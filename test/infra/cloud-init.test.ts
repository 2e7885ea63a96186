/**
 * The cloud-init both VMs boot with, taken from the resources' inputs under mocks and parsed as
 * YAML: KumoMTA from its own repository, the tuning, the file limits, the nftables rules, the host key.
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, test } from "vitest";
import YAML from "yaml";
import { kumomtaInstallCommands, NOFILE_LIMIT, renderCloudInit } from "../../infra/cloud-init";
import { labConfig, runLab, type LabRun } from "./lab-fixture";
import { fakeKey } from "./lab-mocks";

type Obj = Record<string, unknown>;
interface WriteFile {
  path: string;
  content: string;
  permissions: string;
}

let run: LabRun;
beforeAll(async () => {
  run = await runLab(labConfig());
});

function parseCloudConfig(base64: unknown): Obj {
  const text = Buffer.from(String(base64), "base64").toString("utf8");
  expect(text.split("\n")[0]).toBe("#cloud-config");
  const doc = YAML.parse(text) as unknown;
  expect(doc).toBeTypeOf("object");
  return doc as Obj;
}

const senderDoc = (): Obj => parseCloudConfig(run.mocks.one("aws:ec2/instance:Instance").inputs["userDataBase64"]);
const sinkDoc = (): Obj => parseCloudConfig((run.mocks.one("azure-native:compute:VirtualMachine").inputs["osProfile"] as Obj)["customData"]);
const file = (doc: Obj, p: string): WriteFile => {
  const f = (doc["write_files"] as WriteFile[]).find((w) => w.path === p);
  if (!f) throw new Error(`no write_files entry ${p}`);
  return f;
};
/**
 * The commands cloud-init runs: its one runcmd entry is kumolab's boot script (infra/cloud-init.ts),
 * whose `run 'step' argv…` lines bash itself splits here (a `run` that prints its words).
 */
const runcmd = (doc: Obj): string[][] => {
  expect(doc["runcmd"]).toEqual([["/usr/local/sbin/kumolab-boot"]]);
  const lines = file(doc, "/usr/local/sbin/kumolab-boot").content.split("\n").filter((l) => l.startsWith("run '"));
  const printer = `run() { shift; for a in "$@"; do printf '%s\\0' "$a"; done; printf '\\n'; }\n${lines.join("\n")}\n`;
  const out = execFileSync("bash", ["-c", printer], { encoding: "utf8", timeout: 10_000 });
  return out.split("\n").filter(Boolean).map((l) => l.split("\0").filter((w, i, all) => i < all.length - 1 || w !== ""));
};

describe.each([
  ["sender", senderDoc, "lab-keys-sender-host"],
  ["sink", sinkDoc, "lab-keys-sink-host"],
] as const)("%s cloud-init", (role, doc, hostKeyName) => {
  test("installs KumoMTA from KumoMTA's repository: key, source list, then the package", () => {
    const cmds = runcmd(doc());
    const flat = cmds.map((c) => c.join(" "));
    const keyFetch = flat.findIndex((c) => c.startsWith("curl ") && c.endsWith("https://openrepo.kumomta.com/kumomta-ubuntu-22/public.gpg"));
    const dearmor = flat.findIndex((c) => c.startsWith("gpg ") && c.includes("--dearmor") && c.includes("/usr/share/keyrings/kumomta.gpg"));
    const list = flat.findIndex((c) => c.includes("-o /etc/apt/sources.list.d/kumomta.list https://openrepo.kumomta.com/files/kumomta-ubuntu22.list"));
    const install = cmds.findIndex((c) => c[0] === "apt-get" && c[1] === "install" && c.at(-1) === "kumomta");
    for (const i of [keyFetch, dearmor, list, install]) expect(i).toBeGreaterThanOrEqual(0);
    expect(keyFetch < dearmor && dearmor < list && list < install).toBe(true);
    // Every download is bounded in time.
    for (const c of cmds.filter((x) => x[0] === "curl")) expect(c).toContain("--max-time");
  });

  test("writes KumoMTA's sysctl tuning to /etc/sysctl.d and applies it", () => {
    const lines = file(doc(), "/etc/sysctl.d/90-kumolab.conf").content.split("\n").filter((l) => l && !l.startsWith("#"));
    const settings = Object.fromEntries(lines.map((l) => l.split(/\s*=\s*/) as [string, string]));
    expect(Object.keys(settings).sort()).toEqual(
      [
        "vm.max_map_count", "net.core.rmem_default", "net.core.wmem_default", "net.core.rmem_max", "net.core.wmem_max", "fs.file-max",
        "net.ipv4.ip_local_port_range", "net.ipv4.tcp_tw_reuse", "kernel.shmmax", "net.core.somaxconn", "vm.nr_hugepages", "kernel.shmmni",
      ].sort(),
    );
    // The values written out (not read back from KUMOMTA_SYSCTLS): a change to the tuning must show here.
    // KumoMTA's own tuning example (docs.kumomta.com, installation and performance pages) starts from the
    // same keys; the lab raises fs.file-max, somaxconn and the local port range for 20,000 connections.
    expect(settings).toEqual({
      "vm.max_map_count": "768000",
      "net.core.rmem_default": "32768",
      "net.core.wmem_default": "32768",
      "net.core.rmem_max": "262143",
      "net.core.wmem_max": "262143",
      "fs.file-max": "2097152",
      "net.ipv4.ip_local_port_range": "1024 65000",
      "net.ipv4.tcp_tw_reuse": "1",
      "kernel.shmmax": "68719476736",
      "net.core.somaxconn": "65535",
      "vm.nr_hugepages": "20",
      "kernel.shmmni": "4096",
    });
    // 20,000 connections from one address to one sink port need that many local ports.
    const [lo, hi] = (settings["net.ipv4.ip_local_port_range"] ?? "").split(/\s+/).map(Number);
    expect((hi ?? 0) - (lo ?? 0)).toBeGreaterThan(20_000);
    expect(runcmd(doc())).toContainEqual(["sysctl", "--system"]);
  });

  test("raises open-file limits above 20,000 for logins and for kumomta.service", () => {
    const limits = file(doc(), "/etc/security/limits.d/90-kumolab.conf").content;
    expect(limits).toMatch(new RegExp(`^\\* hard nofile ${NOFILE_LIMIT}$`, "m"));
    expect(limits).toMatch(new RegExp(`^\\* soft nofile ${NOFILE_LIMIT}$`, "m"));
    const unit = file(doc(), "/etc/systemd/system/kumomta.service.d/90-kumolab-limits.conf").content;
    expect(unit.split("\n")).toEqual(["[Service]", `LimitNOFILE=${NOFILE_LIMIT}`, ""]);
    expect(NOFILE_LIMIT).toBeGreaterThan(2 * 20_000);
  });

  test("installs nftables and loads a rule set rejecting outbound TCP 25/465/587, before KumoMTA's repository is touched", () => {
    const nft = file(doc(), "/etc/nftables.conf").content;
    expect(nft).toMatch(/^\s*type filter hook output priority filter; policy accept;$/m);
    expect(nft).toMatch(/^\s*tcp dport \{ 25, 465, 587 \} counter reject with tcp reset$/m);
    expect(nft).toMatch(/^table inet kumolab_egress \{$/m); // inet: IPv4 and IPv6
    const cmds = runcmd(doc());
    const load = cmds.findIndex((c) => c.join(" ") === "nft -f /etc/nftables.conf");
    // Installed, not assumed (issue 12); until then the cloud firewalls alone keep 25/465/587 shut.
    const installNft = cmds.findIndex((c) => c[0] === "apt-get" && c[1] === "install" && c.includes("nftables"));
    const firstKumo = cmds.findIndex((c) => c.join(" ").includes("openrepo.kumomta.com") && c[0] !== "retry");
    expect(installNft).toBeGreaterThanOrEqual(0);
    expect(installNft < load && load < firstKumo).toBe(true);
    expect(cmds).toContainEqual(["systemctl", "enable", "nftables.service"]);
  });

  test.skipIf(!existsSync("/usr/sbin/nft"))("the nftables file is valid nft syntax (nft -c)", () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), "kumolab-nft-"));
    try {
      const f = path.join(dir, "rules.nft");
      writeFileSync(f, file(doc(), "/etc/nftables.conf").content);
      execFileSync("/usr/sbin/nft", ["-c", "-f", f], { timeout: 10_000, stdio: "pipe" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("installs the generated host key (and no other), so clients can pin it", () => {
    const d = doc();
    const key = fakeKey(hostKeyName);
    expect(d["ssh_deletekeys"]).toBe(true);
    expect(d["ssh_genkeytypes"]).toEqual([]);
    expect(d["ssh_keys"]).toEqual({ ed25519_private: key.privateKeyOpenssh, ed25519_public: key.publicKeyOpenssh.trim() });
    const outputs = run.outputs[role];
    expect(outputs.hostPublicKey).toBe(key.publicKeyOpenssh.trim());
    expect(d["ssh_pwauth"]).toBe(false);
  });

  test("the login user gets the lab's login key and no password", () => {
    const users = doc()["users"] as Obj[];
    expect(users).toEqual([expect.objectContaining({ name: "ubuntu", lock_passwd: true, ssh_authorized_keys: [fakeKey("lab-keys-login").publicKeyOpenssh.trim()] })]);
  });
});

describe("install variants", () => {
  const base = { role: "sender" as const, sshUser: "ubuntu", loginPublicKey: "ssh-ed25519 AAAA", hostKey: { privateOpenssh: "k", publicOpenssh: "ssh-ed25519 BBBB" } };

  test("dev channel with a pinned version installs kumomta-dev=VERSION", () => {
    const cmds = kumomtaInstallCommands("ubuntu-22.04", { channel: "dev", version: "2025.01.29.123456.833f82a8" });
    expect(cmds.at(-1)).toEqual(["apt-get", "install", "-y", "-q", "kumomta-dev=2025.01.29.123456.833f82a8"]);
  });

  test("Ubuntu 20.04 uses KumoMTA's ubuntu-20 repository", () => {
    const doc = YAML.parse(renderCloudInit({ ...base, os: "ubuntu-20.04", kumomta: { channel: "stable", version: null } })) as Obj;
    const flat = runcmd(doc).map((c) => c.join(" "));
    expect(flat).toContainEqual(expect.stringContaining("https://openrepo.kumomta.com/kumomta-ubuntu-20/public.gpg"));
    expect(flat).toContainEqual(expect.stringContaining("https://openrepo.kumomta.com/files/kumomta-ubuntu20.list"));
  });
});
