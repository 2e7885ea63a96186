/**
 * The lab's network rules as data: who may reach each VM and where the sender may connect.
 * Pure functions, so the invariants (port 25 closed, SSH only from the operator, the sink port only
 * between the two VMs) are checked on their own and again on the resources that use them.
 * The other side's address may be an Output: then only that string is unknown at preview, and the
 * rule lists stay known, so the policy pack can judge every rule on a new stack.
 */
import * as pulumi from "@pulumi/pulumi";

/** SMTP, SMTPS and submission: closed outbound on every host, by every firewall of the lab. */
export const BLOCKED_SMTP_PORTS: readonly number[] = [25, 465, 587];

export const SSH_PORT = 22;

/** One rule in the shape of an inline AWS security-group rule. */
export interface SgRule<A = string> {
  description: string;
  protocol: "tcp" | "udp";
  fromPort: number;
  toPort: number;
  cidrBlocks?: A[];
  ipv6CidrBlocks?: A[];
  /** Source (ingress) security groups, by id: the generator's group on the sender's submission port. */
  securityGroups?: A[];
}

/** One inline Azure NSG rule. */
export interface NsgRule<A = string> {
  name: string;
  description: string;
  priority: number;
  direction: "Inbound" | "Outbound";
  access: "Allow" | "Deny";
  protocol: "Tcp" | "Udp" | "*";
  sourceAddressPrefix: A;
  sourcePortRange: string;
  destinationAddressPrefix: string;
  destinationPortRange?: string;
  destinationPortRanges?: string[];
}

export function isIpv6Cidr(cidr: string): boolean {
  return cidr.includes(":");
}

/** `cidrBlocks` or `ipv6CidrBlocks`, whichever the address family needs. */
function towards(cidr: string): Pick<SgRule, "cidrBlocks" | "ipv6CidrBlocks"> {
  return isIpv6Cidr(cidr) ? { ipv6CidrBlocks: [cidr] } : { cidrBlocks: [cidr] };
}

/** True when [from, to] contains a blocked SMTP port. */
export function rangeCoversSmtp(fromPort: number, toPort: number): boolean {
  return BLOCKED_SMTP_PORTS.some((p) => fromPort <= p && p <= toPort);
}

/** Refuses a rule set that would let TCP 25/465/587 out; a programming error, caught before any resource. */
function assertNoSmtpEgress<A>(rules: SgRule<A>[]): SgRule<A>[] {
  for (const r of rules) {
    if (r.protocol === "tcp" && rangeCoversSmtp(r.fromPort, r.toPort)) {
      throw new Error(`egress rule '${r.description}' (tcp ${r.fromPort}-${r.toPort}) would open an SMTP port; the lab keeps 25/465/587 closed`);
    }
  }
  return rules;
}

/**
 * Sender ingress: SSH from the operator only — and, with a generator host, its submission port
 * (SENDER_GENERATOR_PORT in scripts/provision/lab-endpoints.ts) from the generator's security group alone.
 */
export function senderIngressRules(operatorCidr: string): SgRule[];
export function senderIngressRules(operatorCidr: string, generator: { securityGroupId: pulumi.Input<string>; port: number }): SgRule<pulumi.Input<string>>[];
export function senderIngressRules(operatorCidr: string, generator?: { securityGroupId: pulumi.Input<string>; port: number }): SgRule<pulumi.Input<string>>[] {
  return [
    { description: "SSH from the operator", protocol: "tcp", fromPort: SSH_PORT, toPort: SSH_PORT, ...towards(operatorCidr) },
    ...(generator ? [{ description: "SMTP submission from the lab generator only", protocol: "tcp" as const, fromPort: generator.port, toPort: generator.port, securityGroups: [generator.securityGroupId] }] : []),
  ];
}

/** The port traffic-gen on the generator submits to on the sender (scripts/provision/lab-endpoints.ts SENDER_GENERATOR_PORT; infra/ and scripts/ share no runtime). */
export const GENERATOR_SUBMISSION_PORT = 2025;

/** What every AWS host of the lab needs out: HTTP(S) for package repositories, DNS and NTP. */
function hostServicesEgress(): SgRule[] {
  const anywhere = ["0.0.0.0/0"];
  return [
    { description: "HTTP for package repositories", protocol: "tcp", fromPort: 80, toPort: 80, cidrBlocks: anywhere },
    { description: "HTTPS for package repositories", protocol: "tcp", fromPort: 443, toPort: 443, cidrBlocks: anywhere },
    { description: "DNS", protocol: "udp", fromPort: 53, toPort: 53, cidrBlocks: anywhere },
    { description: "DNS over TCP", protocol: "tcp", fromPort: 53, toPort: 53, cidrBlocks: anywhere },
    { description: "NTP", protocol: "udp", fromPort: 123, toPort: 123, cidrBlocks: anywhere },
  ];
}

