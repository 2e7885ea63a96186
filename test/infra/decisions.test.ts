/** The lab's pure decisions on their own: firewall rules, tags and lab id, AMI filter, image, operator CIDR. */
import { describe, expect, test } from "vitest";
import { amiFilter, CANONICAL_OWNER_ID } from "../../infra/ami";
import { azureImageReference } from "../../infra/azure-image";
import { BLOCKED_SMTP_PORTS, isIpv6Cidr, rangeCoversSmtp, senderEgressRules, senderIngressRules, sinkSecurityRules, SMTP_DENY_PRIORITY, SSH_PORT } from "../../infra/firewall-rules";
import { operatorCidrFromLookup, resolveOperatorCidr, type FetchText } from "../../infra/operator-cidr";
import { awsTags, expiresAt, labIdFor, labTags } from "../../infra/tags";
import { labConfig } from "./lab-fixture";

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

describe("tags and lab id", () => {
  test("expiresAt is creation + TTL", () => {
    expect(expiresAt("2026-03-01T12:00:00Z", 4)).toBe("2026-03-01T16:00:00.000Z");
    expect(expiresAt("2026-03-01T23:30:00Z", 1.5)).toBe("2026-03-02T01:00:00.000Z");
    expect(() => expiresAt("yesterday", 4)).toThrow(/not an ISO 8601 time/);
  });

  test("lab tags and the AWS Name tag", () => {
    const tags = labTags({ labId: "kumolab-dev", createdBy: "ana", createdAt: "2026-03-01T12:00:00Z", ttlHours: 4 });
    expect(tags).toEqual({ labId: "kumolab-dev", createdBy: "ana", createdAt: "2026-03-01T12:00:00.000Z", expiresAt: "2026-03-01T16:00:00.000Z", managedBy: "kumolab" });
    expect(awsTags(tags, "vpc")).toMatchObject({ ...tags, Name: "kumolab-dev-vpc" });
    // Azure refuses these characters in tag names.
    for (const k of Object.keys(tags)) expect(k).not.toMatch(/[<>%&\\?/]/);
  });

  test("lab id: stable, lower-case, cloud-safe", () => {
    expect(labIdFor("kumolab", "dev")).toBe("kumolab-dev");
    expect(labIdFor("kumolab", "Ana/Graviton Test")).toBe("kumolab-ana-graviton-test");
    // 40 characters: "kumolab-" (8) and 32 x's.
    expect(labIdFor("kumolab", "x".repeat(80))).toBe("kumolab-xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx");
    // Cut at 40 on a dash: the dash goes too ("kumolab-" + 31 a's + "-" is 40 characters).
    expect(labIdFor("kumolab", `${"a".repeat(31)}-bbbb`)).toBe(`kumolab-${"a".repeat(31)}`);
    expect(labIdFor("kumolab", "--Dev__Box--")).toBe("kumolab-dev-box");
    expect(() => labIdFor("", "!!!")).toThrow(/cannot derive a lab id from project '' and stack '!!!'/);
  });
});

describe("images", () => {
  test("AMI filter: Canonical only, the release and architecture in the name and as a filter", () => {
    expect(amiFilter("ubuntu-22.04", "x86_64")).toEqual({
      owners: [CANONICAL_OWNER_ID],
      mostRecent: true,
      filters: [
        { name: "name", values: ["ubuntu/images/hvm-ssd*/ubuntu-jammy-22.04-amd64-server-*"] },
        { name: "architecture", values: ["x86_64"] },
        { name: "virtualization-type", values: ["hvm"] },
        { name: "root-device-type", values: ["ebs"] },
      ],
    });
    const arm = amiFilter("ubuntu-20.04", "arm64");
    expect(arm.filters?.[0]?.values).toEqual(["ubuntu/images/hvm-ssd*/ubuntu-focal-20.04-arm64-server-*"]);
    expect(arm.filters?.[1]?.values).toEqual(["arm64"]);
  });

  test("Azure image reference per release", () => {
    expect(azureImageReference("ubuntu-22.04")).toMatchObject({ publisher: "Canonical", sku: "22_04-lts-gen2" });
    expect(azureImageReference("ubuntu-20.04")).toMatchObject({ offer: "0001-com-ubuntu-server-focal" });
  });
});

describe("operator CIDR", () => {
  const auto = labConfig({ "kumolab:operatorCidr": "auto", "kumolab:operatorIpLookupUrl": "https://checkip.example.invalid/" });
  const answering =
    (body: string): FetchText =>
    async () =>
      body;

  test("an explicit CIDR is used as is, without any lookup", async () => {
    const never: FetchText = () => Promise.reject(new Error("must not be called"));
    expect(await resolveOperatorCidr(labConfig({ "kumolab:operatorCidr": "198.18.0.0/24" }), never)).toBe("198.18.0.0/24");
  });

  test("auto: the looked-up IPv4 becomes a /32; the configured URL and a timeout are used", async () => {
    const seen: [string, number][] = [];
    const fetchText: FetchText = async (url, timeoutMs) => {
      seen.push([url, timeoutMs]);
      return "198.18.0.99\n";
    };
    expect(await resolveOperatorCidr(auto, fetchText)).toBe("198.18.0.99/32");
    expect(seen).toEqual([["https://checkip.example.invalid/", 10_000]]);
  });

  test("auto: an answer that is not an IPv4 address is refused with what to do", async () => {
    await expect(resolveOperatorCidr(auto, answering("<html>hello</html>"))).rejects.toThrow(/answered '<html>hello<\/html>', not a bare IPv4 address; set kumolab:operatorCidr/);
    expect(() => operatorCidrFromLookup("256.1.1.1", "u")).toThrow(/not a bare IPv4/);
    expect(() => operatorCidrFromLookup("2001:db8::1", "u")).toThrow(/not a bare IPv4/);
  });

  test("auto: a failed lookup names the URL and says nothing was created", async () => {
    const failing: FetchText = () => Promise.reject(new Error("The operation was aborted due to timeout"));
    await expect(resolveOperatorCidr(auto, failing, 50)).rejects.toThrow(
      /looking up your public IP at https:\/\/checkip\.example\.invalid\/ failed \(The operation was aborted due to timeout, timeout 50 ms\).*nothing was created/,
    );
  });
});
