/**
 * The stand-ins under the workloads' policies, rendered by the product (scripts/provision/policies.ts)
 * and run on loopback (127.0.0.16x) as root with --user kumod:
 *  - the sender signs DKIM for real: each message captured at a scripted sink verifies with
 *    mailauth (an independent verifier), the public key given by a resolver from the key file;
 *  - traffic-gen's --http injects through /api/inject/v1 (crates/kumod/src/http_server/inject_v1.rs);
 *  - local logs are written with the headers asked for (kumo.configure_local_logs);
 *  - a smart sink refuses shares with 4xx/5xx (examples/smart-sink-docker): the sender retries the
 *    deferrals and counts them, bounces end as permanent failures, and the queue drains.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { createPublicKey } from "node:crypto";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadLabConfig } from "../../lab-config/load";
import { workloadsSchema } from "../../lab-config/workloads";
import { generateDkimKey } from "../../scripts/provision/dkim-keys";
import { renderSenderPolicy, renderSinkPolicy } from "../../scripts/provision/policies";
import { dkimKeyPath } from "../../scripts/provision/workload-policy";
import { validityOf } from "../../scripts/trial/validity";
import { kumodTruthSchema } from "../fixtures/standin-truth";

// mailauth is CommonJS without types: one function, typed here by what the test uses.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const { dkimVerify } = require("mailauth/lib/dkim/verify") as {
  dkimVerify: (input: Buffer, o: { resolver: (name: string, type: string) => Promise<string[][]> }) => Promise<{ results: Array<{ status: { result: string; comment?: string }; signingDomain: string; selector: string; algo: string }> }>;
};

const REPO = path.resolve(__dirname, "..", "..");
const KUMOD = path.join(REPO, "test", "fixtures", "kumod", "main.ts");
const TRAFFIC_GEN = path.join(REPO, "test", "fixtures", "traffic-gen", "main.ts");
const TSX = path.join(REPO, "node_modules", "tsx", "dist", "cjs", "index.cjs");
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const canRun = isRoot && spawnSync("id", ["-u", "kumod"]).status === 0 && spawnSync("sh", ["-c", "command -v lua5.4"], { stdio: "ignore" }).status === 0;
const kumodIds = (): { uid: number; gid: number } => ({
  uid: Number(spawnSync("id", ["-u", "kumod"], { encoding: "utf8" }).stdout.trim()),
  gid: Number(spawnSync("id", ["-g", "kumod"], { encoding: "utf8" }).stdout.trim()),
});

const cfg = loadLabConfig().config;
const running = new Set<ChildProcess>();
let dir = "";
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function kumodDir(name: string): string {
  const d = path.join(dir, name);
  fs.mkdirSync(d, { recursive: true });
  const u = kumodIds();
  fs.chownSync(d, u.uid, u.gid);
  return d;
}

/** The product's sender policy on loopback: listeners on `ip`, the sink at `sinkIp` (loopback allowed). */
function senderPolicyFile(name: string, ip: string, sinkIp: string, sender: Parameters<typeof renderSenderPolicy>[3]): string {
  const lua = renderSenderPolicy({ sinkPort: 2525, sinkAddress: sinkIp, senderAddress: ip }, { ...cfg.kumomta, egressTls: "disabled", retryIntervalSeconds: 1, maxRetryIntervalSeconds: 2 }, undefined, sender)
    .replaceAll("127.0.0.1:2025", `${ip}:2025`)
    .replaceAll("127.0.0.1:8000", `${ip}:8000`)
    .replace("relay_hosts = { '127.0.0.1', '::1' }", "relay_hosts = { '127.0.0.0/8' }")
    .replace("trusted_hosts = { '127.0.0.1', '::1' }", "trusted_hosts = { '127.0.0.0/8' }")
    // loopback is a prohibited host by default (egress_path.rs); these tests deliver to it
    .replace("return kumo.make_egress_path(egress_path_for(routing_domain))", "local params = {}\n  for k, v in pairs(egress_path_for(routing_domain)) do params[k] = v end\n  params.prohibited_hosts = {}\n  return kumo.make_egress_path(params)");
  if (!lua.includes("params.prohibited_hosts = {}")) throw new Error("the sender template changed: loopback would stay prohibited");
  const p = path.join(dir, `${name}.lua`);
  fs.writeFileSync(p, lua, { mode: 0o644 });
  return p;
}

