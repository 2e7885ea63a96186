/**
 * The trial's background loops (per-second sampler, counter poller) stop when the trial ends their
 * stdin — at once, not at their next write into a closed channel — and keep what they printed.
 */
import { spawn } from "node:child_process";
import http from "node:http";
import type { AddressInfo } from "node:net";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { counterPollerScript, parseCounterPolls } from "../../scripts/trial/counter-poller";
import { parseSamples, samplerScript } from "../../scripts/trial/resource-sampler";

let server: http.Server;
let port = 0;
beforeAll(async () => {
  server = http.createServer((_req, res) => res.end(`total_messages_received{service="esmtp_listener"} 5\n`));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  port = (server.address() as AddressInfo).port;
});
afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

/** Starts the loop, ends its stdin after its first output; resolves with its exit and output. A loop that ignores the end is killed after 10 s (and the test fails on the exit code). */
function stopAfterFirstOutput(script: string): Promise<{ code: number | null; signal: string | null; out: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", ["-c", script], { stdio: ["pipe", "pipe", "inherit"] });
    let out = "";
    child.stdout.on("data", (b: Buffer) => {
      out += b.toString("utf8");
      child.stdin.end();
    });
    const killer = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.on("close", (code, signal) => {
      clearTimeout(killer);
      resolve({ code, signal, out });
    });
  });
}

describe("background loops end with their stdin", () => {
  test("the 1 s sampler (bounded at an hour of samples) exits 0 with its samples", async () => {
    const r = await stopAfterFirstOutput(samplerScript("lo", 3600));
    expect(r).toMatchObject({ code: 0, signal: null });
    expect(parseSamples(r.out).length).toBeGreaterThanOrEqual(1);
  }, 15_000);

  test("the counter poller (bounded at 100,000 polls) exits 0 with its readings", async () => {
    const r = await stopAfterFirstOutput(counterPollerScript(`http://127.0.0.1:${port}/metrics`, { name: "total_messages_received", labels: { service: "esmtp_listener" } }, 100_000));
    expect(r).toMatchObject({ code: 0, signal: null });
    expect(parseCounterPolls(r.out)[0]?.value).toBe(5);
  }, 15_000);
});
