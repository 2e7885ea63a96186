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
import { SenderSpoolVolume } from "./spool-volume";
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
  /**
   * The sink on an Azure Spot VM: `config.spot.sink` as the preflight allowed it (./capacity.ts,
   * sinkSpotChoice). Default: `config.spot.sink`; e.g. false when the size is not spot-capable there.
   */
  sinkSpot?: boolean;
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

/** Prefetch: the slot that is not the active sender (lab-config/stack-outputs.ts, standbySlotSchema). */
export interface StandbyOutputs {
  slot: "a" | "b";
  publicIp: pulumi.Output<string>;
  sizeId: string | null;
  vm: VmOutputs | null;
}

/** The stack outputs (lab-config/stack-outputs.ts, stackOutputsSchema), key for key. */
export interface LabOutputs {
  labId: string;
  senderSizeId: string;
  /** Prefetch only: the active slot. */
  senderSlot?: "a" | "b";
  /** Prefetch only: the other slot. */
  standby?: StandbyOutputs;
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
  /** The sender's spool volume when the config has one (`aws.spoolVolume`, set by the published profiles). */
  spoolVolume: SenderSpoolVolume | undefined;
  /** The generator host, when `generator.enabled`. */
  generator?: AwsGenerator;
  /** Every custom resource the lab declares. */
  resources: pulumi.CustomResource[];
}

