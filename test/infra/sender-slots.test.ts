/**
 * Prefetch's two sender slots under Pulumi mocks: slot b beside slot a in the same subnet, security
 * group, key pair and boot script, with its own Elastic IP admitted by the sink's NSG from the first
 * `up`; a swap (config only) changes no resource; a slot without a size has no VM but keeps its
 * address; every resource passes the policy pack; one slot (prefetch off) adds nothing.
 */
import { beforeAll, describe, expect, test } from "vitest";
import { stackOutputsSchema } from "../../lab-config/stack-outputs";
import { KUMOLAB_POLICIES } from "../../policy-pack/policies";
import { hostsFromStackOutputs } from "../../scripts/hosts/from-stack";
import { labConfig, runLab, type LabRun } from "./lab-fixture";
import { MOCK_SENDER_EIP, MOCK_STANDBY_EIP, type RecordedResource } from "./lab-mocks";
import { verdict } from "./policy-harness";

const INSTANCE = "aws:ec2/instance:Instance";
const ENI = "aws:ec2/networkInterface:NetworkInterface";
const NSG = "azure-native:network:NetworkSecurityGroup";
type Obj = Record<string, unknown>;

const twoSlots = (over: Record<string, string> = {}) => labConfig({ "kumolab:sender.slots": "2", "kumolab:sender.standbySize": "c4-r16", ...over });
const named = (run: LabRun, type: string, name: string): RecordedResource | undefined => run.mocks.ofType(type).find((r) => r.name === name);
const names = (run: LabRun) => run.mocks.resources.filter((r) => !r.type.startsWith("kumolab:")).map((r) => `${r.type} ${r.name}`);
const inboundSinkPortSources = (run: LabRun): unknown[] =>
  ((run.mocks.one(NSG).inputs["securityRules"] as Obj[]) ?? []).filter((r) => r["direction"] === "Inbound" && r["destinationPortRange"] === "2525").map((r) => r["sourceAddressPrefix"]);

let both: LabRun;
beforeAll(async () => {
  both = await runLab(twoSlots());
});

