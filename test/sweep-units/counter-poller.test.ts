/** The bash counter poller against a local metrics endpoint, and the timing drawn from its readings. */
import { execFile } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { counterPollerScript, parseCounterPolls, timeCounterReached, type CounterPoll } from "../../scripts/trial/counter-poller";

const RECEIVED = { name: "total_messages_received", labels: { service: "esmtp_listener" } };

let server: http.Server;
let port = 0;
let requests = 0;
const paths: string[] = [];

beforeAll(async () => {
  server = http.createServer((req, res) => {
    requests++;
    paths.push(req.url ?? "");
    res.writeHead(200, { "Content-Type": "text/plain; version=0.0.4" });
    // kumod's shape (crates/kumod/src/smtp_server.rs): the total series and one per accepted
    // local address, which repeats the total. The total grows by one on every scrape; the
    // per-listener series and look-alike metrics must never be added in.
    res.end(
      [
        "# HELP total_messages_received total number of messages received",
        "# TYPE total_messages_received counter",
        `total_messages_received{service="esmtp_listener:198.18.0.2:2525"} ${120 + requests}`,
        `total_messages_received{service="esmtp_listener"} ${120 + requests}`,
        `total_messages_received{service="http_listener"} 3`,
        "total_messages_received 7",
        "total_messages_received_bytes 999999",
        'total_messages_received_total{service="x"} 5000',
        'xtotal_messages_received{service="y"} 4000',
        "",
      ].join("\n"),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(async () => {
  await new Promise<void>((resolve) => server.close(() => resolve()));
});

/**
 * Runs a script with bash -c, bounded by a timeout (async: this process also serves the HTTP
 * requests). The exit status is not the poller's contract (its last command is the timed-out
 * pause, and the trial stops it by closing the channel); only a timeout is a failure here.
 */
function bash(script: string): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile("bash", ["-c", script], { timeout: 10_000 }, (err, stdout, stderr) => {
      if (err?.killed) reject(new Error(`the poller did not finish its ${script.length}-char loop within 10 s\n${stderr}`));
      else resolve(stdout);
    });
  });
}

describe("counterPollerScript", () => {
  test("polls maxPolls times, reading the total series alone: never the per-listener copy nor a look-alike", async () => {
    requests = 0;
    const out = await bash(counterPollerScript(`http://127.0.0.1:${port}/metrics`, RECEIVED, 3));
    const polls = parseCounterPolls(out);
    expect(polls).toHaveLength(3);
    expect(requests).toBe(3);
    expect(paths.at(-1)).toBe("/metrics");
    // 120 + n for the n-th scrape (a sum over labels would read 2 × (120 + n) + 3 + 7).
    expect(polls.map((p) => p.value)).toEqual([121, 122, 123]);
    for (const p of polls) expect(p.t1).toBeGreaterThanOrEqual(p.t0);
    // Readings are in order by the host clock.
    expect(polls[1]?.t0 as number).toBeGreaterThanOrEqual(polls[0]?.t1 as number);
  }, 15_000);

  test("a refused connection is an 'E' line per poll, not a zero reading", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const deadPort = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const out = await bash(counterPollerScript(`http://127.0.0.1:${deadPort}/metrics`, RECEIVED, 3));
    expect(out.trim().split("\n").filter((l) => l.startsWith("E "))).toHaveLength(3);
    expect(parseCounterPolls(out)).toEqual([]);
  }, 15_000);

  test("refuses what it would interpolate unsafely", () => {
    const m = { name: "m", labels: {} };
    expect(() => counterPollerScript("http://example.com:8000/metrics", m, 3)).toThrow(/not http:\/\/IPv4:port\/path/);
    expect(() => counterPollerScript("http://127.0.0.1:8000/metrics;rm -rf /", m, 3)).toThrow(/refusing/);
    expect(() => counterPollerScript("http://127.0.0.1:8000/metrics", { name: "m$(id)", labels: {} }, 3)).toThrow(/not a metric name/);
    expect(() => counterPollerScript("http://127.0.0.1:8000/metrics", { name: "m", labels: { service: 'x"; id; "' } }, 3)).toThrow(/not safe/);
    // Two labels render differently in kumod's two writers (`,` vs `, `): refused rather than missed.
    expect(() => counterPollerScript("http://127.0.0.1:8000/metrics", { name: "m", labels: { a: "1", b: "2" } }, 3)).toThrow(/at most one label/);
  });
});

describe("parseCounterPolls", () => {
  test("keeps whole 'C' lines, skips error lines and a line cut by the channel close", () => {
    const text = "C 100.000 5 100.010\nE 100.050\nC 100.100 9 100.110\nC 100.2";
    expect(parseCounterPolls(text)).toEqual([
      { t0: 100, value: 5, t1: 100.01 },
      { t0: 100.1, value: 9, t1: 100.11 },
    ]);
  });

  test("a reading that ends before it starts is an error, not data", () => {
    expect(() => parseCounterPolls("C 100.5 5 100.1\n")).toThrow(/t1 before t0/);
  });
});

describe("timeCounterReached", () => {
  const polls: CounterPoll[] = [
    { t0: 10.0, value: 0, t1: 10.01 },
    { t0: 10.05, value: 5, t1: 10.06 },
    { t0: 10.1, value: 10, t1: 10.11 },
  ];

  test("the midpoint between the last reading below and the first at or above, with its half-width", () => {
    const r = timeCounterReached(polls, 10);
    expect(r?.at).toBeCloseTo((10.05 + 10.11) / 2, 9);
    expect(r?.errorSeconds).toBeCloseTo(0.03, 9);
    const r5 = timeCounterReached(polls, 3);
    expect(r5?.at).toBeCloseTo((10.0 + 10.06) / 2, 9);
  });

  test("undefined when never reached, or already reached at the first reading (when is unknown)", () => {
    expect(timeCounterReached(polls, 11)).toBeUndefined();
    expect(timeCounterReached(polls, 0)).toBeUndefined();
    expect(timeCounterReached([], 1)).toBeUndefined();
  });
});
