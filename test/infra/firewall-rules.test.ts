/**
 * The lab's firewall rules as data, rule by rule. Expected values written out by hand: SMTP 25,
 * submissions 465 (RFC 8314) and submission 587 (RFC 6409) closed outbound; SSH 22 from the operator.
 * No Pulumi import here: `npm run mutate` runs this file once per mutant of infra/firewall-rules.ts.
 */
import { describe, expect, test } from "vitest";
import { BLOCKED_SMTP_PORTS, isIpv6Cidr, rangeCoversSmtp, senderEgressRules, senderIngressRules, sinkSecurityRules, SMTP_DENY_PRIORITY, SSH_PORT } from "../../infra/firewall-rules";

describe("firewall rules", () => {
  test("sender egress: no rule covers an SMTP port, the sink port goes to the sink /32 only", () => {
    const rules = senderEgressRules("198.19.20.20", 2525);
    for (const r of rules.filter((x) => x.protocol === "tcp")) expect(rangeCoversSmtp(r.fromPort, r.toPort), r.description).toBe(false);
    expect(rules.filter((r) => r.fromPort === 2525)).toEqual([expect.objectContaining({ cidrBlocks: ["198.19.20.20/32"] })]);
    expect(rules.map((r) => `${r.protocol}/${r.fromPort}`).sort()).toEqual(["tcp/2525", "tcp/443", "tcp/53", "tcp/80", "udp/123", "udp/53"]);
  });

  test("a sink port that is an SMTP port is refused before any resource", () => {
    expect(() => senderEgressRules("198.19.20.20", 587)).toThrow(/would open an SMTP port/);
  });

  test("sender ingress uses the address family of the operator CIDR", () => {
    expect(senderIngressRules("198.18.0.7/32")).toEqual([expect.objectContaining({ fromPort: 22, toPort: 22, cidrBlocks: ["198.18.0.7/32"] })]);
    expect(senderIngressRules("2001:db8::7/128")[0]).toMatchObject({ ipv6CidrBlocks: ["2001:db8::7/128"] });
    expect(senderIngressRules("2001:db8::7/128")[0]?.cidrBlocks).toBeUndefined();
  });

  test("sink NSG: the SMTP deny comes first, inbound from the operator and the sender only", () => {
    const rules = sinkSecurityRules("198.18.0.7/32", "198.18.10.10", 2525);
    const sorted = [...rules].sort((a, b) => a.priority - b.priority);
    expect(sorted[0]).toMatchObject({ access: "Deny", direction: "Outbound", protocol: "Tcp", destinationPortRanges: ["25", "465", "587"] });
    expect(new Set(rules.map((r) => r.priority)).size).toBe(rules.length); // Azure refuses equal priorities
    expect(rules.filter((r) => r.direction === "Inbound").map((r) => [r.destinationPortRange, r.sourceAddressPrefix])).toEqual([
      ["22", "198.18.0.7/32"],
      ["2525", "198.18.10.10"],
    ]);
  });

  test("the blocked ports are SMTP 25, submissions 465 (RFC 8314) and submission 587 (RFC 6409); SSH is 22", () => {
    expect(BLOCKED_SMTP_PORTS).toEqual([25, 465, 587]);
    expect(SSH_PORT).toBe(22);
    // Below every lab allow (200, 210) and Azure's default rules (65000 and up).
    expect(SMTP_DENY_PRIORITY).toBe(100);
  });

  test("the sender's egress rules, rule by rule", () => {
    expect(senderEgressRules("198.19.20.20", 2525)).toEqual([
      { description: "HTTP for package repositories", protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: ["0.0.0.0/0"] },
      { description: "HTTPS for package repositories", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: ["0.0.0.0/0"] },
      { description: "DNS", protocol: "udp", fromPort: 53, toPort: 53, cidrBlocks: ["0.0.0.0/0"] },
      { description: "DNS over TCP", protocol: "tcp", fromPort: 53, toPort: 53, cidrBlocks: ["0.0.0.0/0"] },
      { description: "NTP", protocol: "udp", fromPort: 123, toPort: 123, cidrBlocks: ["0.0.0.0/0"] },
      { description: "SMTP to the lab sink only", protocol: "tcp", fromPort: 2525, toPort: 2525, cidrBlocks: ["198.19.20.20/32"] },
    ]);
  });

  test("each SMTP port as the sink port is refused, with the rule named", () => {
    expect(() => senderEgressRules("198.19.20.20", 25)).toThrow(
      "egress rule 'SMTP to the lab sink only' (tcp 25-25) would open an SMTP port; the lab keeps 25/465/587 closed",
    );
    expect(() => senderEgressRules("198.19.20.20", 465)).toThrow(/\(tcp 465-465\) would open an SMTP port/);
    expect(() => senderEgressRules("198.19.20.20", 24)).not.toThrow();
    expect(() => senderEgressRules("198.19.20.20", 588)).not.toThrow();
  });

  test("sender ingress: SSH only, over TCP, from the operator", () => {
    expect(senderIngressRules("198.18.0.7/32")).toEqual([{ description: "SSH from the operator", protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["198.18.0.7/32"] }]);
    expect(senderIngressRules("2001:db8::7/128")).toEqual([{ description: "SSH from the operator", protocol: "tcp", fromPort: 22, toPort: 22, ipv6CidrBlocks: ["2001:db8::7/128"] }]);
    expect(isIpv6Cidr("2001:db8::/32")).toBe(true);
    expect(isIpv6Cidr("198.18.0.0/15")).toBe(false);
  });

  test("the sink NSG, rule by rule", () => {
    expect(sinkSecurityRules("198.18.0.7/32", "198.18.10.10", 2525)).toEqual([
      {
        name: "deny-smtp-out",
        description: "No mail leaves the lab on the SMTP ports",
        priority: 100,
        direction: "Outbound",
        access: "Deny",
        protocol: "Tcp",
        sourceAddressPrefix: "*",
        sourcePortRange: "*",
        destinationAddressPrefix: "*",
        destinationPortRanges: ["25", "465", "587"],
      },
      {
        name: "ssh-from-operator",
        description: "SSH from the operator",
        priority: 200,
        direction: "Inbound",
        access: "Allow",
        protocol: "Tcp",
        sourceAddressPrefix: "198.18.0.7/32",
        sourcePortRange: "*",
        destinationAddressPrefix: "*",
        destinationPortRange: "22",
      },
      {
        name: "smtp-from-sender",
        description: "The sink port from the lab sender only",
        priority: 210,
        direction: "Inbound",
        access: "Allow",
        protocol: "Tcp",
        sourceAddressPrefix: "198.18.10.10",
        sourcePortRange: "*",
        destinationAddressPrefix: "*",
        destinationPortRange: "2525",
      },
    ]);
  });

  test("rangeCoversSmtp", () => {
    expect(rangeCoversSmtp(24, 24)).toBe(false);
    expect(rangeCoversSmtp(20, 25)).toBe(true);
    expect(rangeCoversSmtp(587, 600)).toBe(true);
    expect(rangeCoversSmtp(465, 465)).toBe(true);
    expect(rangeCoversSmtp(466, 586)).toBe(false);
    expect(rangeCoversSmtp(25, 25)).toBe(true);
    expect(rangeCoversSmtp(460, 470)).toBe(true);
    expect(rangeCoversSmtp(26, 464)).toBe(false);
    expect(rangeCoversSmtp(588, 65535)).toBe(false);
  });
});
