import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import YAML from "yaml";
import { hostsFromInventory, hostsFromInventoryData, InventoryError } from "../../scripts/hosts/inventory";
import { hostsFromStackOutputs } from "../../scripts/hosts/from-stack";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kumolab-inv-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBN54lDZqZ4Q3nWLyIPrpJhNHuUgMlO0bYmDmn+D62a1";

const base = {
  labId: "lab1",
  sender: { address: "198.18.3.10", user: "root", privateKeyPath: "keys/id", hostKey: KEY },
  sink: { address: "198.18.3.11", port: 2222, user: "kumolab", privateKeyPath: "/abs/id", hostKey: { recordOnFirstUse: true, knownHostsFile: "kh" } },
  sinkAddressFromSender: "198.18.3.11",
  sinkPort: 2525,
};

describe("hosts inventory", () => {
  it("the example file is valid", () => {
    const hosts = hostsFromInventory(path.join(__dirname, "..", "..", "lab-config", "hosts.example.yaml"));
    expect(hosts.sinkPort).toBe(2525);
    expect(hosts.sink.hostKey.kind).toBe("record-on-first-use");
  });

  it("resolves paths relative to the file, defaults port 22, pins or records host keys", () => {
    const file = path.join(tmp, "hosts.yaml");
    writeFileSync(file, YAML.stringify(base));
    const hosts = hostsFromInventory(file);
    expect(hosts.sender).toMatchObject({ role: "sender", port: 22, user: "root", hostKey: { kind: "pinned", publicKey: KEY }, credentials: { kind: "private-key-file", path: path.join(tmp, "keys", "id") } });
    expect(hosts.sink.hostKey).toEqual({ kind: "record-on-first-use", knownHostsFile: path.join(tmp, "kh") });
    expect(hosts.senderAddressFromSink).toBe("198.18.3.10");
    expect(hosts.cloudFirewalls).toEqual([]);
  });

  it("names every bad key", () => {
    const bad = { ...base, sinkPort: 25, sinkAddressFromSender: "sink.example.com", sender: { ...base.sender, hostKey: "ssh-ed25519 AAAA", extra: 1 } };
    let err: unknown;
    try {
      hostsFromInventoryData(bad, "x.yaml");
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(InventoryError);
    const msg = (err as Error).message;
    expect(msg).toMatch(/sinkPort: must not be 25/);
    expect(msg).toMatch(/sinkAddressFromSender: must be an IP address/);
    expect(msg).toMatch(/sender.hostKey/);
    expect(msg).toMatch(/sender: Unrecognized key.*extra/);
  });

  it("needs the sender's IP as the sink sees it when the sender is a DNS name", () => {
    expect(() => hostsFromInventoryData({ ...base, sender: { ...base.sender, address: "sender.example.com" } }, "x.yaml")).toThrow(/addressSeenBySink/);
  });

  it("says how to start when the file is missing", () => {
    expect(() => hostsFromInventory(path.join(tmp, "nope.yaml"))).toThrow(/hosts.example.yaml/);
  });
});

describe("hosts from stack outputs", () => {
  const vm = (ip: string) => ({ publicIp: ip, privateIp: "10.0.0.4", size: "c5.large", vcpu: 2, ramGiB: 4, region: "us-west-2", hostPublicKey: KEY });
  const outputs = {
    labId: "lab1", senderSizeId: "c2-r4", sshUser: "ubuntu",
    sshPrivateKey: "-----BEGIN OPENSSH PRIVATE KEY-----\nSECRETBODY\n-----END OPENSSH PRIVATE KEY-----\n",
    sinkPort: 2525, expiresAt: "2026-11-29T10:00:00Z", sender: vm("203.0.113.5"), sink: vm("198.51.100.6"),
  };
  it("maps the outputs to LabHosts with the cloud firewalls", () => {
    const hosts = hostsFromStackOutputs(outputs);
    expect(hosts.sender).toMatchObject({ address: "203.0.113.5", user: "ubuntu", hostKey: { kind: "pinned", publicKey: KEY } });
    expect(hosts.sinkAddressFromSender).toBe("198.51.100.6");
    expect(hosts.senderAddressFromSink).toBe("203.0.113.5");
    expect(hosts.cloudFirewalls).toEqual(["AWS security group", "Azure NSG"]);
  });
  it("never echoes the private key in a validation error", () => {
    const bad = { ...outputs, sinkPort: "x", sshPrivateKey: "SECRETBODY without marker" };
    expect(() => hostsFromStackOutputs(bad)).toThrow(/sinkPort/);
    try {
      hostsFromStackOutputs(bad);
    } catch (e) {
      expect((e as Error).message).not.toContain("SECRETBODY");
    }
  });
});
