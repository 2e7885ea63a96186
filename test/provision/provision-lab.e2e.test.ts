/**
 * Provisioning the namespace lab end to end through the project's own entry points
 * (provisionLab, and the CLI as a child process), with real sshd hosts. Needs root; skips with a
 * message otherwise (and fails in CI, which must run it).
 */
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { createNamespaceLab, skipNamespaceLab, type LabHostHandle, type NamespaceLab } from "../lab/namespace-lab";
import { hostsFromInventory } from "../../scripts/hosts/inventory";
import type { LabHosts } from "../../scripts/hosts/lab-hosts";
import type { ProgressEvent } from "../../scripts/progress/events";
import { formatProgressEvent } from "../../scripts/progress/terminal";
import { KUMOD_PID_FILE, PORT25_NFT_FILE, SENDER_ORIGINAL_POLICY_PATH, SENDER_POLICY_PATH, SENDER_SUBMISSION_ADDRESS, SINK_METRICS_URL, SINK_POLICY_PATH } from "../../scripts/provision/lab-endpoints";
import { openLabSessions, provisionLab } from "../../scripts/provision/provision-lab";
import { ProofFailedError, provePort25Closed } from "../../scripts/provision/port25-proof";
import { LabHostError } from "../../scripts/ssh/errors";
import { SshSession } from "../../scripts/ssh/session";
import { fingerprintSha256, parseOpenSshPublicKey } from "../../scripts/ssh/host-keys";

const REPO = path.resolve(__dirname, "..", "..");
const skip = skipNamespaceLab();

