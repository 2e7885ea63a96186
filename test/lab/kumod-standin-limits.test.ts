/**
 * kumod behaviours a kinder stand-in had hidden (found by reviewing it against KumoMTA's release
 * 2026.06.23 source): the per-connection and per-message recipient limits, the connection ramp-up,
 * humantime durations, and no HELO fallback. Loopback only; no root needed.
 */
import type * as net from "node:net";
import { afterEach, describe, expect, test } from "vitest";
import { parseDuration, PolicyError } from "../fixtures/kumod/policy";
import { idealConnectionCount } from "../fixtures/kumod/relay";
import { startEsmtpListener } from "../fixtures/kumod/smtp-server";
import { SmtpClient, SmtpError } from "../fixtures/smtp/client";

const servers: net.Server[] = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => new Promise<void>((r) => s.close(() => r()))));
});

async function listener(over: { maxMessagesPerConnection?: number; maxRecipientsPerMessage?: number }): Promise<number> {
  const server = await startEsmtpListener({
    listen: "127.0.0.1:0",
    hostname: "limits.test",
    banner: "KumoMTA",
    relayHosts: ["127.0.0.1"],
    relayAll: false,
    maxConnections: 100,
    maxMessagesPerConnection: over.maxMessagesPerConnection ?? 10_000,
    maxRecipientsPerMessage: over.maxRecipientsPerMessage ?? 1024,
    spoolStarted: () => true,
    onSession: () => undefined,
    onMessage: () => undefined,
    onConnection: () => undefined,
    onDenied: () => undefined,
    log: () => undefined,
  });
  servers.push(server);
  return (server.address() as net.AddressInfo).port;
}

describe("recipient limits (crates/kumod/src/smtp_server.rs, RCPT)", () => {
  test("at max_messages_per_connection the next transaction's RCPT gets 421 4.5.3 and the connection is closed", async () => {
    const port = await listener({ maxMessagesPerConnection: 2 });
    const c = await SmtpClient.connect("127.0.0.1", port, { timeoutMs: 5000 });
    await c.ehlo("client.test");
    await c.send("a@x.test", ["b@y.test"], Buffer.from("Subject: 1\r\n\r\none\r\n"));
    await c.send("a@x.test", ["b@y.test"], Buffer.from("Subject: 2\r\n\r\ntwo\r\n"));
    const third = await c.send("a@x.test", ["b@y.test"], Buffer.from("Subject: 3\r\n\r\nthree\r\n")).then(() => undefined, (e: unknown) => e);
    expect(third).toBeInstanceOf(SmtpError);
    expect((third as SmtpError).message).toContain("421 4.5.3 limits.test too many recipients on this connection");
    // The server hangs up after the 421 (RejectDisconnect::If421); bounded wait for the close to arrive.
    for (let i = 0; i < 100 && c.alive; i++) await new Promise((r) => setTimeout(r, 20));
    expect(c.alive).toBe(false);
    c.close();
  });

  test("past max_recipients_per_message an RCPT gets 452 4.5.3", async () => {
    const port = await listener({ maxRecipientsPerMessage: 1 });
    const c = await SmtpClient.connect("127.0.0.1", port, { timeoutMs: 5000 });
    await c.ehlo("client.test");
    const r = await c.send("a@x.test", ["b@y.test", "c@y.test"], Buffer.from("Subject: t\r\n\r\nx\r\n")).then(() => undefined, (e: unknown) => e);
    expect((r as SmtpError).message).toContain("452 4.5.3 too many recipients");
    c.close();
  });
});

describe("kumod's connection ramp-up (crates/kumod/src/ready_queue.rs ideal_connection_count)", () => {
  // ceil(32 × (1 − e^(−0.023 q))), never above q; worked by hand: q = 5 → 32 × 0.1085 = 3.47 → 4;
  // q = 50 → 32 × 0.6834 = 21.87 → 22; q = 100 → 32 × 0.8997 = 28.79 → 29; q = 1 → 0.73 → 1.
  test.each([[5, 4], [50, 22], [100, 29], [1, 1], [0, 0], [1000, 32]])("a ready queue of %i wants %i connections at connection_limit 32", (q, want) => {
    expect(idealConnectionCount(q, 32)).toBe(want);
  });
});

describe("durations as humantime reads them (crates/duration-serde visit_str → humantime::parse_duration)", () => {
  test("a unit is needed in a string, units are case-sensitive; Lua numbers are seconds", () => {
    expect(parseDuration("5s", "retry_interval")).toBe(5);
    expect(parseDuration("1h 30m", "retry_interval")).toBe(5400);
    expect(parseDuration(20, "retry_interval")).toBe(20);
    expect(() => parseDuration("5", "retry_interval")).toThrow(PolicyError);
    expect(() => parseDuration("5S", "retry_interval")).toThrow(/unknown time unit "S"/);
  });
});
