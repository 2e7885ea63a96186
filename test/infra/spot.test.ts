/**
 * Spot capacity under Pulumi's mocks: the resources' recorded inputs and options with spot off and
 * on. Expected values come from the providers' documented arguments: @pulumi/aws ec2 Instance
 * `instanceMarketOptions` (marketType `spot`; spotOptions `spotInstanceType` one-time|persistent,
 * `instanceInterruptionBehavior` hibernate|stop|terminate), azure-native VirtualMachine `priority`
 * (Regular|Low|Spot), `evictionPolicy` (Deallocate|Delete), `billingProfile.maxPrice` (-1 = up to the
 * on-demand price, never evicted for price; learn.microsoft.com, VirtualMachine billingProfile).
 */
import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, test } from "vitest";
import { sinkSpotChoice } from "../../infra/capacity";
import { createLab } from "../../infra/lab";
import { decidePreflight, PreflightError, runPreflight, type PreflightLookups } from "../../infra/preflight";
import { runProgram } from "../../infra/program";
import type { LabConfig } from "../../lab-config/schema";
import { labConfig, TEST_OPERATOR_CIDR } from "./lab-fixture";
import { installMocks, valueOf, type LabMocks } from "./lab-mocks";

const INSTANCE = "aws:ec2/instance:Instance";
const VM = "azure-native:compute:VirtualMachine";

async function run(config: LabConfig, sinkSpot?: boolean): Promise<{ mocks: LabMocks; replaceOnChanges: Map<string, string[]> }> {
  const mocks = await installMocks();
  const replaceOnChanges = new Map<string, string[]>();
  const record: pulumi.ResourceTransformation = (a) => {
    replaceOnChanges.set(a.type, a.opts.replaceOnChanges ?? []);
    return undefined;
  };
  const lab = createLab(config, { labId: "kumolab-test", createdBy: "tester", operatorCidr: TEST_OPERATOR_CIDR, transformations: [record], ...(sinkSpot !== undefined ? { sinkSpot } : {}) });
  await Promise.all(lab.resources.map((r) => valueOf(r.id)));
  await valueOf(pulumi.output(lab.outputs));
  return { mocks, replaceOnChanges };
}

const tagsOf = (r: { inputs: Record<string, unknown> }) => r.inputs["tags"] as Record<string, string>;

describe("spot off (the default)", () => {
  test("both VMs on demand, tagged so; an on-demand sender still resizes in place", async () => {
    const { mocks, replaceOnChanges } = await run(labConfig());
    const i = mocks.one(INSTANCE);
    expect(i.inputs["instanceMarketOptions"]).toBeUndefined();
    expect(tagsOf(i)["capacity"]).toBe("on-demand");
    // instanceType is not among them: a size change stays an in-place update (test/infra/resize.test.ts).
    expect(replaceOnChanges.get(INSTANCE)).toEqual(["tags.os", "instanceMarketOptions"]);
    const vm = mocks.one(VM);
    expect(vm.inputs["priority"]).toBeUndefined();
    expect(vm.inputs["evictionPolicy"]).toBeUndefined();
    expect(vm.inputs["billingProfile"]).toBeUndefined();
    expect(tagsOf(vm)["capacity"]).toBe("on-demand");
  });
});

describe("spot on", () => {
  test("the sender is a one-time Spot Instance, terminated when interrupted, replaced per size", async () => {
    const { mocks, replaceOnChanges } = await run(labConfig({ "kumolab:spot": JSON.stringify({ sender: true, sink: false }) }));
    const i = mocks.one(INSTANCE);
    expect(i.inputs["instanceMarketOptions"]).toEqual({ marketType: "spot", spotOptions: { spotInstanceType: "one-time", instanceInterruptionBehavior: "terminate" } });
    // No max price: AWS charges the Spot price, capped at on demand.
    expect(JSON.stringify(i.inputs["instanceMarketOptions"])).not.toContain("maxPrice");
    expect(tagsOf(i)["capacity"]).toBe("spot");
    // Self-termination at expiresAt still deletes it.
    expect(i.inputs["instanceInitiatedShutdownBehavior"]).toBe("terminate");
    expect(replaceOnChanges.get(INSTANCE)).toEqual(["tags.os", "instanceMarketOptions", "instanceType"]);
    // The sink stays on demand when only the sender is asked for.
    expect(mocks.one(VM).inputs["priority"]).toBeUndefined();
  });

  test("the sink is an Azure Spot VM: Deallocate on eviction, max price -1, a priority change replaces it", async () => {
    const { mocks, replaceOnChanges } = await run(labConfig({ "kumolab:spot.sink": "true" }));
    const vm = mocks.one(VM);
    expect(vm.inputs["priority"]).toBe("Spot");
    expect(vm.inputs["evictionPolicy"]).toBe("Deallocate");
    expect(vm.inputs["billingProfile"]).toEqual({ maxPrice: -1 });
    expect(tagsOf(vm)["capacity"]).toBe("spot");
    expect(replaceOnChanges.get(VM)).toContain("priority");
    expect(mocks.one(INSTANCE).inputs["instanceMarketOptions"]).toBeUndefined();
  });

  test("the preflight's 'not spot-capable' keeps the sink on demand", async () => {
    const { mocks } = await run(labConfig({ "kumolab:spot.sink": "true" }), false);
    expect(mocks.one(VM).inputs["priority"]).toBeUndefined();
    expect(tagsOf(mocks.one(VM))["capacity"]).toBe("on-demand");
  });
});