export function createLab(config: LabConfig, opts: CreateLabOptions): Lab {
  if (opts.operatorCidr === "auto") throw new Error("createLab needs the resolved operator CIDR; resolve 'auto' first (infra/operator-cidr.ts)");
  const size = senderSizeById(config, config.sender.size);
  // Prefetch (README "Prefetch"): two slots, `sender.size` being the active one's size.
  const twoSlots = config.sender.slots === 2;
  const active = twoSlots ? config.sender.activeSlot : "a";
  const standbySize = twoSlots && config.sender.standbySize !== null ? senderSizeById(config, config.sender.standbySize) : null;
  const slotSize = { a: active === "a" ? size : standbySize, b: active === "b" ? size : standbySize };
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
    { tags, standbyEip: twoSlots, ...(opts.availabilityZone !== undefined ? { availabilityZone: opts.availabilityZone } : {}) },
    { provider: awsProvider, ...t },
  );
  const azureNetwork = new AzureNetwork("sink-net", { location: config.azure.location, tags }, t);

  const spoolVolume =
    config.aws.spoolVolume === null
      ? undefined
      : new SenderSpoolVolume("sender-spool", { volume: config.aws.spoolVolume, availabilityZone: awsNetwork.subnet.availabilityZone, tags }, { provider: awsProvider, ...t });
  // Prefetch: an EBS volume attaches to one instance, so slot b has its own (and its own user data naming it).
  const spoolVolumeB =
    config.aws.spoolVolume === null || !twoSlots
      ? undefined
      : new SenderSpoolVolume("sender-spool-b", { volume: config.aws.spoolVolume, availabilityZone: awsNetwork.subnet.availabilityZone, tags }, { provider: awsProvider, ...t });

  const cloudInit = (role: LabRole, hostKey: SshKeyPair, spoolVolumeId?: pulumi.Output<string>): pulumi.Output<string> =>
    pulumi.secret(
      pulumi.all([keys.login.publicKeyOpenssh, hostKey.privateKeyOpenssh, hostKey.publicKeyOpenssh, spoolVolumeId ?? pulumi.output(undefined)]).apply(([loginPublicKey, privateOpenssh, publicOpenssh, volumeId]) =>
        renderCloudInit({ role, os: config.os, kumomta: config.kumomta, sshUser: config.ssh.user, loginPublicKey, hostKey: { privateOpenssh, publicOpenssh }, ...(volumeId !== undefined ? { spoolVolumeId: volumeId } : {}) }),
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
      size: slotSize.a,
      os: config.os,
      amiId: lookupAmi(config.os, (slotSize.a ?? size).arch, awsProvider),
      ...(awsNetwork.standbyEip
        ? {
            standby: {
              size: slotSize.b,
              amiId: lookupAmi(config.os, (slotSize.b ?? size).arch, awsProvider),
              eip: awsNetwork.standbyEip,
              ...(spoolVolumeB !== undefined ? { spoolVolume: spoolVolumeB.volume, cloudInit: cloudInit("sender", keys.senderHost, spoolVolumeB.volume.id) } : {}),
            },
          }
        : {}),
      rootVolumeGiB: config.aws.rootVolumeGiB,
      operatorCidr: opts.operatorCidr,
      sinkPublicIp: azureNetwork.sinkPublicIp.ipAddress.apply((ip) => requireIp(ip, "the sink's public IP")),
      sinkPort: config.sink.smtpPort,
      loginPublicKey: keys.login.publicKeyOpenssh,
      cloudInit: cloudInit("sender", keys.senderHost, spoolVolume?.volume.id),
      ...(spoolVolume !== undefined ? { spoolVolume: spoolVolume.volume } : {}),
      tags,
      spot: config.spot.sender,
      ...(generator ? { generatorSecurityGroupId: generator.securityGroup.id } : {}),
    },
    { provider: awsProvider, ...t },
  );
  const senderPublicIp = awsNetwork.senderEip.publicIp.apply((ip) => requireIp(ip, "the sender's Elastic IP"));
  const slotBPublicIp = awsNetwork.standbyEip?.publicIp.apply((ip) => requireIp(ip, "the standby sender slot's Elastic IP"));
  const sink = new AzureSink("sink", {
    network: azureNetwork,
    location: config.azure.location,
    vmSize: config.sink.vmSize,
    osDiskGiB: config.azure.osDiskGiB,
    os: config.os,
    operatorCidr: opts.operatorCidr,
    senderPublicIp,
    ...(slotBPublicIp !== undefined ? { standbySenderPublicIp: slotBPublicIp } : {}),
    sinkPort: config.sink.smtpPort,
    sshUser: config.ssh.user,
    loginPublicKey: keys.login.publicKeyOpenssh,
    cloudInit: cloudInit("sink", keys.sinkHost),
    tags,
    ttlHours: config.lab.ttlHours,
    spot: opts.sinkSpot ?? config.spot.sink,
  }, t);

  // Each slot's address, read after its association (a consumer never gets an address not on the VM yet).
  const slotIp = {
    a: pulumi.all([senderPublicIp, sender.eipAssociation.id]).apply(([ip]) => ip),
    b: sender.standby && slotBPublicIp ? pulumi.all([slotBPublicIp, sender.standby.eipAssociation.id]).apply(([ip]) => ip) : undefined,
  };
  const slotInstance = { a: sender.instance, b: sender.standby?.instance };
  const vmOf = (slot: "a" | "b"): VmOutputs | null => {
    const s = slotSize[slot];
    const instance = slotInstance[slot];
    const publicIp = slotIp[slot];
    if (s === null || instance === undefined || publicIp === undefined) return null;
    return { publicIp, privateIp: instance.privateIp, size: s.instanceType, vcpu: s.vcpu, ramGiB: s.ramGiB, region: config.aws.region, hostPublicKey: keys.senderHost.publicKeyOpenssh };
  };
  const activeVm = vmOf(active);
  if (activeVm === null) throw new Error(`sender slot ${active} (the active one) has no VM; check kumolab:sender.activeSlot and sender.size`);
  const other = active === "a" ? "b" : "a";
  const otherIp = slotIp[other];

  const outputs: LabOutputs = {
    labId: opts.labId,
    senderSizeId: size.id,
    ...(twoSlots && otherIp !== undefined ? { senderSlot: active, standby: { slot: other, publicIp: otherIp, sizeId: standbySize?.id ?? null, vm: vmOf(other) } } : {}),
    sshUser: config.ssh.user,
    sshPrivateKey: pulumi.secret(keys.login.privateKeyOpenssh),
    sinkPort: config.sink.smtpPort,
    expiresAt: tags.apply((t) => t["expiresAt"] ?? ""),
    sender: activeVm,
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
    spoolVolume,
    ...(generator ? { generator } : {}),
    resources: [
      ...keys.resources,
      clock.record,
      awsProvider,
      ...awsNetwork.resources,
      ...(spoolVolume ? [spoolVolume.volume] : []),
      ...(spoolVolumeB ? [spoolVolumeB.volume] : []),
      ...(generator?.resources ?? []),
      ...sender.resources,
      ...azureNetwork.resources,
      ...sink.resources,
    ],
  };
}

function requireIp(ip: string | undefined, what: string): string {
  if (!ip) throw new Error(`${what} has no address yet; run 'pulumi refresh' and then 'pulumi up' again`);
  return ip;
}
