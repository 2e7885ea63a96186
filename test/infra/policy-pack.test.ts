/**
 * The CrossGuard policies called directly (a PolicyPack is never constructed here: it would start
 * a server), on good and bad resources, and on every resource the real program declares.
 */
import type { ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { describe, expect, test } from "vitest";
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
import { labConfig, runLab } from "./lab-fixture";

/** What the engine hands a resource policy; only type and props matter to ours. */
function args(type: string, props: Record<string, unknown>): ResourceValidationArgs {
  return {
    type,
    props,
    urn: `urn:pulumi:test::kumolab::${type}::r`,
    name: "r",
    opts: { protect: false, ignoreChanges: [], aliases: [], customTimeouts: { createSeconds: 0, updateSeconds: 0, deleteSeconds: 0 }, additionalSecretOutputs: [] },
    stackTags: new Map(),
    isType: () => false,
    asType: () => undefined,
    getConfig: <T extends object>() => ({}) as T,
    notApplicable: (reason?: string): never => {
      throw new Error(`not applicable: ${reason ?? ""}`);
    },
  };
}

async function verdict(policy: ResourceValidationPolicy, type: string, props: Record<string, unknown>): Promise<string[]> {
  const messages: string[] = [];
  const validators = policy.validateResource === undefined ? [] : Array.isArray(policy.validateResource) ? policy.validateResource : [policy.validateResource];
  for (const v of validators) await v(args(type, props), (m) => messages.push(m));
  return messages;
}

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

test("every resource of the default lab passes every policy", async () => {
  const run = await runLab(labConfig());
  expect(KUMOLAB_POLICIES.map((p) => p.enforcementLevel)).toEqual(["mandatory", "mandatory", "mandatory"]);
  for (const r of run.mocks.resources) {
    for (const p of KUMOLAB_POLICIES) expect(await verdict(p, r.type, r.inputs), `${p.name} on ${r.type} ${r.name}`).toEqual([]);
  }
});
