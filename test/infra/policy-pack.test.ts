/**
 * The CrossGuard policies called directly (a PolicyPack is never constructed here: it would start
 * a server), on good and bad resources, and on every resource the real program declares.
 */
import { describe, expect, test } from "vitest";
import { verdict } from "./policy-harness";
import {
  AWS_SECURITY_GROUP,
  AWS_SECURITY_GROUP_RULE,
  AWS_VPC_EGRESS_RULE,
  AWS_VPC_INGRESS_RULE,
  AZURE_NSG,
  AZURE_SECURITY_RULE,
  AZURE_VM,
  KUMOLAB_POLICIES,
  noSmtpEgressPolicy,
  noWorldSshPolicy,
  sinkMinVcpuPolicy,
  sinkSizeViolations,
  smtpEgressViolations,
  worldSshViolations,
} from "../../policy-pack/policies";


const tcp = (fromPort: number, toPort: number, cidrBlocks = ["0.0.0.0/0"]) => ({ protocol: "tcp", fromPort, toPort, cidrBlocks });
const denySmtp = { name: "deny-smtp", priority: 100, direction: "Outbound", access: "Deny", protocol: "Tcp", destinationAddressPrefix: "*", destinationPortRanges: ["25", "465", "587"] };

describe("no SMTP egress", () => {
  test("a security group egressing only 443 and the sink port passes", async () => {
    expect(await verdict(noSmtpEgressPolicy, AWS_SECURITY_GROUP, { egress: [tcp(443, 443), tcp(2525, 2525, ["198.19.0.1/32"])] })).toEqual([]);
  });

  test.each([
    ["port 25", [tcp(25, 25)], "TCP 25"],
    ["a range covering 465 and 587", [tcp(400, 600)], "TCP 465/587"],
    ["all protocols (-1)", [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }], "TCP 25/465/587"],
    ["all ports 0-65535", [tcp(0, 65535)], "TCP 25/465/587"],
    ["protocol number 6", [{ protocol: "6", fromPort: 587, toPort: 587, cidrBlocks: ["198.19.0.1/32"] }], "TCP 587"],
  ])("a security group with %s fails", async (_what, egress, ports) => {
    const v = await verdict(noSmtpEgressPolicy, AWS_SECURITY_GROUP, { egress });
    expect(v).toHaveLength(1);
    expect(v[0]).toContain(ports);
  });

  test("UDP 25 is not TCP and passes", () => {
    expect(smtpEgressViolations(AWS_SECURITY_GROUP, { egress: [{ protocol: "udp", fromPort: 25, toPort: 25, cidrBlocks: ["0.0.0.0/0"] }] })).toEqual([]);
  });

  test("standalone AWS rules: egress covering 25 fails, the same as ingress does not", () => {
    expect(smtpEgressViolations(AWS_SECURITY_GROUP_RULE, { type: "egress", ...tcp(1, 1024) })).toHaveLength(1);
    expect(smtpEgressViolations(AWS_SECURITY_GROUP_RULE, { type: "ingress", ...tcp(1, 1024) })).toEqual([]);
    expect(smtpEgressViolations(AWS_VPC_EGRESS_RULE, { ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" })).toHaveLength(1);
    expect(smtpEgressViolations(AWS_VPC_EGRESS_RULE, { ipProtocol: "tcp", fromPort: 443, toPort: 443, cidrIpv4: "0.0.0.0/0" })).toEqual([]);
  });

  test("an NSG with a Deny for 25/465/587 ahead of its allows passes", async () => {
    const allowWeb = { name: "web", priority: 300, direction: "Outbound", access: "Allow", protocol: "*", destinationAddressPrefix: "*", destinationPortRange: "*" };
    expect(await verdict(noSmtpEgressPolicy, AZURE_NSG, { securityRules: [allowWeb, denySmtp] })).toEqual([]);
  });

  test("an NSG without an outbound Deny fails: Azure's default rule lets 25 out", async () => {
    const v = await verdict(noSmtpEgressPolicy, AZURE_NSG, { securityRules: [] });
    expect(v).toHaveLength(3);
    expect(v[0]).toMatch(/no outbound Deny covers TCP 25.*AllowInternetOutBound/);
  });

  test("an NSG whose Allow-all outranks the Deny fails for every SMTP port", async () => {
    const allowAll = { name: "all-out", priority: 50, direction: "Outbound", access: "Allow", protocol: "*", destinationAddressPrefix: "*", destinationPortRange: "*" };
    const v = await verdict(noSmtpEgressPolicy, AZURE_NSG, { securityRules: [denySmtp, allowAll] });
    expect(v.map((m) => /TCP (\d+)/.exec(m)?.[1])).toEqual(["25", "465", "587"]);
    expect(v[0]).toContain("'all-out' (priority 50)");
  });

  test("an NSG allowing a port range 20-30 outbound before the Deny fails for 25 only", () => {
    const range = { name: "range", priority: 90, direction: "Outbound", access: "Allow", protocol: "Tcp", destinationAddressPrefix: "198.19.0.1", destinationPortRange: "20-30" };
    expect(smtpEgressViolations(AZURE_NSG, { securityRules: [range, denySmtp] })).toEqual([expect.stringContaining("allows TCP 25 out")]);
  });

  test("a standalone Azure outbound Allow of 587 fails", () => {
    const rule = { name: "sub", priority: 100, direction: "Outbound", access: "Allow", protocol: "Tcp", destinationAddressPrefix: "*", destinationPortRange: "587" };
    expect(smtpEgressViolations(AZURE_SECURITY_RULE, rule)).toEqual([expect.stringContaining("TCP 587")]);
  });
});

describe("no world-open SSH", () => {
  test.each([["0.0.0.0/0"], ["::/0"]])("a security group admitting SSH from %s fails", async (cidr) => {
    const rule = cidr.includes(":") ? { protocol: "tcp", fromPort: 22, toPort: 22, ipv6CidrBlocks: [cidr] } : tcp(22, 22, [cidr]);
    expect(await verdict(noWorldSshPolicy, AWS_SECURITY_GROUP, { ingress: [rule] })).toEqual([expect.stringContaining(`opens SSH to ${cidr}`)]);
  });

  test("SSH from the operator's /32 passes; all ports from the world fails", () => {
    expect(worldSshViolations(AWS_SECURITY_GROUP, { ingress: [tcp(22, 22, ["198.18.0.7/32"])] })).toEqual([]);
    expect(worldSshViolations(AWS_SECURITY_GROUP, { ingress: [{ protocol: "-1", fromPort: 0, toPort: 0, cidrBlocks: ["0.0.0.0/0"] }] })).toHaveLength(1);
    expect(worldSshViolations(AWS_VPC_INGRESS_RULE, { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "0.0.0.0/0" })).toHaveLength(1);
    expect(worldSshViolations(AWS_SECURITY_GROUP_RULE, { type: "ingress", ...tcp(20, 30) })).toHaveLength(1);
  });

  test.each([["*"], ["Internet"], ["0.0.0.0/0"]])("an NSG allowing SSH inbound from %s fails", async (source) => {
    const rule = { name: "ssh", priority: 200, direction: "Inbound", access: "Allow", protocol: "Tcp", sourceAddressPrefix: source, destinationPortRange: "22" };
    expect(await verdict(noWorldSshPolicy, AZURE_NSG, { securityRules: [rule] })).toHaveLength(1);
  });

  test("an NSG allowing SSH from the operator only passes", () => {
    const rule = { name: "ssh", priority: 200, direction: "Inbound", access: "Allow", protocol: "Tcp", sourceAddressPrefix: "198.18.0.7/32", destinationPortRange: "22" };
    expect(worldSshViolations(AZURE_NSG, { securityRules: [rule] })).toEqual([]);
    expect(worldSshViolations(AZURE_SECURITY_RULE, { ...rule, sourceAddressPrefix: undefined, sourceAddressPrefixes: ["198.18.0.0/24", "Internet"] })).toHaveLength(1);
  });
});

describe("sink of at least 8 vCPUs", () => {
  test("Standard_F8s_v2 passes, Standard_F4s_v2 fails, an unknown size fails", async () => {
    expect(await verdict(sinkMinVcpuPolicy, AZURE_VM, { hardwareProfile: { vmSize: "Standard_F8s_v2" } })).toEqual([]);
    expect(await verdict(sinkMinVcpuPolicy, AZURE_VM, { hardwareProfile: { vmSize: "Standard_F4s_v2" } })).toEqual([expect.stringContaining("has 4 vCPUs")]);
    expect(sinkSizeViolations(AZURE_VM, { hardwareProfile: { vmSize: "Standard_B1s" } })).toEqual([expect.stringContaining("not in lab-config/azure-sizes.ts")]);
  });

  test("other resource types are not judged", () => {
    expect(sinkSizeViolations("aws:ec2/instance:Instance", { instanceType: "t3.nano" })).toEqual([]);
  });
});


describe("unknown, unreadable and edge-case rules (fail closed)", () => {
  const allowOut = (name: string, priority: number | undefined, extra: Record<string, unknown>) => ({ name, priority, direction: "Outbound", access: "Allow", ...extra });

  test("properties not in the expected shape are refused, never passed, for every guarded type", () => {
    const shape = /properties not in the expected shape \(.*expected array.*\); cannot verify, so refused$/;
    expect(smtpEgressViolations(AWS_SECURITY_GROUP, { egress: "everything" })).toEqual([expect.stringMatching(shape)]);
    expect(smtpEgressViolations(AZURE_NSG, { securityRules: "everything" })).toEqual([expect.stringMatching(shape)]);
    expect(worldSshViolations(AWS_SECURITY_GROUP, { ingress: "everything" })).toEqual([expect.stringMatching(shape)]);
    expect(worldSshViolations(AZURE_NSG, { securityRules: "everything" })).toEqual([expect.stringMatching(shape)]);
    const notRead = /^.+: properties not in the expected shape \(.+\); cannot verify, so refused$/;
    expect(smtpEgressViolations(AWS_SECURITY_GROUP_RULE, { type: "egress", fromPort: "25" })).toEqual([expect.stringMatching(notRead)]);
    expect(smtpEgressViolations(AWS_VPC_EGRESS_RULE, { fromPort: "25" })).toEqual([expect.stringMatching(notRead)]);
    expect(smtpEgressViolations(AZURE_SECURITY_RULE, { priority: "first" })).toEqual([expect.stringMatching(notRead)]);
    expect(worldSshViolations(AWS_SECURITY_GROUP_RULE, { type: "ingress", fromPort: "22" })).toEqual([expect.stringMatching(notRead)]);
    expect(worldSshViolations(AWS_VPC_INGRESS_RULE, { cidrIpv4: 0 })).toEqual([expect.stringMatching(notRead)]);
    expect(worldSshViolations(AZURE_SECURITY_RULE, { sourceAddressPrefixes: "*" })).toEqual([expect.stringMatching(notRead)]);
    expect(sinkSizeViolations(AZURE_VM, { hardwareProfile: "big" })).toEqual([expect.stringMatching(notRead)]);
    expect(smtpEgressViolations(AWS_SECURITY_GROUP, { egress: "everything" })[0]).toMatch(/^aws:ec2\/securityGroup:SecurityGroup: /);
  });

  test("an AWS rule's message names it, its protocol and ports ('?' where unknown)", () => {
    expect(smtpEgressViolations(AWS_SECURITY_GROUP, { egress: [{ description: "mail", protocol: "tcp", fromPort: 20, toPort: 30 }] })).toEqual([
      "security group: egress rule 'mail' (tcp 20-30) lets TCP 25 out; allow only the ports the lab needs (never 25, 465, 587)",
    ]);
    expect(smtpEgressViolations(AWS_SECURITY_GROUP, { egress: [{}] })).toEqual([
      "security group: egress rule (? ?-?) lets TCP 25/465/587 out; allow only the ports the lab needs (never 25, 465, 587)",
    ]);
    expect(smtpEgressViolations(AWS_SECURITY_GROUP_RULE, { type: "egress", protocol: "all", fromPort: 0, toPort: 0 })).toEqual([
      "security group rule: egress rule (all 0-0) lets TCP 25/465/587 out; allow only the ports the lab needs (never 25, 465, 587)",
    ]);
    expect(smtpEgressViolations(AWS_VPC_EGRESS_RULE, { ipProtocol: "tcp", fromPort: 465, toPort: 465 })).toEqual([
      "security group egress rule: egress rule (tcp 465-465) lets TCP 465 out; allow only the ports the lab needs (never 25, 465, 587)",
    ]);
  });

  test("AWS: protocol 'all', a preview's unknown ports or protocol, and tcp 0-0 all count as letting SMTP out", () => {
    for (const rule of [{ protocol: "all", fromPort: 443, toPort: 443 }, { protocol: "tcp" }, { fromPort: 443, toPort: 443 }, { protocol: "tcp", fromPort: 0, toPort: 0 }]) {
      expect(smtpEgressViolations(AWS_SECURITY_GROUP, { egress: [rule] }), JSON.stringify(rule)).toHaveLength(1);
    }
    expect(smtpEgressViolations(AWS_SECURITY_GROUP, {})).toEqual([]); // no egress list at all: nothing goes out through it
    expect(smtpEgressViolations(AWS_SECURITY_GROUP, { ingress: [tcp(25, 25)] })).toEqual([]); // ingress is not egress
    expect(smtpEgressViolations(AWS_SECURITY_GROUP_RULE, { ...tcp(25, 25) })).toEqual([]); // no type: not an egress rule
  });

  // Unknowns are the worst case (issue 12): an Allow whose priority is not known may come first, a Deny's may come last.
  test("an NSG Allow without a priority is evaluated before every Deny, a Deny without one after every Allow", () => {
    const late = allowOut("late", undefined, { protocol: "*", destinationAddressPrefix: "*", destinationPortRange: "*" });
    expect(smtpEgressViolations(AZURE_NSG, { securityRules: [late, denySmtp] })).toHaveLength(3);
    expect(smtpEgressViolations(AZURE_NSG, { securityRules: [denySmtp, late] })).toEqual([
      "network security group: outbound rule 'late' (priority ?) allows TCP 25 out; put a Deny for TCP 25/465/587 before it",
      "network security group: outbound rule 'late' (priority ?) allows TCP 465 out; put a Deny for TCP 25/465/587 before it",
      "network security group: outbound rule 'late' (priority ?) allows TCP 587 out; put a Deny for TCP 25/465/587 before it",
    ]);
    const early = allowOut("early", 60, { protocol: "Tcp", destinationAddressPrefix: "*", destinationPortRange: "25" });
    const unnumberedDeny = { ...denySmtp, priority: undefined };
    expect(smtpEgressViolations(AZURE_NSG, { securityRules: [unnumberedDeny, early] })).toEqual([
      "network security group: outbound rule 'early' (priority 60) allows TCP 25 out; put a Deny for TCP 25/465/587 before it",
    ]);
    expect(smtpEgressViolations(AZURE_NSG, { securityRules: [early, unnumberedDeny] })).toHaveLength(1);
  });

  test("NSG: rules that do not cover TCP on the port, inbound rules and undecided access do not count as a Deny", () => {
    const udpAllowAll = allowOut("udp", 50, { protocol: "Udp", destinationAddressPrefix: "*", destinationPortRange: "*" });
    expect(smtpEgressViolations(AZURE_NSG, { securityRules: [udpAllowAll, denySmtp] })).toEqual([]);
    const otherPort = allowOut("web", 50, { protocol: "Tcp", destinationAddressPrefix: "*", destinationPortRange: "443" });
    expect(smtpEgressViolations(AZURE_NSG, { securityRules: [otherPort, denySmtp] })).toEqual([]);
    const inboundDeny = { ...denySmtp, direction: "Inbound" };
    expect(smtpEgressViolations(AZURE_NSG, { securityRules: [inboundDeny] })).toHaveLength(3);
    const undecided = { ...denySmtp, access: undefined };
    expect(smtpEgressViolations(AZURE_NSG, { securityRules: [undecided] })).toHaveLength(3);
    const noDirection = { ...denySmtp, direction: undefined };
    expect(smtpEgressViolations(AZURE_NSG, { securityRules: [noDirection] })).toHaveLength(3);
    expect(smtpEgressViolations(AZURE_NSG, {})).toEqual([
      "network security group: no outbound Deny covers TCP 25, so Azure's default AllowInternetOutBound lets it out; add a Deny rule for TCP 25/465/587 to '*'",
      "network security group: no outbound Deny covers TCP 465, so Azure's default AllowInternetOutBound lets it out; add a Deny rule for TCP 25/465/587 to '*'",
      "network security group: no outbound Deny covers TCP 587, so Azure's default AllowInternetOutBound lets it out; add a Deny rule for TCP 25/465/587 to '*'",
    ]);
  });

  test("NSG: a Deny towards one host does not block SMTP to everyone else; a Deny to every destination does", () => {
    const towardsOne = { ...denySmtp, destinationAddressPrefix: "198.19.0.1" };
    expect(smtpEgressViolations(AZURE_NSG, { securityRules: [towardsOne] })).toHaveLength(3);
    const towardsSome = { ...denySmtp, destinationAddressPrefix: undefined, destinationAddressPrefixes: ["198.19.0.1", "198.19.0.2"] };
    expect(smtpEgressViolations(AZURE_NSG, { securityRules: [towardsSome] })).toHaveLength(3);
    const noDestination = { ...denySmtp, destinationAddressPrefix: undefined };
    expect(smtpEgressViolations(AZURE_NSG, { securityRules: [noDestination] })).toEqual([]);
    for (const world of ["Internet", "0.0.0.0/0"]) {
      const listed = { ...denySmtp, destinationAddressPrefix: undefined, destinationAddressPrefixes: ["198.19.0.1", world] };
      expect(smtpEgressViolations(AZURE_NSG, { securityRules: [listed] }), world).toEqual([]);
    }
    const lowerCase = { ...denySmtp, direction: "outbound", access: "deny" };
    expect(smtpEgressViolations(AZURE_NSG, { securityRules: [lowerCase] })).toEqual([]);
  });

  test("a standalone Azure rule: only an outbound Allow covering an SMTP port is refused, named with its priority", () => {
    const rule = allowOut("mail", 120, { protocol: "*", destinationAddressPrefix: "*", destinationPortRange: "20-500" });
    expect(smtpEgressViolations(AZURE_SECURITY_RULE, rule)).toEqual([
      "security rule 'mail' (priority 120) allows TCP 25 out; the lab keeps 25/465/587 closed",
      "security rule 'mail' (priority 120) allows TCP 465 out; the lab keeps 25/465/587 closed",
    ]);
    expect(smtpEgressViolations(AZURE_SECURITY_RULE, { ...rule, direction: "Inbound" })).toEqual([]);
    expect(smtpEgressViolations(AZURE_SECURITY_RULE, { ...rule, access: "Deny" })).toEqual([]);
    expect(smtpEgressViolations(AZURE_SECURITY_RULE, { direction: "Outbound", access: "Allow" })).toEqual([
      "security rule '?' (priority ?) allows TCP 25 out; the lab keeps 25/465/587 closed",
      "security rule '?' (priority ?) allows TCP 465 out; the lab keeps 25/465/587 closed",
      "security rule '?' (priority ?) allows TCP 587 out; the lab keeps 25/465/587 closed",
    ]);
  });

  test("other resource types are not judged by the network policies", () => {
    expect(smtpEgressViolations("aws:ec2/instance:Instance", { egress: [tcp(25, 25)] })).toEqual([]);
    expect(worldSshViolations("aws:ec2/instance:Instance", { ingress: [tcp(22, 22)] })).toEqual([]);
    expect(smtpEgressViolations(AWS_VPC_INGRESS_RULE, { ipProtocol: "-1" })).toEqual([]);
    expect(worldSshViolations(AWS_VPC_EGRESS_RULE, { ipProtocol: "-1", cidrIpv4: "0.0.0.0/0" })).toEqual([]);
  });
});

describe("world-open SSH, edge cases", () => {
  test("AWS: the message names the rule and the world addresses; only SSH from the world counts", () => {
    expect(worldSshViolations(AWS_SECURITY_GROUP, { ingress: [{ description: "admin", protocol: "tcp", fromPort: 22, toPort: 22, cidrBlocks: ["198.18.0.7/32", "0.0.0.0/0"], ipv6CidrBlocks: ["::/0"] }] })).toEqual([
      "security group: ingress rule 'admin' (tcp 22-22) opens SSH to 0.0.0.0/0, ::/0; admit only the operator's address",
    ]);
    expect(worldSshViolations(AWS_SECURITY_GROUP, { ingress: [tcp(443, 443)] })).toEqual([]); // the world, but not SSH
    expect(worldSshViolations(AWS_SECURITY_GROUP, { ingress: [{ protocol: "udp", fromPort: 22, toPort: 22, cidrBlocks: ["0.0.0.0/0"] }] })).toEqual([]);
    expect(worldSshViolations(AWS_SECURITY_GROUP, { ingress: [{ protocol: "tcp", fromPort: 22, toPort: 22 }] })).toEqual([]); // no source
    expect(worldSshViolations(AWS_SECURITY_GROUP, { egress: [tcp(22, 22)] })).toEqual([]);
    expect(worldSshViolations(AWS_SECURITY_GROUP_RULE, { type: "egress", ...tcp(22, 22) })).toEqual([]);
    expect(worldSshViolations(AWS_SECURITY_GROUP_RULE, { type: "ingress", ...tcp(22, 22) })).toEqual([
      "security group rule: ingress rule (tcp 22-22) opens SSH to 0.0.0.0/0; admit only the operator's address",
    ]);
  });

  test("AWS VPC ingress rule: the IPv4 and the IPv6 source are both read", () => {
    expect(worldSshViolations(AWS_VPC_INGRESS_RULE, { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv6: "::/0" })).toEqual([
      "security group ingress rule: ingress rule (tcp 22-22) opens SSH to ::/0; admit only the operator's address",
    ]);
    expect(worldSshViolations(AWS_VPC_INGRESS_RULE, { ipProtocol: "tcp", fromPort: 22, toPort: 22, cidrIpv4: "198.18.0.7/32" })).toEqual([]);
    expect(worldSshViolations(AWS_VPC_INGRESS_RULE, { ipProtocol: "tcp", fromPort: 22, toPort: 22 })).toEqual([]);
  });

  test("Azure: only an inbound Allow of TCP 22 from the world counts; the 'Any' tag is the world", () => {
    const ssh = { name: "ssh", priority: 200, direction: "Inbound", access: "Allow", protocol: "Tcp", sourceAddressPrefix: "Any", destinationPortRange: "22" };
    expect(worldSshViolations(AZURE_SECURITY_RULE, ssh)).toEqual(["security rule: inbound rule 'ssh' (priority 200) opens SSH to Any; admit only the operator's address"]);
    expect(worldSshViolations(AZURE_NSG, { securityRules: [{ ...ssh, direction: "Outbound" }] })).toEqual([]);
    expect(worldSshViolations(AZURE_NSG, { securityRules: [{ ...ssh, access: "Deny" }] })).toEqual([]);
    expect(worldSshViolations(AZURE_NSG, { securityRules: [{ ...ssh, protocol: "Udp" }] })).toEqual([]);
    expect(worldSshViolations(AZURE_NSG, { securityRules: [{ ...ssh, destinationPortRange: "443" }] })).toEqual([]);
    // Azure requires a source; a rule that names none is read as the worst case (any source).
    expect(worldSshViolations(AZURE_NSG, { securityRules: [{ ...ssh, sourceAddressPrefix: undefined }] })).toEqual([
      "network security group: inbound rule 'ssh' (priority 200) opens SSH to any source; admit only the operator's address",
    ]);
    expect(worldSshViolations(AZURE_NSG, {})).toEqual([]);
    expect(worldSshViolations(AZURE_NSG, { securityRules: [{ ...ssh, direction: "inbound", access: "allow" }] })).toHaveLength(1);
  });
});

describe("sink size, edge cases", () => {
  test("a size not set is refused (its vCPUs cannot be checked); the messages name the size and the minimum", () => {
    const notSet = "the VM's size is not set, so its vCPUs cannot be checked; set hardwareProfile.vmSize to a known size with at least 8 vCPUs";
    expect(sinkSizeViolations(AZURE_VM, {})).toEqual([notSet]);
    expect(sinkSizeViolations(AZURE_VM, { hardwareProfile: {} })).toEqual([notSet]);
    expect(sinkSizeViolations(AZURE_VM, { hardwareProfile: { vmSize: "Standard_F4s_v2" } })).toEqual([
      "VM size 'Standard_F4s_v2' has 4 vCPUs; the sink needs at least 8 so that it is never the bottleneck",
    ]);
    expect(sinkSizeViolations(AZURE_VM, { hardwareProfile: { vmSize: "Standard_B1s" } })).toEqual([
      "VM size 'Standard_B1s' is not in lab-config/azure-sizes.ts, so its vCPUs are unknown; use a known size with at least 8 vCPUs or add its row",
    ]);
    expect(sinkSizeViolations(AZURE_VM, { hardwareProfile: { vmSize: "Standard_D16s_v5" } })).toEqual([]);
  });

  test("the policies' names, levels and descriptions, as the Pulumi CLI shows them", () => {
    expect(KUMOLAB_POLICIES.map((p) => [p.name, p.enforcementLevel])).toEqual([
      ["kumolab-no-smtp-egress", "mandatory"],
      ["kumolab-no-world-ssh", "mandatory"],
      ["kumolab-sink-min-vcpu", "mandatory"],
      ["kumolab-firewall-attached", "mandatory"],
    ]);
    expect(noSmtpEgressPolicy.description).toMatch(/TCP 25, 465 or 587/);
    expect(noWorldSshPolicy.description).toMatch(/SSH \(22\).*0\.0\.0\.0\/0/);
    expect(sinkMinVcpuPolicy.description).toMatch(/at least 8 vCPUs/);
  });
});
