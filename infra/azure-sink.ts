/**
 * The sink on Azure: its network security group (SSH from the operator, the sink port from the
 * sender's Elastic IP only, outbound TCP 25/465/587 denied), a NIC with the static public IP,
 * and a Linux VM of the sink size that accepts SSH keys only.
 */
import * as compute from "@pulumi/azure-native/compute";
import * as devtestlab from "@pulumi/azure-native/devtestlab";
import * as network from "@pulumi/azure-native/network";
import * as pulumi from "@pulumi/pulumi";
import type { OsImage } from "../lab-config/schema";
import { azureImageReference } from "./azure-image";
import { azureSpotArgs, CAPACITY_TAG, capacityOf } from "./capacity";
import type { AzureNetwork } from "./azure-network";
import { sinkSecurityRules } from "./firewall-rules";
import type { Tags } from "./tags";

export interface AzureSinkArgs {
  network: AzureNetwork;
  location: string;
  vmSize: string;
  osDiskGiB: number;
  os: OsImage;
  operatorCidr: string;
  senderPublicIp: pulumi.Input<string>;
  /** Prefetch: the standby sender slot's address, admitted like the sender's. Default: none. Example: the slot-b Elastic IP. */
  standbySenderPublicIp?: pulumi.Input<string>;
  sinkPort: number;
  sshUser: string;
  loginPublicKey: pulumi.Input<string>;
  /** The rendered cloud-config (holds the host private key): must stay secret. */
  cloudInit: pulumi.Output<string>;
  tags: pulumi.Input<Tags>;
  /** The lab's TTL: the auto-shutdown schedule is daily, so it is enabled only when the lab lives at most a day (see below). */
  ttlHours: number;
  /**
   * Run the sink as an Azure Spot VM (eviction policy Deallocate, max price -1; ./capacity.ts).
   * Default false (on demand); e.g. `true` under `npm run sweep -- --spot` when the preflight finds
   * the size spot-capable in the location.
   */
  spot?: boolean;
}

/** Azure's daily auto-shutdown recurs every day at one time: it stands for `expiresAt` only when that is within the first day. */
export const AUTO_SHUTDOWN_MAX_TTL_HOURS = 24;

/** `expiresAt` (ISO 8601) as the schedule's `HHmm` in UTC. */
export function shutdownTimeOfDay(expiresAt: string): string {
  const t = new Date(expiresAt);
  if (Number.isNaN(t.getTime())) throw new Error(`expiresAt '${expiresAt}' is not an ISO 8601 time`);
  return `${String(t.getUTCHours()).padStart(2, "0")}${String(t.getUTCMinutes()).padStart(2, "0")}`;
}

/** VM properties whose change boots a new VM; a size change (hardwareProfile.vmSize) stays an in-place resize. */
export const SINK_REPLACE_ON_CHANGES: string[] = ["osProfile.customData", "osProfile.adminUsername", "storageProfile.imageReference", "priority"];

export class AzureSink extends pulumi.ComponentResource {
  readonly nsg: network.NetworkSecurityGroup;
  readonly nic: network.NetworkInterface;
  readonly vm: compute.VirtualMachine;
  /** Azure's VM auto-shutdown (a DevTestLab global schedule named shutdown-computevm-<vm>): deallocates the sink at expiresAt. */
  readonly autoShutdown: devtestlab.GlobalSchedule;
  /** base64 cloud-config handed to the VM as customData (secret). */
  readonly customData: pulumi.Output<string>;
  readonly privateIp: pulumi.Output<string>;

