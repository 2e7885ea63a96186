/**
 * The sender on AWS: its security group (SSH from the operator only; egress for packages, DNS,
 * NTP and the sink port towards the sink only — never 25/465/587), a key pair from the lab's
 * login key, the EC2 instance of the selected size, and the Elastic IP association.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import type { SenderSize } from "../lab-config/schema";
import type { AwsNetwork } from "./aws-network";
import { senderEgressRules, senderIngressRules } from "./firewall-rules";
import { awsTags, type Tags } from "./tags";

export interface AwsSenderArgs {
  network: AwsNetwork;
  size: SenderSize;
  amiId: pulumi.Input<string>;
  rootVolumeGiB: number;
  operatorCidr: string;
  sinkPublicIp: pulumi.Input<string>;
  sinkPort: number;
  loginPublicKey: pulumi.Input<string>;
  /** The rendered cloud-config (holds the host private key): must stay secret. */
  cloudInit: pulumi.Output<string>;
  tags: pulumi.Input<Tags>;
}

export class AwsSender extends pulumi.ComponentResource {
  readonly securityGroup: aws.ec2.SecurityGroup;
  readonly keyPair: aws.ec2.KeyPair;
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
        ingress: senderIngressRules(args.operatorCidr),
        egress: pulumi.output(args.sinkPublicIp).apply((ip) => senderEgressRules(ip, args.sinkPort)),
        revokeRulesOnDelete: true,
        tags: tags("sender-sg"),
      },
      child,
    );
    this.keyPair = new aws.ec2.KeyPair(`${name}-login`, { publicKey: args.loginPublicKey, tags: tags("login") }, child);

    // Secret in, secret out: @pulumi/aws v7 keeps user data as given in state, and it holds the host key.
    this.userDataBase64 = pulumi.secret(args.cloudInit.apply((text) => Buffer.from(text, "utf8").toString("base64")));
    // The name carries the architecture: a size of another architecture needs another AMI, so it is
    // a new instance; within an architecture, a size change is an in-place instanceType update.
    this.instance = new aws.ec2.Instance(
      `${name}-instance-${args.size.arch}`,
      {
        ami: args.amiId,
        instanceType: args.size.instanceType,
        subnetId: args.network.subnet.id,
        vpcSecurityGroupIds: [this.securityGroup.id],
        keyName: this.keyPair.keyName,
        associatePublicIpAddress: false,
        userDataBase64: this.userDataBase64,
        metadataOptions: { httpTokens: "required", httpEndpoint: "enabled" },
        rootBlockDevice: { volumeSize: args.rootVolumeGiB, volumeType: "gp3", encrypted: true, deleteOnTermination: true, tags: tags("sender-root") },
        tags: tags("sender"),
      },
      {
        parent: this,
        additionalSecretOutputs: ["userData", "userDataBase64"],
        // A newer Ubuntu AMI published between two `pulumi up`s must not replace the sender (and undo a resize).
        ignoreChanges: ["ami"],
      },
    );
    this.eipAssociation = new aws.ec2.EipAssociation(`${name}-eip-assoc`, { allocationId: args.network.senderEip.allocationId, instanceId: this.instance.id }, child);
    this.registerOutputs({});
  }

  get resources(): pulumi.CustomResource[] {
    return [this.securityGroup, this.keyPair, this.instance, this.eipAssociation];
  }
}