function start(file: string, args: string[], env: Record<string, string> = {}): { child: ChildProcess; out: () => string } {
  const child = spawn(process.execPath, ["--require", TSX, file, ...args], { env: { ...process.env, ...env }, stdio: ["ignore", "pipe", "pipe"] });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let out = "";
  child.stdout?.on("data", (d: Buffer) => { out += d.toString(); });
  child.stderr?.on("data", (d: Buffer) => { out += d.toString(); });
  return { child, out: () => out };
}

async function exited(c: ChildProcess, ms: number): Promise<void> {
  for (let i = 0; i < ms / 50 && c.exitCode === null; i++) await sleep(50);
  if (c.exitCode === null) throw new Error("process did not exit in time");
}

async function until220(host: string, port: number, out: () => string): Promise<void> {
  for (let i = 0; i < 150; i++) {
    const g = await new Promise<string>((resolve) => {
      const s = net.connect({ host, port });
      let buf = "";
      s.setTimeout(1000, () => { s.destroy(); resolve(buf); });
      s.on("data", (d: Buffer) => { buf += d.toString(); if (buf.includes("\r\n")) { s.destroy(); resolve(buf); } });
      s.on("error", () => resolve(""));
    });
    if (g.startsWith("220 ")) return;
    await sleep(100);
  }
  throw new Error(`no 220 from ${host}:${port}:\n${out()}`);
}

async function metric(host: string, series: string): Promise<number> {
  const body = await fetch(`http://${host}:8000/metrics`).then((r) => r.text());
  const line = body.split("\n").find((l) => l.startsWith(`${series} `));
  return line === undefined ? 0 : Number(line.slice(series.length + 1));
}

/** A scripted sink capturing every message's data (dot-unstuffed). */
function captureSink(ip: string): Promise<{ server: net.Server; messages: Buffer[] }> {
  const messages: Buffer[] = [];
  const server = net.createServer((s) => {
    let buf = Buffer.alloc(0);
    let inData = false;
    s.write("220 capture ESMTP\r\n");
    s.on("data", (d: Buffer) => {
      buf = Buffer.concat([buf, d]);
      for (let guard = 0; guard < 10_000; guard++) {
        if (inData) {
          const end = buf.indexOf("\r\n.\r\n");
          if (end < 0) return;
          messages.push(Buffer.from(buf.subarray(0, end + 2).toString("latin1").replace(/\r\n\.\./g, "\r\n."), "latin1"));
          buf = buf.subarray(end + 5);
          inData = false;
          s.write("250 ok\r\n");
          continue;
        }
        const nl = buf.indexOf("\r\n");
        if (nl < 0) return;
        const line = buf.subarray(0, nl).toString();
        buf = buf.subarray(nl + 2);
        const verb = line.slice(0, 4).toUpperCase();
        if (verb === "EHLO") s.write("250-capture\r\n250 PIPELINING\r\n");
        else if (verb === "DATA") { inData = true; s.write("354 go\r\n"); }
        else if (verb === "QUIT") { s.end("221 bye\r\n"); return; }
        else s.write("250 ok\r\n");
      }
    });
    s.on("error", () => undefined);
  });
  return new Promise((resolve) => server.listen(2525, ip, () => resolve({ server, messages })));
}

