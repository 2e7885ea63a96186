/**
 * Under Pulumi's mocks: the sender is online at boot (its Elastic IP is on its network interface
 * before the instance exists), and a change of what a VM boots from is planned as a replacement
 * while a size change stays in place. Mocks do not diff, so the options the program sets are read
 * through a transformation (which sees every resource's options as the engine receives them), and
 * the inputs of two runs are compared.
 */
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, test } from "vitest";
import { createLab } from "../../infra/lab";
import type { LabConfig } from "../../lab-config/schema";
import { labConfig, TEST_OPERATOR_CIDR } from "./lab-fixture";
import { installMocks, valueOf, type LabMocks } from "./lab-mocks";

interface SeenOptions {
  type: string;
  name: string;
  replaceOnChanges: string[];
  deleteBeforeReplace: boolean;
  ignoreChanges: string[];
  dependsOn: string[];
}

async function run(config: LabConfig): Promise<{ mocks: LabMocks; seen: Map<string, SeenOptions> }> {
  const mocks = await installMocks();
  const seen = new Map<string, SeenOptions>();
  const names = new Map<pulumi.Resource, string>();
  const record: pulumi.ResourceTransformation = (a) => {
    names.set(a.resource, a.name);
    const deps = a.opts.dependsOn === undefined ? [] : Array.isArray(a.opts.dependsOn) ? a.opts.dependsOn : [a.opts.dependsOn];
    seen.set(a.name, {
      type: a.type,
      name: a.name,
      replaceOnChanges: a.opts.replaceOnChanges ?? [],
      deleteBeforeReplace: (a.opts as pulumi.CustomResourceOptions).deleteBeforeReplace ?? false,
      ignoreChanges: a.opts.ignoreChanges ?? [],
      dependsOn: deps.filter((d): d is pulumi.Resource => pulumi.Resource.isInstance(d)).map((d) => names.get(d) ?? "?"),
    });
    return undefined;
  };
  const lab = createLab(config, { labId: "kumolab-test", createdBy: "tester", operatorCidr: TEST_OPERATOR_CIDR, transformations: [record] });
  await Promise.all(lab.resources.map((r) => valueOf(r.id)));
  await valueOf(pulumi.output(lab.outputs));
  return { mocks, seen };
}

const INSTANCE = "aws:ec2/instance:Instance";
const VM = "azure-native:compute:VirtualMachine";

describe("the sender has its public address at boot", () => {
  test("the EIP is associated with a network interface in the sender's group, before the instance that boots on it", async () => {
    const { mocks, seen } = await run(labConfig());
    const eni = mocks.one("aws:ec2/networkInterface:NetworkInterface");
    expect(eni.inputs["securityGroups"]).toEqual(["sender-sg-id"]);
    expect(eni.inputs["subnetId"]).toBe("sender-net-subnet-id");
    const assoc = mocks.one("aws:ec2/eipAssociation:EipAssociation");
    expect(assoc.inputs).toMatchObject({ allocationId: "eipalloc-sender-net-sender-eip", networkInterfaceId: "sender-eni-id" });
    expect(assoc.inputs["instanceId"]).toBeUndefined();
    const instance = mocks.one(INSTANCE);
    expect(instance.inputs["primaryNetworkInterface"]).toEqual({ networkInterfaceId: "sender-eni-id" });
    expect(instance.inputs["subnetId"]).toBeUndefined();
    expect(seen.get("sender-instance-x86_64")?.dependsOn).toContain("sender-eip-assoc");
    // Registered after the association: the engine creates it only once the address is on the interface.
    const order = mocks.resources.map((r) => r.type);
    expect(order.indexOf("aws:ec2/eipAssociation:EipAssociation")).toBeLessThan(order.indexOf(INSTANCE));
  });

  test("the subnet goes to the zone the preflight chose", async () => {
    const mocks = await installMocks();
    const lab = createLab(labConfig(), { labId: "kumolab-test", createdBy: "tester", operatorCidr: TEST_OPERATOR_CIDR, availabilityZone: "us-west-2c" });
    await Promise.all(lab.resources.map((r) => valueOf(r.id)));
    expect(mocks.one("aws:ec2/subnet:Subnet").inputs["availabilityZone"]).toBe("us-west-2c");
  });
});

describe("config changes that apply", () => {
  test("the sink VM is replaced (old one first) when its customData, admin user or image changes; its size is not among them", async () => {
    const { seen } = await run(labConfig());
    const vm = [...seen.values()].find((s) => s.type === VM);
    // azure-native does not replace on a changed customData; Azure refuses the update (PropertyChangeNotAllowed).
    expect(vm?.replaceOnChanges).toEqual(["osProfile.customData", "osProfile.adminUsername", "storageProfile.imageReference", "priority"]);
    expect(vm?.deleteBeforeReplace).toBe(true);
  });

  test("the sender is replaced when its user data changes (userDataReplaceOnChange) or its OS does (os tag), old one first", async () => {
    const { mocks, seen } = await run(labConfig());
    const i = mocks.one(INSTANCE).inputs;
    // @pulumi/aws ec2/instance.d.ts: "userDataReplaceOnChange … will trigger a destroy and recreate of the EC2 instance when set to true".
    expect(i["userDataReplaceOnChange"]).toBe(true);
    expect((i["tags"] as Record<string, string>)["os"]).toBe("ubuntu-22.04");
    const o = seen.get("sender-instance-x86_64");
    expect(o?.replaceOnChanges).toEqual(["tags.os", "instanceMarketOptions"]);
    expect(o?.ignoreChanges).toEqual(["ami"]);
    expect(o?.deleteBeforeReplace).toBe(true);
  });

  test("a KumoMTA setting changes the sink's customData and the sender's user data, both replacing paths", async () => {
    const before = await run(labConfig());
    const after = await run(labConfig({ "kumolab:kumomta": JSON.stringify({ channel: "dev", version: null }) }));
    const customData = (m: LabMocks) => (m.one(VM).inputs["osProfile"] as Record<string, unknown>)["customData"];
    expect(customData(after.mocks)).not.toBe(customData(before.mocks));
    expect(after.mocks.one(INSTANCE).inputs["userDataBase64"]).not.toBe(before.mocks.one(INSTANCE).inputs["userDataBase64"]);
  });

  test("changing the OS changes the os tag (a replacement) and the sink's image reference", async () => {
    const before = await run(labConfig());
    const after = await run(labConfig({ "kumolab:os": "ubuntu-20.04" }));
    expect((after.mocks.one(INSTANCE).inputs["tags"] as Record<string, string>)["os"]).toBe("ubuntu-20.04");
    const img = (m: LabMocks) => (m.one(VM).inputs["storageProfile"] as Record<string, unknown>)["imageReference"];
    expect(img(after.mocks)).not.toEqual(img(before.mocks));
  });
});
