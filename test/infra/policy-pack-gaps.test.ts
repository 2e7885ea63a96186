/**
 * The gaps issue 12 found in the policy pack, each closed: world-equivalent CIDRs, a Deny
 * restricted by source, versioned azure-native type tokens, the VPC's default security group,
 * NICs/instances/ENIs with no firewall, and values not known at preview read as the worst case
 * (props wrapped exactly as @pulumi/policy's server wraps them: proxy.js `unknownCheckingProxy`).
 */
import { describe, expect, test } from "vitest";
import { smtpEgressViolations, unguardedAttachmentViolations, worldSshViolations, sinkSizeViolations } from "../../policy-pack/policies";

// node_modules/@pulumi/policy/proxy.js: the engine's markers for values not known yet.
const UNKNOWN_STRING = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const UNKNOWN_NUMBER = "3eeb2bf0-c639-47a8-9e75-3b44932eb421";
const UNKNOWN_ARRAY = "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2";

/** What the policy server hands `validateResource` (server.js: `unknownCheckingProxy(deserializeProperties(...))`). */
function asServerHandsIt(props: Record<string, unknown>): unknown {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const proxy = require("@pulumi/policy/proxy") as { unknownCheckingProxy: (o: object) => unknown };
  return proxy.unknownCheckingProxy(props);
}

const SG = "aws:ec2/securityGroup:SecurityGroup";
const NSG = "azure-native:network:NetworkSecurityGroup";
const ssh = (cidr: string) => ({ ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: [cidr] }] });
// Azure's rule fields (learn.microsoft.com, "Network security groups: security rules": source, source ports, destination, destination ports).
const deny = { name: "deny-smtp", priority: 100, direction: "Outbound", access: "Deny", protocol: "Tcp", sourceAddressPrefix: "*", sourcePortRange: "*", destinationAddressPrefix: "*", destinationPortRanges: ["25", "465", "587"] };

describe("world-equivalent CIDRs are the world", () => {
  test.each(["0.0.0.0/1", "128.0.0.0/1", "1.2.3.4/0", "::0/0", "2000::/3"])("SSH from %s is refused", (cidr) => {
    expect(worldSshViolations(SG, ssh(cidr))).toEqual([`security group: ingress rule (tcp 22-22) opens SSH to ${cidr}; admit only the operator's address`]);
  });

  test("SSH from one address passes", () => {
    expect(worldSshViolations(SG, ssh("198.18.0.7/32"))).toEqual([]);
  });
});

describe("a Deny covers SMTP only when it reaches every source, source port and destination", () => {
  test("the full Deny covers", () => {
    expect(smtpEgressViolations(NSG, { securityRules: [deny] })).toEqual([]);
  });

  test.each([
    ["one source address", { sourceAddressPrefix: "198.18.0.0/24" }],
    ["source addresses without the world", { sourceAddressPrefix: undefined, sourceAddressPrefixes: ["198.18.0.0/24", "198.19.0.0/24"] }],
    ["one source port", { sourcePortRange: "1024" }],
    ["a source port range", { sourcePortRange: undefined, sourcePortRanges: ["1024-65535"] }],
    ["a source not known yet", { sourceAddressPrefix: UNKNOWN_STRING }],
    ["destination ports not known yet", { destinationPortRanges: UNKNOWN_ARRAY }],
  ])("a Deny restricted to %s is not a cover", (_what, change) => {
    const v = smtpEgressViolations(NSG, asServerHandsIt({ securityRules: [{ ...deny, ...change }] }) as Record<string, unknown>);
    expect(v).toEqual([
      "network security group: no outbound Deny covers TCP 25, so Azure's default AllowInternetOutBound lets it out; add a Deny rule for TCP 25/465/587 to '*'",
      "network security group: no outbound Deny covers TCP 465, so Azure's default AllowInternetOutBound lets it out; add a Deny rule for TCP 25/465/587 to '*'",
      "network security group: no outbound Deny covers TCP 587, so Azure's default AllowInternetOutBound lets it out; add a Deny rule for TCP 25/465/587 to '*'",
    ]);
  });

  test("source ports 0-65535 are every source port", () => {
    expect(smtpEgressViolations(NSG, { securityRules: [{ ...deny, sourcePortRange: "0-65535" }] })).toEqual([]);
  });
});

