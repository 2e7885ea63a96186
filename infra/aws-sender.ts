/**
 * The sender on AWS: its security group (SSH from the operator only; egress for packages, DNS,
 * NTP and the sink port towards the sink only — never 25/465/587), a key pair from the lab's
 * login key, its network interface wearing the Elastic IP, and the EC2 instance of the selected size.
 *
 * Online at boot: the subnet maps no public IP, so the Elastic IP is associated with the network
 * interface before the instance exists, and the instance boots on that interface (cloud-init's
 * apt-get and curl run in the first minute; an association made after the instance runs came too late).
 *
 * Config changes that apply: cloud-init runs once per instance, so a changed user data (KumoMTA
 * settings, `ssh.user`) or OS must boot a new instance: `userDataReplaceOnChange` (the provider's
 * own switch, @pulumi/aws ec2/instance.d.ts) and `replaceOnChanges` on the `os` tag. The interface
 * can carry only one instance, so the old one goes first (`deleteBeforeReplace`); the interface and
 * its address stay. A size change is still an in-place `instanceType` update.
 *
 * Prefetch (README "Prefetch"): a second slot `b` beside slot `a` — its own interface and Elastic
 * IP, the same subnet, security group, key pair and cloud-init (so the same host key, boot script
 * and port-25 block). A slot whose size is null has no instance; its interface and address stay, so
 * the sink's firewall never changes during a sweep. Slot `a` keeps the resource names a one-sender
 * lab always had.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { OsImage, SenderSize } from "../lab-config/schema";
import type { AwsNetwork } from "./aws-network";
import { CAPACITY_TAG, capacityOf, ec2MarketOptions, senderCapacityReplaceOnChanges } from "./capacity";
import { GENERATOR_SUBMISSION_PORT, senderEgressRules, senderIngressRules } from "./firewall-rules";
import { SPOOL_DEVICE_NAME } from "./spool-volume";
import { awsTags, type Tags } from "./tags";

/** The second sender slot (prefetch). */
export interface StandbySlotArgs {
  /** The slot's size; null = no instance (its interface and address stay). Example: the `c4-r16` size. */
  size: SenderSize | null;
  /** The AMI for `size`'s architecture (unused when `size` is null); required, no default. Example: `lookupAmi(os, "x86_64", provider)`. */
  amiId: pulumi.Input<string>;
  /** The slot's Elastic IP; required, no default. Example: `AwsNetwork.standbyEip`. */
  eip: aws.ec2.Eip;
  /** The slot's cloud-config; default: slot `a`'s. Differs only when each slot mounts its own spool volume. */
  cloudInit?: pulumi.Output<string>;
  /** The slot's own spool volume (one EBS volume attaches to one instance); default: none. */
  spoolVolume?: aws.ebs.Volume;
}

/** One slot's resources. */
export interface SenderSlot {
  networkInterface: aws.ec2.NetworkInterface;
  eipAssociation: aws.ec2.EipAssociation;
  /** Absent while the slot holds no VM. */
  instance: aws.ec2.Instance | undefined;
  /** The spool volume's attachment; absent without a spool volume or a VM. */
  spoolAttachment: aws.ec2.VolumeAttachment | undefined;
}

export interface AwsSenderArgs {
  network: AwsNetwork;
  /** Slot `a`'s size; null = no instance in slot `a` (prefetch, after slot `b` took over). Required. Example: the `c2-r4` size. */
  size: SenderSize | null;
  /** Prefetch: slot `b`. Default: none (a one-sender lab). Example: `{ size: c4r16, amiId, eip: network.standbyEip }`. */
  standby?: StandbySlotArgs;
  /** The OS the AMI is of: a change replaces the instance (the AMI id itself is ignored: a newer build of the same OS must not). */
  os: OsImage;
  amiId: pulumi.Input<string>;
  rootVolumeGiB: number;
  operatorCidr: string;
  sinkPublicIp: pulumi.Input<string>;
  sinkPort: number;
  loginPublicKey: pulumi.Input<string>;
  /** The rendered cloud-config (holds the host private key): must stay secret. */
  cloudInit: pulumi.Output<string>;
  /** Slot `a`'s spool volume (infra/spool-volume.ts); default: none (spool on the root volume). */
  spoolVolume?: aws.ebs.Volume;
  tags: pulumi.Input<Tags>;
  /**
   * Run the sender as a one-time EC2 Spot Instance (./capacity.ts: a new instance per size, gone
   * when reclaimed). Default false (on demand); e.g. `true` under `npm run sweep -- --spot`.
   */
  spot?: boolean;
  /** The generator host's security group, admitted on the submission port (./aws-generator.ts). Default: none, no such rule. */
  generatorSecurityGroupId?: pulumi.Input<string>;
}

