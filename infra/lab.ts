/**
 * The whole lab, in the order it has to be built:
 *   keys and the lab's birth record → both networks and both public IPs →
 *   the firewalls (each names the other side's IP) → the two VMs with their cloud-init.
 * Nothing is created at import time: `createLab` runs after the config is resolved (and, in the
 * tests, after `pulumi.runtime.setMocks`), as often as it is called.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { AZURE_VM_SIZES } from "../lab-config/azure-sizes";
import { senderSizeById, type LabConfig } from "../lab-config/schema";
import { lookupAmi } from "./ami";
import { AwsNetwork } from "./aws-network";
import { AwsGenerator } from "./aws-generator";
import { AwsSender } from "./aws-sender";
import { AzureNetwork } from "./azure-network";
import { AzureSink } from "./azure-sink";
import { renderCloudInit, type LabRole } from "./cloud-init";
import { LabClock } from "./lab-clock";
import { LabSshKeys, type SshKeyPair } from "./ssh-keys";
import { labTags } from "./tags";

export interface CreateLabOptions {
  labId: string;
  /** Who runs this `pulumi up`; recorded at the first one only (./lab-clock.ts). */
  createdBy: string;
  /** The resolved operator CIDR (never `auto`: see ./operator-cidr.ts). */
  operatorCidr: string;
  /** The AWS zone the preflight chose (every configured size offered there); unset: AWS picks. */
  availabilityZone?: string;
  /** Applied to every resource (audits and tests read the options the program sets). */
  transformations?: pulumi.ResourceTransformation[];
}

/** One VM in the stack outputs (lab-config/stack-outputs.ts, vmOutputSchema). */
export interface VmOutputs {
  publicIp: pulumi.Output<string>;
  privateIp: pulumi.Output<string>;
  size: string;
  vcpu: number;
  ramGiB: number;
  region: string;
  hostPublicKey: pulumi.Output<string>;
}

/** The stack outputs (lab-config/stack-outputs.ts, stackOutputsSchema), key for key. */
export interface LabOutputs {
  labId: string;
  senderSizeId: string;
  sshUser: string;
  sshPrivateKey: pulumi.Output<string>;
  sinkPort: number;
  expiresAt: pulumi.Output<string>;
  sender: VmOutputs;
  sink: VmOutputs;
  /** Only when `generator.enabled`. */
  generator?: VmOutputs;
}

export interface Lab {
  outputs: LabOutputs;
  keys: LabSshKeys;
  clock: LabClock;
  awsNetwork: AwsNetwork;
  sender: AwsSender;
  azureNetwork: AzureNetwork;
  sink: AzureSink;
  /** The generator host, when `generator.enabled`. */
  generator?: AwsGenerator;
  /** Every custom resource the lab declares. */
  resources: pulumi.CustomResource[];
}

