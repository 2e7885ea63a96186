/**
 * The generator host from the operator's side: the inventory's optional `generator`, and the
 * sender policy's second listener — on the sender's lab address, port 2025, relaying for the
 * generator's address alone — checked by running the rendered init under lua5.4 with a recording
 * `kumo` module (what kumod would be handed), and absent without a generator.
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { hostsFromInventoryData } from "../../scripts/hosts/inventory";
import type { LabHosts } from "../../scripts/hosts/lab-hosts";
import { policyInputs, renderSenderPolicy } from "../../scripts/provision/policies";

const tmp = mkdtempSync(path.join(os.tmpdir(), "kumolab-gen-"));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));
const KEY = "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIBN54lDZqZ4Q3nWLyIPrpJhNHuUgMlO0bYmDmn+D62a1";
const delivery = { egressTls: "opportunistic-insecure", retryIntervalSeconds: 5, maxRetryIntervalSeconds: 20, maxReady: 1024, connectionLimit: 32 } as const;

const inventory = {
  labId: "lab1",
  sender: { address: "198.18.3.10", user: "root", privateKeyPath: "keys/id", hostKey: KEY },
  sink: { address: "198.18.3.11", user: "root", privateKeyPath: "keys/id", hostKey: KEY },
  generator: { address: "203.0.113.12", user: "ubuntu", privateKeyPath: "keys/id", hostKey: KEY, senderAddress: "10.0.1.10", addressSeenBySender: "10.0.1.12" },
  sinkAddressFromSender: "198.18.3.11",
  sinkPort: 2525,
};

/** The esmtp listeners the rendered policy's init starts: listen address and relay_hosts. */
function listeners(lua: string): Array<{ listen: string; relay: string[] }> {
  const policy = path.join(tmp, `sender-${Math.random().toString(36).slice(2)}.lua`);
  writeFileSync(policy, lua);
  const harness = `
    local h = {}
    local kumo = { on = function(e, f) h[e] = f end }
    for _, fn in ipairs({'define_spool','start_http_listener','configure_local_logs'}) do kumo[fn] = function() end end
    kumo.start_esmtp_listener = function(t) print('L ' .. t.listen .. ' ' .. table.concat(t.relay_hosts, ',')) end
    package.preload['kumo'] = function() return kumo end
    dofile(arg[1])
    h['init']()
  `;
  const harnessFile = path.join(tmp, "harness.lua");
  writeFileSync(harnessFile, harness);
  const r = spawnSync("lua5.4", [harnessFile, policy], { encoding: "utf8" });
  if (r.status !== 0) throw new Error(`lua5.4 failed: ${r.stderr}`);
  return r.stdout
    .split("\n")
    .filter((l) => l.startsWith("L "))
    .map((l) => {
      const [, listen = "", relay = ""] = l.split(" ");
      return { listen, relay: relay.split(",") };
    });
}

describe("the generator in the hosts inventory", () => {
  it("becomes a third host, with the addresses each side uses", () => {
    const hosts = hostsFromInventoryData(inventory, path.join(tmp, "hosts.yaml"));
    expect(hosts.generator?.host).toMatchObject({ role: "generator", name: "generator (203.0.113.12)", address: "203.0.113.12", port: 22, user: "ubuntu" });
    expect(hosts.generator?.senderAddress).toBe("10.0.1.10");
    expect(hosts.generator?.addressSeenBySender).toBe("10.0.1.12");
  });

  it("needs an IP for the sender's relay list when the generator is a DNS name, and an IP to reach the sender", () => {
    const { addressSeenBySender: _, ...noSeen } = inventory.generator;
    expect(() => hostsFromInventoryData({ ...inventory, generator: { ...noSeen, address: "gen.example.com" } }, "x.yaml")).toThrow(/generator.addressSeenBySender: required when generator.address is a DNS name/);
    expect(() => hostsFromInventoryData({ ...inventory, generator: { ...inventory.generator, senderAddress: "sender.internal" } }, "x.yaml")).toThrow(/generator.senderAddress: must be an IP address/);
  });

  it("is optional: without it the lab has two hosts", () => {
    const { generator: _, ...two } = inventory;
    expect(hostsFromInventoryData(two, "x.yaml").generator).toBeUndefined();
  });
});

describe("the sender's generator listener", () => {
  const two = { sinkPort: 2525, sinkAddress: "198.18.7.11", senderAddress: "198.18.7.10" };

  it("listens on the sender's address at 2025 and relays for the generator alone; loopback stays as it was", () => {
    const hosts = { sinkAddressFromSender: "198.18.7.11", sinkPort: 2525, sender: { address: "198.18.7.10" }, generator: { senderAddress: "10.0.1.10", addressSeenBySender: "10.0.1.12" } } as unknown as LabHosts;
    const lua = renderSenderPolicy(policyInputs(hosts), delivery);
    expect(listeners(lua)).toEqual([
      { listen: "127.0.0.1:2025", relay: ["127.0.0.1", "::1"] },
      { listen: "10.0.1.10:2025", relay: ["10.0.1.12/32"] },
    ]);
  });

  it("is absent without a generator", () => {
    expect(listeners(renderSenderPolicy(two, delivery))).toEqual([{ listen: "127.0.0.1:2025", relay: ["127.0.0.1", "::1"] }]);
  });

  it("refuses anything but IP addresses in it", () => {
    expect(() => renderSenderPolicy({ ...two, generator: { senderAddress: "10.0.1.10", generatorAddress: "10.0.1.12'} os.execute('x" } }, delivery)).toThrow(/IP address/);
    expect(() => renderSenderPolicy({ ...two, generator: { senderAddress: "0.0.0.0/0", generatorAddress: "10.0.1.12" } }, delivery)).toThrow(/IP address/);
  });
});
