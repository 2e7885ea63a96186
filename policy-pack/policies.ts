/**
 * kumolab's CrossGuard policies as plain functions: each takes a resource's type and properties
 * and returns the violations (empty = compliant). The PolicyPack itself is built only in ./index.ts
 * (constructing one starts a server), so these can be tested directly.
 */
import type { ReportViolation, ResourceValidationArgs, ResourceValidationPolicy } from "@pulumi/policy";
import { z } from "zod";
import { AZURE_VM_SIZES, MIN_SINK_VCPU } from "../lab-config/azure-sizes";
import {
  awsRuleCoversPort,
  azurePortsAreAll,
  azurePortsCover,
  azurePortsSurelyCover,
  azureProtocolIncludesTcp,
  isWholeInternet,
  isWorld,
  SMTP_PORTS,
  SSH_PORT,
  UNKNOWN,
} from "./port-coverage";
import { readableProps } from "./unknowns";

export const AWS_SECURITY_GROUP = "aws:ec2/securityGroup:SecurityGroup";
/** The VPC's default group: same rule shape, and whatever it allows applies to anything left in it. */
export const AWS_DEFAULT_SECURITY_GROUP = "aws:ec2/defaultSecurityGroup:DefaultSecurityGroup";
export const AWS_INSTANCE = "aws:ec2/instance:Instance";
export const AWS_NETWORK_INTERFACE = "aws:ec2/networkInterface:NetworkInterface";
export const AZURE_NIC = "azure-native:network:NetworkInterface";
export const AWS_SECURITY_GROUP_RULE = "aws:ec2/securityGroupRule:SecurityGroupRule";
export const AWS_VPC_EGRESS_RULE = "aws:vpc/securityGroupEgressRule:SecurityGroupEgressRule";
export const AWS_VPC_INGRESS_RULE = "aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule";
export const AZURE_NSG = "azure-native:network:NetworkSecurityGroup";
export const AZURE_SECURITY_RULE = "azure-native:network:SecurityRule";
export const AZURE_VM = "azure-native:compute:VirtualMachine";

/**
 * The type without an API version: azure-native also publishes every resource under versioned
 * modules (`azure-native:network/v20240501:NetworkSecurityGroup`), which must be judged the same.
 */
export function canonicalType(type: string): string {
  const m = /^azure-native:([A-Za-z0-9]+)\/v[0-9A-Za-z]+:([A-Za-z0-9]+)$/.exec(type);
  return m ? `azure-native:${m[1]}:${m[2]}` : type;
}

// Loose shapes of the properties the policies read, after ./unknowns.ts: a value not known yet at
// preview is UNKNOWN, and each schema turns it into the worst case for the checks below.
const unknownValue = z.literal(UNKNOWN);
const strings = z.union([z.array(z.string()), unknownValue.transform(() => [UNKNOWN])]).optional();
const port = z.union([z.number(), unknownValue.transform(() => undefined)]).optional();
const awsInlineRule = z.looseObject({
  protocol: z.union([z.string(), z.number()]).optional(),
  fromPort: port,
  toPort: port,
  cidrBlocks: strings,
  ipv6CidrBlocks: strings,
  description: z.string().optional(),
});
type AwsInlineRule = z.infer<typeof awsInlineRule>;
/** A rule list not known yet: one rule of any protocol and port, from and to anywhere. */
const awsRules = z.union([z.array(awsInlineRule), unknownValue.transform((): AwsInlineRule[] => [{ protocol: UNKNOWN, cidrBlocks: [UNKNOWN], description: UNKNOWN }])]).optional();
const awsSecurityGroup = z.looseObject({ ingress: awsRules, egress: awsRules });
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
  priority: z.union([z.number(), unknownValue]).optional(),
  direction: z.string().optional(),
  access: z.string().optional(),
  protocol: z.string().optional(),
  sourceAddressPrefix: z.string().optional(),
  sourceAddressPrefixes: strings,
  sourcePortRange: z.string().optional(),
  sourcePortRanges: strings,
  destinationAddressPrefix: z.string().optional(),
  destinationAddressPrefixes: strings,
  destinationPortRange: z.string().optional(),
  destinationPortRanges: strings,
});
type AzureRule = z.infer<typeof azureRule>;
const WORST_AZURE_RULE: AzureRule = {
  name: UNKNOWN,
  priority: UNKNOWN,
  direction: UNKNOWN,
  access: UNKNOWN,
  protocol: UNKNOWN,
  sourceAddressPrefix: UNKNOWN,
  destinationAddressPrefix: UNKNOWN,
  destinationPortRange: UNKNOWN,
};
const azureNsg = z.looseObject({ securityRules: z.union([z.array(azureRule), unknownValue.transform(() => [WORST_AZURE_RULE])]).optional() });
const idRef = z.union([z.looseObject({ id: z.string().optional() }), unknownValue]).optional();
const azureNic = z.looseObject({ networkSecurityGroup: idRef });
const awsInstance = z.looseObject({
  vpcSecurityGroupIds: strings,
  securityGroups: strings,
  primaryNetworkInterface: z.union([z.looseObject({ networkInterfaceId: z.string().optional() }), unknownValue]).optional(),
  networkInterfaces: z.union([z.array(z.looseObject({ networkInterfaceId: z.string().optional() })), unknownValue]).optional(),
});
const awsEni = z.looseObject({ securityGroups: strings });
const azureVm = z.looseObject({ hardwareProfile: z.looseObject({ vmSize: z.string().optional() }).optional() });

