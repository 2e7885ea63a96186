/**
 * Was a host reclaimed by its cloud (a spot interruption), or did it fail on its own? Pure
 * classification of what the clouds expose about a VM, so that a failed trial can say
 * `spot-interrupted` and the sweep can retry the size on demand (scripts/sweep/spot-retry.ts).
 * The observations are gathered behind a bounded seam (`ReclaimProbe`); drivers call it only after
 * a failed trial, and only for hosts on spot.
 */

/** A host of the lab that can run on spot capacity. */
export type SpotHost = "sender" | "sink";

/** Which hosts run on spot (lab-config/schema.ts `spot`). */
export interface SpotChoice {
  sender: boolean;
  sink: boolean;
}

/** A host the cloud took back, with what showed it (for the record and the terminal). */
export interface ReclaimedHost {
  host: SpotHost;
  /** e.g. `EC2 instance terminated, state reason Server.SpotInstanceTermination`. */
  evidence: string;
}

/**
 * The sender instance as EC2 describes it (DescribeInstances: `State.Name`, `StateReason.Code`),
 * and, when it could still be read from inside, the spot interruption notice
 * (IMDS `meta-data/spot/instance-action`: `{"action": "terminate", "time": "…"}`).
 */
export interface Ec2Observation {
  /** `pending | running | shutting-down | terminated | stopping | stopped`; undefined = no such instance any more. */
  state?: string;
  stateReasonCode?: string;
  instanceAction?: { action: string; time?: string };
}

/**
 * EC2's state reason codes that mean a spot interruption
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/API_StateReason.html):
 * `Server.SpotInstanceTermination` — "terminated because the number of Spot requests with a maximum
 * price equal to or higher than the Spot price exceeded available capacity or because of an increase
 * in the Spot price"; `Server.SpotInstanceShutdown` — the same, stopped. Not among them:
 * `Client.InstanceInitiatedShutdown` (the OS powered off — the lab's own expiry timer does that) and
 * `Client.UserInitiatedShutdown` (someone called the EC2 API).
 */
export const EC2_SPOT_REASON_CODES = ["Server.SpotInstanceTermination", "Server.SpotInstanceShutdown"] as const;

/**
 * The interruption notice's actions (https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/spot-instance-termination-notices.html):
 * present two minutes before EC2 stops, hibernates or terminates the instance.
 */
export const EC2_INSTANCE_ACTIONS = ["terminate", "stop", "hibernate"] as const;

/** The evidence of a spot interruption of the sender, or undefined when EC2 shows none. */
export function ec2ReclaimEvidence(o: Ec2Observation): string | undefined {
  if (o.stateReasonCode !== undefined && (EC2_SPOT_REASON_CODES as readonly string[]).includes(o.stateReasonCode)) {
    return `EC2 instance ${o.state ?? "gone"}, state reason ${o.stateReasonCode}`;
  }
  if (o.instanceAction !== undefined && (EC2_INSTANCE_ACTIONS as readonly string[]).includes(o.instanceAction.action)) {
    return `EC2 spot interruption notice: ${o.instanceAction.action}${o.instanceAction.time !== undefined ? ` at ${o.instanceAction.time}` : ""}`;
  }
  return undefined;
}

/**
 * The sink VM as Azure describes it: its `priority`, the instance view's status codes
 * (`GET …/virtualMachines/{vm}/instanceView`: `PowerState/running`, `PowerState/deallocated`, …) and,
 * when they could still be read from inside, the Scheduled Events' types (IMDS
 * `metadata/scheduledevents`: `Preempt` for a Spot VM being evicted).
 */
export interface AzureObservation {
  priority?: string;
  statusCodes: string[];
  scheduledEventTypes?: string[];
}

/**
 * The evidence of an eviction of the sink, or undefined. Azure Spot VMs with eviction policy
 * Deallocate are "moved to the stopped-deallocated state" when evicted
 * (https://learn.microsoft.com/azure/virtual-machines/spot-vms); Scheduled Events announce it as
 * `Preempt` (https://learn.microsoft.com/azure/virtual-machines/linux/scheduled-events). The lab's own
 * auto-shutdown also deallocates the sink at expiresAt, so a deallocated sink at or after `expiresAt`
 * is the lab's expiry, not an eviction.
 */
export function azureReclaimEvidence(o: AzureObservation, now: Date, expiresAt: string | undefined): string | undefined {
  if (o.scheduledEventTypes?.includes("Preempt")) return "Azure Scheduled Event Preempt (Spot VM eviction)";
  if (o.priority !== "Spot") return undefined;
  const deallocated = o.statusCodes.find((c) => c === "PowerState/deallocated" || c === "PowerState/deallocating");
  if (deallocated === undefined) return undefined;
  const expiry = expiresAt !== undefined ? Date.parse(expiresAt) : Number.NaN;
  if (!Number.isNaN(expiry) && now.getTime() >= expiry) return undefined;
  return `Azure Spot VM ${deallocated} before the lab's expiry (evicted)`;
}

/** What the clouds show about the hosts on spot (absent = that host is not on spot or was not looked at). */
export interface ReclaimObservations {
  sender?: Ec2Observation;
  sink?: AzureObservation;
}

/** What to look at: the ids of the lab's VMs on spot, from the stack's state. */
export interface ReclaimTargets {
  sender?: { instanceId: string; region: string };
  /** The VM's ARM id (`/subscriptions/…/resourceGroups/<rg>/providers/Microsoft.Compute/virtualMachines/<name>`). */
  sink?: { vmId: string };
}

/** The seam to the clouds: one look at the hosts on spot, bounded by `signal`. */
export interface ReclaimProbe {
  observe(targets: ReclaimTargets, opts: { signal: AbortSignal }): Promise<ReclaimObservations>;
}

/** The reclaimed hosts among those on spot: a host not on spot is never called reclaimed. */
export function reclaimedHosts(spot: SpotChoice, seen: ReclaimObservations, now: Date, expiresAt?: string): ReclaimedHost[] {
  const out: ReclaimedHost[] = [];
  const sender = spot.sender && seen.sender ? ec2ReclaimEvidence(seen.sender) : undefined;
  if (sender !== undefined) out.push({ host: "sender", evidence: sender });
  const sink = spot.sink && seen.sink ? azureReclaimEvidence(seen.sink, now, expiresAt) : undefined;
  if (sink !== undefined) out.push({ host: "sink", evidence: sink });
  return out;
}

/**
 * EC2's error codes for a Spot Instance it cannot start now
 * (https://docs.aws.amazon.com/AWSEC2/latest/APIReference/errors-overview.html):
 * `InsufficientInstanceCapacity` (no capacity of that type in the zone), `UnfulfillableCapacity`
 * ("not enough spare capacity to fulfill your request for Spot Instances"),
 * `MaxSpotInstanceCountExceeded` (the account's spot limit), `SpotMaxPriceTooLow`.
 */
export const EC2_SPOT_LAUNCH_REFUSALS = ["InsufficientInstanceCapacity", "UnfulfillableCapacity", "MaxSpotInstanceCountExceeded", "SpotMaxPriceTooLow"] as const;

/** The refusal code in a failed `up`'s message when EC2 could not start the spot sender, else undefined (any other failure). */
export function ec2SpotLaunchRefusal(message: string): string | undefined {
  return EC2_SPOT_LAUNCH_REFUSALS.find((code) => new RegExp(`\\b${code}\\b`).test(message));
}
