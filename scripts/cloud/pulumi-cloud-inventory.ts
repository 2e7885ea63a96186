/**
 * The real CloudInventory: kumolab's resources found by tag with Pulumi itself — no cloud SDK among
 * the dependencies (README, "Dependency notes"). An inline Automation API program on a throw-away
 * stack in a temporary file backend (never the lab's state) runs, under `preview` (nothing is
 * created):
 *   - AWS: `aws.resourcegroupstaggingapi.getResources` (the Resource Groups Tagging API) per region;
 *   - Azure: `azure-native` `authorization.getClientConfig`/`getClientToken` for the subscription and a
 *     token of the same login the lab uses, then Azure Resource Manager's `resources` and
 *     `resourcegroups` lists filtered by tag (fetch, bounded).
 * Removal: Azure — the lab's resource group is deleted (ARM DELETE, polled to the end, bounded);
 * AWS — each resource is imported into the throw-away stack of its region and the stack destroyed
 * (rounds, because imported resources carry no dependency order).
 * Not testable without clouds; everything above it is tested with a fake inventory.
 */
import * as aws from "@pulumi/aws";
import * as azureAuth from "@pulumi/azure-native/authorization";
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { z } from "zod";
import { MANAGED_BY } from "../../infra/tags";
import { awsCloudType, awsShortId, CLOUD_TYPE_OF, manualRemoval, type CloudInventory, type RemovalOutcome, type TaggedResource } from "./cloud-inventory";
import { pulumiCommand } from "./pulumi-cli";

const ARM = "https://management.azure.com";
const ARM_CALL_MS = 60_000;

const armList = z.object({
  value: z.array(z.object({ id: z.string(), type: z.string(), location: z.string().optional(), tags: z.record(z.string(), z.string()).optional() }).loose()),
  nextLink: z.string().optional(),
});

async function withStack<T>(label: string, config: Record<string, string>, program: () => Promise<void>, run: (stack: Stack) => Promise<T>): Promise<T> {
  const dir = mkdtempSync(path.join(tmpdir(), "kumolab-gc-"));
  try {
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: label, projectName: "kumolab-gc", program: async () => program() },
      { pulumiCommand: await pulumiCommand(), envVars: { PULUMI_BACKEND_URL: `file://${dir}`, PULUMI_CONFIG_PASSPHRASE: "" } },
    );
    for (const [k, v] of Object.entries(config)) await stack.setConfig(k, { value: v });
    return await run(stack);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function armGetAll(url: string, token: string): Promise<z.infer<typeof armList>["value"]> {
  const all: z.infer<typeof armList>["value"] = [];
  let next: string | undefined = url;
  while (next !== undefined) {
    const res = await fetch(next, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(ARM_CALL_MS) });
    if (!res.ok) throw new Error(`Azure Resource Manager ${res.status} for ${next.split("?")[0] ?? next}: ${(await res.text()).slice(0, 300)}`);
    const page = armList.parse(await res.json());
    all.push(...page.value);
    next = page.nextLink;
  }
  return all;
}

/** Pulumi type by cloud type (for import). Key pairs are left out: the tagging API gives their id, Pulumi imports them by name. */
const PULUMI_TYPE_OF: Record<string, string> = Object.fromEntries(
  Object.entries(CLOUD_TYPE_OF)
    .filter(([t]) => t.startsWith("aws:") && t !== "aws:ec2/keyPair:KeyPair")
    .map(([pulumiType, cloudType]) => [cloudType, pulumiType]),
);

export class PulumiCloudInventory implements CloudInventory {
  readonly description: string;

  constructor(private readonly awsRegions: string[]) {
    this.description = `AWS ${awsRegions.join(", ")} and the Azure subscription of the current login`;
  }

  async list(opts: { labId?: string; signal: AbortSignal }): Promise<{ resources: TaggedResource[]; warnings: string[] }> {
    const resources: TaggedResource[] = [];
    const warnings: string[] = [];
    const tagFilters = [{ key: "managedBy", values: [MANAGED_BY] }, ...(opts.labId !== undefined ? [{ key: "labId", values: [opts.labId] }] : [])];
    const program = async (): Promise<void> => {
      for (const region of this.awsRegions) {
        try {
          const provider = new aws.Provider(`gc-${region}`, { region });
          const found = await aws.resourcegroupstaggingapi.getResources({ tagFilters }, { provider });
          for (const m of found.resourceTagMappingLists) resources.push({ cloud: "aws", id: m.resourceArn, cloudType: awsCloudType(m.resourceArn), region, tags: m.tags });
        } catch (e) {
          warnings.push(`AWS ${region} not listed: ${(e as Error).message.split("\n")[0] ?? ""}`);
        }
      }
      try {
        const { subscriptionId } = await azureAuth.getClientConfig();
        const { token } = await azureAuth.getClientToken();
        const filter = encodeURIComponent(`tagName eq 'managedBy' and tagValue eq '${MANAGED_BY}'`);
        const items = [
          ...(await armGetAll(`${ARM}/subscriptions/${subscriptionId}/resourcegroups?$filter=${filter}&api-version=2021-04-01`, token)).map((g) => ({ ...g, type: "Microsoft.Resources/resourceGroups" })),
          ...(await armGetAll(`${ARM}/subscriptions/${subscriptionId}/resources?$filter=${filter}&api-version=2021-04-01`, token)),
        ];
        for (const it of items) {
          const tags = it.tags ?? {};
          if (opts.labId !== undefined && tags["labId"] !== opts.labId) continue;
          resources.push({ cloud: "azure", id: it.id, cloudType: it.type, region: it.location ?? "", tags });
        }
      } catch (e) {
        warnings.push(`Azure not listed: ${(e as Error).message.split("\n")[0] ?? ""}`);
      }
    };
    await withStack(`list-${process.pid}`, {}, program, (stack) => stack.preview({ signal: opts.signal }));
    return { resources, warnings };
  }