/** The innermost message of an issue (a union's says only "Invalid input"; its first branch says what was expected). */
function firstMessage(issue: z.core.$ZodIssue | undefined): string {
  if (issue === undefined) return "?";
  if (issue.code === "invalid_union") return firstMessage(issue.errors[0]?.[0]) ;
  return issue.message;
}

function parse<T>(schema: z.ZodType<T, unknown>, type: string, props: unknown): T | string {
  const r = schema.safeParse(readableProps(props));
  return r.success ? r.data : `${type}: properties not in the expected shape (${firstMessage(r.error.issues[0])}); cannot verify, so refused`;
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

const lower = (v: string | undefined) => (v ?? "").toLowerCase();
const unknownOrMissing = (v: string | undefined) => v === undefined || v === UNKNOWN;
/** Could this rule apply in `dir`? A direction not known yet could be either (worst case for an Allow). */
const mayBeDir = (r: AzureRule, dir: string) => unknownOrMissing(r.direction) || lower(r.direction) === dir;
/** Does it surely apply in `dir`? (what a Deny needs to count) */
const isDir = (r: AzureRule, dir: string) => lower(r.direction) === dir;
/** Could it allow? An access not known yet could be Allow. */
const mayAllow = (r: AzureRule) => unknownOrMissing(r.access) || lower(r.access) === "allow";
const isDeny = (r: AzureRule) => lower(r.access) === "deny";
const tcpOn = (r: AzureRule, p: number) => azureProtocolIncludesTcp(r.protocol) && azurePortsCover(r.destinationPortRange, r.destinationPortRanges, p);
const destinations = (r: AzureRule) => [...(r.destinationAddressPrefix !== undefined ? [r.destinationAddressPrefix] : []), ...(r.destinationAddressPrefixes ?? [])];
const sources = (r: AzureRule) => [...(r.sourceAddressPrefix !== undefined ? [r.sourceAddressPrefix] : []), ...(r.sourceAddressPrefixes ?? [])];
const everyone = (prefixes: string[]) => prefixes.length === 0 || prefixes.some(isWholeInternet);

/**
 * A Deny that surely stops TCP `p` leaving for everyone: known outbound, TCP or any protocol,
 * every source address and source port, and every destination. A Deny restricted in any of these
 * (or not known yet) leaves some SMTP traffic to the next rule, eventually to AllowInternetOutBound.
 */
function denyCoversAllSmtpOn(r: AzureRule, p: number): boolean {
  const proto = lower(r.protocol);
  return (
    isDeny(r) &&
    isDir(r, "outbound") &&
    (proto === "tcp" || proto === "*" || proto === "any") &&
    azurePortsSurelyCover(r.destinationPortRange, r.destinationPortRanges, p) &&
    azurePortsAreAll(r.sourcePortRange, r.sourcePortRanges) &&
    everyone(sources(r)) &&
    everyone(destinations(r))
  );
}

/** Evaluation order, worst case first: a rule that may allow and whose priority is not known yet goes first; a Deny of unknown priority last. */
function order(r: AzureRule): number {
  if (typeof r.priority === "number") return r.priority;
  return mayAllow(r) ? -Infinity : Infinity;
}

/**
 * Azure evaluates rules by priority (lowest number first) and, after them, its defaults, one of
 * which (AllowInternetOutBound) lets everything out. So each SMTP port must meet a Deny to every
 * destination before any Allow that covers it.
 */
function azureNsgSmtpEgress(rules: AzureRule[], where: string): string[] {
  const outbound = rules.filter((r) => mayBeDir(r, "outbound")).sort((a, b) => order(a) - order(b));
  return SMTP_PORTS.flatMap((p) => {
    for (const r of outbound) {
      if (denyCoversAllSmtpOn(r, p)) return [];
      if (mayAllow(r) && tcpOn(r, p)) return [`${where}: outbound rule ${azureRuleLabel(r)} allows TCP ${p} out; put a Deny for TCP 25/465/587 before it`];
    }
    return [`${where}: no outbound Deny covers TCP ${p}, so Azure's default AllowInternetOutBound lets it out; add a Deny rule for TCP 25/465/587 to '*'`];
  });
}

function azureWorldSsh(rules: AzureRule[], where: string): string[] {
  return rules.flatMap((r) => {
    const world = sources(r).filter(isWorld);
    const open = mayBeDir(r, "inbound") && mayAllow(r) && tcpOn(r, SSH_PORT) && (world.length > 0 || sources(r).length === 0);
    return open ? [`${where}: inbound rule ${azureRuleLabel(r)} opens SSH to ${world.length > 0 ? world.join(", ") : "any source"}; admit only the operator's address`] : [];
  });
}

/** Violations: anything that would let TCP 25/465/587 leave the lab. */
export function smtpEgressViolations(type: string, props: unknown): string[] {
  switch (canonicalType(type)) {
    case AWS_SECURITY_GROUP:
    case AWS_DEFAULT_SECURITY_GROUP: {
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
      return mayBeDir(r, "outbound") && mayAllow(r)
        ? SMTP_PORTS.filter((p) => tcpOn(r, p)).map((p) => `security rule ${azureRuleLabel(r)} allows TCP ${p} out; the lab keeps 25/465/587 closed`)
        : [];
    }
    default:
      return [];
  }
}

/** Violations: SSH (22) open to 0.0.0.0/0, ::/0, '*' or 'Internet'. */
export function worldSshViolations(type: string, props: unknown): string[] {
  switch (canonicalType(type)) {
    case AWS_SECURITY_GROUP:
    case AWS_DEFAULT_SECURITY_GROUP: {
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
  if (canonicalType(type) !== AZURE_VM) return [];
  const vm = parse(azureVm, type, props);
  if (typeof vm === "string") return [vm];
  const size = vm.hardwareProfile?.vmSize;
  if (size === undefined || size === UNKNOWN) {
    return [`the VM's size is ${size === undefined ? "not set" : "not known yet at preview"}, so its vCPUs cannot be checked; set hardwareProfile.vmSize to a known size with at least ${MIN_SINK_VCPU} vCPUs`];
  }
  const known = AZURE_VM_SIZES[size];
  if (!known) return [`VM size '${size}' is not in lab-config/azure-sizes.ts, so its vCPUs are unknown; use a known size with at least ${MIN_SINK_VCPU} vCPUs or add its row`];
  return known.vcpu < MIN_SINK_VCPU ? [`VM size '${size}' has ${known.vcpu} vCPUs; the sink needs at least ${MIN_SINK_VCPU} so that it is never the bottleneck`] : [];
}

/**
 * Violations: a network interface or instance with no firewall of its own. An Azure NIC without an
 * NSG has only Azure's defaults (AllowInternetOutBound lets 25 out); an EC2 instance or ENI that
 * names no security group lands in the VPC's default group, which kumolab does not manage.
 */
export function unguardedAttachmentViolations(type: string, props: unknown): string[] {
  switch (canonicalType(type)) {
    case AZURE_NIC: {
      const nic = parse(azureNic, type, props);
      if (typeof nic === "string") return [nic];
      const nsg = nic.networkSecurityGroup;
      if (nsg === UNKNOWN) return [];  // set, only its id not known yet: an NSG resource of the program, checked on its own
      return nsg?.id === undefined
        ? ["network interface has no network security group: Azure's defaults would let TCP 25/465/587 out; attach the lab's NSG (networkSecurityGroup.id)"]
        : [];
    }
    case AWS_INSTANCE: {
      const i = parse(awsInstance, type, props);
      if (typeof i === "string") return [i];
      const viaEni = i.primaryNetworkInterface !== undefined || (i.networkInterfaces !== undefined && i.networkInterfaces !== UNKNOWN && i.networkInterfaces.length > 0) || i.networkInterfaces === UNKNOWN;
      if (viaEni) return []; // its groups are the ENI's, checked as aws:ec2/networkInterface
      return (i.vpcSecurityGroupIds ?? []).length + (i.securityGroups ?? []).length === 0
        ? ["instance names no security group, so it lands in the VPC's default group; give it the lab's group (vpcSecurityGroupIds)"]
        : [];
    }
    case AWS_NETWORK_INTERFACE: {
      const eni = parse(awsEni, type, props);
      if (typeof eni === "string") return [eni];
      return (eni.securityGroups ?? []).length === 0 ? ["network interface names no security group, so it is in the VPC's default group; give it the lab's group (securityGroups)"] : [];
    }
    default:
      return [];
  }
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
export const noWorldSshPolicy = resourcePolicy("kumolab-no-world-ssh", "SSH (22) must not be open to the world: 0.0.0.0/0, ::/0, '*', 'Internet' or any prefix nearly as wide (shorter than /8 in IPv4, /16 in IPv6).", worldSshViolations);
export const sinkMinVcpuPolicy = resourcePolicy(
  "kumolab-sink-min-vcpu",
  `The sink VM must be a known Azure size with at least ${MIN_SINK_VCPU} vCPUs (lab-config/azure-sizes.ts).`,
  sinkSizeViolations,
);

export const noUnguardedAttachmentPolicy = resourcePolicy(
  "kumolab-firewall-attached",
  "Every Azure NIC has an NSG and every EC2 instance or ENI names a security group (never the VPC's default group).",
  unguardedAttachmentViolations,
);

export const KUMOLAB_POLICIES: ResourceValidationPolicy[] = [noSmtpEgressPolicy, noWorldSshPolicy, sinkMinVcpuPolicy, noUnguardedAttachmentPolicy];
