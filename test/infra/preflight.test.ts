/**
 * The preflight decisions with fake look-ups: the zone where every size is offered, a size not
 * offered in a zone refused with the zone named, the vCPU quota against the largest size, the sink
 * size offered in the location; and under Pulumi's mocks, the program stops before any resource
 * and puts the subnet in the chosen zone. Sizes and vCPUs are lab.yaml's rows (AWS's instance type
 * pages: c5.large 2 vCPU, m5.xlarge 4, m5.2xlarge 8, m5.4xlarge 16).
 */
import * as pulumi from "@pulumi/pulumi";
import { afterEach, describe, expect, test } from "vitest";
import { decidePreflight, PreflightError, runPreflight, type PreflightInput, type PreflightLookups } from "../../infra/preflight";
import { runProgram } from "../../infra/program";
import { installMocks } from "./lab-mocks";

const input: PreflightInput = {
  region: "us-west-2",
  sizes: [
    { id: "c2-r4", instanceType: "c5.large", vcpu: 2 },
    { id: "c4-r16", instanceType: "m5.xlarge", vcpu: 4 },
    { id: "c16-r64", instanceType: "m5.4xlarge", vcpu: 16 },
  ],
  sinkLocation: "westus2",
  sinkVmSize: "Standard_F8s_v2",
};
const offered = (zone: string, ...types: string[]) => types.map((instanceType) => ({ zone, instanceType }));
const okSink = { offered: true, restrictions: [] };

function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof PreflightError) return e.problems;
    throw e;
  }
  throw new Error("preflight passed");
}

describe("zone", () => {
  test("the first zone (by name) that offers every size", () => {
    const offerings = [...offered("us-west-2a", "c5.large", "m5.xlarge"), ...offered("us-west-2c", "c5.large", "m5.xlarge", "m5.4xlarge"), ...offered("us-west-2b", "c5.large", "m5.xlarge", "m5.4xlarge")];
    expect(decidePreflight(input, { offerings, vcpuQuota: 32, sink: okSink })).toEqual({ zone: "us-west-2b", warnings: [] });
  });

  test("a size not offered in a zone: refused, the zones named", () => {
    const offerings = [...offered("us-west-2a", "c5.large", "m5.xlarge"), ...offered("us-west-2d", "m5.4xlarge", "m5.xlarge")];
    expect(problems(() => decidePreflight(input, { offerings, vcpuQuota: 32, sink: okSink }))).toEqual([
      "no zone of us-west-2 offers every configured sender size: c2-r4 (c5.large) is offered in us-west-2a, not in us-west-2d; c4-r16 (m5.xlarge) is offered in us-west-2a, us-west-2d; " +
        "c16-r64 (m5.4xlarge) is offered in us-west-2d, not in us-west-2a. Drop the sizes that do not fit (kumolab:sender.sizes) or choose another region (kumolab:aws.region)",
    ]);
  });

  test("a size offered nowhere in the region", () => {
    const offerings = offered("us-west-2a", "c5.large", "m5.xlarge");
    expect(problems(() => decidePreflight(input, { offerings, vcpuQuota: 32, sink: okSink }))[0]).toContain("c16-r64 (m5.4xlarge) is not offered in any zone of us-west-2");
  });
});

