/**
 * What kumolab has running in the clouds, found by its tags (`managedBy=kumolab`, `labId`,
 * `expiresAt`) rather than by the local Pulumi state: the state can be lost (`git clean -xdf`, another
 * machine), the tags cannot. Everything that talks to a cloud is behind `CloudInventory`, so `gc`,
 * `lab list` and the recovery of pending creates are tested with a fake inventory; the real one is
 * ./pulumi-cloud-inventory.ts.
 */
import { z } from "zod";
import { MANAGED_BY } from "../../infra/tags";

/** One cloud resource carrying kumolab's tags. */
export interface TaggedResource {
  cloud: "aws" | "azure";
  /** The cloud's own id: an ARN on AWS, a resource id (`/subscriptions/…`) on Azure. */
  id: string;
  /** The cloud's type: `ec2:instance`, `Microsoft.Compute/virtualMachines`. */
  cloudType: string;
  /** AWS region or Azure location. */
  region: string;
  tags: Record<string, string>;
}

export interface RemovalOutcome {
  /** Cloud ids removed. */
  removed: string[];
  /** What is still there, each with its cloud id and why. */
  remaining: string[];
  /** The exact commands (or console steps) that remove what remains. */
  howToRemove: string[];
}

export interface CloudInventory {
  /** e.g. `AWS us-west-2 and Azure subscription 0000…`. */
  readonly description: string;
  /** Every resource tagged managedBy=kumolab it can see (optionally one lab's). Bounded: rejects on its deadline. */
  list(opts: { labId?: string; signal: AbortSignal }): Promise<{ resources: TaggedResource[]; warnings: string[] }>;
  /** Deletes these resources (of one lab). Never throws for a failed delete: the outcome says what remains. */
  remove(resources: TaggedResource[], opts: { signal: AbortSignal }): Promise<RemovalOutcome>;
}

/** A lab as the clouds show it: its resources grouped by the `labId` tag. */
export interface CloudLab {
  labId: string;
  createdAt: string | undefined;
  createdBy: string | undefined;
  /** The latest `expiresAt` among its resources (a TTL extension re-tags them all; the latest wins). */
  expiresAt: string | undefined;
  /** Hours since createdAt (undefined when no resource carries it). */
  ageHours: number | undefined;
  /** expiresAt has passed. A lab without a readable expiresAt is never called expired. */
  expired: boolean;
  resources: TaggedResource[];
}

const isoTime = z.iso.datetime({ offset: true });

function parsedTime(v: string | undefined): number | undefined {
  if (v === undefined || !isoTime.safeParse(v).success) return undefined;
  return Date.parse(v);
}

/** Groups kumolab's resources by lab, newest expiry per lab; resources without a labId are grouped under `(no labId)`. */
export function groupLabs(resources: TaggedResource[], now: Date = new Date()): CloudLab[] {
  const byLab = new Map<string, TaggedResource[]>();
  for (const r of resources) {
    if (r.tags["managedBy"] !== MANAGED_BY) continue;
    const id = r.tags["labId"] ?? "(no labId)";
    byLab.set(id, [...(byLab.get(id) ?? []), r]);
  }
  return [...byLab.entries()]
    .map(([labId, rs]): CloudLab => {
      const expiries = rs.map((r) => r.tags["expiresAt"]).filter((t): t is string => parsedTime(t) !== undefined);
      const expiresAt = expiries.sort((a, b) => Date.parse(b) - Date.parse(a))[0];
      const created = rs.map((r) => r.tags["createdAt"]).filter((t): t is string => parsedTime(t) !== undefined).sort((a, b) => Date.parse(a) - Date.parse(b))[0];
      const createdMs = parsedTime(created);
      return {
        labId,
        createdAt: created,
        createdBy: rs.map((r) => r.tags["createdBy"]).find((c) => c !== undefined),
        expiresAt,
        ageHours: createdMs === undefined ? undefined : (now.getTime() - createdMs) / 3_600_000,
        expired: expiresAt !== undefined && Date.parse(expiresAt) <= now.getTime(),
        resources: rs,
      };
    })
    .sort((a, b) => a.labId.localeCompare(b.labId));
}

