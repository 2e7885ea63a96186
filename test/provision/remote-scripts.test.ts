/**
 * The remote scripts provisioning sends, run here by a real shell against a scratch directory:
 * placing a file (one call: content on stdin, checked, renamed into place), the facts script's
 * cloud-init wait (a `cloud-init` stand-in on PATH) and the SMTP banner wait.
 */
import { spawn, spawnSync } from "node:child_process";
import net from "node:net";
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { factsScript, parseFacts } from "../../scripts/provision/host-facts";
import { remoteFileScript, type RemoteFileSpec } from "../../scripts/provision/remote-file";
import { bannerWaitScript } from "../../scripts/provision/smtp-ready";
import { SENDER_POLICY_MARKER } from "../../scripts/provision/lab-endpoints";
import { loadLabConfig } from "../../lab-config/load";
import { renderSenderPolicy } from "../../scripts/provision/policies";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kumolab-remote-scripts-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

const user = os.userInfo().username;
const group = spawnSync("id", ["-gn"], { encoding: "utf8" }).stdout.trim();

function run(script: string, stdin: string, env: NodeJS.ProcessEnv = process.env): { code: number | null; stdout: string; stderr: string } {
  const r = spawnSync("sh", ["-c", script], { input: stdin, encoding: "utf8", timeout: 15_000, env });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

describe("placing a file in one remote call", () => {
  const dir = path.join(tmp, "etc", "lab");
  const target = path.join(dir, "policy.lua");
  const spec: RemoteFileSpec = { path: target, content: "-- v1\n", mode: 0o640, owner: user, group };
  const leftovers = () => readdirSync(dir).filter((f) => f.includes("kumolab-"));

  it("creates the directory and the file with its mode, then leaves an identical file alone", () => {
    const first = run(remoteFileScript(spec), spec.content);
    expect(first).toMatchObject({ code: 0, stdout: "changed\n" });
    expect(readFileSync(target, "utf8")).toBe("-- v1\n");
    expect(statSync(target).mode & 0o7777).toBe(0o640);
    const inode = statSync(target).ino;
    const again = run(remoteFileScript(spec), spec.content);
    expect(again).toMatchObject({ code: 0, stdout: "unchanged\n" });
    expect(statSync(target).ino).toBe(inode);
    expect(leftovers()).toEqual([]);
  });

  it("replaces the file when only its mode differs", () => {
    chmodSync(target, 0o600);
    expect(run(remoteFileScript(spec), spec.content).stdout).toBe("changed\n");
    expect(statSync(target).mode & 0o7777).toBe(0o640);
  });

  it("refuses content that arrived damaged (a cut connection) and leaves the old file and no temporary", () => {
    const next = { ...spec, content: "-- v2, a longer policy\n" };
    const r = run(remoteFileScript(next), "-- v2, a lo");
    expect(r.code).toBe(12);
    expect(r.stderr).toMatch(/received 11 bytes with SHA-256 [0-9a-f]{64}, not the content sent/);
    expect(readFileSync(target, "utf8")).toBe("-- v1\n");
    expect(leftovers()).toEqual([]);
  });

  it("keeps the packaged original once, never overwrites the saved copy, never saves our own file as it", () => {
    const original = path.join(dir, "init.lua.kumolab-orig");
    const init = path.join(dir, "init.lua");
    writeFileSync(init, "-- KumoMTA stock policy\n");
    const ours = renderSenderPolicy({ sinkPort: 2525, sinkAddress: "198.18.7.11", senderAddress: "198.18.7.10" }, loadLabConfig().config.kumomta);
    const keep: RemoteFileSpec = { path: init, content: ours, mode: 0o644, owner: user, group, keepOriginal: { as: original, marker: SENDER_POLICY_MARKER } };
    expect(run(remoteFileScript(keep), ours).stdout).toBe("original-saved\nchanged\n");
    expect(readFileSync(original, "utf8")).toBe("-- KumoMTA stock policy\n");
    expect(run(remoteFileScript(keep), ours).stdout).toBe("original-kept\nunchanged\n");
    expect(readFileSync(original, "utf8")).toBe("-- KumoMTA stock policy\n");
    // the saved copy lost: our own policy is not mistaken for the original
    rmSync(original);
    expect(run(remoteFileScript(keep), ours).stdout).toBe("original-ours\nunchanged\n");
    expect(existsSync(original)).toBe(false);
  });

  it("refuses a relative path, a bad mode or an owner that is not a plain name before sending anything", () => {
    expect(() => remoteFileScript({ ...spec, path: "etc/x" })).toThrow(/not an absolute file path/);
    expect(() => remoteFileScript({ ...spec, mode: 0o17777 })).toThrow(/bad mode/);
    expect(() => remoteFileScript({ ...spec, owner: "root; rm -rf /" })).toThrow(/bad owner/);
  });
});

describe("the facts script waits for cloud-init first", () => {
  function withCloudInit(body: string): NodeJS.ProcessEnv {
    const bin = mkdtempSync(path.join(tmp, "bin-"));
    writeFileSync(path.join(bin, "cloud-init"), `#!/bin/sh\n[ "$1 $2" = "status --wait" ] || exit 99\n${body}\n`, { mode: 0o755 });
    return { ...process.env, PATH: `${bin}:${process.env.PATH ?? ""}` };
  }
  const facts = (env: NodeJS.ProcessEnv, timeoutSeconds = 5) => parseFacts(run(factsScript(timeoutSeconds), "", env).stdout);

  it("reports done, degraded (exit 2) or error, and absent where there is no cloud-init", () => {
    expect(facts(withCloudInit("exit 0"))).toMatchObject({ cloudInit: "done" });
    expect(facts(withCloudInit("exit 2"))).toMatchObject({ cloudInit: "degraded" });
    expect(facts(withCloudInit("exit 1"))).toMatchObject({ cloudInit: "error" });
    expect(facts({ ...process.env, PATH: "/usr/bin:/bin" })).toMatchObject({ cloudInit: "absent" });
  });

  it("gives up after its bound while cloud-init is still running", () => {
    expect(facts(withCloudInit("exec sleep 30"), 1)).toBe("cloud-init-timeout");
  });
});

describe("the SMTP banner wait (bash builtins, run here against loopback)", () => {
  const bash = (script: string) => new Promise<{ code: number | null; stdout: string }>((resolve) => {
    const child = spawn("bash", ["-c", script], { stdio: ["ignore", "pipe", "ignore"] });
    let stdout = "";
    child.stdout.on("data", (b: Buffer) => (stdout += b.toString("utf8")));
    const killer = setTimeout(() => child.kill("SIGKILL"), 15_000);
    child.on("close", (code) => (clearTimeout(killer), resolve({ code, stdout })));
  });
  const listen = (onConnection: (s: net.Socket) => void) =>
    new Promise<net.Server>((resolve) => {
      const server = net.createServer((s) => {
        s.on("error", () => undefined); // the wait hangs up after 3 bytes: a reset here is expected
        onConnection(s);
      });
      server.listen(0, "127.0.0.1", () => resolve(server));
    });
  const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;
  const closedPort = async () => {
    const s = await listen(() => undefined);
    const p = portOf(s);
    await new Promise((r) => s.close(r));
    return p;
  };

  it("returns once every port greets with 220, and only a 220 counts", async () => {
    const greets = await listen((s) => s.end("220 sink ESMTP\r\n"));
    const refuses = await listen((s) => s.end("554 go away\r\n"));
    try {
      expect(await bash(bannerWaitScript("127.0.0.1", [portOf(greets)], 5))).toEqual({ code: 0, stdout: `banner ${portOf(greets)}\n` });
      expect(await bash(bannerWaitScript("127.0.0.1", [portOf(greets), portOf(refuses)], 1))).toEqual({ code: 3, stdout: `banner ${portOf(greets)}\nno-banner ${portOf(refuses)}\n` });
    } finally {
      greets.close();
      refuses.close();
    }
  }, 20_000);

  it("ends at once with exit 4 when the watched kumod has exited", async () => {
    const gone = spawnSync("sh", ["-c", "echo $$"], { encoding: "utf8" }).stdout.trim();
    // a 10-minute bound: only the exit watch can end it before the test's own timeout
    const r = await bash(bannerWaitScript("127.0.0.1", [await closedPort()], 600, Number(gone)));
    expect(r).toEqual({ code: 4, stdout: `exited ${gone}\n` });
  }, 20_000);
});