describe("quota and sink", () => {
  const everywhere = offered("us-west-2a", "c5.large", "m5.xlarge", "m5.4xlarge");

  test("a quota under the largest size's vCPUs is refused with the numbers and the quota code", () => {
    expect(problems(() => decidePreflight(input, { offerings: everywhere, vcpuQuota: 8, sink: okSink }))).toEqual([
      "the account's on-demand standard vCPU quota in us-west-2 is 8, but size c16-r64 (m5.4xlarge) needs 16; request an increase of quota L-1216C47A (Service Quotas → Amazon EC2) or drop the size (kumolab:sender.sizes)",
    ]);
    expect(decidePreflight(input, { offerings: everywhere, vcpuQuota: 16, sink: okSink }).zone).toBe("us-west-2a");
  });

  test("the sink size not offered, or restricted for the subscription, is refused", () => {
    expect(problems(() => decidePreflight(input, { offerings: everywhere, vcpuQuota: 32, sink: { offered: false, restrictions: [] } }))).toEqual([
      "Azure does not offer Standard_F8s_v2 in westus2; choose another sink size (kumolab:sink.vmSize) or location (kumolab:azure.location)",
    ]);
    expect(problems(() => decidePreflight(input, { offerings: everywhere, vcpuQuota: 32, sink: { offered: true, restrictions: ["NotAvailableForSubscription"] } }))[0]).toMatch(
      /^Standard_F8s_v2 in westus2 is restricted for this subscription \(NotAvailableForSubscription\)/,
    );
  });

  test("a quota or sink look-up that fails is a warning, not a stop", () => {
    const d = decidePreflight(input, { offerings: everywhere, vcpuQuota: { unavailable: "AccessDenied" }, sink: { unavailable: "no token" } });
    expect(d.warnings).toEqual([
      "vCPU quota not checked (AccessDenied); a size over the quota fails when its instance starts",
      "sink size Standard_F8s_v2 in westus2 not checked (no token)",
    ]);
  });
});

describe("runPreflight: the look-ups behind the seam, each bounded", () => {
  const lookups = (over: Partial<PreflightLookups> = {}): PreflightLookups => ({
    instanceTypeOfferings: async (_r, types) => offered("us-west-2b", ...types),
    vcpuQuota: async () => 64,
    sinkSizeOffer: async () => okSink,
    ...over,
  });

  test("asks for every distinct instance type of the region", async () => {
    const asked: string[][] = [];
    const d = await runPreflight(input, lookups({ instanceTypeOfferings: async (_r, types) => (asked.push(types), offered("us-west-2b", ...types)) }));
    expect(asked).toEqual([["c5.large", "m5.xlarge", "m5.4xlarge"]]);
    expect(d.zone).toBe("us-west-2b");
  });

  test("a look-up that never answers: the offerings stop the run; the quota becomes a warning", async () => {
    const never = () => new Promise<never>(() => undefined);
    await expect(runPreflight(input, lookups({ instanceTypeOfferings: never }), 50)).rejects.toThrow(
      /could not list the instance types offered in us-west-2 \(the instance type offerings of us-west-2 gave no answer within 50 ms\)/,
    );
    const d = await runPreflight(input, lookups({ vcpuQuota: never }), 50);
    expect(d.warnings[0]).toBe("vCPU quota not checked (the vCPU quota of us-west-2 gave no answer within 50 ms); a size over the quota fails when its instance starts");
  });
});

describe("the program runs the preflight before any resource", () => {
  afterEach(() => pulumi.runtime.setAllConfig({}));

  test("a refused preflight registers nothing", async () => {
    const mocks = await installMocks("dev");
    pulumi.runtime.setAllConfig({ "kumolab:operatorCidr": "198.18.0.7/32" });
    const none: PreflightLookups = { instanceTypeOfferings: async () => [], vcpuQuota: async () => 64, sinkSizeOffer: async () => okSink };
    await expect(runProgram(none)).rejects.toBeInstanceOf(PreflightError);
    expect(mocks.resources).toEqual([]);
  });

  test("the subnet goes to the zone the preflight chose", async () => {
    const mocks = await installMocks("dev");
    pulumi.runtime.setAllConfig({ "kumolab:operatorCidr": "198.18.0.7/32" });
    const l: PreflightLookups = { instanceTypeOfferings: async (_r, types) => offered("us-west-2c", ...types), vcpuQuota: async () => 64, sinkSizeOffer: async () => okSink };
    const outputs = await runProgram(l);
    await new Promise((resolve) => pulumi.output(outputs.sender.publicIp).apply(resolve));
    expect(mocks.one("aws:ec2/subnet:Subnet").inputs["availabilityZone"]).toBe("us-west-2c");
  });
});
