/**
 * Values that would make a measurement meaningless are refused, each saying what the bound protects;
 * and the first mistakes people make get a message that says exactly what to write.
 */
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { resolveStackConfig } from "../../infra/config";
import { LabConfigError } from "../../lab-config/resolve";
import { hostsFromInventoryData, InventoryError } from "../../scripts/hosts/inventory";
import { privateKeyFileProblem } from "../../scripts/ssh/private-key-file";

const DEFAULTS = path.resolve(__dirname, "../../lab-config/lab.yaml");
const tmp = mkdtempSync(path.join(os.tmpdir(), "kumolab-bounds-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

function issues(overrides: Record<string, string>): string {
  try {
    resolveStackConfig({ "kumolab:operatorCidr": "198.18.0.7/32", ...overrides }, "test", DEFAULTS);
  } catch (e) {
    if (e instanceof LabConfigError) return e.issues.join("\n");
    throw e;
  }
  throw new Error(`accepted: ${JSON.stringify(overrides)}`);
}

describe("traffic bounds (lab config)", () => {
  test.each<[string, Record<string, string>, RegExp]>([
    // kumod's default max_connections per listener is 32768 (crates/kumod/src/smtp_server.rs).
    ["concurrency 10⁹", { "kumolab:traffic.concurrency": "1000000000" }, /^traffic\.concurrency = 1000000000: must be at most 32,768: kumod's default max_connections/],
    // kumod's default max_message_size is 20,971,520 bytes (same file).
    ["5 GB bodies", { "kumolab:traffic.bodySize": "5000mb" }, /^traffic\.bodySize = "5000mb": is 5,000,000,000 bytes: kumod refuses messages over max_message_size \(20,971,520 bytes/],
    ["10¹² messages", { "kumolab:traffic.messageCount": "1000000000000" }, /^traffic\.messageCount = 1000000000000: must be at most 10,000,000 per trial/],
    ["sink port 22 (sshd)", { "kumolab:sink.smtpPort": "22" }, /^sink\.smtpPort = 22: 22 is sshd's port on the sink/],
    ["a bare IP as operatorCidr", { "kumolab:operatorCidr": "203.0.113.7" }, /^operatorCidr = "203\.0\.113\.7": .*add \/32 for that one address \(203\.0\.113\.7\/32\)/],
    ["a /33", { "kumolab:operatorCidr": "203.0.113.7/33" }, /^operatorCidr = "203\.0\.113\.7\/33": has prefix \/33, but an IPv4 prefix is at most \/32/],
  ])("%s is refused with what the bound protects", (_, o, re) => {
    expect(issues(o)).toMatch(re);
  });

  test("the largest values still accepted (the bounds themselves)", () => {
    expect(() => resolveStackConfig({ "kumolab:operatorCidr": "198.18.0.7/32", "kumolab:traffic.concurrency": "32768", "kumolab:traffic.bodySize": "20000000", "kumolab:traffic.messageCount": "10000000" }, "test", DEFAULTS)).not.toThrow();
  });
});

describe("inventory mistakes", () => {
  const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBN54lDZqZ4Q3nWLyIPrpJhNHuUgMlO0bYmDmn+D62a1";
  const base = {
    labId: "lab1",
    sender: { address: "198.18.3.10", user: "root", privateKeyPath: "keys/id", hostKey: KEY },
    sink: { address: "198.18.3.11", user: "root", privateKeyPath: "keys/id", hostKey: KEY },
    sinkAddressFromSender: "198.18.3.11",
    sinkPort: 2525,
  };
  const message = (data: unknown): string => {
    try {
      hostsFromInventoryData(data, "hosts.yaml");
    } catch (e) {
      if (e instanceof InventoryError) return e.message;
      throw e;
    }
    return "accepted";
  };

  test("sink port 22, the same host twice, a .pub key and an empty file", () => {
    expect(message({ ...base, sinkPort: 22 })).toMatch(/sinkPort: must not be 22: that is sshd's port/);
    expect(message({ ...base, sinkAddressFromSender: "198.18.3.10" })).toMatch(/the sender and the sink are the same host \(198\.18\.3\.10\)/);
    expect(message({ ...base, sender: { ...base.sender, privateKeyPath: "keys/id.pub" } })).toMatch(/sender\.privateKeyPath: is a public key \(\.pub\): give the private key file/);
    expect(message(null)).toMatch(/the file is empty: copy lab-config\/hosts\.example\.yaml/);
    expect(message({})).toMatch(/the file is empty/);
    expect(message(base)).toBe("accepted");
  });

  test("a private key readable by others is refused as ssh refuses it; a public key in its place too", () => {
    const key = path.join(tmp, "id");
    writeFileSync(key, "-----BEGIN OPENSSH PRIVATE KEY-----\nx\n-----END OPENSSH PRIVATE KEY-----\n");
    chmodSync(key, 0o644);
    expect(privateKeyFileProblem(key)).toMatch(/can be read by others \(mode 644\): ssh refuses such a key; run chmod 600/);
    chmodSync(key, 0o600);
    expect(privateKeyFileProblem(key)).toBeUndefined();
    const pub = path.join(tmp, "id2");
    writeFileSync(pub, `${KEY} me@host\n`, { mode: 0o600 });
    expect(privateKeyFileProblem(pub)).toMatch(/holds a public key/);
    expect(privateKeyFileProblem(path.join(tmp, "missing"))).toMatch(/cannot be read \(ENOENT\)/);
  });
});
