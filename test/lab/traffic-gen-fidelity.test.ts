/**
 * The traffic-gen stand-in behaves as the real traffic-gen where the product can see it. Each test
 * names the behaviour and the KumoMTA source it follows (crates/traffic-gen/src/main.rs unless
 * said otherwise), and drives the bundled stand-in against a small SMTP server on loopback that
 * the test scripts (a 421 banner, a dropped connection, a held reply…).
 *
 * Network: loopback only. Every wait is bounded; every child is killed in afterEach.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as tls from "node:tls";
import { buildSync } from "esbuild";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { humanSizeDecimal, rates } from "../fixtures/traffic-gen/format";
import { parseTrafficGenOutput } from "../../scripts/trial/traffic-gen-output";

const ENTRY = path.resolve(__dirname, "..", "fixtures", "traffic-gen", "main.ts");
let dir: string;
let bundle: string;
const children = new Set<ChildProcess>();
const servers = new Set<net.Server>();

beforeAll(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), "tg-fidelity-"));
  bundle = path.join(dir, "traffic-gen.cjs");
  // the same esbuild options as test/lab/standin-bundles.ts, for this entry only
  buildSync({ entryPoints: [ENTRY], bundle: true, platform: "node", format: "cjs", target: "node20", outfile: bundle, logLevel: "silent" });
});
afterEach(async () => {
  for (const c of children) c.kill("SIGKILL");
  children.clear();
  await Promise.all([...servers].map((s) => new Promise<void>((r) => { s.close(() => r()); })));
  servers.clear();
});
afterAll(() => { fs.rmSync(dir, { recursive: true, force: true }); });

// ---------- the stand-in, run bounded ----------

interface Run { code: number | null; stdout: string; stderr: string; ms: number; stdoutAt: { t: number; text: string }[] }

function runTrafficGen(args: string[], timeoutMs = 15_000, onStdout?: (text: string) => void): Promise<Run> {
  return new Promise((resolve) => {
    const t0 = Date.now();
    const child = spawn(process.execPath, [bundle, ...args], {
      env: { ...process.env, TRAFFIC_GEN_STANDIN_TRUTH: path.join(dir, `truth-${Date.now()}-${Math.random()}.json`) },
      stdio: ["ignore", "pipe", "pipe"],
    });
    children.add(child);
    let stdout = "";
    let stderr = "";
    const stdoutAt: { t: number; text: string }[] = [];
    child.stdout?.on("data", (d: Buffer) => { stdout += d.toString(); stdoutAt.push({ t: Date.now() - t0, text: d.toString() }); onStdout?.(stdout); });
    child.stderr?.on("data", (d: Buffer) => { stderr += d.toString(); });
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("close", (code) => {
      clearTimeout(timer);
      children.delete(child);
      resolve({ code, stdout, stderr, ms: Date.now() - t0, stdoutAt });
    });
  });
}

/** stderr without the "Generated body of size …" line main prints first. */
function errorsOf(stderr: string): string {
  return stderr.replace(/^Generated body of size [^\n]*\n/, "");
}

// ---------- a scriptable SMTP server on loopback ----------

interface Conn { index: number; socket: net.Socket | tls.TLSSocket; commands: string[]; tls: boolean }
type Action = { reply?: string; close?: boolean; delayMs?: number; hold?: Promise<void> } | undefined;
interface ServerScript {
  /** The greeting; undefined = "220 mx.test ESMTP". */
  banner?: (c: Conn) => Action;
  /** Any command; undefined = the default reply. */
  command?: (c: Conn, line: string) => Action;
  /** End of DATA; undefined = 250. */
  dot?: (c: Conn, body: Buffer) => Action;
  ehloExtensions?: string[];
  tlsCert?: { key: string; cert: string };
}
interface TestServer { port: number; conns: Conn[]; messages: { at: number; body: Buffer }[]; t0: number }

