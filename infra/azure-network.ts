/**
 * The sink's network on Azure: a resource group, a virtual network with one subnet, and the
 * sink's static Standard-SKU public IP — allocated before any VM so the sender's firewall can name it.
 */
import * as network from "@pulumi/azure-native/network";
import * as resources from "@pulumi/azure-native/resources";
import * as pulumi from "@pulumi/pulumi";
import type { Tags } from "./tags";

export const SINK_VNET_CIDR = "10.43.0.0/16";
export const SINK_SUBNET_CIDR = "10.43.1.0/24";

export interface AzureNetworkArgs {
  location: string;
  tags: pulumi.Input<Tags>;
}

export class AzureNetwork extends pulumi.ComponentResource {
  readonly resourceGroup: resources.ResourceGroup;
  readonly vnet: network.VirtualNetwork;
  readonly subnet: network.Subnet;
  readonly sinkPublicIp: network.PublicIPAddress;

  constructor(name: string, args: AzureNetworkArgs, opts?: pulumi.ComponentResourceOptions) {
    super("kumolab:azure:Network", name, {}, opts);
    const child = { parent: this };
    const { location, tags } = args;

    this.resourceGroup = new resources.ResourceGroup(`${name}-rg`, { location, tags }, child);
    const resourceGroupName = this.resourceGroup.name;
    // The subnet is a standalone resource and the VNet declares none inline (mixing the two makes them fight).
    this.vnet = new network.VirtualNetwork(`${name}-vnet`, { resourceGroupName, location, addressSpace: { addressPrefixes: [SINK_VNET_CIDR] }, tags }, child);
    this.subnet = new network.Subnet(`${name}-subnet`, { resourceGroupName, virtualNetworkName: this.vnet.name, addressPrefix: SINK_SUBNET_CIDR }, child);
    // Standard SKU (Basic public IPs are retired) and static, so the address is known before the VM exists.
    this.sinkPublicIp = new network.PublicIPAddress(
      `${name}-sink-ip`,
      {
        resourceGroupName,
        location,
        sku: { name: "Standard", tier: "Regional" },
        publicIPAllocationMethod: "Static",
        publicIPAddressVersion: "IPv4",
        tags,
      },
      child,
    );
    this.registerOutputs({});
  }

  get resources(): pulumi.CustomResource[] {
    return [this.resourceGroup, this.vnet, this.subnet, this.sinkPublicIp];
  }
}
