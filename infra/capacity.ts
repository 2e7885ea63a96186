/**
 * Spot or on-demand capacity for the lab's two VMs: the cloud arguments each choice sets, and the
 * tag that says which one a VM runs on. Pure: infra/aws-sender.ts and infra/azure-sink.ts apply them.
 *
 * EC2 sender — a **one-time** Spot Instance, interrupted by **terminate**, and a **new instance per
 * size** (instanceType replaces on spot). Why not in-place resize with a persistent request and
 * interruption behaviour `stop` (the only way to stop a Spot Instance): AWS does not let a stopped
 * Spot Instance change its instance type ("While a Spot Instance is stopped, you can modify some of
 * its instance attributes, but not the instance type",
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/interruption-behavior.html), so the resize
 * would fail anyway; and a persistent request outlives its instance and launches it again, which
 * would defeat the lab's self-termination at expiresAt (the OS powers off → terminate, README
 * "Nothing leaks"). One-time + terminate keeps that guarantee: a reclaimed or expired spot sender is
 * simply gone. No max price: AWS charges the current Spot price, capped at the on-demand price, and
 * advises against a max price (more interruptions; API_SpotMarketOptions, MaxPrice).
 *
 * Azure sink — `priority: Spot`, `evictionPolicy: Deallocate` (the VM stays, stopped and
 * deallocated, so Pulumi's state still matches Azure and a replace or destroy works as usual; with
 * `Delete` the next `up` would meet a VM that is gone), `billingProfile.maxPrice: -1` (never evicted
 * for price, pays at most the on-demand price; https://learn.microsoft.com/azure/virtual-machines/spot-vms).
 */

/** The tag on each VM naming its capacity: `spot` or `on-demand`. */
export const CAPACITY_TAG = "capacity";

export type Capacity = "spot" | "on-demand";

export const capacityOf = (spot: boolean): Capacity => (spot ? "spot" : "on-demand");

/** `aws.ec2.Instance` `instanceMarketOptions` for a spot sender; undefined on demand. */
export function ec2MarketOptions(spot: boolean): { marketType: "spot"; spotOptions: { spotInstanceType: "one-time"; instanceInterruptionBehavior: "terminate" } } | undefined {
  return spot ? { marketType: "spot", spotOptions: { spotInstanceType: "one-time", instanceInterruptionBehavior: "terminate" } } : undefined;
}

/**
 * Sender properties whose change boots a new instance, beyond the OS tag: a switch between spot and
 * on demand always (a running instance cannot change market), and on spot the instance type (no
 * in-place resize of a Spot Instance, see above).
 */
export function senderCapacityReplaceOnChanges(spot: boolean): string[] {
  return spot ? ["instanceMarketOptions", "instanceType"] : ["instanceMarketOptions"];
}

/** `azure-native` VirtualMachine arguments for a spot sink; empty on demand (Azure's default priority is Regular). */
export function azureSpotArgs(spot: boolean): { priority: "Spot"; evictionPolicy: "Deallocate"; billingProfile: { maxPrice: number } } | Record<string, never> {
  return spot ? { priority: "Spot", evictionPolicy: "Deallocate", billingProfile: { maxPrice: -1 } } : {};
}

/**
 * Whether the sink goes on spot: asked for, and the size is spot-capable in the location as far as
 * the preflight could tell (`LowPriorityCapable` in Azure's resource SKUs; unknown = try it, Azure
 * refuses the create with a clear error if not). Returns the choice and, when spot was asked for
 * but not taken, why (shown as a preflight warning).
 */
export function sinkSpotChoice(requested: boolean, lowPriorityCapable: boolean | undefined, vmSize: string, location: string): { spot: boolean; warning?: string } {
  if (!requested) return { spot: false };
  if (lowPriorityCapable === false) return { spot: false, warning: `${vmSize} in ${location} is not offered as an Azure Spot VM (LowPriorityCapable is False): the sink runs on demand` };
  return { spot: true };
}
