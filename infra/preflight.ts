/**
 * The preflight: before anything is created, check that the clouds can give the lab what it asks
 * for, and choose the sender's zone. Pure decisions over facts gathered behind a seam
 * (`PreflightLookups`; the real ones in ./preflight-lookups.ts), each look-up bounded in time.
 *
 *  - Zone: AWS leaves the subnet's zone to chance, and not every size is offered in every zone of
 *    a region; the zone chosen is the first (by name) that offers every configured size, so a
 *    resize later in the sweep never meets "Unsupported" in that zone.
 *  - vCPU quota: new accounts have low on-demand quotas; the largest size must fit in it.
 *  - Sink size: the Azure size must be offered in the location, without a subscription restriction.
 */

/** EC2's "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances" quota, in vCPUs (Service Quotas, service code ec2). */
export const EC2_STANDARD_VCPU_QUOTA_CODE = "L-1216C47A";
/** EC2's "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests" quota, in vCPUs: a spot sender counts against it. */
export const EC2_STANDARD_SPOT_VCPU_QUOTA_CODE = "L-34B43A08";
export const PREFLIGHT_LOOKUP_TIMEOUT_MS = 30_000;

export interface PreflightInput {
  region: string;
  /** Every size the sweep may use (a resize must not fail half-way). */
  sizes: ReadonlyArray<{ id: string; instanceType: string; vcpu: number }>;
  sinkLocation: string;
  sinkVmSize: string;
  /**
   * Sender slots (prefetch): with 2, two senders run at once (the standby boots while the active one
   * is measured), so the quota must hold the two largest sizes together. Default 1. Example: 2.
   */
  senderSlots?: 1 | 2;
  /**
   * The sender on spot (`kumolab:spot.sender`): the largest size must also fit the spot vCPU quota
   * (the on-demand one still matters: a reclaimed size is retried on demand). Default false; e.g. true under `--spot`.
   */
  spotSender?: boolean;
}

export interface InstanceTypeOffering {
  zone: string;
  instanceType: string;
}

export interface SinkSizeOffer {
  /** The size is listed for the location at all. */
  offered: boolean;
  /** Restrictions Azure reports for this subscription (e.g. `NotAvailableForSubscription`). */
  restrictions: string[];
  /** Azure's `LowPriorityCapable` capability of the size (Spot VMs); absent when the SKU does not say. */
  lowPriorityCapable?: boolean;
}

/** The look-ups, one per cloud question. Each may throw; the preflight bounds each in time. */
export interface PreflightLookups {
  instanceTypeOfferings(region: string, instanceTypes: string[]): Promise<InstanceTypeOffering[]>;
  /** The vCPU quota `quotaCode` (Service Quotas, service code ec2) in the region. */
  vcpuQuota(region: string, quotaCode: string): Promise<number>;
  sinkSizeOffer(location: string, vmSize: string): Promise<SinkSizeOffer>;
}

export interface PreflightFacts {
  offerings: InstanceTypeOffering[];
  /** A number, or why it could not be read (the check is then skipped with a warning). */
  vcpuQuota: number | { unavailable: string };
  /** The spot vCPU quota, read only for a spot sender. */
  spotVcpuQuota?: number | { unavailable: string };
  sink: SinkSizeOffer | { unavailable: string };
}

export interface PreflightDecision {
  zone: string;
  /** Checks that could not run (no permission, say), to show, not to stop on. */
  warnings: string[];
  /** Whether the sink size can run as an Azure Spot VM there; absent when unknown (not read, or not said). */
  sinkSpotCapable?: boolean;
}

export class PreflightError extends Error {
  constructor(readonly problems: string[]) {
    super(`preflight: nothing was created, because\n${problems.map((p) => `  - ${p}`).join("\n")}`);
    this.name = "PreflightError";
  }
}

