/**
 * kumolab's CrossGuard policies as plain functions: each takes a resource's type and properties
 * and returns the violations (empty = compliant). The PolicyPack itself is built only in ./index.ts
 * (constructing one starts a server), so these can be tested directly.
 */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { z } from "zod";
import { AZURE_VM_SIZES, MIN_SINK_VCPU } from "../lab-config/azure-sizes";
import { awsRuleCoversPort, azurePortsCover, azureProtocolIncludesTcp, isWorld, SMTP_PORTS, SSH_PORT } from "./port-coverage";

export const AWS_SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup";
export const AWS_SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
export const AWS_VPC_EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
export const AWS_VPC_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
export const AZURE_NSG = "azure-native:network:NetworkSecurityGroup";
export const AZURE_SECURITY_RULE = "azure-native:network:SecurityRule";
export const AZURE_VM = "azure-native:compute:VirtualMachine";

// Loose shapes of the properties the policies read. Values unknown during preview arrive as undefined.
const strings = z.array(z.string()).optional();
const port = z.number().optional();
const awsInlineRule = z.looseObject({
  protocol: z.union([z.string(), z.number()]).optional(),
  fromPort: port,
  toPort: port,
  cidrBlocks: strings,
  ipv6CidrBlocks: strings,
  description: z.string().optional(),
});
type AwsInlineRule = z.infer<typeof awsInlineRule>;
const awsSecurityGroup = z.looseObject({ ingress: z.array(awsInlineRule).optional(), egress: z.array(awsInlineRule).optional() });
const awsSecurityGroupRule = z.looseObject({ type: z.string().optional() }).and(awsInlineRule);
const awsVpcRule = z.looseObject({
  ipProtocol: z.union([z.string(), z.number()]).optional(),
  fromPort: port,
  toPort: port,
  cidrIpv4: z.string().optional(),
  cidrIpv6: z.string().optional(),
});
const azureRule = z.looseObject({
  name: z.string().optional(),
  priority: z.number().optional(),
  direction: z.string().optional(),
  access: z.string().optional(),
  protocol: z.string().optional(),
  sourceAddressPrefix: z.string().optional(),
  sourceAddressPrefixes: strings,
  destinationAddressPrefix: z.string().optional(),
  destinationAddressPrefixes: strings,
  destinationPortRange: z.string().optional(),
  destinationPortRanges: strings,
});
type AzureRule = z.infer<typeof azureRule>;
const azureNsg = z.looseObject({ securityRules: z.array(azureRule).optional() });
const azureVm = z.looseObject({ hardwareProfile: z.looseObject({ vmSize: z.string().optional() }).optional() });

function parse<T>(schema: z.ZodType<T>, type: string, props: unknown): T | string {
  const r = schema.safeParse(props);
  return r.success ? r.data : `${type}: properties not in the expected shape (${r.error.issues[0]?.message ?? "?"}); cannot verify, so refused`;
}

function awsRuleLabel(r: AwsInlineRule): string {
  return `${r.description ? `'${r.description}' ` : ""}(${r.protocol ?? "?"} ${r.fromPort ?? "?"}-${r.toPort ?? "?"})`;
}

function awsEgressSmtp(rules: AwsInlineRule[], where: string): string[] {
  return rules.flatMap((r) => {
    const open = SMTP_PORTS.filter((p) => awsRuleCoversPort(r.protocol, r.fromPort, r.toPort, p));
    return open.length > 0 ? [`${where}: egress rule ${awsRuleLabel(r)} lets TCP ${open.join("/")} out; allow only the ports the lab needs (never 25, 465, 587)`] : [];
  });
}

function awsIngressWorldSsh(rules: AwsInlineRule[], where: string): string[] {
  return rules.flatMap((r) => {
    const world = [...(r.cidrBlocks ?? []), ...(r.ipv6CidrBlocks ?? [])].filter(isWorld);
    return world.length > 0 && awsRuleCoversPort(r.protocol, r.fromPort, r.toPort, SSH_PORT)
      ? [`${where}: ingress rule ${awsRuleLabel(r)} opens SSH to ${world.join(", ")}; admit only the operator's address`]
      : [];
  });
}