describe("type tokens and resources that used to pass unjudged", () => {
  test("a versioned azure-native NSG is judged as the NSG", () => {
    expect(smtpEgressViolations("azure-native:network/v20240501:NetworkSecurityGroup", { securityRules: [] })).toHaveLength(3);
    expect(worldSshViolations("azure-native:network/v20230201:SecurityRule", { name: "ssh", priority: 200, direction: "Inbound", access: "Allow", protocol: "Tcp", sourceAddressPrefix: "*", destinationPortRange: "22" })).toHaveLength(1);
    expect(sinkSizeViolations("azure-native:compute/v20240301:VirtualMachine", { hardwareProfile: { vmSize: "Standard_F4s_v2" } })).toEqual([
      "VM size 'Standard_F4s_v2' has 4 vCPUs; the sink needs at least 8 so that it is never the bottleneck",
    ]);
  });

  test("the VPC's default security group is judged like any group", () => {
    const t = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup";
    expect(worldSshViolations(t, ssh("0.0.0.0/0"))).toHaveLength(1);
    expect(smtpEgressViolations(t, { egress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] })).toHaveLength(1);
  });

  test("an Azure NIC without an NSG, an EC2 instance or ENI without a security group are refused", () => {
    expect(unguardedAttachmentViolations("azure-native:network:NetworkInterface", { ipConfigurations: [] })).toEqual([
      "network interface has no network security group: Azure's defaults would let TCP 25/465/587 out; attach the lab's NSG (networkSecurityGroup.id)",
    ]);
    expect(unguardedAttachmentViolations("azure-native:network:NetworkInterface", { networkSecurityGroup: { id: "/subscriptions/x/nsg" } })).toEqual([]);
    expect(unguardedAttachmentViolations("aws:ec2/instance:Instance", { instanceType: "c5.large" })).toEqual([
      "instance names no security group, so it lands in the VPC's default group; give it the lab's group (vpcSecurityGroupIds)",
    ]);
    expect(unguardedAttachmentViolations("aws:ec2/instance:Instance", { vpcSecurityGroupIds: ["sg-1"] })).toEqual([]);
    expect(unguardedAttachmentViolations("aws:ec2/instance:Instance", { primaryNetworkInterface: { networkInterfaceId: "eni-1" } })).toEqual([]);
    expect(unguardedAttachmentViolations("aws:ec2/networkInterface:NetworkInterface", { subnetId: "subnet-1" })).toEqual([
      "network interface names no security group, so it is in the VPC's default group; give it the lab's group (securityGroups)",
    ]);
  });
});

describe("values not known at preview are the worst case, and readable behind the server's proxy", () => {
  test("an unknown rule list on a security group lets SMTP out and SSH in", () => {
    const props = asServerHandsIt({ ingress: UNKNOWN_ARRAY, egress: UNKNOWN_ARRAY });
    expect(smtpEgressViolations(SG, props)).toHaveLength(1);
    expect(worldSshViolations(SG, props)).toEqual([
      "security group: ingress rule '(a value not known yet at preview)' ((a value not known yet at preview) ?-?) opens SSH to (a value not known yet at preview); admit only the operator's address",
    ]);
  });

  test("an unknown CIDR on an SSH rule is refused; unknown ports count as every port", () => {
    expect(worldSshViolations(SG, asServerHandsIt(ssh(UNKNOWN_STRING)))).toHaveLength(1);
    expect(smtpEgressViolations(SG, asServerHandsIt({ egress: [{ protocol: "tcp", fromPort: UNKNOWN_NUMBER, toPort: UNKNOWN_NUMBER, cidrBlocks: ["0.0.0.0/0"] }] }))).toHaveLength(1);
  });

  test("NSG rules of unknown priority, direction or access: an Allow is taken first and both ways, a Deny does not count", () => {
    const allow25 = { name: "a", priority: UNKNOWN_NUMBER, direction: "Outbound", access: "Allow", protocol: "Tcp", destinationAddressPrefix: "*", destinationPortRange: "25" };
    expect(smtpEgressViolations(NSG, asServerHandsIt({ securityRules: [deny, allow25] }))).toEqual([
      "network security group: outbound rule 'a' (priority (a value not known yet at preview)) allows TCP 25 out; put a Deny for TCP 25/465/587 before it",
    ]);
    const unknownDirDeny = { ...deny, direction: UNKNOWN_STRING };
    expect(smtpEgressViolations(NSG, asServerHandsIt({ securityRules: [unknownDirDeny] }))).toHaveLength(3);
    const unknownAccessSsh = { name: "s", priority: 200, direction: "Inbound", access: UNKNOWN_STRING, protocol: "Tcp", sourceAddressPrefix: "*", destinationPortRange: "22" };
    expect(worldSshViolations(NSG, asServerHandsIt({ securityRules: [deny, unknownAccessSsh] }))).toHaveLength(1);
    expect(smtpEgressViolations(NSG, asServerHandsIt({ securityRules: UNKNOWN_ARRAY }))).toHaveLength(3);
  });

  test("a known NSG whose only unknown is the sender's address passes (what `preview` of a new lab sends)", () => {
    const sinkPort = { name: "smtp-from-sender", priority: 210, direction: "Inbound", access: "Allow", protocol: "Tcp", sourceAddressPrefix: UNKNOWN_STRING, sourcePortRange: "*", destinationAddressPrefix: "*", destinationPortRange: "2525" };
    const props = asServerHandsIt({ securityRules: [deny, sinkPort] });
    expect(smtpEgressViolations(NSG, props)).toEqual([]);
    expect(worldSshViolations(NSG, props)).toEqual([]);
  });

  test("a VM size not known yet is refused, not skipped", () => {
    expect(sinkSizeViolations("azure-native:compute:VirtualMachine", asServerHandsIt({ hardwareProfile: { vmSize: UNKNOWN_STRING } }))).toEqual([
      "the VM's size is not known yet at preview, so its vCPUs cannot be checked; set hardwareProfile.vmSize to a known size with at least 8 vCPUs",
    ]);
  });
});
