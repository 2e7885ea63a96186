/** The preflight's vCPU quota with prefetch: two senders run at once, so the two largest sizes must fit together. */
import { describe, expect, test } from "vitest";
import { decidePreflight, PreflightError, type PreflightInput } from "../../infra/preflight";

const input: PreflightInput = {
  region: "us-west-2",
  sizes: [
    { id: "c2-r4", instanceType: "c5.large", vcpu: 2 },
    { id: "c8-r32", instanceType: "m5.2xlarge", vcpu: 8 },
    { id: "c16-r64", instanceType: "m5.4xlarge", vcpu: 16 },
  ],
  sinkLocation: "westus2",
  sinkVmSize: "Standard_F8s_v2",
};
const everywhere = ["c5.large", "m5.2xlarge", "m5.4xlarge"].map((instanceType) => ({ zone: "us-west-2a", instanceType }));
const okSink = { offered: true, restrictions: [] };

function problems(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    if (e instanceof PreflightError) return e.problems;
    throw e;
  }
  return [];
}

describe("vCPU quota with two sender slots", () => {
  test("16 + 8 vCPUs at once: a quota of 20 is refused with prefetch, enough without", () => {
    expect(problems(() => decidePreflight({ ...input, senderSlots: 2 }, { offerings: everywhere, vcpuQuota: 20, sink: okSink }))).toEqual([
      "the account's on-demand standard vCPU quota in us-west-2 is 20, but with prefetch sizes c8-r32 and c16-r64 run at once and need 24; request an increase of quota L-1216C47A (Service Quotas → Amazon EC2), or sweep with --no-prefetch (one sender at a time)",
    ]);
    expect(problems(() => decidePreflight(input, { offerings: everywhere, vcpuQuota: 20, sink: okSink }))).toEqual([]);
  });

  test("a quota of exactly 24 is enough with prefetch", () => {
    expect(problems(() => decidePreflight({ ...input, senderSlots: 2 }, { offerings: everywhere, vcpuQuota: 24, sink: okSink }))).toEqual([]);
  });
});