export function createLab(config: LabConfig, opts: CreateLabOptions): Lab {
  if (opts.operatorCidr === "auto") throw new Error("createLab needs the resolved operator CIDR; resolve 'auto' first (infra/operator-cidr.ts)");
  const size = senderSizeById(config, config.sender.size);
  const sinkSize = AZURE_VM_SIZES[config.sink.vmSize];
  if (!sinkSize) throw new Error(`unknown Azure VM size '${config.sink.vmSize}' (lab-config/azure-sizes.ts)`);

  const t = opts.transformations !== undefined ? { transformations: opts.transformations } : {};
  const keys = new LabSshKeys("lab-keys", t, config.generator.enabled);
  const clock = new LabClock("lab-clock", { labId: opts.labId, createdBy: opts.createdBy, privateKeyPem: keys.login.privateKeyPem }, t);
  const tags = pulumi
    .all([clock.createdAt, clock.createdBy])
    .apply(([createdAt, createdBy]) => labTags({ labId: opts.labId, createdBy, createdAt, ttlHours: config.lab.ttlHours }));

  // The region comes from the lab config, not from ambient `aws:region`.
  const awsProvider = new aws.Provider("aws", { region: config.aws.region }, t);
  const awsNetwork = new AwsNetwork(
    "sender-net",
    { tags, ...(opts.availabilityZone !== undefined ? { availabilityZone: opts.availabilityZone } : {}) },
    { provider: awsProvider, ...t },
  );
  const azureNetwork = new AzureNetwork("sink-net", { location: config.azure.location, tags }, t);

  const cloudInit = (role: LabRole, hostKey: SshKeyPair): pulumi.Output<string> =>
    pulumi.secret(
      pulumi.all([keys.login.publicKeyOpenssh, hostKey.privateKeyOpenssh, hostKey.publicKeyOpenssh]).apply(([loginPublicKey, privateOpenssh, publicOpenssh]) =>
        renderCloudInit({ role, os: config.os, kumomta: config.kumomta, sshUser: config.ssh.user, loginPublicKey, hostKey: { privateOpenssh, publicOpenssh } }),
      ),
    );

  // The generator first: the sender's group admits the generator's group on the submission port.
  const generatorHostKey = keys.generatorHost;
  const generator =
    config.generator.enabled && generatorHostKey
      ? new AwsGenerator(
          "generator",
          {
            network: awsNetwork,
            settings: config.generator,
            os: config.os,
            amiId: lookupAmi(config.os, config.generator.arch, awsProvider),
            rootVolumeGiB: config.aws.rootVolumeGiB,
            operatorCidr: opts.operatorCidr,
            loginPublicKey: keys.login.publicKeyOpenssh,
            cloudInit: cloudInit("generator", generatorHostKey),
            tags,
          },
          { provider: awsProvider, ...t },
        )
      : undefined;

  const sender = new AwsSender(
    "sender",
    {
      network: awsNetwork,
      size,
      os: config.os,
      amiId: lookupAmi(config.os, size.arch, awsProvider),
      rootVolumeGiB: config.aws.rootVolumeGiB,
      operatorCidr: opts.operatorCidr,
      sinkPublicIp: azureNetwork.sinkPublicIp.ipAddress.apply((ip) => requireIp(ip, "the sink's public IP")),
      sinkPort: config.sink.smtpPort,
      loginPublicKey: keys.login.publicKeyOpenssh,
      cloudInit: cloudInit("sender", keys.senderHost),
      tags,
      ...(generator ? { generatorSecurityGroupId: generator.securityGroup.id } : {}),
    },
    { provider: awsProvider, ...t },
  );
  const senderPublicIp = awsNetwork.senderEip.publicIp.apply((ip) => requireIp(ip, "the sender's Elastic IP"));
  const sink = new AzureSink("sink", {
    network: azureNetwork,
    location: config.azure.location,
    vmSize: config.sink.vmSize,
    osDiskGiB: config.azure.osDiskGiB,
    os: config.os,
    operatorCidr: opts.operatorCidr,
    senderPublicIp,
    sinkPort: config.sink.smtpPort,
    sshUser: config.ssh.user,
    loginPublicKey: keys.login.publicKeyOpenssh,
    cloudInit: cloudInit("sink", keys.sinkHost),
    tags,
    ttlHours: config.lab.ttlHours,
  }, t);

  const outputs: LabOutputs = {
    labId: opts.labId,
    senderSizeId: size.id,
    sshUser: config.ssh.user,
    sshPrivateKey: pulumi.secret(keys.login.privateKeyOpenssh),
    sinkPort: config.sink.smtpPort,
    expiresAt: tags.apply((t) => t["expiresAt"] ?? ""),
    sender: {
      // Read after the association, so a consumer never gets an address that is not on the VM yet.
      publicIp: pulumi.all([senderPublicIp, sender.eipAssociation.id]).apply(([ip]) => ip),
      privateIp: sender.instance.privateIp,
      size: size.instanceType,
      vcpu: size.vcpu,
      ramGiB: size.ramGiB,
      region: config.aws.region,
      hostPublicKey: keys.senderHost.publicKeyOpenssh,
    },
    sink: {
      publicIp: pulumi.all([azureNetwork.sinkPublicIp.ipAddress, sink.vm.id]).apply(([ip]) => requireIp(ip, "the sink's public IP")),
      privateIp: sink.privateIp,
      size: config.sink.vmSize,
      vcpu: sinkSize.vcpu,
      ramGiB: sinkSize.ramGiB,
      region: config.azure.location,
      hostPublicKey: keys.sinkHost.publicKeyOpenssh,
    },
    ...(generator && generatorHostKey
      ? {
          generator: {
            publicIp: pulumi.all([generator.eip.publicIp, generator.eipAssociation.id]).apply(([ip]) => requireIp(ip, "the generator's Elastic IP")),
            privateIp: generator.instance.privateIp,
            size: config.generator.instanceType,
            vcpu: config.generator.vcpu,
            ramGiB: config.generator.ramGiB,
            region: config.aws.region,
            hostPublicKey: generatorHostKey.publicKeyOpenssh,
          },
        }
      : {}),
  };

  return {
    outputs,
    keys,
    clock,
    awsNetwork,
    sender,
    azureNetwork,
    sink,
    ...(generator ? { generator } : {}),
    resources: [...keys.resources, clock.record, awsProvider, ...awsNetwork.resources, ...(generator?.resources ?? []), ...sender.resources, ...azureNetwork.resources, ...sink.resources],
  };
}

function requireIp(ip: string | undefined, what: string): string {
  if (!ip) throw new Error(`${what} has no address yet; run 'pulumi refresh' and then 'pulumi up' again`);
  return ip;
}