/** Decides the zone, or refuses with every problem found (each naming the size, zone or quota and what to do). */
export function decidePreflight(input: PreflightInput, facts: PreflightFacts): PreflightDecision {
  const problems: string[] = [];
  const warnings: string[] = [];

  const types = [...new Set(input.sizes.map((s) => s.instanceType))];
  const zonesOf = new Map<string, Set<string>>(types.map((t) => [t, new Set<string>()]));
  for (const o of facts.offerings) zonesOf.get(o.instanceType)?.add(o.zone);
  const allZones = [...new Set(facts.offerings.map((o) => o.zone))].sort();
  const everywhere = allZones.filter((z) => types.every((t) => zonesOf.get(t)?.has(z)));
  const zone = everywhere[0];
  if (zone === undefined) {
    const bySize = input.sizes.map((s) => {
      const offered = [...(zonesOf.get(s.instanceType) ?? [])].sort();
      const missing = allZones.filter((z) => !offered.includes(z));
      return offered.length === 0
        ? `${s.id} (${s.instanceType}) is not offered in any zone of ${input.region}`
        : `${s.id} (${s.instanceType}) is offered in ${offered.join(", ")}${missing.length > 0 ? `, not in ${missing.join(", ")}` : ""}`;
    });
    problems.push(
      `no zone of ${input.region} offers every configured sender size: ${bySize.join("; ")}. Drop the sizes that do not fit (kumolab:sender.sizes) or choose another region (kumolab:aws.region)`,
    );
  }

  const bySizeDesc = [...input.sizes].sort((a, b) => b.vcpu - a.vcpu);
  const largest = bySizeDesc[0];
  const second = input.senderSlots === 2 ? bySizeDesc[1] : undefined;
  if (typeof facts.vcpuQuota === "number") {
    if (largest !== undefined && second !== undefined && largest.vcpu + second.vcpu > facts.vcpuQuota && largest.vcpu <= facts.vcpuQuota) {
      problems.push(
        `the account's on-demand standard vCPU quota in ${input.region} is ${facts.vcpuQuota}, but with prefetch sizes ${second.id} and ${largest.id} run at once and need ${largest.vcpu + second.vcpu}; ` +
          `request an increase of quota ${EC2_STANDARD_VCPU_QUOTA_CODE} (Service Quotas → Amazon EC2), or sweep with --no-prefetch (one sender at a time)`,
      );
    }
    if (largest !== undefined && largest.vcpu > facts.vcpuQuota) {
      problems.push(
        `the account's on-demand standard vCPU quota in ${input.region} is ${facts.vcpuQuota}, but size ${largest.id} (${largest.instanceType}) needs ${largest.vcpu}; ` +
          `request an increase of quota ${EC2_STANDARD_VCPU_QUOTA_CODE} (Service Quotas → Amazon EC2) or drop the size (kumolab:sender.sizes)`,
      );
    }
  } else {
    warnings.push(`vCPU quota not checked (${facts.vcpuQuota.unavailable}); a size over the quota fails when its instance starts`);
  }

  if (input.spotSender && facts.spotVcpuQuota !== undefined) {
    if (typeof facts.spotVcpuQuota !== "number") warnings.push(`spot vCPU quota not checked (${facts.spotVcpuQuota.unavailable}); a size over it fails when its spot instance is requested`);
    else if (largest !== undefined && largest.vcpu > facts.spotVcpuQuota) {
      problems.push(
        `the account's spot standard vCPU quota in ${input.region} is ${facts.spotVcpuQuota}, but size ${largest.id} (${largest.instanceType}) needs ${largest.vcpu} on spot; ` +
          `request an increase of quota ${EC2_STANDARD_SPOT_VCPU_QUOTA_CODE} (Service Quotas → Amazon EC2), run without --spot, or drop the size`,
      );
    }
  }

  if ("unavailable" in facts.sink) {
    warnings.push(`sink size ${input.sinkVmSize} in ${input.sinkLocation} not checked (${facts.sink.unavailable})`);
  } else if (!facts.sink.offered) {
    problems.push(`Azure does not offer ${input.sinkVmSize} in ${input.sinkLocation}; choose another sink size (kumolab:sink.vmSize) or location (kumolab:azure.location)`);
  } else if (facts.sink.restrictions.length > 0) {
    problems.push(
      `${input.sinkVmSize} in ${input.sinkLocation} is restricted for this subscription (${facts.sink.restrictions.join(", ")}); choose another sink size or location, or ask Azure support to lift it`,
    );
  }

  if (problems.length > 0 || zone === undefined) throw new PreflightError(problems);
  const spotCapable = "unavailable" in facts.sink ? undefined : facts.sink.lowPriorityCapable;
  return { zone, warnings, ...(spotCapable !== undefined ? { sinkSpotCapable: spotCapable } : {}) };
}

/** Runs a look-up with a deadline; the error says which look-up and how long it was given. */
export async function withDeadline<T>(what: string, timeoutMs: number, run: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} gave no answer within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([run(), deadline]);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}

/** Gathers the facts (bounded) and decides. The offerings are required; the quota and sink checks degrade to warnings when unreadable. */
export async function runPreflight(input: PreflightInput, lookups: PreflightLookups, timeoutMs = PREFLIGHT_LOOKUP_TIMEOUT_MS): Promise<PreflightDecision> {
  const types = [...new Set(input.sizes.map((s) => s.instanceType))];
  const why = (e: unknown) => (e instanceof Error ? e.message : String(e));
  const [offerings, vcpuQuota, sink] = await Promise.all([
    withDeadline(`the instance type offerings of ${input.region}`, timeoutMs, () => lookups.instanceTypeOfferings(input.region, types)).catch((e: unknown) => {
      throw new PreflightError([`could not list the instance types offered in ${input.region} (${why(e)}); check the AWS credentials and region, then run again`]);
    }),
    withDeadline(`the vCPU quota of ${input.region}`, timeoutMs, () => lookups.vcpuQuota(input.region, EC2_STANDARD_VCPU_QUOTA_CODE)).catch((e: unknown) => ({ unavailable: why(e) })),
    withDeadline(`the Azure sizes of ${input.sinkLocation}`, timeoutMs, () => lookups.sinkSizeOffer(input.sinkLocation, input.sinkVmSize)).catch((e: unknown) => ({ unavailable: why(e) })),
  ]);
  const spotVcpuQuota = input.spotSender
    ? await withDeadline(`the spot vCPU quota of ${input.region}`, timeoutMs, () => lookups.vcpuQuota(input.region, EC2_STANDARD_SPOT_VCPU_QUOTA_CODE)).catch((e: unknown) => ({ unavailable: why(e) }))
    : undefined;
  return decidePreflight(input, { offerings, vcpuQuota, sink, ...(spotVcpuQuota !== undefined ? { spotVcpuQuota } : {}) });
}