  async remove(resources: TaggedResource[], opts: { signal: AbortSignal }): Promise<RemovalOutcome> {
    const out: RemovalOutcome = { removed: [], remaining: [], howToRemove: [] };
    const leave = (r: TaggedResource, why: string) => {
      out.remaining.push(`${r.cloudType} ${r.id}: ${why}`);
      out.howToRemove.push(manualRemoval(r));
    };
    await this.removeAzure(resources.filter((r) => r.cloud === "azure"), opts.signal, out, leave);
    const awsByRegion = new Map<string, TaggedResource[]>();
    for (const r of resources.filter((x) => x.cloud === "aws")) awsByRegion.set(r.region, [...(awsByRegion.get(r.region) ?? []), r]);
    for (const [region, rs] of awsByRegion) await this.removeAws(region, rs, opts.signal, out, leave);
    return out;
  }

  /** The lab's resource groups are deleted whole (everything of the lab on Azure lives in one). */
  private async removeAzure(rs: TaggedResource[], signal: AbortSignal, out: RemovalOutcome, leave: (r: TaggedResource, why: string) => void): Promise<void> {
    if (rs.length === 0) return;
    const groups = rs.filter((r) => r.cloudType === "Microsoft.Resources/resourceGroups");
    const inGroup = (r: TaggedResource, g: TaggedResource) => r.id.toLowerCase().startsWith(`${g.id.toLowerCase()}/`);
    for (const r of rs.filter((x) => x.cloudType !== "Microsoft.Resources/resourceGroups" && !groups.some((g) => inGroup(x, g)))) leave(r, "not in a kumolab resource group");
    if (groups.length === 0) return;
    let token: string;
    try {
      let got: string | undefined;
      await withStack(`token-${process.pid}`, {}, async () => void (got = (await azureAuth.getClientToken()).token), (stack) => stack.preview({ signal }));
      if (got === undefined) throw new Error("azure-native returned no token");
      token = got;
    } catch (e) {
      for (const g of groups) leave(g, `no Azure token (${(e as Error).message.split("\n")[0] ?? ""})`);
      return;
    }
    for (const g of groups) {
      try {
        const res = await fetch(`${ARM}${g.id}?api-version=2021-04-01`, { method: "DELETE", headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.any([signal, AbortSignal.timeout(ARM_CALL_MS)]) });
        if (res.status !== 200 && res.status !== 202 && res.status !== 404) throw new Error(`ARM ${res.status}: ${(await res.text()).slice(0, 300)}`);
        while (!signal.aborted) {
          const check = await fetch(`${ARM}${g.id}?api-version=2021-04-01`, { headers: { Authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(ARM_CALL_MS) });
          if (check.status === 404) break;
          await new Promise((r) => setTimeout(r, 15_000));
        }
        if (signal.aborted) throw new Error("still deleting at the deadline");
        out.removed.push(g.id, ...rs.filter((r) => inGroup(r, g)).map((r) => r.id));
      } catch (e) {
        leave(g, (e as Error).message.split("\n")[0] ?? "");
      }
    }
  }

  /** Imported one by one into a throw-away stack of the region, then destroyed (up to three rounds). */
  private async removeAws(region: string, rs: TaggedResource[], signal: AbortSignal, out: RemovalOutcome, leave: (r: TaggedResource, why: string) => void): Promise<void> {
    const importable = rs.filter((r) => PULUMI_TYPE_OF[r.cloudType] !== undefined);
    for (const r of rs.filter((x) => !importable.includes(x))) leave(r, "kumolab does not delete this type by tag");
    if (importable.length === 0) return;
    try {
      await withStack(`remove-${process.pid}`, { "aws:region": region }, async () => undefined, async (stack) => {
        const imported: TaggedResource[] = [];
        for (const [i, r] of importable.entries()) {
          try {
            await stack.import({ resources: [{ type: PULUMI_TYPE_OF[r.cloudType] ?? "", name: `orphan-${i}`, id: awsShortId(r.id) }], protect: false, generateCode: false });
            imported.push(r);
          } catch (e) {
            // The tagging API keeps a terminated instance listed for a while: not found = already gone.
            if (/not found|does not exist|InvalidInstanceID|terminated/i.test((e as Error).message)) out.removed.push(r.id);
            else leave(r, `import failed: ${(e as Error).message.split("\n")[0] ?? ""}`);
          }
        }
        let lastError: Error | undefined;
        for (let round = 0; round < 3 && !signal.aborted; round++) {
          try {
            await stack.destroy({ signal });
            lastError = undefined;
            break;
          } catch (e) {
            lastError = e as Error;
          }
        }
        if (lastError === undefined) out.removed.push(...imported.map((r) => r.id));
        else {
          const left = new Set(((await stack.exportStack()).deployment as { resources?: Array<{ id?: string }> } | undefined)?.resources?.map((x) => x.id) ?? []);
          for (const r of imported) {
            if (left.has(awsShortId(r.id))) leave(r, `destroy failed: ${lastError.message.split("\n")[0] ?? ""}`);
            else out.removed.push(r.id);
          }
        }
      });
    } catch (e) {
      for (const r of importable.filter((x) => !out.removed.includes(x.id) && !out.remaining.some((w) => w.includes(x.id)))) leave(r, (e as Error).message.split("\n")[0] ?? "");
    }
  }
}
