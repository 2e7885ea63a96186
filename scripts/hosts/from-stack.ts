/**
 * LabHosts from the cloud stack's outputs (fetched elsewhere: Automation API or
 * `pulumi stack output --json --show-secrets`). Validated by the infra/scripts contract schema.
 */
import { stackOutputsSchema, type VmOutput } from "../../lab-config/stack-outputs";
import type { Role } from "../progress/events";
import type { LabHost, LabHosts } from "./lab-hosts";

/** The layers between the two cloud VMs that also stop port 25 (named in the port-25 proof's error). */
export const CLOUD_FIREWALLS = ["AWS security group", "Azure NSG"];

export class StackOutputsError extends Error {
  constructor(readonly issues: string[]) {
    super(`the stack outputs do not match the contract (lab-config/stack-outputs.ts):\n${issues.map((i) => `  - ${i}`).join("\n")}\nRun 'pulumi up' again so the program writes them, or check that infra/ and scripts/ are from the same version.`);
    this.name = "StackOutputsError";
  }
}

/**
 * `which`: the active sender (default), or — prefetch — the standby slot's VM as the sender, as
 * the lab will be once it is swapped in.
 */
export function hostsFromStackOutputs(outputs: unknown, which: "active" | "standby" = "active"): LabHosts {
  const parsed = stackOutputsSchema.safeParse(outputs);
  if (!parsed.success) {
    // Key paths and messages only: values may be secrets (the SSH private key).
    throw new StackOutputsError(parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "(root)"}: ${i.message}`));
  }
  const o = parsed.data;
  if ((o.senderSlot === undefined) !== (o.standby === undefined)) throw new StackOutputsError(["senderSlot and standby: a lab with two sender slots has both, a lab with one neither"]);
  const credentials = { kind: "private-key" as const, privateKey: o.sshPrivateKey };
  const host = (role: Role, vm: VmOutput, slot?: string): LabHost => ({
    role,
    name: `${role} (${vm.publicIp})`,
    address: vm.publicIp,
    port: 22,
    user: o.sshUser,
    hostKey: { kind: "pinned", publicKey: vm.hostPublicKey },
    credentials,
    size: { label: vm.size, vcpu: vm.vcpu, ramGiB: vm.ramGiB, region: vm.region },
    ...(slot !== undefined ? { slot } : {}),
  });
  if (which === "standby") {
    if (o.standby?.vm == null) throw new Error(`stack outputs: sender slot ${o.standby?.slot ?? "b"} (the standby) has no VM; set kumolab:sender.standbySize and run 'pulumi up'`);
    return {
      labId: o.labId,
      sender: host("sender", o.standby.vm, o.standby.slot),
      sink: host("sink", o.sink),
      sinkAddressFromSender: o.sink.publicIp,
      senderAddressFromSink: o.standby.vm.publicIp,
      alsoAdmitFromSink: [o.sender.publicIp],
      sinkPort: o.sinkPort,
      cloudFirewalls: [...CLOUD_FIREWALLS],
    };
  }
  return {
    labId: o.labId,
    sender: host("sender", o.sender, o.senderSlot),
    sink: host("sink", o.sink),
    // AWS → Azure crosses the internet: the sender reaches the sink's public address, and the
    // sink sees the sender's public address.
    sinkAddressFromSender: o.sink.publicIp,
    senderAddressFromSink: o.sender.publicIp,
    ...(o.standby !== undefined ? { alsoAdmitFromSink: [o.standby.publicIp] } : {}),
    sinkPort: o.sinkPort,
    cloudFirewalls: [...CLOUD_FIREWALLS],
    // The generator shares the sender's VPC subnet: each reaches the other by its private address.
    ...(o.generator ? { generator: { host: host("generator", o.generator), senderAddress: o.sender.privateIp, addressSeenBySender: o.generator.privateIp } } : {}),
  };
}
