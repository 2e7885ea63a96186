/**
 * The kumod stand-in must be no kinder than KumoMTA: each test pins one behaviour of the real kumod
 * and names the KumoMTA source file it follows, so a stand-in that forgives what kumod refuses
 * cannot come back unnoticed. The stand-in runs directly on loopback addresses (127.0.0.8x), as
 * root with --user kumod like the packaged service; every process is stopped even on failure.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as path from "node:path";
import * as tls from "node:tls";
import { afterEach, beforeAll, describe, expect, it } from "vitest";

const REPO = path.resolve(__dirname, "..", "..");
const KUMOD = path.join(REPO, "test", "fixtures", "kumod", "main.ts");
const TSX = path.join(REPO, "node_modules", "tsx", "dist", "cjs", "index.cjs");
const isRoot = typeof process.getuid === "function" && process.getuid() === 0;
const hasKumodUser = spawnSync("id", ["-u", "kumod"]).status === 0;
const canRun = isRoot && hasKumodUser && spawnSync("sh", ["-c", "command -v lua5.4 && command -v openssl"], { stdio: "ignore" }).status === 0;

interface Running { child: ChildProcess; out: () => string }
const running = new Set<ChildProcess>();
let dir = "";

function kumodUser(): { uid: number; gid: number } {
  const uid = Number(spawnSync("id", ["-u", "kumod"], { encoding: "utf8" }).stdout.trim());
  const gid = Number(spawnSync("id", ["-g", "kumod"], { encoding: "utf8" }).stdout.trim());
  return { uid, gid };
}

/** A policy file readable by kumod, with its spools in kumod-owned directories. */
function policy(name: string, body: string): string {
  const spool = path.join(dir, `${name}-spool`);
  fs.mkdirSync(spool, { recursive: true });
  const u = kumodUser();
  fs.chownSync(spool, u.uid, u.gid);
  const p = path.join(dir, `${name}.lua`);
  fs.writeFileSync(p, `local kumo = require 'kumo'\n${body.replaceAll("SPOOL", spool)}\n`, { mode: 0o644 });
  return p;
}

const SPOOLS = "kumo.define_spool { name = 'data', path = 'SPOOL/data' }\n  kumo.define_spool { name = 'meta', path = 'SPOOL/meta' }";

function sinkPolicy(ip: string): string {
  return policy(`sink-${ip}`, `kumo.on('init', function()
  ${SPOOLS}
  kumo.start_esmtp_listener { listen = '${ip}:2525', hostname = 'sink.kumolab.test', relay_hosts = { '0.0.0.0/0' } }
  kumo.start_http_listener { listen = '${ip}:8002', trusted_hosts = { '127.0.0.1' } }
end)
kumo.on('smtp_server_message_received', function(msg) msg:set_meta('queue', 'null') end)`);
}

/** A sender routing everything to `[sinkIp]` on 2525; `egress` and `queue` are extra Lua fields. */
function senderPolicy(ip: string, sinkIp: string, egress: string, queue = ""): string {
  return policy(`sender-${ip}`, `kumo.on('init', function()
  ${SPOOLS}
  kumo.start_esmtp_listener { listen = '${ip}:2525', relay_hosts = { '127.0.0.0/8' } }
  kumo.start_http_listener { listen = '${ip}:8000', trusted_hosts = { '127.0.0.1' } }
end)
kumo.on('smtp_server_message_received', function(msg) msg:set_meta('queue', '[${sinkIp}]') end)
kumo.on('get_queue_config', function(domain) return kumo.make_queue_config { ${queue} protocol = { smtp = { mx_list = { '[${sinkIp}]' } } } } end)
kumo.on('get_egress_path_config', function(r, s, site)
  -- loopback is a prohibited host by default: these tests allow it explicitly
  return kumo.make_egress_path { smtp_port = 2525, prohibited_hosts = {}, ${egress} }
end)`);
}

