/**
 * The preflight's real look-ups (./preflight.ts), run inside the Pulumi program before any
 * resource is registered:
 *  - aws.ec2.getInstanceTypeOfferings with locationType `availability-zone` (parallel lists
 *    `instanceTypes` / `locations`, @pulumi/aws ec2/getInstanceTypeOfferings.d.ts);
 *  - aws.servicequotas.getServiceQuota for ec2 / L-1216C47A (`value`, in vCPUs), and L-34B43A08 (spot) for a spot sender;
 *  - Azure's resource SKUs list (ARM `Microsoft.Compute/skus`, api-version 2021-07-01), read
 *    with the program's own Azure credentials (azure-native authorization.getClientConfig /
 *    getClientToken): azure-native has no invoke that lists VM sizes per location. Its
 *    `capabilities` include `LowPriorityCapable` — whether the size runs as a Spot VM.
 */
import * as aws from "@pulumi/aws";
import * as authorization from "@pulumi/azure-native/authorization";
import { z } from "zod";
import { PREFLIGHT_LOOKUP_TIMEOUT_MS, type PreflightLookups, type SinkSizeOffer } from "./preflight";

const offeringsSchema = z.object({ instanceTypes: z.array(z.string()), locations: z.array(z.string()) });
const quotaSchema = z.object({ value: z.number() });
const skusPage = z.object({
  value: z.array(
    z.looseObject({
      resourceType: z.string(),
      name: z.string(),
      locations: z.array(z.string()).optional(),
      restrictions: z.array(z.looseObject({ type: z.string().optional(), reasonCode: z.string().optional(), values: z.array(z.string()).optional() })).optional(),
      capabilities: z.array(z.looseObject({ name: z.string(), value: z.string() })).optional(),
    }),
  ),
  nextLink: z.string().optional(),
});

/** At most this many pages of SKUs (a location lists a few thousand in a handful of pages). */
const MAX_SKU_PAGES = 30;

export const awsAzurePreflightLookups: PreflightLookups = {
  async instanceTypeOfferings(region, instanceTypes) {
    const r = offeringsSchema.parse(
      await aws.ec2.getInstanceTypeOfferings({ region, locationType: "availability-zone", filters: [{ name: "instance-type", values: instanceTypes }] }),
    );
    return r.instanceTypes.map((instanceType, i) => ({ instanceType, zone: r.locations[i] ?? "?" }));
  },

  async vcpuQuota(region, quotaCode) {
    return quotaSchema.parse(await aws.servicequotas.getServiceQuota({ serviceCode: "ec2", quotaCode, region })).value;
  },

  async sinkSizeOffer(location, vmSize): Promise<SinkSizeOffer> {
    const { subscriptionId } = await authorization.getClientConfig();
    const { token } = await authorization.getClientToken({});
    const filter = encodeURIComponent(`location eq '${location}'`);
    let url: string | undefined = `https://management.azure.com/subscriptions/${subscriptionId}/providers/Microsoft.Compute/skus?api-version=2021-07-01&$filter=${filter}`;
    for (let page = 0; url !== undefined && page < MAX_SKU_PAGES; page++) {
      const res = await fetch(url, { headers: { authorization: `Bearer ${token}` }, signal: AbortSignal.timeout(PREFLIGHT_LOOKUP_TIMEOUT_MS) });
      if (!res.ok) throw new Error(`Azure resource SKUs: HTTP ${res.status} ${res.statusText}`);
      const body = skusPage.parse(await res.json());
      const sku = body.value.find((s) => s.resourceType === "virtualMachines" && s.name.toLowerCase() === vmSize.toLowerCase());
      if (sku) {
        const restrictions = (sku.restrictions ?? []).filter((r) => r.type === "Location").map((r) => r.reasonCode ?? "restricted");
        // Spot VMs: the SKU's `LowPriorityCapable` capability ("True"/"False"); absent = not said.
        const lowPriority = sku.capabilities?.find((c) => c.name === "LowPriorityCapable")?.value;
        return { offered: true, restrictions, ...(lowPriority !== undefined ? { lowPriorityCapable: lowPriority.toLowerCase() === "true" } : {}) };
      }
      url = body.nextLink;
    }
    return { offered: false, restrictions: [] };
  },
};
