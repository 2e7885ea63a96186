/**
 * Issue 17 on the namespace lab with three hosts: sender, sink and a generator host. Provisioning
 * blocks outbound 25 on the generator too and proves it from there (port 25 to the sink refused,
 * the sender's generator listener open); the trial runs traffic-gen on the generator against the
 * sender's lab address, and its record says so, with traffic-gen's own CPU and memory measured on
 * the generator and the sender's CPU sampled beside it.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { resolveLabConfig } from "../../lab-config/resolve";
import type { LabHost, LabHosts } from "../../scripts/hosts/lab-hosts";
import type { ProgressEvent } from "../../scripts/progress/events";
import { trialRecordSchema } from "../../scripts/results/trial-record";
import { prepareLab, runPreparedTrial, type ProvisionedLab } from "../../scripts/sweep/prepare-lab";
import { formatTrialSummary } from "../../scripts/trial/trial-summary";
import { provePort25ClosedFromGenerator } from "../../scripts/provision/port25-proof";
import { createNamespaceLab, skipNamespaceLab, type NamespaceLab } from "../lab/namespace-lab";
import { labHostsOf } from "../lab/namespace-lab-driver";
import { smallLabConfigObject } from "../lab/lab-files";

const skip = skipNamespaceLab();
const MESSAGES = 300;

/** The namespace lab's three hosts as a cloud lab's would be: the generator reaches the sender by its lab address. */
function hostsWithGenerator(lab: NamespaceLab): LabHosts {
  const two = labHostsOf(lab);
  const g = lab.hosts["generator"];
  const sender = lab.hosts["sender"];
  if (!g || !sender) throw new Error("the lab needs hosts named generator and sender");
  const host: LabHost = { ...two.sender, role: "generator", name: `generator (${g.address})`, address: g.address, port: g.sshPort, hostKey: { kind: "pinned", publicKey: g.hostPublicKey }, size: { label: `namespace host ${g.netns}`, region: "local" } };
  return { ...two, generator: { host, senderAddress: sender.address, addressSeenBySender: g.address } };
}

