/**
 * The real ReclaimProbe (scripts/lab-drivers/spot-reclaim.ts): what the clouds say about the lab's
 * spot hosts after a failed trial, read with Pulumi itself — as `gc` reads tags (README,
 * "Dependency notes") — in an inline program on a throw-away stack under `preview` (nothing created):
 *   - EC2: `aws.ec2.getInstances` on the sender's instance id, with the `state-reason-code` filter
 *     (DescribeInstances' filter; the provider returns ids, not the reason itself) for each spot code,
 *     and `instance-state-name` for its state;
 *   - Azure: `azure-native` `compute.getVirtualMachine` with `expand: instanceView` — its `priority`
 *     and the instance view's status codes (`PowerState/deallocated` after an eviction).
 * The Scheduled Events and the interruption notice can only be read from inside a VM that still runs;
 * after a reclaim it does not. Not testable without clouds; the classification it feeds is tested.
 */
import * as aws from "@pulumi/aws";
import * as compute from "@pulumi/azure-native/compute";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { EC2_SPOT_REASON_CODES, type Ec2Observation, type ReclaimObservations, type ReclaimProbe, type ReclaimTargets } from "../lab-drivers/spot-reclaim";
import { pulumiCommand } from "./pulumi-cli";

/** The instance states DescribeInstances knows (a terminated instance stays listed for about an hour). */
const EC2_STATES = ["pending", "running", "shutting-down", "terminated", "stopping", "stopped"] as const;

function armParts(vmId: string): { resourceGroupName: string; vmName: string } {
  const m = /\/resourceGroups\/([^/]+)\/providers\/Microsoft\.Compute\/virtualMachines\/([^/]+)$/i.exec(vmId);
  if (!m?.[1] || !m[2]) throw new Error(`'${vmId}' is not an Azure VM id`);
  return { resourceGroupName: m[1], vmName: m[2] };
}

export const pulumiReclaimProbe: ReclaimProbe = { observe: observeReclaim };

async function observeReclaim(targets: ReclaimTargets, opts: { signal: AbortSignal }): Promise<ReclaimObservations> {
  const seen: ReclaimObservations = {};
  const program = async (): Promise<void> => {
    const s = targets.sender;
    if (s !== undefined) {
      const provider = new aws.Provider("reclaim-probe", { region: s.region });
      const byId = { name: "instance-id", values: [s.instanceId] };
      const obs: Ec2Observation = {};
      for (const state of EC2_STATES) {
        const r = await aws.ec2.getInstances({ instanceStateNames: [state], filters: [byId] }, { provider });
        if (r.ids.includes(s.instanceId)) obs.state = state;
      }
      for (const code of EC2_SPOT_REASON_CODES) {
        const r = await aws.ec2.getInstances({ instanceStateNames: [...EC2_STATES], filters: [byId, { name: "state-reason-code", values: [code] }] }, { provider });
        if (r.ids.includes(s.instanceId)) obs.stateReasonCode = code;
      }
      seen.sender = obs;
    }
    const k = targets.sink;
    if (k !== undefined) {
      const vm = await compute.getVirtualMachine({ ...armParts(k.vmId), expand: "instanceView" });
      seen.sink = { ...(vm.priority !== undefined ? { priority: vm.priority } : {}), statusCodes: (vm.instanceView?.statuses ?? []).map((x) => x.code ?? "").filter(Boolean) };
    }
  };
  const dir = mkdtempSync(path.join(tmpdir(), "kumolab-reclaim-"));
  try {
    const stack = await LocalWorkspace.createOrSelectStack(
      { stackName: `reclaim-${process.pid}`, projectName: "kumolab-reclaim", program },
      { pulumiCommand: await pulumiCommand(), envVars: { PULUMI_BACKEND_URL: `file://${dir}`, PULUMI_CONFIG_PASSPHRASE: "" } },
    );
    await stack.preview({ signal: opts.signal });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
  return seen;
}
