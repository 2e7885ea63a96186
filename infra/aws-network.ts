/**
 * The sender's network on AWS: its own VPC with one public subnet routed through an internet
 * gateway, and the Elastic IP the sender will wear. The EIP is allocated here, before any VM, so
 * that the sink's firewall can name it (and the sender's firewall the sink's IP) without a cycle.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import { awsTags, type Tags } from "./tags";

export const SENDER_VPC_CIDR = "10.42.0.0/16";
export const SENDER_SUBNET_CIDR = "10.42.1.0/24";

export interface AwsNetworkArgs {
  tags: pulumi.Input<Tags>;
  /**
   * The zone of the sender's subnet, chosen by the preflight among the zones that offer every
   * configured size (scripts/cloud/preflight.ts). Default: unset, AWS picks (and may pick a zone
   * where a size is not offered). Example: `us-west-2b`.
   */
  availabilityZone?: string;
  /**
   * Prefetch: also allocate the standby sender slot's Elastic IP (slot `b`), so the sink's firewall
   * and policy admit it from the first `up` and never change during a sweep. Default false.
   * Example: true.
   */
  standbyEip?: boolean;
}

export class AwsNetwork extends pulumi.ComponentResource {
  readonly vpc: aws.ec2.Vpc;
  readonly subnet: aws.ec2.Subnet;
  readonly internetGateway: aws.ec2.InternetGateway;
  readonly routeTable: aws.ec2.RouteTable;
  readonly defaultRoute: aws.ec2.Route;
  readonly routeTableAssociation: aws.ec2.RouteTableAssociation;
  /** The sender's public address; associated with the instance in ./aws-sender.ts. */
  readonly senderEip: aws.ec2.Eip;
  /** Slot `b`'s public address (prefetch); absent on a one-sender lab. */
  readonly standbyEip: aws.ec2.Eip | undefined;

  constructor(name: string, args: AwsNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kumolab:aws:Network", name, {}, opts);
    const child = { parent: this };
    const tags = (role: string) => pulumi.output(args.tags).apply((t) => awsTags(t, role));

    this.vpc = new aws.ec2.Vpc(`${name}-vpc`, { cidrBlock: SENDER_VPC_CIDR, enableDnsSupport: true, enableDnsHostnames: true, tags: tags("vpc") }, child);
    this.subnet = new aws.ec2.Subnet(
      `${name}-subnet`,
      // No automatic public IPs: the sender's only public address is the Elastic IP.
      {
        vpcId: this.vpc.id,
        cidrBlock: SENDER_SUBNET_CIDR,
        mapPublicIpOnLaunch: false,
        ...(args.availabilityZone !== undefined ? { availabilityZone: args.availabilityZone } : {}),
        tags: tags("subnet"),
      },
      child,
    );
    this.internetGateway = new aws.ec2.InternetGateway(`${name}-igw`, { vpcId: this.vpc.id, tags: tags("igw") }, child);
    // Routes as standalone resources only (never inline `routes` as well: the two fight over the table).
    this.routeTable = new aws.ec2.RouteTable(`${name}-rt`, { vpcId: this.vpc.id, tags: tags("rt") }, child);
    this.defaultRoute = new aws.ec2.Route(
      `${name}-default-route`,
      { routeTableId: this.routeTable.id, destinationCidrBlock: "0.0.0.0/0", gatewayId: this.internetGateway.id },
      child,
    );
    this.routeTableAssociation = new aws.ec2.RouteTableAssociation(`${name}-rta`, { subnetId: this.subnet.id, routeTableId: this.routeTable.id }, child);
    this.senderEip = new aws.ec2.Eip(`${name}-sender-eip`, { domain: "vpc", tags: tags("sender-eip") }, { parent: this, dependsOn: [this.internetGateway] });
    this.standbyEip = args.standbyEip === true ? new aws.ec2.Eip(`${name}-sender-b-eip`, { domain: "vpc", tags: tags("sender-b-eip") }, { parent: this, dependsOn: [this.internetGateway] }) : undefined;
    this.registerOutputs({});
  }

  /** Every resource, for tests and for dependsOn. */
  get resources(): pulumi.CustomResource[] {
    return [this.vpc, this.subnet, this.internetGateway, this.routeTable, this.defaultRoute, this.routeTableAssociation, this.senderEip, ...(this.standbyEip ? [this.standbyEip] : [])];
  }
}
