import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { fingerprintSha256, knownHostKeys, parseOpenSshPublicKey, recordKnownHost } from "../../scripts/ssh/host-keys";
import { shellJoin, shellQuote, sudoWrap } from "../../scripts/ssh/shell-quote";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kumolab-hostkeys-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function newKey(name: string): { pub: string; fingerprint: string } {
  const f = path.join(tmp, name);
  spawnSync("ssh-keygen", ["-q", "-t", "ed25519", "-N", "", "-C", "test", "-f", f]);
  const fp = spawnSync("ssh-keygen", ["-lf", `${f}.pub`], { encoding: "utf8" }).stdout.split(" ")[1] ?? "";
  return { pub: readFileSync(`${f}.pub`, "utf8").trim(), fingerprint: fp };
}

describe("host keys", () => {
  it("fingerprints like ssh-keygen -lf", () => {
    const k = newKey("a");
    expect(fingerprintSha256(parseOpenSshPublicKey(k.pub).blob)).toBe(k.fingerprint);
  });

  it("rejects malformed and truncated keys", () => {
    const k = newKey("b");
    expect(() => parseOpenSshPublicKey("ssh-ed25519")).toThrow(/not an OpenSSH public key/);
    expect(() => parseOpenSshPublicKey(k.pub.replace("ssh-ed25519", "ssh-rsa"))).toThrow(/says ssh-rsa/);
    expect(() => parseOpenSshPublicKey("ssh-ed25519 AAAA")).toThrow();
  });

  it("records and finds known_hosts entries, with [host]:port for non-22 ports, and hashed entries", () => {
    const k = newKey("c");
    const file = path.join(tmp, "sub", "known_hosts");
    expect(knownHostKeys(file, "198.18.1.2", 2222)).toEqual([]);
    recordKnownHost(file, "198.18.1.2", 2222, parseOpenSshPublicKey(k.pub).blob);
    expect(readFileSync(file, "utf8")).toMatch(/^\[198\.18\.1\.2\]:2222 ssh-ed25519 /);
    expect(knownHostKeys(file, "198.18.1.2", 2222)).toHaveLength(1);
    expect(knownHostKeys(file, "198.18.1.2", 22)).toHaveLength(0);
    const hashed = path.join(tmp, "hashed");
    writeFileSync(hashed, `198.18.1.3 ${k.pub}\n`);
    spawnSync("ssh-keygen", ["-H", "-f", hashed], { stdio: "ignore" });
    expect(readFileSync(hashed, "utf8")).toMatch(/^\|1\|/);
    expect(knownHostKeys(hashed, "198.18.1.3", 22)).toHaveLength(1);
    expect(knownHostKeys(hashed, "198.18.1.4", 22)).toHaveLength(0);
  });
});

describe("shell quoting", () => {
  const sh = (line: string) => spawnSync("sh", ["-c", line], { encoding: "utf8" }).stdout;
  it("passes every argument through sh unchanged", () => {
    const nasty = ["a b", "it's", "$(touch /nonexistent)", "`x`", "\"q\"", "", "semi;colon", "new\nline", "*", "~"];
    expect(sh(`printf '%s\\0' ${shellJoin(nasty)}`)).toBe(nasty.map((a) => `${a}\0`).join(""));
  });
  it("keeps plain words readable", () => {
    expect(shellQuote("/opt/kumomta/sbin/kumod")).toBe("/opt/kumomta/sbin/kumod");
    expect(shellQuote("--policy=x")).toBe("--policy=x");
  });
  it("wraps in sudo -n with the command as one quoted argument", () => {
    expect(sudoWrap("echo 'hi' && id")).toBe(`sudo -n -- sh -c 'echo '\\''hi'\\'' && id'`);
    expect(() => shellQuote("a\0b")).toThrow(/NUL/);
  });
});
