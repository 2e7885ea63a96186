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
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { OsImage, SenderSize } from "../lab-config/schema";
import type { AwsNetwork } from "./aws-network";
import { GENERATOR_SUBMISSION_PORT, senderEgressRules, senderIngressRules } from "./firewall-rules";
import { awsTags, type Tags } from "./tags";

export interface AwsSenderArgs {
  network: AwsNetwork;
  size: SenderSize;
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
  tags: pulumi.Input<Tags>;
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
  /** The sender's network interface: the Elastic IP is on it before the instance boots. */
  readonly networkInterface: aws.ec2.NetworkInterface;
  readonly instance: aws.ec2.Instance;
  readonly eipAssociation: aws.ec2.EipAssociation;
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

    // Secret in, secret out: @pulumi/aws v7 keeps user data as given in state, and it holds the host key.
    this.userDataBase64 = pulumi.secret(args.cloudInit.apply((text) => Buffer.from(text, "utf8").toString("base64")));
    this.networkInterface = new aws.ec2.NetworkInterface(
      `${name}-eni`,
      { subnetId: args.network.subnet.id, securityGroups: [this.securityGroup.id], description: "kumolab sender", tags: tags("sender-eni") },
      child,
    );
    this.eipAssociation = new aws.ec2.EipAssociation(
      `${name}-eip-assoc`,
      { allocationId: args.network.senderEip.allocationId, networkInterfaceId: this.networkInterface.id },
      // The route to the internet must exist before the address is used.
      { parent: this, dependsOn: [args.network.defaultRoute, args.network.routeTableAssociation] },
    );

    // The name carries the architecture: a size of another architecture needs another AMI, so it is
    // a new instance; within an architecture, a size change is an in-place instanceType update.
    this.instance = new aws.ec2.Instance(
      `${name}-instance-${args.size.arch}`,
      {
        ami: args.amiId,
        instanceType: args.size.instanceType,
        primaryNetworkInterface: { networkInterfaceId: this.networkInterface.id },
        keyName: this.keyPair.keyName,
        userDataBase64: this.userDataBase64,
        userDataReplaceOnChange: true,
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", instanceMetadataTags: "enabled" },
        // Self-termination (infra/cloud-init.ts, EXPIRE_SCRIPT): the OS powers off at expiresAt, and AWS then
        // terminates the instance (root volume deleted with it) instead of keeping a stopped one.
        instanceInitiatedShutdownBehavior: "terminate",
        rootBlockDevice: { volumeSize: args.rootVolumeGiB, volumeType: "gp3", encrypted: true, deleteOnTermination: true, tags: tags("sender-root") },
        tags: pulumi.output(args.tags).apply((t) => ({ ...awsTags(t, "sender"), [OS_TAG]: args.os })),
      },
      {
        parent: this,
        additionalSecretOutputs: ["userData", "userDataBase64"],
        // A newer Ubuntu AMI published between two `pulumi up`s must not replace the sender (and undo a resize);
        // a different OS must (the os tag below).
        ignoreChanges: ["ami"],
        replaceOnChanges: SENDER_REPLACE_ON_CHANGES,
        deleteBeforeReplace: true,
        // Booted on the interface that already wears the public address.
        dependsOn: [this.eipAssociation],
      },
    );
    this.registerOutputs({});
  }

  get resources(): pulumi.CustomResource[] {
    return [this.securityGroup, this.keyPair, this.networkInterface, this.eipAssociation, this.instance];
  }
}
