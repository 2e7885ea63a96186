/**
 * Changing only `kumolab:sender.size` and running the program again must change only the sender
 * instance's type: same resources, same names, same inputs everywhere else (so Pulumi plans an
 * in-place update of one instance, and the sink, the networks and the IPs stay).
 */
import { describe, expect, test } from "vitest";
import { labConfig, runLab } from "./lab-fixture";
import type { RecordedResource } from "./lab-mocks";

const INSTANCE = "aws:ec2/instance:Instance";

function byUrnKey(resources: RecordedResource[]): Map<string, RecordedResource> {
  return new Map(resources.map((r) => [`${r.type}::${r.name}`, r]));
}

describe("resize the sender", () => {
  test("c2-r4 → c4-r16 changes only the instance's instanceType", async () => {
    const before = await runLab(labConfig());
    const after = await runLab(labConfig({ "kumolab:sender.size": "c4-r16" }));

    const a = byUrnKey(before.mocks.resources);
    const b = byUrnKey(after.mocks.resources);
    expect([...b.keys()].sort()).toEqual([...a.keys()].sort());

    const changed: string[] = [];
    for (const [key, r1] of a) {
      const r2 = b.get(key);
      if (JSON.stringify(r1.inputs) === JSON.stringify(r2?.inputs)) continue;
      changed.push(key);
    }
    expect(changed).toEqual([`${INSTANCE}::sender-instance-x86_64`]);

    const i1 = before.mocks.one(INSTANCE).inputs;
    const i2 = after.mocks.one(INSTANCE).inputs;
    expect([i1["instanceType"], i2["instanceType"]]).toEqual(["c5.large", "m5.xlarge"]);
    expect({ ...i2, instanceType: i1["instanceType"] }).toEqual(i1);

    // The outputs follow the size; the addresses and keys do not move.
    expect(after.outputs.sender).toMatchObject({ size: "m5.xlarge", vcpu: 4, ramGiB: 16 });
    expect(after.outputs.senderSizeId).toBe("c4-r16");
    expect({ ...after.outputs.sender, size: "", vcpu: 0, ramGiB: 0 }).toEqual({ ...before.outputs.sender, size: "", vcpu: 0, ramGiB: 0 });
    expect(after.outputs.sink).toEqual(before.outputs.sink);
    expect(after.outputs.expiresAt).toBe(before.outputs.expiresAt);
  });

  test("a size of another architecture is a new instance on the same network and IPs", async () => {
    const arm = [
      { id: "c2-r4", instanceType: "c5.large", vcpu: 2, ramGiB: 4, arch: "x86_64" },
      { id: "g2-r4", instanceType: "c7g.large", vcpu: 2, ramGiB: 4, arch: "arm64" },
    ];
    const before = await runLab(labConfig({ "kumolab:sender.sizes": JSON.stringify(arm) }));
    const after = await runLab(labConfig({ "kumolab:sender.sizes": JSON.stringify(arm), "kumolab:sender.size": "g2-r4" }));
    expect(after.mocks.one(INSTANCE).name).toBe("sender-instance-arm64");
    expect(after.mocks.one(INSTANCE).inputs["ami"]).not.toBe(before.mocks.one(INSTANCE).inputs["ami"]);
    const unchanged = (r: RecordedResource) => r.type !== INSTANCE && r.type !== "aws:ec2/eipAssociation:EipAssociation";
    const strip = (rs: RecordedResource[]) => rs.filter(unchanged).map((r) => JSON.stringify([r.type, r.name, r.inputs])).sort();
    expect(strip(after.mocks.resources)).toEqual(strip(before.mocks.resources));
  });
});