describe.skipIf(skip)("traffic-gen on a generator host, on the namespace lab", () => {
  let lab: NamespaceLab;
  let prepared: ProvisionedLab | undefined;
  let dir: string;
  const events: ProgressEvent[] = [];
  const cfg = resolveLabConfig(smallLabConfigObject({ messageCount: MESSAGES, concurrency: 4, bodySize: "1kb" }), {}, "test", "none").config;
  const size = cfg.sender.sizes[0]!;

  beforeAll(async () => {
    dir = mkdtempSync(path.join(os.tmpdir(), "kumolab-generator-"));
    lab = await createNamespaceLab({ hosts: ["sender", "sink", "generator"] });
    try {
      prepared = await prepareLab(hostsWithGenerator(lab), cfg, { progress: (e) => events.push(e) });
    } catch (e) {
      await prepared?.close();
      await lab.destroy();
      throw e;
    }
  }, 120_000);

  afterAll(async () => {
    await prepared?.close();
    await lab?.destroy();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it("proves port 25 shut from the generator and runs the trial there, recording where and what it used", async () => {
    const sender = lab.hosts["sender"]!;
    const generator = lab.hosts["generator"]!;
    const sink = lab.hosts["sink"]!;

    // The proof from the generator: port 25 to the sink (which listens there) refused by the
    // generator's own table; the sender's generator listener reachable.
    const gp = prepared!.proof.generator!;
    expect(gp.passed).toBe(true);
    expect(gp.from).toBe(`generator (${generator.address})`);
    expect(gp.to).toBe(sink.address);
    expect(gp.senderTable).toMatchObject({ present: true, effective: true });
    expect(gp.probes.map((p) => [p.port, p.expect, p.outcome])).toEqual([
      [25, "blocked", "refused"],
      [2025, "open", "connected"],
    ]);
    // The table on the generator is the one every lab host gets (nft, inside the host's namespace).
    const listing = await generator.exec(["nft", "list", "table", "inet", "kumolab_port25"]);
    expect(listing.stdout).toMatch(/tcp dport \{ 25, 465, 587 \} counter packets \d+ bytes \d+ reject with tcp reset/);

    const outcome = await runPreparedTrial(prepared!, { sizeId: size.id, size, trial: 1, trials: 1 }, { runId: "generator", resultsDir: dir, cfg, progress: (e) => events.push(e), signal: new AbortController().signal });
    expect(outcome.status).toBe("recorded");
    if (outcome.status !== "recorded") return;
    const r = trialRecordSchema.parse(outcome.record);
    expect(r.status, JSON.stringify(r.failure)).toBe("ok");
    expect(r.trafficGen?.sent).toBe(MESSAGES);
    expect(r.endToEnd?.sinkReceived).toBe(MESSAGES);

    // Where traffic-gen ran, and against what.
    expect(r.trafficGenRun).toMatchObject({ ranOn: "generator", host: `generator (${generator.address})`, target: `${sender.address}:2025` });
    expect(r.params.argv).toContain(`${sender.address}:2025`);
    // The sender counted every message on its generator listener — none on loopback.
    const received = (listener: string): number => (r.metrics.sender.after[`total_messages_received{service="esmtp_listener:${listener}"}`] ?? 0) - (r.metrics.sender.before[`total_messages_received{service="esmtp_listener:${listener}"}`] ?? 0);
    expect(received(`${sender.address}:2025`)).toBe(MESSAGES);
    expect(received("127.0.0.1:2025")).toBe(0);

    // traffic-gen's own CPU and memory, sampled on the generator: it sent 300 messages, so it used
    // CPU time, and the stand-in is a Node.js process (tens of MB resident).
    const p = r.trafficGenRun!.process!;
    expect(p.samples).toBeGreaterThanOrEqual(2);
    expect(p.cpuSeconds).toBeGreaterThan(0);
    expect(p.peakRssKiB).toBeGreaterThan(20 * 1024);
    expect(p.hostCpuShare).toBeLessThanOrEqual(1.05);
    expect(readFileSync(path.join(dir, r.files["trafficGenProcess"]!), "utf8")).toMatch(/^P \d+\.\d+ \d+ \d+ \d+ \d+$/m);
    expect(r.trafficGenRun!.vcpu).toBe(Number(spawnSync("nproc", { encoding: "utf8" }).stdout.trim()));

    // Every host sampled: the sender's CPU is kumod's alone now, the generator's is traffic-gen's.
    expect(r.resources!.sender.samples).toBeGreaterThanOrEqual(1);
    expect(r.resources!.generator?.samples).toBeGreaterThanOrEqual(1);
    expect(r.resources!.generator?.interface).toBe("eth0");

    // ethtool: recorded per host whether or not this machine has it (absence is not an error).
    const hasEthtool = spawnSync("sh", ["-c", "command -v ethtool"]).status === 0;
    for (const nic of [r.nic!.sender, r.nic!.sink, r.nic!.generator!]) {
      expect(nic.interface).toBe("eth0");
      if (!hasEthtool) expect(nic).toEqual({ available: false, interface: "eth0", reason: "ethtool is not installed on the host" });
    }

    // kumod's view with its health gauges: the release kumod exports memory_usage/limit and no
    // RocksDB stall gauges; soft limit = 3/4 of MemTotal (kumo-server-memory/src/lib.rs).
    const k = r.kumomta!;
    const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(readFileSync("/proc/meminfo", "utf8"))![1]) * 1024;
    expect(k.memory?.limitBytes).toBe(Math.floor((memTotal * 3) / 4));
    expect(k.memory?.peakUsageBytes).toBeGreaterThan(0);
    expect(k.rocksdb?.polls).toBeGreaterThanOrEqual(1);
    expect(k.rocksdb).toMatchObject({ writeStopped: null, delayedWriteRate: null, loadShedActive: null, backgroundErrors: null });
    // …while it does export the RocksDB memory gauges of each spool (rocks.rs at the release).
    expect(r.metrics.sender.after['rocks_spool_mem_table_total{path="/var/spool/kumomta/data"}']).toBe(0);
    expect(Object.keys(r.metrics.sender.after).filter((key) => key.startsWith("rocks_spool_write_stopped"))).toEqual([]);
    // The verdict weighs traffic-gen's own share (300 small messages: far from its host's capacity),
    // not the generator host's /proc/stat, which here is the whole shared machine's.
    expect(r.verdict?.evidence.generatorCpuShare).toBe(p.hostCpuShare);
    expect(p.hostCpuShare).toBeLessThan(0.8);
    expect(r.verdict?.limit).not.toBe("generator");
    expect(r.context.port25Proof).toHaveProperty("generator");
    // What `npm run lab -- trial` prints says the same.
    const summary = formatTrialSummary(r, "trials.jsonl");
    expect(summary).toContain(`traffic-gen on the generator → ${sender.address}:2025: `);
    expect(summary).toMatch(/NIC \(ethtool -S\): sender /);
  }, 60_000);

  it("the proof from the generator fails, naming the generator's table, when that table is gone", async () => {
    const generator = lab.hosts["generator"]!;
    const del = await generator.exec(["nft", "delete", "table", "inet", "kumolab_port25"]);
    expect(del.code).toBe(0);
    // The sink listens on 25 and nothing else stands between the namespace hosts: port 25 connects.
    await expect(provePort25ClosedFromGenerator(prepared!.sessions.generator!, prepared!.hosts, 2025)).rejects.toThrow(
      new RegExp(`generator \\(${generator.address.replace(/\./g, "\\.")}\\): port-25 proof \\(generator\\).*port 25 SUCCEEDED: the generator's nftables table inet kumolab_port25 is MISSING`),
    );
  }, 30_000);
});