async function startServer(script: ServerScript = {}): Promise<TestServer> {
  const state: TestServer = { port: 0, conns: [], messages: [], t0: Date.now() };
  const server = net.createServer((socket) => {
    const conn: Conn = { index: state.conns.length, socket, commands: [], tls: false };
    state.conns.push(conn);
    socket.on("error", () => undefined);
    let buf = Buffer.alloc(0);
    let inData = false;
    let busy = Promise.resolve();
    const act = async (a: Action, fallback: string): Promise<void> => {
      if (a?.hold) await a.hold;
      if (a?.delayMs) await new Promise((r) => setTimeout(r, a.delayMs));
      const reply = a?.reply ?? fallback;
      if (reply !== "" && !conn.socket.destroyed) conn.socket.write(`${reply}\r\n`);
      if (a?.close) conn.socket.destroy();
    };
    const onData = (d: Buffer): void => {
      buf = Buffer.concat([buf, d]);
      for (let guard = 0; guard < 10_000; guard++) {
        if (inData) {
          // an empty body is a lone ".\r\n" (RFC 2920 3.1's dummy dot)
          const empty = buf.subarray(0, 3).toString() === ".\r\n";
          const end = empty ? 0 : buf.indexOf("\r\n.\r\n");
          if (end < 0) return;
          const body = empty ? Buffer.alloc(0) : buf.subarray(0, end + 2);
          buf = buf.subarray(empty ? 3 : end + 5);
          inData = false;
          if (!empty) state.messages.push({ at: Date.now() - state.t0, body });
          busy = busy.then(() => act(script.dot?.(conn, body), "250 2.0.0 ok"));
          continue;
        }
        const at = buf.indexOf("\r\n");
        if (at < 0) return;
        const line = buf.subarray(0, at).toString();
        buf = buf.subarray(at + 2);
        conn.commands.push(line);
        const verb = line.split(" ")[0]?.toUpperCase() ?? "";
        const a = script.command?.(conn, line);
        if (verb === "STARTTLS" && !a && script.tlsCert) {
          const cert = script.tlsCert;
          busy = busy.then(() => {
            conn.socket.write("220 2.0.0 Ready to Start TLS\r\n");
            conn.socket.removeListener("data", onData);
            const secure = new tls.TLSSocket(conn.socket as net.Socket, { isServer: true, key: cert.key, cert: cert.cert });
            secure.on("error", () => undefined);
            secure.on("data", onData);
            conn.socket = secure;
            conn.tls = true;
          });
          return;
        }
        // EHLO: the greeting first, then one keyword a line (the client skips the first line)
        const lines = ["mx.test", ...(script.ehloExtensions ?? ["PIPELINING", "8BITMIME"])];
        const ehlo = lines.map((l, i) => `250${i === lines.length - 1 ? " " : "-"}${l}`).join("\r\n");
        const fallback = verb === "EHLO" ? ehlo : verb === "DATA" ? "354 go ahead" : verb === "QUIT" ? "221 bye" : "250 ok";
        if (verb === "DATA" && (a?.reply ?? fallback).startsWith("354")) inData = true;
        busy = busy.then(() => act(verb === "QUIT" && !a ? { close: true } : a, fallback));
      }
    };
    socket.on("data", onData);
    busy = busy.then(() => act(script.banner?.(conn), "220 mx.test ESMTP"));
  });
  servers.add(server);
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", () => r()));
  state.port = (server.address() as net.AddressInfo).port;
  return state;
}

/** The common flags: a fixed domain (EHLO name and addresses predictable), small body. */
const base = (port: number, extra: string[]): string[] =>
  ["--target", `127.0.0.1:${port}`, "--domain", "example.test", "--domain-suffix", "", "--body-size", "200", ...extra];

