import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { spawnSync } from "node:child_process";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { routeToSinkPolicy, sinkPolicy } from "../fixtures/policies/render";
import { createNamespaceLab, skipNamespaceLab, type NamespaceLab } from "./namespace-lab";
import { metricTotal, readKumodTruth, readTrafficGenTruth, startKumod, writeHostFile } from "./standin-helpers";

// The reference's shapes: thousands separators, Rust Duration debug format.
const NUM = "\\d{1,3}(?:,\\d{3})*";
const DUR = "\\d+(?:\\.\\d+)?(?:s|ms|µs|ns)";
const SENT_LINE = new RegExp(`^sent (${NUM}) messages, failed (${NUM}) over (${DUR})\\.$`);
const LATENCY_LINE = new RegExp(`^transaction latency: avg=${DUR} min=${DUR} max=${DUR} p50=${DUR} p75=${DUR} p90=${DUR} p95=${DUR} p99=${DUR} p99\\.9=${DUR} $`);
const RATE_LINE = new RegExp(`^overall rate: (${NUM}) msgs/s, (${NUM}) msgs/minute, (${NUM}) msgs/hour$`);
const PROGRESS = new RegExp(`^\\r\\x1b\\[Kcurrent rate: ${NUM} msgs/s, ${NUM} msgs/minute, ${NUM} msgs/hour \\(sent=${NUM}, clients=${NUM}\\)$`);
const n = (s: string | undefined) => Number((s ?? "").replaceAll(",", ""));