function azureRuleLabel(r: AzureRule): string {
  return `'${r.name ?? "?"}' (priority ${r.priority ?? "?"})`;
}

const isDir = (r: AzureRule, dir: string) => (r.direction ?? "").toLowerCase() === dir;
const isAccess = (r: AzureRule, access: string) => (r.access ?? "").toLowerCase() === access;
const tcpOn = (r: AzureRule, p: number) => azureProtocolIncludesTcp(r.protocol) && azurePortsCover(r.destinationPortRange, r.destinationPortRanges, p);
const destinations = (r: AzureRule) => [...(r.destinationAddressPrefix !== undefined ? [r.destinationAddressPrefix] : []), ...(r.destinationAddressPrefixes ?? [])];
const sources = (r: AzureRule) => [...(r.sourceAddressPrefix !== undefined ? [r.sourceAddressPrefix] : []), ...(r.sourceAddressPrefixes ?? [])];

/**
 * Azure evaluates rules by priority (lowest number first) and, after them, its defaults, one of
 * which (AllowInternetOutBound) lets everything out. So each SMTP port must meet a Deny to every
 * destination before any Allow that covers it.
 */
function azureNsgSmtpEgress(rules: AzureRule[], where: string): string[] {
  const outbound = rules.filter((r) => isDir(r, "outbound")).sort((a, b) => (a.priority ?? Infinity) - (b.priority ?? Infinity));
  return SMTP_PORTS.flatMap((p) => {
    for (const r of outbound) {
      if (!tcpOn(r, p)) continue;
      if (isAccess(r, "allow")) return [`${where}: outbound rule ${azureRuleLabel(r)} allows TCP ${p} out; put a Deny for TCP 25/465/587 before it`];
      const dests = destinations(r);
      if (isAccess(r, "deny") && (dests.length === 0 || dests.some(isWorld))) return [];
    }
    return [`${where}: no outbound Deny covers TCP ${p}, so Azure's default AllowInternetOutBound lets it out; add a Deny rule for TCP 25/465/587 to '*'`];
  });
}

function azureWorldSsh(rules: AzureRule[], where: string): string[] {
  return rules.flatMap((r) => {
    const world = sources(r).filter(isWorld);
    return isDir(r, "inbound") && isAccess(r, "allow") && tcpOn(r, SSH_PORT) && world.length > 0
      ? [`${where}: inbound rule ${azureRuleLabel(r)} opens SSH to ${world.join(", ")}; admit only the operator's address`]
      : [];
  });
}

/** Violations: anything that would let TCP 25/465/587 leave the lab. */
export function smtpEgressViolations(type: string, props: unknown): string[] {
  switch (type) {
    case AWS_SECURITY_GROUP: {
      const sg = parse(awsSecurityGroup, type, props);
      return typeof sg === "string" ? [sg] : awsEgressSmtp(sg.egress ?? [], "security group");
    }
    case AWS_SECURITY_GROUP_RULE: {
      const r = parse(awsSecurityGroupRule, type, props);
      if (typeof r === "string") return [r];
      return r.type === "egress" ? awsEgressSmtp([r], "security group rule") : [];
    }
    case AWS_VPC_EGRESS_RULE: {
      const r = parse(awsVpcRule, type, props);
      if (typeof r === "string") return [r];
      return awsEgressSmtp([{ protocol: r.ipProtocol, fromPort: r.fromPort, toPort: r.toPort }], "security group egress rule");
    }
    case AZURE_NSG: {
      const nsg = parse(azureNsg, type, props);
      return typeof nsg === "string" ? [nsg] : azureNsgSmtpEgress(nsg.securityRules ?? [], "network security group");
    }
    case AZURE_SECURITY_RULE: {
      // A standalone rule is judged alone: an outbound Allow covering an SMTP port is refused.
      const r = parse(azureRule, type, props);
      if (typeof r === "string") return [r];
      return isDir(r, "outbound") && isAccess(r, "allow")
        ? SMTP_PORTS.filter((p) => tcpOn(r, p)).map((p) => `security rule ${azureRuleLabel(r)} allows TCP ${p} out; the lab keeps 25/465/587 closed`)
        : [];
    }
    default:
      return [];
  }
}