function start(args: string[], env: Record<string, string> = {}): Running {
  const child = spawn(process.execPath, ["--require", TSX, KUMOD, ...args], {
    env: { ...process.env, KUMOD_STANDIN_TRUTH: path.join(dir, `truth-${Math.random().toString(36).slice(2)}.json`), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  child.once("exit", () => running.delete(child));
  let out = "";
  child.stdout?.on("data", (d: Buffer) => { out += d.toString(); });
  child.stderr?.on("data", (d: Buffer) => { out += d.toString(); });
  return { child, out: () => out };
}

function runToExit(args: string[], env: Record<string, string> = {}): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, ["--require", TSX, KUMOD, ...args], { encoding: "utf8", timeout: 20_000, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The first reply line(s) of a fresh SMTP connection. */
function greeting(host: string, port: number): Promise<string> {
  return new Promise((resolve) => {
    const s = net.connect({ host, port });
    let buf = "";
    const done = (v: string) => { s.destroy(); resolve(v); };
    s.setTimeout(2000, () => done(buf));
    s.on("data", (d: Buffer) => { buf += d.toString(); if (buf.includes("\r\n")) done(buf); });
    s.on("error", () => done(""));
  });
}

async function until220(host: string, port: number, r: Running): Promise<void> {
  for (let i = 0; i < 150; i++) {
    if ((await greeting(host, port)).startsWith("220 ")) return;
    if (r.child.exitCode !== null) break;
    await sleep(100);
  }
  throw new Error(`kumod stand-in on ${host}:${port} never said 220:\n${r.out()}`);
}

async function metricsText(host: string, port: number, localAddress = "127.0.0.1"): Promise<{ status: number; body: string }> {
  return await new Promise((resolve, reject) => {
    const s = net.connect({ host, port, localAddress });
    let buf = "";
    s.setTimeout(3000, () => { s.destroy(); reject(new Error("metrics timeout")); });
    s.on("connect", () => s.write(`GET /metrics HTTP/1.0\r\nHost: ${host}\r\n\r\n`));
    s.on("data", (d: Buffer) => { buf += d.toString(); });
    s.on("end", () => {
      const status = Number(/^HTTP\/1\.\d (\d+)/.exec(buf)?.[1] ?? 0);
      resolve({ status, body: buf.slice(buf.indexOf("\r\n\r\n") + 4) });
    });
    s.on("error", reject);
  });
}

/** The value of one exact series (`name{labels}` as printed), or undefined when absent. */
function series(body: string, nameAndLabels: string): number | undefined {
  for (const line of body.split("\n")) {
    if (line.startsWith(`${nameAndLabels} `)) return Number(line.slice(nameAndLabels.length + 1));
  }
  return undefined;
}

async function waitSeries(host: string, port: number, nameAndLabels: string, ok: (v: number | undefined) => boolean, ms = 10_000): Promise<string> {
  const t0 = Date.now();
  let body = "";
  for (let i = 0; i < 200 && Date.now() - t0 < ms; i++) {
    body = (await metricsText(host, port)).body;
    if (ok(series(body, nameAndLabels))) return body;
    await sleep(100);
  }
  throw new Error(`${nameAndLabels} never satisfied the condition; last /metrics:\n${body}`);
}

/** Submit `n` messages with plain SMTP on one connection. */
async function submit(host: string, port: number, n: number): Promise<void> {
  const script = ["EHLO t"];
  for (let i = 0; i < n; i++) script.push("MAIL FROM:<a@example.com>", "RCPT TO:<b@example.org>", "DATA", `Subject: ${i}\r\n\r\nbody ${i}\r\n.`);
  script.push("QUIT");
  await new Promise<void>((resolve, reject) => {
    const s = net.connect({ host, port });
    let buf = "";
    s.setTimeout(10_000, () => { s.destroy(); reject(new Error(`submit timed out: ${buf}`)); });
    s.on("data", (d: Buffer) => { buf += d.toString(); });
    // PIPELINING is advertised, but DATA needs its 354 first: one line per reply
    let step = 0;
    const lines = script;
    const pump = () => {
      const replies = buf.split("\r\n").filter((l) => /^\d{3} /.test(l)).length;
      while (step < lines.length && replies > step) { s.write(`${lines[step]}\r\n`); step++; }
      if (buf.includes("221 ")) { s.end(); resolve(); }
    };
    s.on("data", pump);
    s.on("error", reject);
  });
}

describe.skipIf(!canRun)("kumod stand-in fidelity to KumoMTA", () => {
  beforeAll(() => {
    dir = fs.mkdtempSync("/tmp/kumod-fidelity-");
    fs.chmodSync(dir, 0o755);
    return () => fs.rmSync(dir, { recursive: true, force: true });
  });
  afterEach(async () => {
    for (const c of [...running]) c.kill("SIGKILL");
    for (let i = 0; i < 50 && running.size > 0; i++) await sleep(50);
  });

  it("STARTTLS on every listener with a self-signed certificate for the hostname; EHLO as kumod (crates/kumod/src/smtp_server.rs, kumo-server-common/src/tls_helpers.rs)", async () => {
    const r = start(["--policy", sinkPolicy("127.0.0.81"), "--user", "kumod"]);
    await until220("127.0.0.81", 2525, r);
    const transcript = await new Promise<{ before: string; cert: tls.PeerCertificate; after: string }>((resolve, reject) => {
      const s = net.connect({ host: "127.0.0.81", port: 2525 });
      let buf = "";
      s.setTimeout(5000, () => { s.destroy(); reject(new Error(buf)); });
      s.on("data", function onData(d: Buffer) {
        buf += d.toString();
        if (buf.endsWith("\r\n") && /^220 /m.test(buf) && !buf.includes("Aloha")) s.write("EHLO client.test\r\n");
        else if (/^250 STARTTLS\r\n/m.test(buf) && !buf.includes("Ready to Start TLS")) s.write("STARTTLS\r\n");
        else if (buf.includes("220 Ready to Start TLS\r\n")) {
          s.removeListener("data", onData);
          const t = tls.connect({ socket: s, rejectUnauthorized: false, servername: "sink.kumolab.test" }, () => {
            const cert = t.getPeerCertificate();
            let after = "";
            t.on("data", (x: Buffer) => { after += x.toString(); if (/^250 /m.test(after)) { t.destroy(); resolve({ before: buf, cert, after }); } });
            t.write("EHLO client.test\r\n");
          });
          t.on("error", reject);
        }
      });
      s.on("error", reject);
    });
    expect(transcript.before).toMatch(/^220 sink\.kumolab\.test KumoMTA\r\n/);
    expect(transcript.before).toContain("250-sink.kumolab.test Aloha client.test\r\n250-PIPELINING\r\n250-ENHANCEDSTATUSCODES\r\n250-8BITMIME\r\n250-SMTPUTF8\r\n250 STARTTLS\r\n");
    expect(transcript.cert.subjectaltname).toBe("DNS:sink.kumolab.test");
    expect(transcript.cert.issuer.CN).toBe(transcript.cert.subject.CN); // self-signed
    expect(transcript.after).not.toContain("STARTTLS"); // not offered once TLS is active
  });

  it("egress TLS defaults to Opportunistic: a self-signed sink certificate fails delivery, no clear-text fallback (crates/kumo-api-types/src/egress_path.rs, crates/kumod/src/smtp_dispatcher.rs)", async () => {
    const sink = start(["--policy", sinkPolicy("127.0.0.82"), "--user", "kumod"]);
    const sender = start(["--policy", senderPolicy("127.0.0.83", "127.0.0.82", ""), "--user", "kumod"]);
    await until220("127.0.0.82", 2525, sink);
    await until220("127.0.0.83", 2525, sender);
    await submit("127.0.0.83", 2525, 3);
    const body = await waitSeries("127.0.0.83", 8000, 'total_messages_transfail{service="smtp_client"}', (v) => (v ?? 0) >= 3);
    expect(series(body, 'total_messages_delivered{service="smtp_client"}')).toBe(0);
    expect(series(body, 'scheduled_count{queue="[127.0.0.82]"}')).toBe(3); // waiting retry_interval (20 min)
    const sinkBody = (await metricsText("127.0.0.82", 8002)).body;
    expect(series(sinkBody, 'total_messages_received{service="esmtp_listener"}') ?? 0).toBe(0);
  });

  it("OpportunisticInsecure and Disabled deliver to a self-signed sink (crates/kumod/src/smtp_dispatcher.rs)", async () => {
    const sink = start(["--policy", sinkPolicy("127.0.0.84"), "--user", "kumod"]);
    await until220("127.0.0.84", 2525, sink);
    for (const [ip, mode] of [["127.0.0.85", "OpportunisticInsecure"], ["127.0.0.86", "Disabled"]] as const) {
      const sender = start(["--policy", senderPolicy(ip, "127.0.0.84", `enable_tls = '${mode}'`), "--user", "kumod"]);
      await until220(ip, 2525, sender);
      await submit(ip, 2525, 2);
      const body = await waitSeries(ip, 8000, 'total_messages_delivered{service="smtp_client"}', (v) => v === 2);
      expect(series(body, 'total_messages_transfail{service="smtp_client"}')).toBe(0);
    }
    const sinkBody = await waitSeries("127.0.0.84", 8002, 'total_messages_received{service="esmtp_listener"}', (v) => v === 4);
    // the null queue moves no delivery counters (smtp_server.rs: queue "null" is black-holed)
    expect(sinkBody).not.toMatch(/^total_messages_delivered/m);
  });

  it("metrics as kumod exports them: total and per-listener/per-ready-queue series, kumo-prometheus text shape, 401 for untrusted hosts (delivery_metrics.rs, smtp_server.rs, kumo-prometheus/src/registry.rs, http_server/auth.rs)", async () => {
    const sink = start(["--policy", sinkPolicy("127.0.0.87"), "--user", "kumod"]);
    const sender = start(["--policy", senderPolicy("127.0.0.88", "127.0.0.87", "enable_tls = 'OpportunisticInsecure'"), "--user", "kumod"]);
    await until220("127.0.0.87", 2525, sink);
    await until220("127.0.0.88", 2525, sender);
    await submit("127.0.0.88", 2525, 2);
    const body = await waitSeries("127.0.0.88", 8000, 'total_messages_delivered{service="smtp_client"}', (v) => v === 2);
    const rq = "smtp_client:unspecified->mx_list:[127.0.0.87]@smtp_client";
    expect(series(body, 'total_messages_received{service="esmtp_listener"}')).toBe(2);
    expect(series(body, 'total_messages_received{service="esmtp_listener:127.0.0.88:2525"}')).toBe(2);
    expect(series(body, `total_messages_delivered{service="${rq}"}`)).toBe(2);
    expect(series(body, `total_messages_transfail{service="${rq}"}`)).toBe(0);
    expect(series(body, `total_messages_fail{service="${rq}"}`)).toBe(0);
    expect(series(body, 'ready_count{service="smtp_client"}')).toBe(0);
    expect(series(body, `ready_count{service="${rq}"}`)).toBe(0);
    expect(series(body, 'scheduled_count{queue="[127.0.0.87]"}')).toBe(0);
    expect(series(body, 'total_connections_denied{service="esmtp_listener"}')).toBe(0);
    expect(body).toMatch(/^connection_count\{service="esmtp_listener"\} \d+$/m);
    expect(body).toContain("# HELP total_messages_transfail total number of message delivery attempts that transiently failed\n# TYPE total_messages_transfail counter\n");
    expect(body).not.toContain("transient_fail");
    expect(body).not.toContain("0.0.0.0");
    expect(body).not.toMatch(/^delayed_due_to_ready_queue_full/m); // absent until it first happens
    // kumo-server-memory/src/lib.rs: the memory gauges from start-up (soft limit 3/4 of MemTotal), the
    // over-limit and low-memory counters absent until their first transition.
    const memTotal = Number(/^MemTotal:\s+(\d+) kB/m.exec(fs.readFileSync("/proc/meminfo", "utf8"))?.[1]) * 1024;
    expect(series(body, "memory_limit")).toBe(Math.floor((memTotal * 3) / 4));
    expect(body).toMatch(/^memory_usage \d+$/m);
    expect(body).not.toMatch(/^memory_over_limit_count/m);
    expect(body).not.toMatch(/^memory_low_count/m);
    // spool/src/rocks.rs: gauges only for RocksDB spools (these are LocalDisk, define_spool's default),
    // and release 2026.06.23 has no stall/load-shedding gauges at all.
    expect(body).not.toMatch(/^rocks_spool_/m);
    const sinkBody = (await metricsText("127.0.0.87", 8002)).body;
    expect(series(sinkBody, 'total_messages_received{service="esmtp_listener:127.0.0.87:2525"}')).toBe(2);
    const untrusted = await metricsText("127.0.0.88", 8000, "127.0.0.9");
    expect(untrusted.status).toBe(401);
  });

  it("max_ready: a message finding the ready queue full is delayed and counted in delayed_due_to_ready_queue_full (crates/kumod/src/queue/queue.rs, queue/metrics.rs)", async () => {
    // A destination that accepts and never greets keeps the one dispatcher busy (banner timeout 60 s).
    const silent = net.createServer(() => undefined);
    await new Promise<void>((r) => silent.listen(2525, "127.0.0.89", r));
    try {
      const sender = start(["--policy", senderPolicy("127.0.0.90", "127.0.0.89", "max_ready = 1, connection_limit = 1"), "--user", "kumod"]);
      await until220("127.0.0.90", 2525, sender);
      await submit("127.0.0.90", 2525, 4);
      const body = await waitSeries("127.0.0.90", 8000, 'delayed_due_to_ready_queue_full{queue="[127.0.0.89]"}', (v) => (v ?? 0) >= 2);
      expect(series(body, 'ready_full{service="smtp_client:unspecified->mx_list:[127.0.0.89]@smtp_client"}')).toBeGreaterThanOrEqual(2);
      expect(series(body, 'ready_count{service="smtp_client"}')).toBe(1);
      expect(series(body, 'scheduled_count{queue="[127.0.0.89]"}')).toBeGreaterThanOrEqual(2);
    } finally {
      silent.close();
    }
  });

  it("retry_interval: a transient failure waits retry_interval (policy's, else 20 min) before the next attempt (crates/kumod/src/queue/config.rs, queue/queue.rs)", async () => {
    const fast = start(["--policy", senderPolicy("127.0.0.92", "127.0.0.91", "enable_tls = 'Disabled'", "retry_interval = '2s',"), "--user", "kumod"]);
    const slow = start(["--policy", senderPolicy("127.0.0.93", "127.0.0.91", "enable_tls = 'Disabled'"), "--user", "kumod"]);
    await until220("127.0.0.92", 2525, fast);
    await until220("127.0.0.93", 2525, slow);
    // the sink is not up yet: connection refused → transient failure
    await submit("127.0.0.92", 2525, 1);
    await submit("127.0.0.93", 2525, 1);
    await waitSeries("127.0.0.92", 8000, 'total_messages_transfail{service="smtp_client"}', (v) => v === 1);
    await waitSeries("127.0.0.93", 8000, 'total_messages_transfail{service="smtp_client"}', (v) => v === 1);
    const sink = start(["--policy", sinkPolicy("127.0.0.91"), "--user", "kumod"]);
    await until220("127.0.0.91", 2525, sink);
    await waitSeries("127.0.0.92", 8000, 'total_messages_delivered{service="smtp_client"}', (v) => v === 1, 8000);
    await sleep(1000);
    const slowBody = (await metricsText("127.0.0.93", 8000)).body;
    expect(series(slowBody, 'total_messages_delivered{service="smtp_client"}')).toBe(0);
    expect(series(slowBody, 'scheduled_count{queue="[127.0.0.91]"}')).toBe(1);
  });

  it("unknown keys and spool kinds are refused at start with kumod's error shape (crates/config/src/lib.rs from_lua_value; smtp_server.rs, spool.rs, egress_path.rs)", () => {
    const listener = policy("bad-listener", `kumo.on('init', function()
  ${SPOOLS}
  kumo.start_esmtp_listener { listen = '127.0.0.94:2525', relay_host = { '127.0.0.1' } }
end)`);
    const r1 = runToExit(["--policy", listener, "--user", "kumod"]);
    expect(r1.code).toBe(1);
    expect(r1.stderr).toMatch(/^Error: Initialization raised an error: call init callback: unknown field `relay_host`, while processing \{/m);
    const spool = policy("bad-spool", `kumo.on('init', function()
  kumo.define_spool { name = 'data', path = 'SPOOL/data', kind = 'Memory' }
end)`);
    const r2 = runToExit(["--policy", spool, "--user", "kumod"]);
    expect(r2.code).toBe(1);
    expect(r2.stderr).toContain("unknown variant `Memory`, expected `LocalDisk` or `RocksDB`");
    const spoolKey = policy("bad-spool-key", `kumo.on('init', function()
  kumo.define_spool { name = 'data', path = 'SPOOL/data', flsh = true }
end)`);
    expect(runToExit(["--policy", spoolKey, "--user", "kumod"]).stderr).toContain("unknown field `flsh`, expected one of `name`, `path`, `kind`, `flush`, `rocks_params`, `min_free_space`, `min_free_inodes`");
    const egress = senderPolicy("127.0.0.95", "127.0.0.96", "enable_tls = 'Disabled', max_readdy = 5");
    const r3 = runToExit(["--policy", egress, "--user", "kumod"]);
    expect(r3.code).toBe(1);
    expect(r3.stderr).toContain("unknown field `max_readdy`, while processing");
  });

  it("start-up as kumod: root needs --user, privileges drop before the policy is read, --version tag form, bind failure (crates/kumod/src/main.rs, crates/version-info/build.rs)", async () => {
    const p = sinkPolicy("127.0.0.97");
    const noUser = runToExit(["--policy", p]);
    expect(noUser.code).toBe(1);
    expect(noUser.stderr).toBe("Error: drop_privs\n\nCaused by:\n    When running as root, you must set --user to the user to run as\n");
    expect(runToExit(["--version"]).stdout).toMatch(/^kumod \d{4}\.\d{2}\.\d{2}-[0-9a-f]{8}\n$/);
    // a policy only root can read: kumod, already the kumod user, cannot load it
    const secret = path.join(dir, "root-only.lua");
    fs.copyFileSync(p, secret);
    fs.chmodSync(secret, 0o600);
    const r = runToExit(["--policy", secret, "--user", "kumod"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/Error: Initialization raised an error: .*(Permission denied|cannot open)/);
    // a listener that cannot bind ends init
    const blocker = net.createServer();
    await new Promise<void>((res) => blocker.listen(2525, "127.0.0.97", res));
    try {
      const b = runToExit(["--policy", p, "--user", "kumod"]);
      expect(b.code).toBe(1);
      expect(b.stderr).toContain("Error: Initialization raised an error: call init callback: failed to bind to 127.0.0.97:2525");
    } finally {
      blocker.close();
    }
  });

  it("421 waiting for spool startup before 220 (crates/kumod/src/smtp_server.rs)", async () => {
    const r = start(["--policy", sinkPolicy("127.0.0.98"), "--user", "kumod"], { KUMOD_STANDIN_SPOOL_START_MS: "4000" });
    let first = "";
    for (let i = 0; i < 60 && !first; i++) { first = await greeting("127.0.0.98", 2525); if (!first) await sleep(100); }
    expect(first).toBe("421 4.3.2 sink.kumolab.test waiting for spool startup. Try again soon!\r\n");
    await until220("127.0.0.98", 2525, r);
  });

  it("KUMOD_LOG replaces the default filter: kumod=info drops the policy error kumod logs under kumo_server_common (crates/kumod/src/main.rs default_filter, kumo-server-common/src/start.rs)", () => {
    const bad = policy("log-bad", `kumo.on('init', function()
  ${SPOOLS}
  kumo.start_http_listener { listen = '127.0.0.99:8000', trusted_host = {} }
end)`);
    const env = { ...process.env };
    delete env.KUMOD_LOG;
    const unset = spawnSync(process.execPath, ["--require", TSX, KUMOD, "--policy", bad, "--user", "kumod"], { encoding: "utf8", timeout: 20_000, env });
    expect(unset.stderr).toMatch(/ERROR kumo_server_common::start: problem initializing: call init callback: unknown field `trusted_host`/);
    const narrowed = runToExit(["--policy", bad, "--user", "kumod"], { KUMOD_LOG: "kumod=info" });
    expect(narrowed.stderr).not.toContain("problem initializing");
    expect(narrowed.stderr).toContain("Error: Initialization raised an error: call init callback: unknown field `trusted_host`, expected one of");
    expect(narrowed.code).toBe(1);
  });
  it("message_save_latency: absent until the first save, one save per relayed message written to the data and meta spools, removed once delivered; none for the null queue (crates/message/src/message.rs SAVE_HIST, crates/kumod/src/smtp_server.rs, crates/spool/src/local_disk.rs, smtp_dispatcher.rs remove_from_spool)", async () => {
    const sink = start(["--policy", sinkPolicy("127.0.0.180"), "--user", "kumod"]);
    // Delivers (and flushes each spool write: define_spool flush = true).
    const okPolicy = senderPolicy("127.0.0.181", "127.0.0.180", "enable_tls = 'OpportunisticInsecure'");
    fs.writeFileSync(okPolicy, fs.readFileSync(okPolicy, "utf8").replace(/(path = '[^']*\/(data|meta)')/g, "$1, flush = true"));
    const ok = start(["--policy", okPolicy, "--user", "kumod"]);
    // Default Opportunistic TLS to a self-signed sink: every attempt fails transiently, messages stay spooled.
    const stuck = start(["--policy", senderPolicy("127.0.0.182", "127.0.0.180", ""), "--user", "kumod"]);
    await until220("127.0.0.180", 2525, sink);
    await until220("127.0.0.181", 2525, ok);
    await until220("127.0.0.182", 2525, stuck);
    const before = (await metricsText("127.0.0.181", 8000)).body;
    expect(before).not.toContain("message_save_latency");

    await submit("127.0.0.181", 2525, 3);
    const body = await waitSeries("127.0.0.181", 8000, 'total_messages_delivered{service="smtp_client"}', (v) => v === 3);
    expect(body).toContain("# TYPE message_save_latency histogram\n");
    expect(series(body, "message_save_latency_count")).toBe(3);
    expect(series(body, 'message_save_latency_bucket{le="+Inf"}')).toBe(3);
    expect(series(body, "message_save_latency_sum")).toBeGreaterThan(0);
    // Delivered messages leave the spool: no file left under either spool's data/ (bounded wait: removal follows the 250).
    const files = (d: string): string[] => (fs.existsSync(d) ? fs.readdirSync(d, { recursive: true, withFileTypes: true }).filter((e) => e.isFile()).map((e) => path.join(e.parentPath, e.name)) : []);
    const okSpool = path.join(dir, "sender-127.0.0.181-spool");
    for (let i = 0; i < 50 && files(okSpool).length > 0; i++) await sleep(100);
    expect(files(okSpool)).toEqual([]);

    await submit("127.0.0.182", 2525, 2);
    const stuckBody = await waitSeries("127.0.0.182", 8000, 'total_messages_transfail{service="smtp_client"}', (v) => (v ?? 0) >= 2);
    expect(series(stuckBody, "message_save_latency_count")).toBe(2);
    // Really on disk, in local_disk.rs's layout: <spool>/data/aa/bb/cc/dd/<rest of the id>, message bytes in data, JSON in meta.
    const stuckSpool = path.join(dir, "sender-127.0.0.182-spool");
    const dataFiles = files(path.join(stuckSpool, "data", "data"));
    const metaFiles = files(path.join(stuckSpool, "meta", "data"));
    expect(dataFiles).toHaveLength(2);
    expect(metaFiles).toHaveLength(2);
    expect(dataFiles.map((f) => path.relative(path.join(stuckSpool, "data", "data"), f))[0]).toMatch(/^[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{2}\/[0-9a-f]{24}$/);
    expect(dataFiles.map((f) => fs.readFileSync(f, "latin1")).join("\n")).toContain("Subject: 0");
    expect(fs.readdirSync(path.join(stuckSpool, "data", "new"))).toEqual([]); // temporary files renamed away

    // The sink sends everything to the null queue: nothing saved, the histogram never appears.
    const sinkBody = await waitSeries("127.0.0.180", 8002, 'total_messages_received{service="esmtp_listener"}', (v) => v === 3);
    expect(sinkBody).not.toContain("message_save_latency");
  });
});