describe.skipIf(skip)("provisioning the namespace lab", () => {
  let lab: NamespaceLab;
  let sender: LabHostHandle;
  let sink: LabHostHandle;
  let dir: string;
  const captured: string[] = [];
  const capture = (e: ProgressEvent) => {
    captured.push(JSON.stringify(e));
    const line = formatProgressEvent(e);
    if (line) captured.push(line);
  };

  function writeInventory(name: string, user: string): string {
    const f = path.join(dir, name);
    const host = (h: LabHostHandle) => ({ address: h.address, port: h.sshPort, user, privateKeyPath: lab.client.privateKeyPath, hostKey: h.hostPublicKey });
    writeFileSync(f, YAML.stringify({ labId: `ns-${lab.id}`, sender: host(sender), sink: host(sink), sinkAddressFromSender: sink.address, sinkPort: 2525 }));
    return f;
  }
  const sh = async (h: LabHostHandle, script: string) => (await h.exec(["bash", "-c", script], { timeoutMs: 20_000 })).stdout.trim();
  const stat = (h: LabHostHandle, p: string) => sh(h, `stat -c '%a %U %i %Y' ${p} 2>/dev/null || echo missing`);
  const kumodCmdline = (h: LabHostHandle) => sh(h, `tr '\\0' ' ' < /proc/$(cat ${KUMOD_PID_FILE})/cmdline`);

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "kumolab-prov-"));
    lab = await createNamespaceLab({ hosts: ["sender", "sink"] });
    sender = lab.hosts.sender as LabHostHandle;
    sink = lab.hosts.sink as LabHostHandle;
  });
  afterAll(async () => {
    await lab?.destroy();
    rmSync(dir, { recursive: true, force: true });
  });

  let hosts: LabHosts;
  let firstPids: { sender: string; sink: string };
  let firstStats: string[];

  it("provisions both hosts: files on the right host only, kumod with the right policy, mail reaches the sink, port 25 shut", async () => {
    hosts = hostsFromInventory(writeInventory("hosts.yaml", "root"));
    const r = await provisionLab(hosts, { progress: capture, ssh: { connectDeadlineMs: 20_000 } });
    expect(r.unchanged).toBe(false);
    expect(r.proof.passed).toBe(true);
    expect(r.proof.probes.map((p) => [p.port, p.outcome])).toEqual([[25, "refused"], [2525, "connected"]]);

    // sink.lua only on the sink; our init.lua only on the sender (the sink keeps its stock one).
    // Expected lines by hand from the lab's addresses and lab.yaml's kumomta settings.
    const sinkLua = await sh(sink, `cat ${SINK_POLICY_PATH}`);
    expect(sinkLua).toContain(`listen = '0.0.0.0:${hosts.sinkPort}'`);
    expect(sinkLua).toContain(`'${hosts.senderAddressFromSink ?? hosts.sender.address}/32'`);
    expect(await stat(sender, SINK_POLICY_PATH)).toBe("missing");
    const senderLua = await sh(sender, `cat ${SENDER_POLICY_PATH}`);
    expect(senderLua).toContain(`local SINK_QUEUE = '[${hosts.sinkAddressFromSender}]'`);
    expect(senderLua).toContain(`local SINK_PORT = ${hosts.sinkPort}`);
    expect(senderLua).toContain("enable_tls = 'OpportunisticInsecure'");
    expect(await sh(sink, `cat ${SENDER_POLICY_PATH}`)).not.toContain("kumolab");
    expect(await sh(sender, `cat ${SENDER_ORIGINAL_POLICY_PATH}`)).toContain("KumoMTA stock policy");
    expect(await stat(sink, SENDER_ORIGINAL_POLICY_PATH)).toBe("missing");
    for (const [h, p] of [[sink, SINK_POLICY_PATH], [sender, SENDER_POLICY_PATH], [sender, PORT25_NFT_FILE], [sink, PORT25_NFT_FILE]] as const) {
      expect((await stat(h, p)).split(" ").slice(0, 2)).toEqual(["644", "root"]);
    }
    // kumod runs with the right policy on each host
    expect(await kumodCmdline(sink)).toContain(`--policy ${SINK_POLICY_PATH} --user kumod`);
    expect(await kumodCmdline(sender)).toContain(`--policy ${SENDER_POLICY_PATH} --user kumod`);

    // one message into the sender's submission listener, from the sender itself
    const [ip, port] = SENDER_SUBMISSION_ADDRESS.split(":");
    const smtp = await sh(
      sender,
      `exec 3<>/dev/tcp/${ip}/${port}; r() { IFS= read -r l <&3; echo "$l"; case "$l" in ???-*) r;; esac; }; r; ` +
        `for c in "EHLO lab" "MAIL FROM:<a@example.com>" "RCPT TO:<b@example.net>" "DATA"; do printf '%s\\r\\n' "$c" >&3; r; done; ` +
        `printf 'Subject: t\\r\\n\\r\\nhello\\r\\n.\\r\\n' >&3; r; printf 'QUIT\\r\\n' >&3; r`,
    );
    expect(smtp).toMatch(/^250 .*\r?\n?221/m);
    let received = 0;
    for (let i = 0; i < 50 && received < 1; i++) {
      const m = await sh(sink, `curl -s --max-time 2 ${SINK_METRICS_URL} | awk '$1 == "total_messages_received{service=\\"esmtp_listener\\"}" {print $2}'`);
      received = Number(m); // the total series only: kumod also exports one per listener
      if (received < 1) await new Promise((res) => setTimeout(res, 200));
    }
    expect(received).toBe(1);

    // from the sender: port 25 to the sink refused, the sink port open
    const probe = (p: number) => sh(sender, `timeout 5 bash -c 'exec 3<>/dev/tcp/${sink.address}/${p}' 2>/dev/null && echo open || echo closed`);
    expect(await probe(25)).toBe("closed");
    expect(await probe(2525)).toBe("open");
    // ... and the sink really listens on 25 (the proof had something to miss)
    expect(await sh(sink, `timeout 3 bash -c 'exec 3<>/dev/tcp/127.0.0.1/25 && head -c 3 <&3'`)).toBe("220");

    firstPids = { sender: await sh(sender, `cat ${KUMOD_PID_FILE}`), sink: await sh(sink, `cat ${KUMOD_PID_FILE}`) };
    firstStats = [await stat(sink, SINK_POLICY_PATH), await stat(sender, SENDER_POLICY_PATH), await stat(sender, PORT25_NFT_FILE), await stat(sink, PORT25_NFT_FILE), await stat(sender, SENDER_ORIGINAL_POLICY_PATH)];
  });

  it("a second run through the CLI, as a non-root sudo user, changes nothing", async () => {
    const inv = writeInventory("hosts-nonroot.yaml", lab.nonRootUser);
    const child = spawn(process.execPath, ["--import", "tsx", path.join(REPO, "scripts", "cli", "lab.ts"), "provision", "--inventory", inv, "--connect-deadline", "20"], { cwd: REPO, stdio: ["ignore", "pipe", "pipe"] });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((res) => child.on("close", res));
    captured.push(out);
    expect(out).not.toMatch(/\(changed\)/);
    expect(code).toBe(0);
    expect(out).toMatch(/\[sink \(198\.18\.[0-9.]+\)\] start kumod ✓ .*\(unchanged\)/);
    expect(out).toMatch(/port-25 proof ✓/);
    expect(out).toMatch(/nothing changed\); kumod \d{4}\.\d{2}\.\d{2}-[0-9a-f]{8} on the sender, kumod \d{4}\.\d{2}\.\d{2}-[0-9a-f]{8} on the sink; port 25 proof passed/);
    expect({ sender: await sh(sender, `cat ${KUMOD_PID_FILE}`), sink: await sh(sink, `cat ${KUMOD_PID_FILE}`) }).toEqual(firstPids);
    expect([await stat(sink, SINK_POLICY_PATH), await stat(sender, SENDER_POLICY_PATH), await stat(sender, PORT25_NFT_FILE), await stat(sink, PORT25_NFT_FILE), await stat(sender, SENDER_ORIGINAL_POLICY_PATH)]).toEqual(firstStats);
  });

  it("as a non-root sudo user, repairs what was removed behind its back (sudo upload, table, restart)", async () => {
    await sh(sink, `rm -f ${SINK_POLICY_PATH}; nft delete table inet kumolab_port25`);
    const nonRoot = hostsFromInventory(path.join(dir, "hosts-nonroot.yaml"));
    const events: ProgressEvent[] = [];
    const r = await provisionLab(nonRoot, { progress: (e) => (events.push(e), capture(e)) });
    expect(r.sink.changes).toMatchObject({ "push sink.lua": true, "block outbound port 25": true, "start kumod": true });
    expect(r.sender.changes["push init.lua"]).toBe(false);
    expect((await stat(sink, SINK_POLICY_PATH)).split(" ").slice(0, 2)).toEqual(["644", "root"]);
    expect(await sh(sink, "nft list table inet kumolab_port25 >/dev/null && echo ok")).toBe("ok");
    expect(await sh(sender, `cat ${KUMOD_PID_FILE}`)).toBe(firstPids.sender);
    expect(await sh(sink, `cat ${KUMOD_PID_FILE}`)).not.toBe(firstPids.sink);
    expect(await sh(sink, "ls -A /tmp | grep kumolab || echo none")).toBe("none");
    // files are written beside their target and renamed into place: no temporary left there either
    expect(await sh(sink, `ls -A ${path.posix.dirname(SINK_POLICY_PATH)} ${path.posix.dirname(PORT25_NFT_FILE)} | grep kumolab- || echo none`)).toBe("none");
  });

  it("the port-25 proof fails, naming the layer, when the sender's table is removed behind the lab's back", async () => {
    await sh(sender, "nft delete table inet kumolab_port25");
    const sessions = await openLabSessions({ ...hosts, cloudFirewalls: ["AWS security group", "Azure NSG"] });
    try {
      const err = await provePort25Closed(sessions.sender, { ...hosts, cloudFirewalls: ["AWS security group", "Azure NSG"] }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ProofFailedError);
      const e = err as ProofFailedError;
      expect(e.kind).toBe("port25-open");
      expect(e.message).toMatch(/port 25 SUCCEEDED/);
      expect(e.message).toMatch(/table inet kumolab_port25 is MISSING/);
      expect(e.message).toMatch(/nft list table inet kumolab_port25/);
      expect(e.message).toMatch(/AWS security group and Azure NSG also let it through/);
      expect(e.message).toMatch(/No traffic will be sent/);
      expect(e.proof.passed).toBe(false);
      expect(e.proof.probes[0]?.outcome).toBe("connected");
    } finally {
      sessions.sender.close();
      sessions.sink.close();
    }
    // provisioning puts it back
    const r = await provisionLab(hosts, { progress: capture });
    expect(r.sender.changes["block outbound port 25"]).toBe(true);
    expect(r.proof.passed).toBe(true);
  });

  it("a kumod that exits at start fails the SMTP wait at once (not at its timeout), with kumod's log", async () => {
    const kumod = "/opt/kumomta/sbin/kumod";
    await sh(sink, `cp -p ${kumod} /root/kumod.real && kill $(cat ${KUMOD_PID_FILE}) && printf '#!/bin/sh\\necho "Error: failed to open spool at /var/spool/kumomta/data: Permission denied" >&2\\nexit 1\\n' > ${kumod}`);
    try {
      // a timeout far longer than the test's own: only the exit watch can end the wait in time
      const err = await provisionLab(hosts, { progress: capture, smtpReadyTimeoutMs: 600_000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LabHostError);
      const e = err as LabHostError;
      expect(e.host).toBe(hosts.sink.name);
      expect(e.step).toBe("wait for SMTP");
      expect(e.message).toMatch(/kumod \(pid \d+\) exited before it answered SMTP on 127\.0\.0\.1:2525/);
      expect(e.message).toMatch(/Permission denied/);
    } finally {
      await sh(sink, `mv -f /root/kumod.real ${kumod}`);
    }
    const r = await provisionLab(hosts, { progress: capture });
    expect(r.sink.changes["start kumod"]).toBe(true);
    expect(r.proof.passed).toBe(true);
  }, 60_000);

  it("a host that is down is retried, then fails within the bound, naming the host", async () => {
    await sink.stopSshd();
    try {
      const s = new SshSession(hosts.sink, { connectDeadlineMs: 2_000, initialBackoffMs: 100, progress: capture });
      const err = await s.connect().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(LabHostError);
      expect((err as LabHostError).message).toContain(hosts.sink.name);
      expect((err as LabHostError).message).toMatch(/no SSH connection to .* after .* \(bound 2 s/);
      expect(captured.join("\n")).toMatch(/ssh attempt 2 failed \(ECONNREFUSED\)/);
    } finally {
      await sink.startSshd();
    }
  });

  it("a host key that does not match is refused, naming the host and both fingerprints", async () => {
    const old = sink.hostPublicKey;
    await sink.replaceHostKey();
    const s = new SshSession({ ...hosts.sink, hostKey: { kind: "pinned", publicKey: old } }, { connectDeadlineMs: 10_000 });
    const err = await s.connect().catch((e: unknown) => e);
    s.close();
    expect(err).toBeInstanceOf(LabHostError);
    const msg = (err as Error).message;
    expect(msg).toContain(hosts.sink.name);
    expect(msg).toContain(`expected ${fingerprintSha256(parseOpenSshPublicKey(old).blob)}`);
    expect(msg).toContain(`received ${fingerprintSha256(parseOpenSshPublicKey(sink.hostPublicKey).blob)}`);
    expect(msg).toMatch(/ssh-keygen -lf/);
  });

  it("never leaks the private key into progress output or files on the hosts", async () => {
    const body = lab.client.privateKey.split("\n").filter((l) => l && !l.startsWith("-----")).join("");
    const all = captured.join("\n").replace(/\s/g, "");
    expect(all.length).toBeGreaterThan(1000);
    expect(all).not.toContain(body.slice(0, 40));
    expect(all).not.toContain("PRIVATEKEY");
    const firstLine = lab.client.privateKey.split("\n").find((l) => l && !l.startsWith("-----")) ?? "";
    for (const h of [sender, sink]) {
      const found = await sh(h, `grep -rlF -e ${JSON.stringify(firstLine)} -e 'OPENSSH PRIVATE KEY' /opt/kumomta /etc/kumolab /run/kumolab /var/log/kumomta /tmp 2>/dev/null || true`);
      expect(found).toBe("");
    }
  });
});