/** Generator ingress: SSH from the operator only. */
export function generatorIngressRules(operatorCidr: string): SgRule[] {
  return [{ description: "SSH from the operator", protocol: "tcp", fromPort: SSH_PORT, toPort: SSH_PORT, ...towards(operatorCidr) }];
}

/**
 * Generator egress: packages, DNS and NTP, and SMTP submission to the sender's subnet on the
 * submission port only (the subnet, not the sender's address: the sender's group names the
 * generator's, so naming the sender's address here would make a cycle). Never 25/465/587.
 */
export function generatorEgressRules(senderSubnetCidr: string, port: number): SgRule[] {
  return assertNoSmtpEgress([
    ...hostServicesEgress(),
    { description: "SMTP submission to the lab sender only", protocol: "tcp", fromPort: port, toPort: port, cidrBlocks: [senderSubnetCidr] },
  ]);
}

/**
 * Sender egress: what the lab needs and nothing else. No all-ports rule: any rule covering 25
 * would let mail out. HTTP(S) for packages, DNS and NTP; the sink port only to the sink.
 */
export function senderEgressRules(sinkPublicIp: string, sinkPort: number): SgRule[];
export function senderEgressRules(sinkPublicIp: pulumi.Output<string>, sinkPort: number): SgRule<pulumi.Input<string>>[];
export function senderEgressRules(sinkPublicIp: string | pulumi.Output<string>, sinkPort: number): SgRule<pulumi.Input<string>>[] {
  const sinkCidr = typeof sinkPublicIp === "string" ? `${sinkPublicIp}/32` : sinkPublicIp.apply((ip) => `${ip}/32`);
  return assertNoSmtpEgress<pulumi.Input<string>>([
    ...hostServicesEgress(),
    { description: "SMTP to the lab sink only", protocol: "tcp", fromPort: sinkPort, toPort: sinkPort, cidrBlocks: [sinkCidr] },
  ]);
}

/** Priority of the SMTP deny: numerically below (so evaluated before) every allow of the lab and Azure's defaults (65000+). */
export const SMTP_DENY_PRIORITY = 100;

/**
 * Sink NSG: SSH from the operator, the sink port from the sender's Elastic IP, and an outbound
 * deny of TCP 25/465/587 (Azure's default AllowInternetOutBound would otherwise let them out).
 * Everything else inbound falls to Azure's DenyAllInBound.
 */
export function sinkSecurityRules(operatorCidr: string, senderPublicIp: string, sinkPort: number, standbySenderPublicIp?: string): NsgRule[];
export function sinkSecurityRules(operatorCidr: string, senderPublicIp: pulumi.Output<string>, sinkPort: number, standbySenderPublicIp?: pulumi.Output<string>): NsgRule<pulumi.Input<string>>[];
export function sinkSecurityRules(operatorCidr: string, senderPublicIp: string | pulumi.Output<string>, sinkPort: number, standbySenderPublicIp?: string | pulumi.Output<string>): NsgRule<pulumi.Input<string>>[] {
  // Prefetch: the standby slot's address is admitted the same way, from the first `up` (README "Prefetch").
  const standby: NsgRule<pulumi.Input<string>>[] =
    standbySenderPublicIp === undefined
      ? []
      : [
          {
            name: "smtp-from-standby-sender",
            description: "The sink port from the lab's standby sender slot only",
            priority: 211,
            direction: "Inbound",
            access: "Allow",
            protocol: "Tcp",
            sourceAddressPrefix: standbySenderPublicIp,
            sourcePortRange: "*",
            destinationAddressPrefix: "*",
            destinationPortRange: String(sinkPort),
          },
        ];
  return [
    {
      name: "deny-smtp-out",
      description: "No mail leaves the lab on the SMTP ports",
      priority: SMTP_DENY_PRIORITY,
      direction: "Outbound",
      access: "Deny",
      protocol: "Tcp",
      sourceAddressPrefix: "*",
      sourcePortRange: "*",
      destinationAddressPrefix: "*",
      destinationPortRanges: BLOCKED_SMTP_PORTS.map(String),
    },
    {
      name: "ssh-from-operator",
      description: "SSH from the operator",
      priority: 200,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      sourceAddressPrefix: operatorCidr,
      sourcePortRange: "*",
      destinationAddressPrefix: "*",
      destinationPortRange: String(SSH_PORT),
    },
    {
      name: "smtp-from-sender",
      description: "The sink port from the lab sender only",
      priority: 210,
      direction: "Inbound",
      access: "Allow",
      protocol: "Tcp",
      sourceAddressPrefix: senderPublicIp,
      sourcePortRange: "*",
      destinationAddressPrefix: "*",
      destinationPortRange: String(sinkPort),
    },
    ...standby,
  ];
}