  constructor(name: string, args: AzureSinkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kumolab:azure:Sink", name, {}, opts);
    const child = { parent: this };
    const { location, tags } = args;
    const resourceGroupName = args.network.resourceGroup.name;

    // Inline rules only (no standalone SecurityRule resources alongside).
    this.nsg = new network.NetworkSecurityGroup(
      `${name}-nsg`,
      {
        resourceGroupName,
        location,
        // A known list with only the sender's address unknown at preview (the policy pack judges every rule).
        securityRules: sinkSecurityRules(
          args.operatorCidr,
          pulumi.output(args.senderPublicIp),
          args.sinkPort,
          args.standbySenderPublicIp !== undefined ? pulumi.output(args.standbySenderPublicIp) : undefined,
        ),
        tags,
      },
      child,
    );
    this.nic = new network.NetworkInterface(
      `${name}-nic`,
      {
        resourceGroupName,
        location,
        networkSecurityGroup: { id: this.nsg.id },
        ipConfigurations: [
          {
            name: "primary",
            primary: true,
            subnet: { id: args.network.subnet.id },
            privateIPAllocationMethod: "Dynamic",
            publicIPAddress: { id: args.network.sinkPublicIp.id },
          },
        ],
        // Many connections per second: accelerated networking where the size supports it (F8s_v2 does).
        enableAcceleratedNetworking: true,
        tags,
      },
      child,
    );
    this.privateIp = this.nic.ipConfigurations.apply((c) => {
      const ip = c?.[0]?.privateIPAddress;
      if (!ip) throw new Error(`the sink NIC ${name}-nic has no private IP yet; run 'pulumi refresh' then 'pulumi up'`);
      return ip;
    });

    this.customData = pulumi.secret(args.cloudInit.apply((text) => Buffer.from(text, "utf8").toString("base64")));
    this.vm = new compute.VirtualMachine(
      `${name}-vm`,
      {
        resourceGroupName,
        location,
        hardwareProfile: { vmSize: args.vmSize },
        osProfile: {
          computerName: "kumolab-sink",
          adminUsername: args.sshUser,
          customData: this.customData,
          linuxConfiguration: {
            disablePasswordAuthentication: true,
            provisionVMAgent: true,
            ssh: { publicKeys: [{ path: `/home/${args.sshUser}/.ssh/authorized_keys`, keyData: args.loginPublicKey }] },
          },
        },
        storageProfile: {
          imageReference: azureImageReference(args.os),
          osDisk: { createOption: "FromImage", diskSizeGB: args.osDiskGiB, managedDisk: { storageAccountType: "Premium_LRS" }, deleteOption: "Delete" },
        },
        networkProfile: { networkInterfaces: [{ id: this.nic.id, primary: true }] },
        ...azureSpotArgs(args.spot ?? false),
        tags: pulumi.output(tags).apply((t) => ({ ...t, [CAPACITY_TAG]: capacityOf(args.spot ?? false) })),
      },
      {
        parent: this,
        additionalSecretOutputs: ["osProfile"],
        // Azure refuses a changed customData or admin user (PropertyChangeNotAllowed) and azure-native
        // does not replace on its own; cloud-init runs once per VM anyway. A change of priority (spot ↔
        // on demand, e.g. the retry of a reclaimed sink) is a new VM too, visibly. So what the VM boots from
        // replaces it, visibly in the plan. The NIC carries one VM at a time: the old one goes first.
        replaceOnChanges: SINK_REPLACE_ON_CHANGES,
        deleteBeforeReplace: true,
      },
    );
    // Self-termination on the cloud side: the VM's own timer powers the OS off at expiresAt
    // (infra/cloud-init.ts), but Azure bills a stopped VM until it is deallocated; the auto-shutdown
    // schedule deallocates it. It recurs daily at expiresAt's time of day (UTC), so it is enabled only
    // for a TTL of at most a day — a longer lab would be stopped on its first day (README, "Nothing leaks").
    const expiresAt = pulumi.output(args.tags).apply((t) => t["expiresAt"] ?? "");
    this.autoShutdown = new devtestlab.GlobalSchedule(
      `${name}-auto-shutdown`,
      {
        // Azure's auto-shutdown only recognises this name.
        name: pulumi.interpolate`shutdown-computevm-${this.vm.name}`,
        resourceGroupName,
        location,
        targetResourceId: this.vm.id,
        taskType: "ComputeVmShutdownTask",
        status: args.ttlHours <= AUTO_SHUTDOWN_MAX_TTL_HOURS ? "Enabled" : "Disabled",
        dailyRecurrence: { time: expiresAt.apply(shutdownTimeOfDay) },
        timeZoneId: "UTC",
        notificationSettings: { status: "Disabled" },
        tags,
      },
      child,
    );
    this.registerOutputs({});
  }

  get resources(): pulumi.CustomResource[] {
    return [this.nsg, this.nic, this.vm, this.autoShutdown];
  }
}
