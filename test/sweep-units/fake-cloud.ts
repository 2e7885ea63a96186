/** A fake cloud inventory: kumolab's resources in AWS and Azure as tags would show them; records list/remove calls. */
import type { CloudInventory, RemovalOutcome, TaggedResource } from "../../scripts/cloud/cloud-inventory";
import { manualRemoval } from "../../scripts/cloud/cloud-inventory";

export function awsResource(labId: string, kind: string, shortId: string, tags: Record<string, string> = {}): TaggedResource {
  return {
    cloud: "aws",
    id: `arn:aws:ec2:us-west-2:111122223333:${kind}/${shortId}`,
    cloudType: `ec2:${kind}`,
    region: "us-west-2",
    tags: { managedBy: "kumolab", labId, ...tags },
  };
}

export function azureResource(labId: string, type: string, name: string, tags: Record<string, string> = {}): TaggedResource {
  return {
    cloud: "azure",
    id: `/subscriptions/0000/resourceGroups/${labId}-rg/providers/${type}/${name}`,
    cloudType: type,
    region: "westus2",
    tags: { managedBy: "kumolab", labId, ...tags },
  };
}

export class FakeCloud implements CloudInventory {
  readonly description = "fake AWS us-west-2 and Azure subscription 0000";
  readonly listed: Array<string | undefined> = [];
  readonly removeCalls: string[][] = [];

  constructor(
    public resources: TaggedResource[],
    private readonly opts: { undeletable?: string[]; listError?: Error } = {},
  ) {}

  async list(o: { labId?: string; signal: AbortSignal }): Promise<{ resources: TaggedResource[]; warnings: string[] }> {
    this.listed.push(o.labId);
    if (this.opts.listError) throw this.opts.listError;
    return { resources: this.resources.filter((r) => o.labId === undefined || r.tags["labId"] === o.labId), warnings: [] };
  }

  async remove(rs: TaggedResource[]): Promise<RemovalOutcome> {
    this.removeCalls.push(rs.map((r) => r.id));
    const stuck = rs.filter((r) => this.opts.undeletable?.includes(r.id));
    const gone = rs.filter((r) => !stuck.includes(r));
    this.resources = this.resources.filter((r) => !gone.includes(r));
    return { removed: gone.map((r) => r.id), remaining: stuck.map((r) => `${r.cloudType} ${r.id}: delete refused`), howToRemove: stuck.map(manualRemoval) };
  }
}
