/**
 * A lab of two hosts someone else built (a hosts inventory): nothing to create, resize or
 * destroy. The sweep runs its one size; teardown leaves the hosts as they are and says so.
 */
import type { SenderSize } from "../../lab-config/schema";
import { hostsFromInventory } from "../hosts/inventory";
import type { LabHosts } from "../hosts/lab-hosts";
import type { LabDriver, LabReady, TeardownOutcome } from "./lab-driver";

export class InventoryLabDriver implements LabDriver {
  readonly source = "inventory" as const;
  readonly canResize = false;
  readonly description: string;
  readonly fixedSize: SenderSize;

  constructor(
    private readonly hosts: LabHosts,
    file: string,
  ) {
    this.description = `inventory ${file} (lab ${hosts.labId})`;
    const size = hosts.sender.size;
    if (size?.vcpu === undefined || size.ramGiB === undefined) {
      throw new Error(`${file}: sender.size needs label, vcpu and ramGiB for the sweep's table (e.g. size: { label: m5.xlarge, vcpu: 4, ramGiB: 16 })`);
    }
    this.fixedSize = { id: hosts.labId, instanceType: size.label, vcpu: size.vcpu, ramGiB: size.ramGiB, arch: "x86_64" };
  }

  static fromFile(file: string): InventoryLabDriver {
    return new InventoryLabDriver(hostsFromInventory(file), file);
  }

  async ensureLab(size: SenderSize): Promise<LabReady> {
    if (size.id !== this.fixedSize.id) throw new Error(`${this.description} has one sender size (${this.fixedSize.id}); it cannot run size ${size.id}`);
    return { hosts: this.hosts, change: "unchanged" };
  }

  async existingLab(): Promise<LabHosts> {
    return this.hosts;
  }

  async recover(): Promise<void> {
    // Nothing of ours to clear: the hosts were not built by this lab.
  }

  async teardown(): Promise<TeardownOutcome> {
    // The driver does not know whether provisioning reached the hosts: say what holds where it did.
    return { ok: true, detail: `inventory hosts left running, nothing destroyed; on a host that provisioning reached, kumolab's policy stays installed (the sender's packaged init.lua is kept as init.lua.kumolab-orig)` };
  }
}