/** Violations: SSH (22) open to 0.0.0.0/0, ::/0, '*' or 'Internet'. */
export function worldSshViolations(type: string, props: unknown): string[] {
  switch (type) {
    case AWS_SECURITY_GROUP: {
      const sg = parse(awsSecurityGroup, type, props);
      return typeof sg === "string" ? [sg] : awsIngressWorldSsh(sg.ingress ?? [], "security group");
    }
    case AWS_SECURITY_GROUP_RULE: {
      const r = parse(awsSecurityGroupRule, type, props);
      if (typeof r === "string") return [r];
      return r.type === "ingress" ? awsIngressWorldSsh([r], "security group rule") : [];
    }
    case AWS_VPC_INGRESS_RULE: {
      const r = parse(awsVpcRule, type, props);
      if (typeof r === "string") return [r];
      const cidrs = [r.cidrIpv4, r.cidrIpv6].filter((c): c is string => c !== undefined);
      return awsIngressWorldSsh([{ protocol: r.ipProtocol, fromPort: r.fromPort, toPort: r.toPort, cidrBlocks: cidrs }], "security group ingress rule");
    }
    case AZURE_NSG: {
      const nsg = parse(azureNsg, type, props);
      return typeof nsg === "string" ? [nsg] : azureWorldSsh(nsg.securityRules ?? [], "network security group");
    }
    case AZURE_SECURITY_RULE: {
      const r = parse(azureRule, type, props);
      return typeof r === "string" ? [r] : azureWorldSsh([r], "security rule");
    }
    default:
      return [];
  }
}

/** Violations: an Azure VM (the lab's sink) of an unknown size or under 8 vCPUs. */
export function sinkSizeViolations(type: string, props: unknown): string[] {
  if (type !== AZURE_VM) return [];
  const vm = parse(azureVm, type, props);
  if (typeof vm === "string") return [vm];
  const size = vm.hardwareProfile?.vmSize;
  if (size === undefined) return []; // not known yet (preview of a computed value)
  const known = AZURE_VM_SIZES[size];
  if (!known) return [`VM size '${size}' is not in lab-config/azure-sizes.ts, so its vCPUs are unknown; use a known size with at least ${MIN_SINK_VCPU} vCPUs or add its row`];
  return known.vcpu < MIN_SINK_VCPU ? [`VM size '${size}' has ${known.vcpu} vCPUs; the sink needs at least ${MIN_SINK_VCPU} so that it is never the bottleneck`] : [];
}

function resourcePolicy(name: string, description: string, check: (type: string, props: unknown) => string[]): ResourceValidationPolicy {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    validateResource: (args: ResourceValidationArgs, reportViolation: ReportViolation) => {
      for (const message of check(args.type, args.props)) reportViolation(message);
    },
  };
}

export const noSmtpEgressPolicy = resourcePolicy(
  "kumolab-no-smtp-egress",
  "No security group, security group rule, NSG or NSG rule may let TCP 25, 465 or 587 out.",
  smtpEgressViolations,
);
export const noWorldSshPolicy = resourcePolicy("kumolab-no-world-ssh", "SSH (22) must not be open to 0.0.0.0/0, ::/0, '*' or 'Internet'.", worldSshViolations);
export const sinkMinVcpuPolicy = resourcePolicy(
  "kumolab-sink-min-vcpu",
  `The sink VM must be a known Azure size with at least ${MIN_SINK_VCPU} vCPUs (lab-config/azure-sizes.ts).`,
  sinkSizeViolations,
);

export const KUMOLAB_POLICIES: ResourceValidationPolicy[] = [noSmtpEgressPolicy, noWorldSshPolicy, sinkMinVcpuPolicy];
