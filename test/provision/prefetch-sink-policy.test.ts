/**
 * Prefetch and the sink's policy: the sink relays for both sender slots from the first
 * provisioning, and the policy is the same whichever slot is active, so a swap between sizes
 * never restarts the sink's kumod (and nothing is pushed to the sink while trials run).
 */
import { describe, expect, it } from "vitest";
import type { LabHosts } from "../../scripts/hosts/lab-hosts";
import { policyInputs, renderSinkPolicy } from "../../scripts/provision/policies";

function hosts(active: string, standby: string | undefined): LabHosts {
  const h = (role: "sender" | "sink", address: string) => ({ role, name: role, address, port: 22, user: "u", hostKey: { kind: "pinned" as const, publicKey: "ssh-ed25519 AAAA" }, credentials: { kind: "private-key-file" as const, path: "/dev/null" } });
  return {
    labId: "l",
    sender: h("sender", active),
    sink: h("sink", "198.18.7.11"),
    sinkAddressFromSender: "198.18.7.11",
    sinkPort: 2525,
    ...(standby !== undefined ? { alsoAdmitFromSink: [standby] } : {}),
    cloudFirewalls: [],
  };
}

const relayLine = (lua: string): string | undefined => lua.split("\n").find((l) => l.startsWith("local RELAY_HOSTS"));

describe("the sink's relay list with a standby sender", () => {
  it("one sender: the sink relays for it alone, as a /32", () => {
    expect(relayLine(renderSinkPolicy(policyInputs(hosts("198.18.7.10", undefined))))).toBe("local RELAY_HOSTS = { '127.0.0.1', '::1', '198.18.7.10/32' }");
  });

  it("two slots: both senders, and the same text whichever is active", () => {
    const aActive = renderSinkPolicy(policyInputs(hosts("198.18.7.20", "198.18.7.9")));
    const bActive = renderSinkPolicy(policyInputs(hosts("198.18.7.9", "198.18.7.20")));
    expect(relayLine(aActive)).toBe("local RELAY_HOSTS = { '127.0.0.1', '::1', '198.18.7.20/32', '198.18.7.9/32' }");
    expect(bActive).toBe(aActive);
  });

  it("a standby address that is not an IP is refused, naming the key", () => {
    expect(() => policyInputs(hosts("198.18.7.10", "standby.example"))).toThrow(/alsoAdmitFromSink/);
  });
});