describe("two sender slots (prefetch)", () => {
  test("slot b is its own interface, Elastic IP and instance — nothing else is added", async () => {
    const one = await runLab(labConfig());
    const added = names(both).filter((n) => !names(one).includes(n));
    expect(added.sort()).toEqual(
      ["aws:ec2/eip:Eip sender-net-sender-b-eip", "aws:ec2/eipAssociation:EipAssociation sender-b-eip-assoc", `${INSTANCE} sender-b-instance-x86_64`, `${ENI} sender-b-eni`].sort(),
    );
    // Prefetch off: the one-sender lab's NSG admits the one sender only.
    expect(inboundSinkPortSources(one)).toEqual([MOCK_SENDER_EIP]);
    expect(one.outputs.standby).toBeUndefined();
    expect(one.outputs.senderSlot).toBeUndefined();
  });

  test("both slots share the subnet, security group, key pair and boot script; each is its size", () => {
    const [a, b] = [named(both, ENI, "sender-eni"), named(both, ENI, "sender-b-eni")].map((r) => r?.inputs ?? {});
    expect(b?.["subnetId"]).toBe(a?.["subnetId"]);
    expect(b?.["securityGroups"]).toEqual(a?.["securityGroups"]);
    const [ia, ib] = [named(both, INSTANCE, "sender-instance-x86_64"), named(both, INSTANCE, "sender-b-instance-x86_64")].map((r) => r?.inputs ?? {});
    expect([ia?.["instanceType"], ib?.["instanceType"]]).toEqual(["c5.large", "m5.xlarge"]);
    expect(ib?.["keyName"]).toBe(ia?.["keyName"]);
    expect(ib?.["userDataBase64"]).toBe(ia?.["userDataBase64"]);
    expect(ib?.["instanceInitiatedShutdownBehavior"]).toBe("terminate");
  });

  test("the sink's NSG admits both slots' addresses on the sink port, and only those", () => {
    expect(inboundSinkPortSources(both).sort()).toEqual([MOCK_SENDER_EIP, MOCK_STANDBY_EIP].sort());
  });

  test("outputs: the active sender, the standby slot with its VM; the scripts see the sink admitting both", () => {
    expect(stackOutputsSchema.safeParse(both.outputs).success).toBe(true);
    expect(both.outputs.senderSlot).toBe("a");
    expect(both.outputs.sender).toMatchObject({ publicIp: MOCK_SENDER_EIP, size: "c5.large", vcpu: 2 });
    expect(both.outputs.standby).toMatchObject({ slot: "b", publicIp: MOCK_STANDBY_EIP, sizeId: "c4-r16", vm: { publicIp: MOCK_STANDBY_EIP, size: "m5.xlarge", vcpu: 4, ramGiB: 16 } });
    const active = hostsFromStackOutputs(both.outputs);
    expect([active.sender.address, active.sender.slot, active.alsoAdmitFromSink]).toEqual([MOCK_SENDER_EIP, "a", [MOCK_STANDBY_EIP]]);
    const standby = hostsFromStackOutputs(both.outputs, "standby");
    expect([standby.sender.address, standby.sender.slot, standby.senderAddressFromSink, standby.alsoAdmitFromSink]).toEqual([MOCK_STANDBY_EIP, "b", MOCK_STANDBY_EIP, [MOCK_SENDER_EIP]]);
    expect(standby.sender.size).toMatchObject({ label: "m5.xlarge", vcpu: 4 });
  });

  test("every resource passes every policy of the pack", async () => {
    for (const r of both.mocks.resources) {
      for (const p of KUMOLAB_POLICIES) expect(await verdict(p, r.type, r.inputs), `${p.name} on ${r.type} ${r.name}`).toEqual([]);
    }
  });

  test("the swap is config only: slot b active at c4-r16 with a at c2-r4 declares exactly the same resources and inputs", async () => {
    const swapped = await runLab(twoSlots({ "kumolab:sender.activeSlot": "b", "kumolab:sender.size": "c4-r16", "kumolab:sender.standbySize": "c2-r4" }));
    const key = (rs: RecordedResource[]) => rs.map((r) => JSON.stringify([r.type, r.name, r.inputs])).sort();
    expect(key(swapped.mocks.resources)).toEqual(key(both.mocks.resources));
    expect(swapped.outputs.sender).toMatchObject({ publicIp: MOCK_STANDBY_EIP, size: "m5.xlarge" });
    expect(swapped.outputs.standby).toMatchObject({ slot: "a", publicIp: MOCK_SENDER_EIP, sizeId: "c2-r4" });
  });

  test("a slot without a size has no VM, but keeps its interface and address (the NSG does not change)", async () => {
    const dropped = await runLab(twoSlots({ "kumolab:sender.activeSlot": "b", "kumolab:sender.size": "c4-r16", "kumolab:sender.standbySize": "null" }));
    expect(dropped.mocks.ofType(INSTANCE).map((r) => r.name)).toEqual(["sender-b-instance-x86_64"]);
    expect(named(dropped, ENI, "sender-eni")).toBeDefined();
    expect(inboundSinkPortSources(dropped).sort()).toEqual([MOCK_SENDER_EIP, MOCK_STANDBY_EIP].sort());
    expect(dropped.outputs.standby).toEqual({ slot: "a", publicIp: MOCK_SENDER_EIP, sizeId: null, vm: null });
    expect(() => hostsFromStackOutputs(dropped.outputs, "standby")).toThrow(/slot a \(the standby\) has no VM/);
  });

  test("the config refuses a standby without two slots, and an unknown standby size", () => {
    expect(() => labConfig({ "kumolab:sender.standbySize": "c4-r16" })).toThrow(/sender\.slots/);
    expect(() => labConfig({ "kumolab:sender.slots": "2", "kumolab:sender.standbySize": "c3-r9" })).toThrow(/unknown size id 'c3-r9'/);
  });
});