/** One line per lab: id, resource count per cloud, age, expiry (and whether it has passed). */
export function formatCloudLab(lab: CloudLab, now: Date = new Date()): string {
  const count = (c: TaggedResource["cloud"]) => lab.resources.filter((r) => r.cloud === c).length;
  const age = lab.ageHours === undefined ? "age unknown" : `age ${lab.ageHours.toFixed(1)} h`;
  let expiry = "no expiresAt tag";
  if (lab.expiresAt !== undefined) {
    const hours = (Date.parse(lab.expiresAt) - now.getTime()) / 3_600_000;
    expiry = lab.expired ? `EXPIRED ${lab.expiresAt} (${(-hours).toFixed(1)} h ago)` : `expires ${lab.expiresAt} (in ${hours.toFixed(1)} h)`;
  }
  return `${lab.labId}  ${count("aws")} AWS + ${count("azure")} Azure resources  ${age}  ${expiry}${lab.createdBy !== undefined ? `  by ${lab.createdBy}` : ""}`;
}

/** The cloud type a Pulumi resource type is tagged as (for matching a pending create to what the cloud has). */
export const CLOUD_TYPE_OF: Readonly<Record<string, string>> = {
  "aws:ec2/instance:Instance": "ec2:instance",
  "aws:ebs/volume:Volume": "ec2:volume",
  "aws:ec2/securityGroup:SecurityGroup": "ec2:security-group",
  "aws:ec2/networkInterface:NetworkInterface": "ec2:network-interface",
  "aws:ec2/keyPair:KeyPair": "ec2:key-pair",
  "aws:ec2/eip:Eip": "ec2:elastic-ip",
  "aws:ec2/vpc:Vpc": "ec2:vpc",
  "aws:ec2/subnet:Subnet": "ec2:subnet",
  "aws:ec2/internetGateway:InternetGateway": "ec2:internet-gateway",
  "aws:ec2/routeTable:RouteTable": "ec2:route-table",
  "azure-native:resources:ResourceGroup": "Microsoft.Resources/resourceGroups",
  "azure-native:compute:VirtualMachine": "Microsoft.Compute/virtualMachines",
  "azure-native:network:NetworkInterface": "Microsoft.Network/networkInterfaces",
  "azure-native:network:NetworkSecurityGroup": "Microsoft.Network/networkSecurityGroups",
  "azure-native:network:PublicIPAddress": "Microsoft.Network/publicIPAddresses",
  "azure-native:network:VirtualNetwork": "Microsoft.Network/virtualNetworks",
  "azure-native:devtestlab:GlobalSchedule": "Microsoft.DevTestLab/schedules",
};

/** The cloud type of an AWS ARN: `arn:aws:ec2:us-west-2:1234:instance/i-0abc` → `ec2:instance`. */
export function awsCloudType(arn: string): string {
  const parts = arn.split(":");
  const service = parts[2] ?? "";
  const resource = parts.slice(5).join(":");
  return `${service}:${resource.split(/[/:]/)[0] ?? ""}`;
}

/** The short id inside an ARN (`i-0abc`), which is what Pulumi imports by. */
export function awsShortId(arn: string): string {
  const resource = arn.split(":").slice(5).join(":");
  return resource.includes("/") ? resource.slice(resource.lastIndexOf("/") + 1) : resource;
}

/** How to remove one resource by hand, with the cloud's own id. */
export function manualRemoval(r: TaggedResource): string {
  if (r.cloud === "azure") {
    return r.cloudType === "Microsoft.Resources/resourceGroups" ? `az group delete --yes --name ${r.id.split("/").at(-1) ?? r.id}` : `az resource delete --ids ${r.id}`;
  }
  const id = awsShortId(r.id);
  const region = `--region ${r.region}`;
  switch (r.cloudType) {
    case "ec2:instance":
      return `aws ec2 terminate-instances ${region} --instance-ids ${id}`;
    case "ec2:volume":
      return `aws ec2 delete-volume ${region} --volume-id ${id} (after the instance it is attached to is gone)`;
    case "ec2:security-group":
      return `aws ec2 delete-security-group ${region} --group-id ${id}`;
    case "ec2:network-interface":
      return `aws ec2 delete-network-interface ${region} --network-interface-id ${id}`;
    case "ec2:key-pair":
      return `aws ec2 delete-key-pair ${region} --key-pair-id ${id}`;
    case "ec2:elastic-ip":
      return `aws ec2 release-address ${region} --allocation-id ${id}`;
    case "ec2:subnet":
      return `aws ec2 delete-subnet ${region} --subnet-id ${id}`;
    case "ec2:route-table":
      return `aws ec2 delete-route-table ${region} --route-table-id ${id}`;
    case "ec2:internet-gateway":
      return `aws ec2 delete-internet-gateway ${region} --internet-gateway-id ${id} (detach it from its VPC first: aws ec2 detach-internet-gateway)`;
    case "ec2:vpc":
      return `aws ec2 delete-vpc ${region} --vpc-id ${id}`;
    default:
      return `delete ${r.id} in the AWS console (region ${r.region})`;
  }
}