/** The instance tag naming the OS it booted (its change replaces the instance). */
export const OS_TAG = "os";
/** Instance properties whose change boots a new instance (besides user data: userDataReplaceOnChange). */
export const SENDER_REPLACE_ON_CHANGES: string[] = [`tags.${OS_TAG}`];

export class AwsSender extends pulumi.ComponentResource {
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly keyPair: aws.ec2.KeyPair;
  /** Slot `a`'s network interface: the Elastic IP is on it before the instance boots. */
  readonly networkInterface: aws.ec2.NetworkInterface;
  /** Slot `a`'s instance; absent when slot `a` holds no VM. */
  readonly instance: aws.ec2.Instance | undefined;
  readonly eipAssociation: aws.ec2.EipAssociation;
  /** Slot `a`'s spool volume attachment; undefined without a spool volume or a VM. */
  readonly spoolAttachment: aws.ec2.VolumeAttachment | undefined;
  /** Slot `b` (prefetch); absent on a one-sender lab. */
  readonly standby: SenderSlot | undefined;
  /** The user data handed to the instance, base64 and secret (kept for tests and audits). */
  readonly userDataBase64: pulumi.Output<string>;

  constructor(name: string, args: AwsSenderArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kumolab:aws:Sender", name, {}, opts);
    const child = { parent: this };
    const tags = (role: string) => pulumi.output(args.tags).apply((t) => awsTags(t, role));

    // Inline rules only (no standalone SecurityGroupRule resources alongside: they would fight).
    // Declaring `egress` also drops AWS's default allow-all egress rule.
    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.network.vpc.id,
        description: "kumolab sender: SSH from the operator; no SMTP egress except the lab sink port",
        ingress:
          args.generatorSecurityGroupId === undefined
            ? senderIngressRules(args.operatorCidr)
            : senderIngressRules(args.operatorCidr, { securityGroupId: args.generatorSecurityGroupId, port: GENERATOR_SUBMISSION_PORT }),
        // A known list with only the sink's address unknown at preview (the policy pack judges every rule).
        egress: senderEgressRules(pulumi.output(args.sinkPublicIp), args.sinkPort),
        revokeRulesOnDelete: true,
        tags: tags("sender-sg"),
      },
      child,
    );
    this.keyPair = new aws.ec2.KeyPair(`${name}-login`, { publicKey: args.loginPublicKey, tags: tags("login") }, child);

    this.userDataBase64 = userData(args.cloudInit);
    const slotA = this.slot(name, "", { eip: args.network.senderEip, size: args.size, amiId: args.amiId, userDataBase64: this.userDataBase64, spoolVolume: args.spoolVolume }, args);
    this.networkInterface = slotA.networkInterface;
    this.eipAssociation = slotA.eipAssociation;
    this.instance = slotA.instance;
    this.spoolAttachment = slotA.spoolAttachment;
    const b = args.standby;
    this.standby = b
      ? this.slot(`${name}-b`, " (slot b)", { eip: b.eip, size: b.size, amiId: b.amiId, userDataBase64: b.cloudInit ? userData(b.cloudInit) : this.userDataBase64, spoolVolume: b.spoolVolume }, args)
      : undefined;
    this.registerOutputs({});
  }

  /** One slot: its interface wearing its Elastic IP, and the instance booted on it when `size` is set. */
  private slot(
    name: string,
    label: string,
    { eip, size, amiId, userDataBase64, spoolVolume }: { eip: aws.ec2.Eip; size: SenderSize | null; amiId: pulumi.Input<string>; userDataBase64: pulumi.Output<string>; spoolVolume: aws.ebs.Volume | undefined },
    args: AwsSenderArgs,
  ): SenderSlot {
    const tags = (role: string) => pulumi.output(args.tags).apply((t) => awsTags(t, role));
    const roleSuffix = label === "" ? "" : "-b";
    // Both slots on the same capacity: a standby is swapped in as the measured sender.
    const spot = args.spot ?? false;
    const networkInterface = new aws.ec2.NetworkInterface(
      `${name}-eni`,
      { subnetId: args.network.subnet.id, securityGroups: [this.securityGroup.id], description: `kumolab sender${label}`, tags: tags(`sender${roleSuffix}-eni`) },
      { parent: this },
    );
    const eipAssociation = new aws.ec2.EipAssociation(
      `${name}-eip-assoc`,
      { allocationId: eip.allocationId, networkInterfaceId: networkInterface.id },
      // The route to the internet must exist before the address is used.
      { parent: this, dependsOn: [args.network.defaultRoute, args.network.routeTableAssociation] },
    );
    if (size === null) return { networkInterface, eipAssociation, instance: undefined, spoolAttachment: undefined };
    // The name carries the architecture: a size of another architecture needs another AMI, so it is
    // a new instance; within an architecture, a size change is an in-place instanceType update.
    const instance = new aws.ec2.Instance(
      `${name}-instance-${size.arch}`,
      {
        ami: amiId,
        instanceType: size.instanceType,
        primaryNetworkInterface: { networkInterfaceId: networkInterface.id },
        keyName: this.keyPair.keyName,
        userDataBase64,
        userDataReplaceOnChange: true,
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", instanceMetadataTags: "enabled" },
        // Self-termination (infra/cloud-init.ts, EXPIRE_SCRIPT): the OS powers off at expiresAt, and AWS then
        // terminates the instance (root volume deleted with it) instead of keeping a stopped one.
        instanceInitiatedShutdownBehavior: "terminate",
        rootBlockDevice: { volumeSize: args.rootVolumeGiB, volumeType: "gp3", encrypted: true, deleteOnTermination: true, tags: tags(`sender${roleSuffix}-root`) },
        ...(spot ? { instanceMarketOptions: ec2MarketOptions(true) } : {}),
        tags: pulumi.output(args.tags).apply((t) => ({ ...awsTags(t, `sender${roleSuffix}`), [OS_TAG]: args.os, [CAPACITY_TAG]: capacityOf(spot) })),
      },
      {
        parent: this,
        additionalSecretOutputs: ["userData", "userDataBase64"],
        // A newer Ubuntu AMI published between two `pulumi up`s must not replace the sender (and undo a resize);
        // a different OS must (the os tag below).
        ignoreChanges: ["ami"],
        replaceOnChanges: [...SENDER_REPLACE_ON_CHANGES, ...senderCapacityReplaceOnChanges(spot)],
        deleteBeforeReplace: true,
        // Booted on the interface that already wears the public address.
        dependsOn: [eipAssociation],
      },
    );
    // The boot script waits for this device (infra/cloud-init.ts, mount_spool). A replaced instance gets
    // a new attachment; the volume detaches first (the old instance is deleted before its replacement).
    const spoolAttachment =
      spoolVolume === undefined
        ? undefined
        : new aws.ec2.VolumeAttachment(`${name}-spool-attachment`, { instanceId: instance.id, volumeId: spoolVolume.id, deviceName: SPOOL_DEVICE_NAME }, { parent: this, deleteBeforeReplace: true });
    return { networkInterface, eipAssociation, instance, spoolAttachment };
  }

  get resources(): pulumi.CustomResource[] {
    const slots = [this, ...(this.standby ? [this.standby] : [])];
    return [
      this.securityGroup,
      this.keyPair,
      ...slots.flatMap((s) => [s.networkInterface, s.eipAssociation, ...(s.instance ? [s.instance] : []), ...(s.spoolAttachment ? [s.spoolAttachment] : [])]),
    ];
  }
}

/** Secret in, secret out: @pulumi/aws v7 keeps user data as given in state, and it holds the host key. */
function userData(cloudInit: pulumi.Output<string>): pulumi.Output<string> {
  return pulumi.secret(cloudInit.apply((text) => Buffer.from(text, "utf8").toString("base64")));
}