describe.skipIf(!canRun)("workloads through the stand-ins", () => {
  const servers: net.Server[] = [];
  beforeAll(() => {
    dir = fs.mkdtempSync("/tmp/kumolab-workloads-");
    fs.chmodSync(dir, 0o755);
  });
  afterAll(async () => {
    for (const c of [...running]) c.kill("SIGKILL");
    for (let i = 0; i < 50 && running.size > 0; i++) await sleep(50);
    for (const s of servers) s.close();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  it("the sender signs DKIM (RSA, two signing domains) over SMTP and HTTP injection; mailauth verifies every signature; local logs carry the headers asked for", async () => {
    const sink = await captureSink("127.0.0.162");
    servers.push(sink.server);
    const dkim = { algorithm: "rsa2048" as const, domains: ["one.example.com", "two.example.com"], selector: "lab1" };
    const keyDir = kumodDir("dkim");
    const publicKeys = new Map<string, string>();
    const u = kumodIds();
    for (const d of dkim.domains) {
      const pem = generateDkimKey("rsa2048");
      const p = dkimKeyPath(d, dkim.selector, dkim.algorithm, keyDir);
      fs.writeFileSync(p, pem, { mode: 0o600 });
      fs.chownSync(p, u.uid, u.gid);
      publicKeys.set(`${dkim.selector}._domainkey.${d}`, createPublicKey(pem).export({ type: "spki", format: "der" }).toString("base64"));
    }
    const logDir = path.join(kumodDir("logs"), "local");
    const policy = senderPolicyFile("dkim", "127.0.0.161", "127.0.0.162", {
      workload: { dkim, spool: { kind: "LocalDisk", flush: false }, logging: "local-headers" },
      dkimKeyDir: keyDir, spoolDir: kumodDir("spool-dkim"), logDir,
    });
    const k = start(KUMOD, ["--policy", policy, "--user", "kumod"], { KUMOD_STANDIN_TRUTH: path.join(kumodDir("truth"), "truth-dkim.json") });
    await until220("127.0.0.161", 2025, k.out);

    const smtp = start(TRAFFIC_GEN, ["--target", "127.0.0.161:2025", "--message-count", "3", "--concurrency", "1", "--body-size", "2000", "--domain-suffix", ""]);
    await exited(smtp.child, 20_000);
    expect(smtp.out()).toContain("sent 3 messages, failed 0");
    const viaHttp = start(TRAFFIC_GEN, ["--http", "--http-batch-size", "2", "--target", "http://127.0.0.161:8000", "--message-count", "4", "--concurrency", "1", "--body-size", "1500", "--domain-suffix", ""]);
    await exited(viaHttp.child, 20_000);
    expect(viaHttp.out()).toContain("sent 4 messages, failed 0");
    // kumod counts HTTP injections under http_listener, SMTP ones under esmtp_listener (inject_v1.rs, smtp_server.rs)
    expect(await metric("127.0.0.161", 'total_messages_received{service="http_listener"}')).toBe(4);
    expect(await metric("127.0.0.161", 'total_messages_received{service="esmtp_listener"}')).toBe(3);

    for (let i = 0; i < 100 && sink.messages.length < 7; i++) await sleep(100);
    expect(sink.messages).toHaveLength(7);
    const resolver = async (name: string, type: string): Promise<string[][]> => {
      const p = publicKeys.get(name);
      if (type !== "TXT" || p === undefined) throw Object.assign(new Error(`no ${type} for ${name}`), { code: "ENOTFOUND" });
      return [[`v=DKIM1; k=rsa; p=${p}`]];
    };
    const domains = new Set<string>();
    for (const m of sink.messages) {
      const r = await dkimVerify(m, { resolver });
      expect(r.results).toHaveLength(1);
      expect(r.results[0]?.status.result, r.results[0]?.status.comment).toBe("pass");
      expect(r.results[0]?.algo).toBe("rsa-sha256");
      domains.add(r.results[0]?.signingDomain ?? "");
    }
    expect([...domains].every((d) => dkim.domains.includes(d))).toBe(true);
    // A tampered signed header fails, a tampered body is not a pass: the verifier is really checking.
    const first = sink.messages[0]!.toString("latin1");
    expect((await dkimVerify(Buffer.from(first.replace("\r\nSubject: test", "\r\nSubject: Test"), "latin1"), { resolver })).results[0]?.status.result).toBe("fail");
    expect((await dkimVerify(Buffer.from(first.replace(/\r\n\r\n(.)/, "\r\n\r\nX"), "latin1"), { resolver })).results[0]?.status.result).not.toBe("pass");

    const records = fs.readdirSync(logDir).flatMap((f) => fs.readFileSync(path.join(logDir, f), "utf8").trim().split("\n")).map((l) => JSON.parse(l) as { type: string; headers: Record<string, string> });
    expect(records.filter((r) => r.type === "Reception")).toHaveLength(7);
    expect(records.filter((r) => r.type === "Delivery")).toHaveLength(7);
    expect(records[0]?.headers["Subject"]).toMatch(/^test /);
    expect(Object.keys(records[0]?.headers ?? {}).sort()).toEqual(["From", "Message-Id", "Subject", "To"]);
  }, 60_000);

  it("a smart sink defers and bounces shares per domain: the sender retries and counts deferrals, bounces end as permanent failures, the queue drains and validity does not call it undrained", async () => {
    const w = workloadsSchema.parse({ baseline: "s", list: [{ name: "s", sink: { kind: "smart", default: { deferPct: 0, bouncePct: 0 }, domains: { "bounce.test": { bouncePct: 100 }, "defer.test": { deferPct: 50 } } } }] }).list[0]!;
    const sinkSpool = kumodDir("spool-sink");
    const sinkLua = renderSinkPolicy({ sinkPort: 2525, sinkAddress: "127.0.0.164", senderAddress: "127.0.0.163" }, undefined, w.sink)
      .replaceAll("0.0.0.0:", "127.0.0.164:")
      .replaceAll("/var/spool/kumomta", sinkSpool)
      .replace("listen = '127.0.0.1:8002'", "listen = '127.0.0.164:8000'")
      .replace("trusted_hosts = { '127.0.0.1', '::1' }", "trusted_hosts = { '127.0.0.0/8' }");
    const sinkFile = path.join(dir, "smart-sink.lua");
    fs.writeFileSync(sinkFile, sinkLua, { mode: 0o644 });
    const sinkTruth = path.join(kumodDir("truth"), "truth-sink.json");
    const s = start(KUMOD, ["--policy", sinkFile, "--user", "kumod"], { KUMOD_STANDIN_TRUTH: sinkTruth });
    await until220("127.0.0.164", 2525, s.out);
    const senderFile = senderPolicyFile("smart-sender", "127.0.0.163", "127.0.0.164", { spoolDir: kumodDir("spool-smart") });
    const k = start(KUMOD, ["--policy", senderFile, "--user", "kumod"], { KUMOD_STANDIN_TRUTH: path.join(kumodDir("truth"), "truth-smart.json") });
    await until220("127.0.0.163", 2025, k.out);

    const N = 30;
    const tg = start(TRAFFIC_GEN, ["--target", "127.0.0.163:2025", "--message-count", String(N), "--concurrency", "2", "--body-size", "500", "--domain", "bounce.test:1", "--domain", "defer.test:2", "--domain-suffix", ""]);
    await exited(tg.child, 20_000);
    expect(tg.out()).toContain(`sent ${N} messages, failed 0`);
    // Bounded wait: every message delivered or bounced (deferrals retried after 1 s, 2 s, 2 s …).
    const t0 = Date.now();
    let delivered = 0;
    let bounced = 0;
    for (let i = 0; i < 300 && Date.now() - t0 < 30_000; i++) {
      delivered = await metric("127.0.0.163", 'total_messages_delivered{service="smtp_client"}');
      bounced = await metric("127.0.0.163", 'total_messages_fail{service="smtp_client"}');
      if (delivered + bounced === N) break;
      await sleep(100);
    }
    const deferred = await metric("127.0.0.163", 'total_messages_transfail{service="smtp_client"}');
    expect(delivered + bounced).toBe(N);
    await sleep(400); // the sink's truth is flushed at most every 200 ms
    const truth = kumodTruthSchema.parse(JSON.parse(fs.readFileSync(sinkTruth, "utf8")));
    // Counted from the sink's own ground truth, not the sender's figures.
    expect(truth.refused5xx).toBe(bounced);
    expect(truth.refused4xx).toBe(deferred);
    expect(truth.received).toBe(delivered);
    expect(bounced).toBeGreaterThan(0);
    expect(deferred).toBeGreaterThan(0);

    const v = validityOf({
      status: "ok", port25Proof: {}, messageCount: N, durationCapSeconds: 60,
      trafficGen: undefined,
      senderCounters: { received: N, delivered, transientFailures: deferred, permanentFailures: bounced, delayedReadyQueueFull: 0, connectionsDenied: 0 },
      drain: { queueDrained: true, waitSeconds: 3, senderDelivered: delivered },
      sinkBehaviour: "smart",
    });
    expect(v).toEqual({ valid: true, reasons: [] });
    const discardSink = validityOf({
      status: "ok", port25Proof: {}, messageCount: N, durationCapSeconds: 60,
      senderCounters: { received: N, delivered, transientFailures: deferred, permanentFailures: bounced, delayedReadyQueueFull: 0, connectionsDenied: 0 },
      drain: { queueDrained: true, waitSeconds: 3, senderDelivered: delivered },
      sinkBehaviour: "discard",
    });
    expect(discardSink.reasons.map((r) => r.code)).toEqual(["delivery-failures"]);
  }, 60_000);
});
