/**
 * The optional generator host on AWS (lab-config/generator.ts): a third VM in the sender's VPC and
 * subnet that runs traffic-gen against the sender's private address, so the sender's CPU is the
 * MTA's alone. Its security group admits SSH from the operator only and lets out packages, DNS, NTP
 * and the sender's submission port to the sender's subnet — never 25/465/587. It wears its own
 * Elastic IP (the subnet maps none), associated with its interface before the instance boots, as
 * the sender's does (./aws-sender.ts explains why), and it self-terminates at expiresAt as well.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { GeneratorSettings } from "../lab-config/generator";
import type { OsImage } from "../lab-config/schema";
import { OS_TAG } from "./aws-sender";
import type { AwsNetwork } from "./aws-network";
import { SENDER_SUBNET_CIDR } from "./aws-network";
import { GENERATOR_SUBMISSION_PORT, generatorEgressRules, generatorIngressRules } from "./firewall-rules";
import { awsTags, type Tags } from "./tags";

/** Every field is required (no defaults): createLab passes the lab config's values. */
export interface AwsGeneratorArgs {
  /** The sender's network: the generator joins its VPC and subnet (./aws-network.ts). */
  network: AwsNetwork;
  /** The generator's size (lab config `generator`), e.g. `{ enabled: true, instanceType: "c5.2xlarge", vcpu: 8, ramGiB: 16, arch: "x86_64" }`. */
  settings: GeneratorSettings;
  /** The OS its AMI is of, e.g. `ubuntu-22.04`; a change replaces the instance (as the sender's). */
  os: OsImage;
  /** The AMI for `os` and `settings.arch` (./ami.ts), e.g. `ami-0123456789abcdef0`. */
  amiId: pulumi.Input<string>;
  /** Root volume in GiB; the lab's `aws.rootVolumeGiB`, e.g. 30. */
  rootVolumeGiB: number;
  /** The resolved operator CIDR admitted on SSH, e.g. `203.0.113.7/32` (never `auto`). */
  operatorCidr: string;
  /** The lab's login key, `ssh-ed25519 AAAA…`. */
  loginPublicKey: pulumi.Input<string>;
  /** The rendered cloud-config for role `generator` (holds the host private key): must stay secret. */
  cloudInit: pulumi.Output<string>;
  /** The lab's tags (./tags.ts), e.g. `{ labId: "kumolab-dev", managedBy: "kumolab", … }`. */
  tags: pulumi.Input<Tags>;
}

export class AwsGenerator extends pulumi.ComponentResource {
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly keyPair: aws.ec2.KeyPair;
  readonly eip: aws.ec2.Eip;
  readonly networkInterface: aws.ec2.NetworkInterface;
  readonly eipAssociation: aws.ec2.EipAssociation;
  readonly instance: aws.ec2.Instance;
  readonly userDataBase64: pulumi.Output<string>;

  constructor(name: string, args: AwsGeneratorArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kumolab:aws:Generator", name, {}, opts);
    const child = { parent: this };
    const tags = (role: string) => pulumi.output(args.tags).apply((t) => awsTags(t, role));

    this.securityGroup = new aws.ec2.SecurityGroup(
      `${name}-sg`,
      {
        vpcId: args.network.vpc.id,
        description: "kumolab generator: SSH from the operator; SMTP only to the sender's submission port",
        ingress: generatorIngressRules(args.operatorCidr),
        egress: generatorEgressRules(SENDER_SUBNET_CIDR, GENERATOR_SUBMISSION_PORT),
        revokeRulesOnDelete: true,
        tags: tags("generator-sg"),
      },
      child,
    );
    this.keyPair = new aws.ec2.KeyPair(`${name}-login`, { publicKey: args.loginPublicKey, tags: tags("login") }, child);
    this.eip = new aws.ec2.Eip(`${name}-eip`, { domain: "vpc", tags: tags("generator-eip") }, { parent: this, dependsOn: [args.network.internetGateway] });
    this.userDataBase64 = pulumi.secret(args.cloudInit.apply((text) => Buffer.from(text, "utf8").toString("base64")));
    this.networkInterface = new aws.ec2.NetworkInterface(
      `${name}-eni`,
      { subnetId: args.network.subnet.id, securityGroups: [this.securityGroup.id], description: "kumolab generator", tags: tags("generator-eni") },
      child,
    );
    this.eipAssociation = new aws.ec2.EipAssociation(
      `${name}-eip-assoc`,
      { allocationId: this.eip.allocationId, networkInterfaceId: this.networkInterface.id },
      { parent: this, dependsOn: [args.network.defaultRoute, args.network.routeTableAssociation] },
    );
    this.instance = new aws.ec2.Instance(
      `${name}-instance-${args.settings.arch}`,
      {
        ami: args.amiId,
        instanceType: args.settings.instanceType,
        primaryNetworkInterface: { networkInterfaceId: this.networkInterface.id },
        keyName: this.keyPair.keyName,
        userDataBase64: this.userDataBase64,
        userDataReplaceOnChange: true,
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled", instanceMetadataTags: "enabled" },
        // Self-termination at expiresAt (infra/cloud-init.ts EXPIRE_SCRIPT), as the sender.
        instanceInitiatedShutdownBehavior: "terminate",
        rootBlockDevice: { volumeSize: args.rootVolumeGiB, volumeType: "gp3", encrypted: true, deleteOnTermination: true, tags: tags("generator-root") },
        tags: pulumi.output(args.tags).apply((t) => ({ ...awsTags(t, "generator"), [OS_TAG]: args.os })),
      },
      {
        parent: this,
        additionalSecretOutputs: ["userData", "userDataBase64"],
        ignoreChanges: ["ami"],
        replaceOnChanges: [`tags.${OS_TAG}`],
        deleteBeforeReplace: true,
        dependsOn: [this.eipAssociation],
      },
    );
    this.registerOutputs({});
  }

  get resources(): pulumi.CustomResource[] {
    return [this.securityGroup, this.keyPair, this.eip, this.networkInterface, this.eipAssociation, this.instance];
  }
}
