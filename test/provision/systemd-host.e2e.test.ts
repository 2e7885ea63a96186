/**
 * Provisioning hosts WITH systemd, end to end: the namespace lab's systemd flavour (a stand-in
 * systemd as PID 1 of each host's PID namespace, systemctl/journalctl, the packaged
 * kumomta.service enabled and running from boot) driven through provisionLab over real SSH.
 * Needs root; skips with a message otherwise (and fails in CI).
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createNamespaceLab, skipNamespaceLab, type LabHostHandle, type NamespaceLab } from "../lab/namespace-lab";
import { labHostsOf, SINK_PORT } from "../lab/namespace-lab-driver";
import type { LabHosts } from "../../scripts/hosts/lab-hosts";
import { KUMOD_PID_FILE, PACKAGED_UNIT, SENDER_DROPIN_FILE, SENDER_POLICY_PATH, SINK_HTTP_LISTEN, SINK_POLICY_PATH, SINK_UNIT, SINK_UNIT_FILE } from "../../scripts/provision/lab-endpoints";
import { provisionLab } from "../../scripts/provision/provision-lab";
import { LabHostError } from "../../scripts/ssh/errors";

const skip = skipNamespaceLab();

describe.skipIf(skip)("provisioning hosts that run systemd", () => {
  let lab: NamespaceLab;
  let sender: LabHostHandle;
  let sink: LabHostHandle;
  let hosts: LabHosts;

  const run = (h: LabHostHandle, script: string) => h.exec(["bash", "-c", script], { timeoutMs: 20_000 });
  const sh = async (h: LabHostHandle, script: string) => (await run(h, script)).stdout.trim();
  /**
   * One unit as the product's scripts see it (exit code and output of is-enabled / is-active) and
   * its main process (pid from `systemctl status`, cmdline and environment from /proc). One SSH-less
   * exec per unit: every systemctl call costs a node start on this machine.
   */
  interface UnitView { enabled: string; active: string; pid: string; cmdline: string; env: string[] }
  const unitView = async (h: LabHostHandle, unit: string): Promise<UnitView> => {
    const out = await sh(h, [
      `e=$(systemctl is-enabled ${unit} 2>&1); echo "enabled=$? $e"`,
      `a=$(systemctl is-active ${unit} 2>&1); echo "active=$? $a"`,
      `pid=$(systemctl status ${unit} 2>/dev/null | sed -n 's/^ *Main PID: \\([0-9]*\\).*/\\1/p'); echo "pid=$pid"`,
      `if [ -n "$pid" ]; then echo "cmdline=$(tr '\\0' ' ' < /proc/$pid/cmdline)"; echo "env=$(tr '\\0' ' ' < /proc/$pid/environ)"; fi`,
    ].join("\n"));
    const kv = new Map(out.split("\n").map((l) => [l.slice(0, l.indexOf("=")), l.slice(l.indexOf("=") + 1)] as const));
    return { enabled: kv.get("enabled") ?? "", active: kv.get("active") ?? "", pid: kv.get("pid") ?? "", cmdline: kv.get("cmdline") ?? "", env: (kv.get("env") ?? "").split(" ") };
  };

  beforeAll(async () => {
    lab = await createNamespaceLab({ hosts: ["sender", "sink"], systemd: ["sender", "sink"] });
    sender = lab.hosts["sender"] as LabHostHandle;
    sink = lab.hosts["sink"] as LabHostHandle;
    hosts = labHostsOf(lab);
  });
  afterAll(async () => {
    await lab?.destroy();
  });

  // Provisioning over SSH on a loaded 2-core machine takes tens of seconds per run.
  const SLOW = 150_000;
  let pids: { sender: string; sink: string };

  it("the hosts look like freshly installed systemd machines (the packaged kumod runs the stock policy)", async () => {
    for (const h of [sender, sink]) {
      expect(await sh(h, "cat /proc/1/comm; test -d /run/systemd/system && command -v systemctl")).toBe("systemd\n/usr/local/sbin/systemctl");
      const u = await unitView(h, PACKAGED_UNIT);
      expect([u.enabled, u.active]).toEqual(["0 enabled", "0 active"]);
      expect(u.cmdline).toContain(`--policy ${SENDER_POLICY_PATH} --user kumod`);
    }
  });

  it("provisions through systemctl: the sink's own unit replaces the packaged one, the sender's kumomta.service restarts with the drop-in", async () => {
    const senderBefore = await unitView(sender, PACKAGED_UNIT);
    const sinkPackaged = await unitView(sink, PACKAGED_UNIT);
    const r = await provisionLab(hosts, { ssh: { connectDeadlineMs: 20_000 } });
    expect([r.sender.facts.systemd, r.sink.facts.systemd]).toEqual([true, true]);
    expect([r.sender.kumod.supervision, r.sink.kumod.supervision]).toEqual(["systemd", "systemd"]);
    expect(r.proof.passed).toBe(true);
    expect(r.proof.probes.map((p) => [p.port, p.outcome])).toEqual([[25, "refused"], [SINK_PORT, "connected"]]);

    // sink: the packaged unit is disabled and stopped (its kumod is gone); ours is enabled and runs sink.lua
    const packaged = await unitView(sink, PACKAGED_UNIT);
    expect([packaged.enabled, packaged.active, packaged.pid]).toEqual(["1 disabled", "3 inactive", ""]);
    expect(await sh(sink, `test -d /proc/${sinkPackaged.pid} && echo alive || echo gone`)).toBe("gone");
    expect(await sh(sink, `cat ${SINK_UNIT_FILE}`)).toContain(`ExecStart=/opt/kumomta/sbin/kumod --policy ${SINK_POLICY_PATH} --user kumod`);
    const ours = await unitView(sink, SINK_UNIT);
    expect([ours.enabled, ours.active]).toEqual(["0 enabled", "0 active"]);
    expect(ours.cmdline).toContain(`--policy ${SINK_POLICY_PATH} --user kumod`);
    // lab.yaml leaves kumomta.logFilter null: KUMOD_LOG would replace kumod's whole default filter.
    expect(ours.env).not.toContain("KUMOD_LOG");

    // sender: the packaged unit stays, with our drop-in; it was restarted and runs the lab's init.lua
    const dropIn = await sh(sender, `cat ${SENDER_DROPIN_FILE}`);
    expect(dropIn).toContain("[Service]");
    expect(dropIn).not.toContain("Environment=KUMOD_LOG");
    const status = await run(sender, `systemctl status ${PACKAGED_UNIT}`);
    expect(status.stdout).toMatch(/Drop-In: \/etc\/systemd\/system\/kumomta\.service\.d\n\s+└─kumolab\.conf/);
    expect(status.stderr).not.toMatch(/daemon-reload/); // the product reloaded after writing the drop-in
    const kumomta = await unitView(sender, PACKAGED_UNIT);
    expect([kumomta.enabled, kumomta.active]).toEqual(["0 enabled", "0 active"]);
    expect(kumomta.pid).toMatch(/^\d+$/);
    expect(kumomta.pid).not.toBe(senderBefore.pid);
    expect(kumomta.cmdline).toContain(`--policy ${SENDER_POLICY_PATH} --user kumod`);
    expect(kumomta.env).not.toContain("KUMOD_LOG");
    expect(await sh(sender, `cat ${SENDER_POLICY_PATH}`)).toContain("kumolab");
    expect((await unitView(sender, SINK_UNIT)).active).toBe("3 inactive");

    // the pid-file supervision of hosts without systemd was not used
    for (const h of [sender, sink]) expect(await sh(h, `test -e ${KUMOD_PID_FILE} && echo present || echo absent`)).toBe("absent");
    pids = { sender: kumomta.pid, sink: ours.pid };
  }, SLOW);

  it("a second run changes nothing and restarts nothing", async () => {
    const r = await provisionLab(hosts, { ssh: { connectDeadlineMs: 20_000 } });
    expect(Object.entries({ ...r.sender.changes, ...r.sink.changes }).filter(([, c]) => c)).toEqual([]);
    expect(r.unchanged).toBe(true);
    expect(r.sink.kumod.detail).toMatch(/unchanged/);
    expect(r.sender.kumod.detail).toMatch(/unchanged/);
    expect(r.proof.passed).toBe(true);
    expect({ sender: (await unitView(sender, PACKAGED_UNIT)).pid, sink: (await unitView(sink, SINK_UNIT)).pid }).toEqual(pids);
  }, SLOW);

  it("as a non-root sudo user, puts back a drop-in removed behind its back and restarts only that unit", async () => {
    await run(sender, `rm -f ${SENDER_DROPIN_FILE}`);
    const r = await provisionLab(labHostsOf(lab, lab.nonRootUser), { ssh: { connectDeadlineMs: 20_000 } });
    expect([r.sender.facts.sudo, r.sink.facts.sudo]).toEqual(["yes", "yes"]);
    expect(r.sender.changes["start kumod"]).toBe(true);
    expect(Object.entries(r.sink.changes).filter(([, c]) => c)).toEqual([]);
    expect(await sh(sender, `stat -c '%a %U' ${SENDER_DROPIN_FILE}`)).toBe("644 root");
    const kumomta = await unitView(sender, PACKAGED_UNIT);
    expect(kumomta.pid).not.toBe(pids.sender);
    expect(kumomta.env).not.toContain("KUMOD_LOG");
    expect((await unitView(sink, SINK_UNIT)).pid).toBe(pids.sink);
    expect(r.proof.passed).toBe(true);
  }, SLOW);

  it("when kumod cannot start, the error names the host and step and carries the journal's tail", async () => {
    // Something else holds the sink's HTTP port, so kumod's init fails each time systemd (re)starts it.
    const [ip, port] = SINK_HTTP_LISTEN.split(":");
    await run(sink, `systemctl stop ${SINK_UNIT}`);
    const blocker = await sh(sink, `setsid '${process.execPath}' -e 'require("net").createServer().listen(${port}, "${ip}")' </dev/null >/dev/null 2>&1 & echo $!`);
    expect(blocker).toMatch(/^\d+$/);
    // A changed policy file makes provisioning restore it and restart the unit.
    await run(sink, `echo '-- edited behind the lab' >> ${SINK_POLICY_PATH}`);
    const err = await provisionLab(hosts, { ssh: { connectDeadlineMs: 20_000 }, smtpReadyTimeoutMs: 6_000 }).catch((e: unknown) => e);
    await run(sink, `kill ${blocker}`);
    expect(err).toBeInstanceOf(LabHostError);
    const msg = (err as Error).message;
    expect(msg).toContain(hosts.sink.name);
    expect(msg).toMatch(/kumod did not answer SMTP/);
    // lines of `journalctl -u kumolab-sink.service`: kumod's own error, and systemd's account of it
    expect(msg).toMatch(/kumod\[\d+\]: .*problem initializing: .*EADDRINUSE.*8002/);
    expect(msg).toMatch(/systemd\[1\]: kumolab-sink\.service: Main process exited, code=exited, status=1\/FAILURE/);
  }, SLOW);

  it("PID 1 reaps: no zombies on the hosts", async () => {
    for (const h of [sender, sink]) {
      let zombies = "";
      // a process may be between exit and its parent's wait: look again a few times
      for (let i = 0; i < 10; i++) {
        zombies = await sh(h, "ps -eo stat=,pid=,comm= | awk '$1 ~ /^Z/'");
        if (zombies === "") break;
        await new Promise((res) => setTimeout(res, 200));
      }
      expect(zombies).toBe("");
    }
  });
});