describe("where the sink size offers spot", () => {
  const input = { region: "us-west-2", sizes: [{ id: "c2-r4", instanceType: "c5.large", vcpu: 2 }], sinkLocation: "westus2", sinkVmSize: "Standard_F8s_v2" };
  const offerings = [{ zone: "us-west-2a", instanceType: "c5.large" }];

  test("the SKU's LowPriorityCapable reaches the decision; unread or unsaid stays unknown", () => {
    expect(decidePreflight(input, { offerings, vcpuQuota: 64, sink: { offered: true, restrictions: [], lowPriorityCapable: false } }).sinkSpotCapable).toBe(false);
    expect(decidePreflight(input, { offerings, vcpuQuota: 64, sink: { offered: true, restrictions: [], lowPriorityCapable: true } }).sinkSpotCapable).toBe(true);
    expect(decidePreflight(input, { offerings, vcpuQuota: 64, sink: { offered: true, restrictions: [] } }).sinkSpotCapable).toBeUndefined();
    expect(decidePreflight(input, { offerings, vcpuQuota: 64, sink: { unavailable: "403" } }).sinkSpotCapable).toBeUndefined();
  });

  test("spot asked for: taken unless Azure says the size cannot; the warning names size and location", () => {
    expect(sinkSpotChoice(false, true, "Standard_F8s_v2", "westus2")).toEqual({ spot: false });
    expect(sinkSpotChoice(true, true, "Standard_F8s_v2", "westus2")).toEqual({ spot: true });
    expect(sinkSpotChoice(true, undefined, "Standard_F8s_v2", "westus2")).toEqual({ spot: true });
    const no = sinkSpotChoice(true, false, "Standard_F8s_v2", "westus2");
    expect(no.spot).toBe(false);
    expect(no.warning).toMatch(/Standard_F8s_v2 in westus2 is not offered as an Azure Spot VM/);
  });

  test("a spot sender: the largest size must fit the spot vCPU quota too (L-34B43A08), read only then", async () => {
    const sizes = [...input.sizes, { id: "c16-r64", instanceType: "m5.4xlarge", vcpu: 16 }];
    const asked: string[] = [];
    const l = (spot: number): PreflightLookups => ({
      instanceTypeOfferings: async (_r, types) => types.map((instanceType) => ({ zone: "us-west-2a", instanceType })),
      vcpuQuota: async (_r, code) => (asked.push(code), code === "L-34B43A08" ? spot : 64),
      sinkSizeOffer: async () => ({ offered: true, restrictions: [] }),
    });
    await runPreflight({ ...input, sizes }, l(8));
    expect(asked).toEqual(["L-1216C47A"]);
    const refused = await runPreflight({ ...input, sizes, spotSender: true }, l(8)).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(PreflightError);
    expect((refused as PreflightError).problems).toEqual([
      "the account's spot standard vCPU quota in us-west-2 is 8, but size c16-r64 (m5.4xlarge) needs 16 on spot; request an increase of quota L-34B43A08 (Service Quotas → Amazon EC2), run without --spot, or drop the size",
    ]);
    expect(asked).toEqual(["L-1216C47A", "L-1216C47A", "L-34B43A08"]);
    expect((await runPreflight({ ...input, sizes, spotSender: true }, l(16))).zone).toBe("us-west-2a");
    const unread = decidePreflight({ ...input, spotSender: true }, { offerings, vcpuQuota: 64, spotVcpuQuota: { unavailable: "AccessDenied" }, sink: { offered: true, restrictions: [] } });
    expect(unread.warnings).toEqual(["spot vCPU quota not checked (AccessDenied); a size over it fails when its spot instance is requested"]);
  });

  afterEach(() => pulumi.runtime.setAllConfig({}));

  test("the program: a size without spot in the location builds an on-demand sink and a spot sender", async () => {
    const mocks = await installMocks("dev");
    pulumi.runtime.setAllConfig({ "kumolab:operatorCidr": "198.18.0.7/32", "kumolab:spot": JSON.stringify({ sender: true, sink: true }) });
    const l: PreflightLookups = {
      instanceTypeOfferings: async (_r, types) => types.map((instanceType) => ({ zone: "us-west-2a", instanceType })),
      vcpuQuota: async () => 64,
      sinkSizeOffer: async () => ({ offered: true, restrictions: [], lowPriorityCapable: false }),
    };
    const outputs = await runProgram(l);
    await new Promise((resolve) => pulumi.output(outputs.sink.publicIp).apply(resolve));
    expect(mocks.one(VM).inputs["priority"]).toBeUndefined();
    expect(mocks.one(INSTANCE).inputs["instanceMarketOptions"]).toMatchObject({ marketType: "spot" });
  });
});
