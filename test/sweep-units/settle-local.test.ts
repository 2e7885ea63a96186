/** The settle readings against this machine's real kernel: /proc/stat twice and /proc/net/tcp with a socket in TIME_WAIT. */
import { execFile } from "node:child_process";
import { existsSync } from "node:fs";
import net from "node:net";
import { describe, expect, test } from "vitest";
import { settleReader } from "../../scripts/sweep/settle-lab";
import type { RemoteHost } from "../../scripts/trial/remote-host";

const local: RemoteHost = {
  name: "local",
  exec: (command, opts) =>
    new Promise((resolve) => {
      execFile("/bin/sh", ["-c", command], { timeout: opts.timeoutMs }, (err, stdout, stderr) => resolve({ code: err ? (typeof err.code === "number" ? err.code : 1) : 0, stdout, stderr }));
    }),
};

/** A connection the client closes first: the client's socket (towards the server's port) goes to TIME_WAIT. */
async function timeWaitTowardsLocalServer(): Promise<{ port: number; close: () => void }> {
  const server = net.createServer((s) => s.on("end", () => s.end()));
  await new Promise<void>((r) => server.listen(0, "127.0.0.1", r));
  const port = (server.address() as net.AddressInfo).port;
  await new Promise<void>((resolve, reject) => {
    const c = net.connect(port, "127.0.0.1", () => c.end());
    c.on("error", reject);
    c.on("close", () => resolve());
    c.resume();
  });
  return { port, close: () => server.close() };
}

describe.skipIf(!existsSync("/proc/net/tcp"))("settle readings on this machine", () => {
  test("CPU busy of both 'hosts' is a percentage; the socket the client closed counts as TIME_WAIT towards the server's port", async () => {
    const { port, close } = await timeWaitTowardsLocalServer();
    try {
      // No kumod here: the sender's queue readings are null, everything else is read.
      const read = settleReader({ sender: local, sink: local, senderMetricsUrl: "http://127.0.0.1:1/metrics", sinkAddress: "127.0.0.1", sinkPort: port });
      const r = await read(new AbortController().signal);
      expect(r.senderQueue).toBeNull();
      expect(r.senderCpuPct).toBeGreaterThanOrEqual(0);
      expect(r.senderCpuPct).toBeLessThanOrEqual(100);
      expect(r.sinkCpuPct).toBeGreaterThanOrEqual(0);
      expect(r.timeWait).toBe(1);
      const other = settleReader({ sender: local, sink: local, senderMetricsUrl: "http://127.0.0.1:1/metrics", sinkAddress: "127.0.0.1", sinkPort: port === 65535 ? 65534 : port + 1 });
      expect((await other(new AbortController().signal)).timeWait).toBe(0);
    } finally {
      close();
    }
  });
});