const SUMMARY = /\n(All clients finished|Deadline reached, stopping)\nsent ([\d,]+) messages, failed ([\d,]+) over [^\n]+\.\ntransaction latency: [^\n]+ \noverall rate: [^\n]+\n$/;
function summary(r: Run): { how: string; sent: number; failed: number } {
  const m = SUMMARY.exec(r.stdout);
  if (!m) throw new Error(`no summary in stdout: ${JSON.stringify(r.stdout)} stderr: ${JSON.stringify(r.stderr)}`);
  return { how: m[1] ?? "", sent: Number((m[2] ?? "").replaceAll(",", "")), failed: Number((m[3] ?? "").replaceAll(",", "")) };
}

// ---------- the behaviours ----------

describe("traffic-gen stand-in fidelity to crates/traffic-gen/src/main.rs", () => {
  it.each([
    ["1024", 1024],
    ["50kb", 50_000],
    ["100kb", 100_000],
    ["100000", 100_000],
  ])("'Generated body of size …' on stderr, humansize DECIMAL of the generated text (--body-size %s; generate_message_text, main.rs:367-371)", async (spec, bytes) => {
    const srv = await startServer();
    const r = await runTrafficGen(["--target", `127.0.0.1:${srv.port}`, "--concurrency", "1", "--message-count", "1", "--body-size", spec]);
    expect(r.code).toBe(0);
    const m = /^Generated body of size (\d+(?:\.\d\d)? k?B)\n$/.exec(r.stderr);
    expect(m, r.stderr).not.toBeNull();
    // The text before wrapping: the body after the header block, the CRLFs textwrap put in undone.
    const body = srv.messages[0]?.body.toString() ?? "";
    const text = body.slice(body.indexOf("\r\n\r\n") + 4).replace(/\r\n$/, "").replaceAll("\r\n", " ");
    expect(text.length).toBeGreaterThanOrEqual(bytes);
    expect(m?.[1]).toBe(humanSizeDecimal(text.length));
  });

  it("no 'Generated body' line with --body-file, whose line endings become CRLF (load_body_file, main.rs:339-353)", async () => {
    const srv = await startServer();
    const file = path.join(dir, "body.eml");
    fs.writeFileSync(file, "Subject: x\n\nhello\n");
    const r = await runTrafficGen(["--target", `127.0.0.1:${srv.port}`, "--concurrency", "1", "--message-count", "1", "--body-file", file]);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe("");
    expect(srv.messages[0]?.body.toString()).toBe("Subject: x\r\n\r\nhello\r\n");
  });

  it("a banner other than 220 stops the client with a multi-line pretty-printed Response block (make_smtp_client ensure!, main.rs:462; eprintln!(\"\\n{err:#}\"), main.rs:589)", async () => {
    const srv = await startServer({ banner: () => ({ reply: "421 4.3.2 mx.test waiting for spool startup. Try again soon!", close: true }) });
    const r = await runTrafficGen(base(srv.port, ["--concurrency", "2", "--message-count", "10"]));
    const block = [
      "",
      "unexpected banner: Response {",
      "    code: 421,",
      "    enhanced_code: Some(",
      "        EnhancedStatusCode {",
      "            class: 4,",
      "            subject: 3,",
      "            detail: 2,",
      "        },",
      "    ),",
      '    content: "mx.test waiting for spool startup. Try again soon!",',
      "    command: None,",
      "}",
      "",
    ].join("\n");
    expect(errorsOf(r.stderr)).toBe(block + block);
    expect(summary(r)).toEqual({ how: "All clients finished", sent: 0, failed: 0 });
  });

  it("exit status 0 even when every client failed to connect; each prints 'failed to connect to T: <io error>' (main.rs:452-456, main returns Ok)", async () => {
    const srv = await startServer();
    const port = srv.port;
    await new Promise<void>((r) => { for (const s of servers) s.close(() => r()); });
    servers.clear();
    const r = await runTrafficGen(base(port, ["--concurrency", "3", "--message-count", "10"]));
    expect(r.code).toBe(0);
    expect(errorsOf(r.stderr)).toBe(`\nfailed to connect to 127.0.0.1:${port}: Connection refused (os error 111)\n`.repeat(3));
    expect(summary(r)).toEqual({ how: "All clients finished", sent: 0, failed: 0 });
  });

  it("a connection closed before the banner: 'Error Connection closed by peer reading response to cmd=NONE' (rfc5321 client.rs read_line, size == 0)", async () => {
    const srv = await startServer({ banner: () => ({ reply: "", close: true }) });
    const r = await runTrafficGen(base(srv.port, ["--concurrency", "1", "--message-count", "5"]));
    expect(errorsOf(r.stderr)).toBe("\nError Connection closed by peer reading response to cmd=NONE\n");
    expect(summary(r).sent).toBe(0);
  });

  it("EHLO refused: 'Command rejected Response { … command: Some(\"EHLO …\\r\\n\") }' on one line (client.rs ehlo_common; main.rs:465)", async () => {
    const srv = await startServer({ command: (_c, line) => (line.startsWith("EHLO") ? { reply: "550 5.7.1 go away" } : undefined) });
    const r = await runTrafficGen(base(srv.port, ["--concurrency", "1", "--message-count", "5"]));
    expect(errorsOf(r.stderr)).toBe(
      '\nCommand rejected Response { code: 550, enhanced_code: Some(EnhancedStatusCode { class: 5, subject: 7, detail: 1 }), content: "go away", command: Some("EHLO example.test\\r\\n") }\n',
    );
  });

  it("a refused send without --keep-going: counted as failed, its claim given back, printed with 'Failed to send mail: ', the client stops (main.rs:271-273, 543-548)", async () => {
    const srv = await startServer({ command: (_c, line) => (line.startsWith("RCPT") ? { reply: "550 5.1.1 no such user" } : undefined) });
    const r = await runTrafficGen(base(srv.port, ["--concurrency", "1", "--message-count", "5"]));
    const err = errorsOf(r.stderr);
    expect(err).toMatch(/^\nFailed to send mail: Command rejected Response \{ code: 550, enhanced_code: Some\(EnhancedStatusCode \{ class: 5, subject: 1, detail: 1 \}\), content: "no such user", command: Some\("RCPT TO:<user-\d+@example\.test>\\r\\n"\) \}\n$/);
    expect(summary(r)).toEqual({ how: "All clients finished", sent: 0, failed: 1 });
    expect(srv.conns).toHaveLength(1);
  });

  it("--keep-going: failures counted, not printed, the client stays on its connection and RSETs before the next message (main.rs:546; client.rs use_rset)", async () => {
    let n = 0;
    const srv = await startServer({ command: (_c, line) => (line.startsWith("RCPT") && n++ < 2 ? { reply: "550 5.1.1 no such user" } : undefined) });
    const r = await runTrafficGen(base(srv.port, ["--concurrency", "1", "--message-count", "3", "--keep-going"]));
    expect(errorsOf(r.stderr)).toBe("");
    expect(summary(r)).toEqual({ how: "All clients finished", sent: 3, failed: 2 });
    expect(srv.conns).toHaveLength(1);
    const verbs = srv.conns[0]?.commands.map((c) => c.split(/[ :]/)[0]) ?? [];
    // first message: no RSET; after each failure the next transaction begins with RSET; after a success, none
    // (no pipelining: DATA follows a refused RCPT, and its 354 gets the RFC 2920 3.1 lone dot)
    expect(verbs).toEqual(["EHLO", "MAIL", "RCPT", "DATA", "RSET", "MAIL", "RCPT", "DATA", "RSET", "MAIL", "RCPT", "DATA", "MAIL", "RCPT", "DATA", "MAIL", "RCPT", "DATA", "QUIT"]);
  });

  it.each([
    ["421 4.3.0 shutting down", true],
    ["451 4.5.3 too many recipients", false],
  ])("'%s' to MAIL FROM: a silent reconnect, the claim given back, nothing counted as failed (SendDisposition::Reconnect, main.rs:253-269, 539-541)", async (reply, close) => {
    const srv = await startServer({ command: (c, line) => (line.startsWith("MAIL") && c.index < 2 ? { reply, close } : undefined) });
    const r = await runTrafficGen(base(srv.port, ["--concurrency", "1", "--message-count", "3"]));
    expect(errorsOf(r.stderr)).toBe("");
    expect(summary(r)).toEqual({ how: "All clients finished", sent: 3, failed: 0 });
    expect(srv.conns).toHaveLength(3);
    expect(srv.messages).toHaveLength(3);
  });

  it("421 to RCPT TO with the connection closed is NOT a reconnect: it comes back as RejectedBatch, a failure (client.rs send_mail_multi_recip, is_err branch)", async () => {
    const srv = await startServer({ command: (_c, line) => (line.startsWith("RCPT") ? { reply: "421 4.3.0 bye", close: true } : undefined) });
    const r = await runTrafficGen(base(srv.port, ["--concurrency", "1", "--message-count", "3"]));
    expect(errorsOf(r.stderr)).toMatch(/^\nFailed to send mail: Commands rejected \[Response \{ code: 421, enhanced_code: Some\(EnhancedStatusCode \{ class: 4, subject: 3, detail: 0 \}\), content: "bye", command: Some\("RCPT TO:<user-\d+@example\.test>\\r\\n"\) \}\]\n$/);
    expect(summary(r)).toEqual({ how: "All clients finished", sent: 0, failed: 1 });
  });

  it("a connection dropped mid-transaction is a failure that stops the client, not a reconnect (ClientError::ReadError is not in the Reconnect arm, main.rs:253-273)", async () => {
    const srv = await startServer({ command: (c, line) => (line.startsWith("RCPT") && c.index === 0 ? { reply: "", close: true } : undefined) });
    const r = await runTrafficGen(base(srv.port, ["--concurrency", "1", "--message-count", "3"]));
    expect(errorsOf(r.stderr)).toMatch(/^\nFailed to send mail: Error Connection closed by peer reading response to cmd=RCPT TO:<user-\d+@example\.test>\n$/);
    expect(summary(r)).toEqual({ how: "All clients finished", sent: 0, failed: 1 });
    expect(srv.conns).toHaveLength(1);
  });

  it("claims given back make sent= go DOWN, and the progress line's usize subtraction wraps to ~1.8×10^19 msgs/s (claim_one/release_one; Rates::new(total_sent - last_sent, …), main.rs:614)", async () => {
    // 4 clients claim one each (sent=4), MAIL FROM held until the first progress line (sent=4) has
    // been seen; then 451 4.5.3 → all 4 claims released (sent=0), reconnect; the new banners are held
    // 2.5 s, so the next line sees sent=0 after 4: 0 − 4 as usize. Triggered by the output, not a clock.
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => { release = r; });
    const srv = await startServer({
      banner: (c) => (c.index >= 4 ? { delayMs: 2500 } : undefined),
      command: (c, line) => (line.startsWith("MAIL") && c.index < 4 ? { hold: held, reply: "451 4.5.3 try again" } : undefined),
    });
    const r = await runTrafficGen(base(srv.port, ["--concurrency", "4", "--message-count", "8"]), 15_000, (out) => {
      if (out.includes("(sent=4, clients=4)")) release();
    });
    release();
    expect(summary(r)).toEqual({ how: "All clients finished", sent: 8, failed: 0 });
    const lines = (r.stdout.split("\n")[0] ?? "").split("\r\x1b[K").filter(Boolean);
    const parsed = lines.map((l) => {
      const m = /^current rate: ([\d,]+) msgs\/s, ([\d,]+) msgs\/minute, ([\d,]+) msgs\/hour \(sent=([\d,]+), clients=([\d,]+)\)$/.exec(l);
      if (!m) throw new Error(`not a progress line: ${JSON.stringify(l)}`);
      const big = (s: string | undefined): bigint => BigInt((s ?? "").replaceAll(",", ""));
      return { perSec: big(m[1]), perMin: big(m[2]), perHour: big(m[3]), sent: Number(big(m[4])), clients: Number(big(m[5])) };
    });
    expect(parsed.map((p) => p.sent).slice(0, 2)).toEqual([4, 0]);
    const wrapped = parsed[1]!;
    // (2^64 − 4) ÷ the interval: ~1.8×10^19 for a 1 s interval; a loaded machine stretches the
    // interval, so only "wrapped" (far beyond any real rate, 2^60) is asserted, not the exact figure.
    expect(wrapped.perSec > 1n << 60n).toBe(true);
    // × 60 and × 60 again in usize, wrapping
    expect(wrapped.perMin).toBe((wrapped.perSec * 60n) % (1n << 64n));
    expect(wrapped.perHour).toBe((wrapped.perMin * 60n) % (1n << 64n));
    // the same figure format.rates gives for 2^64 − 4 over a second and a bit
    expect(rates((1n << 64n) - 4n, 1_000_000_000n).perSecond).toBe((1n << 64n) - 1n);
  });

  it("at the deadline 'sent' counts in-flight claims, and the summary waits for each running client's next send (done/claim_one; latency.refresh(), main.rs:631-643)", async () => {
    // 3 clients each claim a message whose final dot is held past the 1 s deadline; the server lets
    // them finish only once the `sent` line has been printed (ordering, not timing: a slow start
    // cannot reorder it).
    let release: () => void = () => undefined;
    const held = new Promise<void>((r) => { release = r; });
    let releasedAfterSentLine = false;
    const srv = await startServer({ dot: () => ({ hold: held }) });
    const r = await runTrafficGen(base(srv.port, ["--concurrency", "3", "--duration", "1"]), 15_000, (out) => {
      if (!releasedAfterSentLine && out.includes("sent 3 messages")) {
        releasedAfterSentLine = true;
        setTimeout(() => release(), 300);
      }
    });
    release(); // bounded: never leave the server holding if the line never came
    const s = summary(r);
    expect(s.how).toBe("Deadline reached, stopping");
    expect(s.sent).toBe(3); // none had been accepted at the deadline
    expect(s.failed).toBe(0);
    expect(releasedAfterSentLine).toBe(true);
    // The summary's latency line waited for the held sends: it came in a later write than the sent line.
    const sentIdx = r.stdoutAt.findIndex((x) => x.text.includes("sent 3 messages"));
    const latencyIdx = r.stdoutAt.findIndex((x) => x.text.includes("transaction latency"));
    expect(sentIdx).toBeGreaterThanOrEqual(0);
    expect(latencyIdx).toBeGreaterThan(sentIdx);
    // The deadline is 1 s after the stand-in started, which is after t0: a lower bound, not a timing guess.
    expect(r.stdoutAt[sentIdx]!.t).toBeGreaterThanOrEqual(1000);
    expect(r.stdoutAt[latencyIdx]!.t - r.stdoutAt[sentIdx]!.t).toBeGreaterThanOrEqual(250);
  });

  it("--throttle lets a burst of the limit through at once, then sleeps whole seconds (local_throttle, crates/throttle/src/throttle.rs; main.rs:521-530)", async () => {
    const srv = await startServer();
    const spawnedAfter = Date.now() - srv.t0; // on the server's clock; the throttle starts later than this
    const r = await runTrafficGen(base(srv.port, ["--concurrency", "2", "--message-count", "8", "--throttle", "5/s"]));
    expect(summary(r).sent).toBe(8);
    const at = srv.messages.map((m) => m.at).sort((a, b) => a - b);
    expect(at).toHaveLength(8);
    // The first 5 are the burst; the 6th waits for the next whole second of the throttle, which began
    // after the spawn: a lower bound that load can only make truer.
    expect(at[5]! - spawnedAfter).toBeGreaterThanOrEqual(1000);
    expect(at[7]! - spawnedAfter).toBeGreaterThanOrEqual(1000);
  });

  it("steady state: --duration without --message-count runs to the deadline, and --throttle bounds what it claims (done() is each client's elapsed time, main.rs:482-487; claim_one before spec.throttle, main.rs:515-530; local_throttle's GCRA, crates/throttle/src/throttle.rs)", async () => {
    const srv = await startServer();
    const r = await runTrafficGen(base(srv.port, ["--concurrency", "2", "--duration", "2", "--throttle", "5/s"]));
    const s = summary(r);
    expect(s.how).toBe("Deadline reached, stopping");
    expect(s.failed).toBe(0);
    // At least the initial burst of the limit (5); at most what the GCRA admits in 2 s — the burst
    // plus 5 a second — plus one claim per client held while it sleeps in the throttle.
    expect(s.sent).toBeGreaterThanOrEqual(5);
    expect(s.sent).toBeLessThanOrEqual(5 + 5 * 2 + 2);
    // The latency line the knee reads (scripts/trial/traffic-gen-output.ts) is there, p50 ≤ p99.
    const parsed = parseTrafficGenOutput(r.stdout, r.stderr);
    expect(parsed.latency).not.toBeNull();
    expect(parsed.latency!.p50).toBeLessThanOrEqual(parsed.latency!.p99);
  });

  it("--starttls upgrades when STARTTLS is offered, without verifying the certificate, and sends MAIL FROM without a second EHLO (make_smtp_client, main.rs:467-477)", async () => {
    const key = path.join(dir, "k.pem");
    const cert = path.join(dir, "c.pem");
    const g = spawnSync("openssl", ["req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key, "-out", cert, "-days", "1", "-subj", "/CN=not-the-target"], { timeout: 20_000 });
    expect(g.status, g.stderr?.toString()).toBe(0);
    const srv = await startServer({ ehloExtensions: ["STARTTLS", "8BITMIME"], tlsCert: { key: fs.readFileSync(key, "utf8"), cert: fs.readFileSync(cert, "utf8") } });
    const r = await runTrafficGen(base(srv.port, ["--concurrency", "1", "--message-count", "2", "--starttls"]));
    expect(errorsOf(r.stderr)).toBe("");
    expect(summary(r).sent).toBe(2);
    expect(srv.conns[0]?.tls, JSON.stringify(srv.conns[0]?.commands)).toBe(true);
    expect(srv.conns[0]?.commands.map((c) => c.split(/[ :]/)[0])).toEqual(["EHLO", "STARTTLS", "MAIL", "RCPT", "DATA", "MAIL", "RCPT", "DATA", "QUIT"]);
    // without --starttls it stays in clear
    const plain = await runTrafficGen(base(srv.port, ["--concurrency", "1", "--message-count", "1"]));
    expect(summary(plain).sent).toBe(1);
    expect(srv.conns[1]?.tls).toBe(false);
  });

  it.each([
    [["--duration", "1.5"], "error: invalid value '1.5' for '--duration <DURATION>': invalid digit found in string\n\nFor more information, try '--help'.\n"],
    [["--body-size", "1.5kb"], "error: invalid value '1.5kb' for '--body-size <BODY_SIZE>': invalid value\n\nFor more information, try '--help'.\n"],
    [["--throttle", "100"], "error: invalid value '100' for '--throttle <THROTTLE>': expected 'limit/period', got 100\n\nFor more information, try '--help'.\n"],
  ])("clap refuses %j with exit status 2 (struct Opt's value parsers: u64, humanize_rs Bytes, ThrottleSpec)", async (args, message) => {
    const r = await runTrafficGen(args);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(message);
    expect(r.stdout).toBe("");
  });
});