describe.skipIf(skipNamespaceLab())("kumod and traffic-gen stand-ins in the namespace lab", () => {
  let lab: NamespaceLab | undefined;
  beforeAll(async () => { lab = await createNamespaceLab({ hosts: ["sender", "sink"] }); });
  afterAll(async () => { await lab?.destroy(); });

  it("relays traffic-gen's 500 messages from the sender's kumod to the sink, and every count agrees", async () => {
    if (!lab) throw new Error("no lab");
    const sender = lab.hosts.sender!;
    const sink = lab.hosts.sink!;
    writeHostFile(sink, "/opt/kumomta/etc/policy/sink.lua", sinkPolicy());
    writeHostFile(sender, "/opt/kumomta/etc/policy/init.lua", routeToSinkPolicy(sink.address, 2525));
    await startKumod(sink, "/opt/kumomta/etc/policy/sink.lua", 2525);
    await startKumod(sender, "/opt/kumomta/etc/policy/init.lua", 25);

    // kumod dropped to --user kumod
    const ps = await sink.exec(["sh", "-c", "ps -o user= -p $(cat /run/kumolab/kumod.pid)"]);
    expect(ps.stdout.trim()).toBe("kumod");

    const tg = await sender.exec(["/opt/kumomta/sbin/traffic-gen", "--target", "127.0.0.1:25", "--concurrency", "20",
      "--message-count", "500", "--body-size", "10kb", "--duration", "25"], { timeoutMs: 30_000 });
    // the only stderr line of a clean run (main.rs generate_message_text: humansize DECIMAL of the body)
    expect(tg.stderr).toMatch(/^Generated body of size \d+(\.\d\d)? kB\n$/);
    expect(tg.code).toBe(0);
    const segments = tg.stdout.split("\n");
    const tail = segments.slice(-5);
    expect(tail[0]).toBe("All clients finished");
    const sent = SENT_LINE.exec(tail[1] ?? "");
    expect(sent, tail[1]).not.toBeNull();
    expect(n(sent?.[1])).toBe(500);
    expect(n(sent?.[2])).toBe(0);
    expect(tail[2]).toMatch(LATENCY_LINE);
    const rate = RATE_LINE.exec(tail[3] ?? "");
    expect(rate, tail[3]).not.toBeNull();
    expect(n(rate?.[2])).toBe(n(rate?.[1]) * 60);
    expect(n(rate?.[3])).toBe(n(rate?.[1]) * 3600);
    for (const p of (segments[0] ?? "").split(/(?=\r)/).filter(Boolean)) expect(p).toMatch(PROGRESS);

    // the sink counts all 500 (bounded wait for the sender's queue to drain)
    const sinkMetrics = `http://${sink.address}:8002/metrics`;
    let received = 0;
    for (let i = 0; i < 100 && received < 500; i++) {
      received = await metricTotal(sink, sinkMetrics, 'total_messages_received{service="esmtp_listener"}');
      if (received < 500) await new Promise((r) => setTimeout(r, 100));
    }
    expect(received).toBe(500);
    expect(await metricTotal(sender, "http://127.0.0.1:8000/metrics", 'total_messages_received{service="esmtp_listener"}')).toBe(500);
    expect(await metricTotal(sender, "http://127.0.0.1:8000/metrics", 'total_messages_delivered{service="smtp_client"}')).toBe(500);
    expect(await metricTotal(sender, "http://127.0.0.1:8000/metrics", "scheduled_count")).toBe(0);

    await new Promise((r) => setTimeout(r, 300)); // truth files are written at most every 200 ms
    const sinkTruth = readKumodTruth(sink);
    const senderTruth = readKumodTruth(sender);
    const tgTruth = readTrafficGenTruth(sender);
    expect(sinkTruth.received).toBe(500);
    expect(sinkTruth.discarded).toBe(500);
    expect(senderTruth.received).toBe(500);
    expect(senderTruth.delivered).toBe(500);
    expect(tgTruth).toMatchObject({ sent: 500, failed: 0, outcome: "finished" });
    expect(sinkTruth.lastReceivedAtMs).not.toBeNull();
    expect(sinkTruth.firstReceivedAtMs! >= senderTruth.firstReceivedAtMs!).toBe(true);
  });

  it("refuses to relay for a client outside relay_hosts (the stock policy relays for localhost only)", async () => {
    if (!lab) throw new Error("no lab");
    // the sender's listener relays for 127.0.0.1 and 198.18.0.0/15: the stock policy is stricter
    const sink = lab.hosts.sink!;
    writeHostFile(sink, "/opt/kumomta/etc/policy/stock-copy.lua", fs.readFileSync(path.join(sink.rootDir, "fs", "opt", "kumomta", "etc", "policy", "init.lua"), "utf8").replace("0.0.0.0:25", "0.0.0.0:2600").replace("127.0.0.1:8000", "127.0.0.1:8600"));
    await startKumod(sink, "/opt/kumomta/etc/policy/stock-copy.lua", 2600);
    const replies = await new Promise<string>((resolve, reject) => {
      const s = net.connect({ host: sink.address, port: 2600 });
      let out = "";
      s.setTimeout(5000, () => { s.destroy(); reject(new Error(`no answer: ${out}`)); });
      s.on("data", (d: Buffer) => {
        out += d.toString();
        if (out.includes("220 ") && !out.includes("EHLO-sent")) { out += "EHLO-sent"; s.write("EHLO t\r\nMAIL FROM:<a@example.com>\r\nRCPT TO:<b@example.com>\r\nQUIT\r\n"); }
        if (out.includes("221")) { s.destroy(); resolve(out); }
      });
      s.on("error", reject);
    });
    expect(replies).toMatch(/\r\n550 5\.7\.1 relaying not permitted/);
  });

  it("refuses to start on a policy that does not load or lacks the spools", () => {
    const kumod = path.join(__dirname, "..", "fixtures", "kumod", "main.ts");
    const tsx = path.join(__dirname, "..", "..", "node_modules", "tsx", "dist", "cjs", "index.cjs");
    const dir = fs.mkdtempSync("/tmp/kumod-policy-");
    fs.chmodSync(dir, 0o755); // kumod reads the policy as --user kumod (it drops privileges first)
    try {
      fs.writeFileSync(path.join(dir, "broken.lua"), "local kumo = require 'kumo'\nkumo.on('init', function() kumo.start_esmtp_listener { listen = '127.0.0.1:2999' } error('boom from policy') end)\n");
      fs.writeFileSync(path.join(dir, "nospool.lua"), "local kumo = require 'kumo'\nkumo.on('init', function() kumo.start_esmtp_listener { listen = '127.0.0.1:2999' } end)\n");
      const broken = spawnSync(process.execPath, ["--require", tsx, kumod, "--policy", path.join(dir, "broken.lua"), "--user", "kumod"], { encoding: "utf8", timeout: 15_000 });
      expect(broken.status).not.toBe(0);
      expect(broken.stderr).toContain("boom from policy");
      const nospool = spawnSync(process.execPath, ["--require", tsx, kumod, "--policy", path.join(dir, "nospool.lua"), "--user", "kumod"], { encoding: "utf8", timeout: 15_000 });
      expect(nospool.status).not.toBe(0);
      expect(nospool.stderr).toContain("start_spool: No spools have been defined");
    } finally {
      fs.rmSync(dir, { recursive: true, force: true });
    }
  });
});
