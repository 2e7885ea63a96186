/**
 * The published profiles' spool volume under Pulumi mocks: `kumomta-2025` gets a separate gp3 volume
 * at the post's 100 GB / 7,200 IOPS / 225 MB/s in the sender's zone, attached to the sender and
 * named in its boot script, on an Ubuntu 24.04 AMI; `minimal` gets none. Figures from
 * shared/reference/published-results.md ("100 GB gp3 provisioned at 7,200 IOPS and 225 MB/s; Ubuntu 24").
 */
import { beforeAll, describe, expect, test } from "vitest";
import YAML from "yaml";
import { labConfig, runLab, type LabRun } from "./lab-fixture";
import { MOCK_SPOOL_VOLUME_ID, MOCK_SPOOL_VOLUME_ID_B } from "./lab-mocks";
import { verdict } from "./policy-harness";
import { KUMOLAB_POLICIES } from "../../policy-pack/policies";

type Obj = Record<string, unknown>;

function senderCloudInit(run: LabRun): { files: { path: string; content: string }[]; bootScript: string } {
  const instance = run.mocks.one("aws:ec2/instance:Instance").inputs;
  const doc = YAML.parse(Buffer.from(instance["userDataBase64"] as string, "base64").toString("utf8")) as Obj;
  const files = doc["write_files"] as { path: string; content: string }[];
  return { files, bootScript: files.find((f) => f.path === "/usr/local/sbin/kumolab-boot")?.content ?? "" };
}

describe("kumomta-2025", () => {
  let run: LabRun;
  beforeAll(async () => {
    run = await runLab(labConfig({ "kumolab:profile": "kumomta-2025" }));
  });

  test("one gp3 volume of 100 GiB at 7,200 IOPS and 225 MiB/s, encrypted, tagged, in the sender subnet's zone", () => {
    const v = run.mocks.one("aws:ebs/volume:Volume").inputs;
    expect(v).toMatchObject({ type: "gp3", size: 100, iops: 7200, throughput: 225, encrypted: true, availabilityZone: "us-west-2a" });
    expect(v["tags"]).toMatchObject({ labId: "kumolab-test", managedBy: "kumolab", Name: "kumolab-test-sender-spool" });
    expect(run.mocks.one("aws:ebs/volume:Volume").provider).toContain("pulumi:providers:aws::aws");
  });

  test("attached to the sender instance", () => {
    const a = run.mocks.one("aws:ec2/volumeAttachment:VolumeAttachment").inputs;
    expect(a).toEqual({ instanceId: "sender-instance-x86_64-id", volumeId: MOCK_SPOOL_VOLUME_ID, deviceName: "/dev/sdf" });
  });

  test("the sender's boot script formats and mounts that volume at kumod's spool, and kumomta.service requires the mount", () => {
    const { files, bootScript } = senderCloudInit(run);
    // udev's name for an EBS volume on Nitro: nvme-<model>_<serial>, the serial being the id without its dash.
    expect(bootScript).toContain("run 'format and mount the spool volume' mount_spool /dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_vol0a1b2c3d4e5f67890 /var/spool/kumomta /etc/fstab");
    expect(files.find((f) => f.path === "/etc/systemd/system/kumomta.service.d/90-kumolab-spool-mount.conf")?.content).toBe("[Unit]\nRequiresMountsFor=/var/spool/kumomta\n");
    // The sink's boot has no spool volume.
    const vm = run.mocks.one("azure-native:compute:VirtualMachine").inputs;
    const sinkInit = Buffer.from(((vm["osProfile"] as Obj)["customData"] as string), "base64").toString("utf8");
    expect(sinkInit).not.toContain("mount_spool /dev");
  });

  test("the guard rails (policy-pack/) pass every resource, the volume and its attachment included", async () => {
    for (const r of run.mocks.resources) {
      for (const p of KUMOLAB_POLICIES) expect(await verdict(p, r.type, r.inputs), `${p.name} on ${r.type} ${r.name}`).toEqual([]);
    }
  });

  test("c5n sizes on Canonical's Ubuntu 24.04 (noble) AMI; the sink on Ubuntu 24.04 too", () => {
    expect(run.mocks.one("aws:ec2/instance:Instance").inputs["instanceType"]).toBe("c5n.2xlarge");
    const ami = run.mocks.calls.find((c) => c.token === "aws:ec2/getAmi:getAmi")?.inputs as { owners: string[]; filters: { name: string; values: string[] }[] };
    expect(ami.owners).toEqual(["099720109477"]);
    expect(ami.filters.find((f) => f.name === "name")?.values).toEqual(["ubuntu/images/hvm-ssd*/ubuntu-noble-24.04-amd64-server-*"]);
    // The sink boots the same release: Canonical's 24.04 offer on Azure (one offer, sku `server`).
    const vm = run.mocks.one("azure-native:compute:VirtualMachine").inputs;
    expect((vm["storageProfile"] as Obj)["imageReference"]).toEqual({ publisher: "Canonical", offer: "ubuntu-24_04-lts", sku: "server", version: "latest" });
  });
});

describe("minimal", () => {
  test("no spool volume, no attachment, no mount step: the spool stays on the root volume", async () => {
    const run = await runLab(labConfig());
    expect(run.mocks.ofType("aws:ebs/volume:Volume")).toEqual([]);
    expect(run.mocks.ofType("aws:ec2/volumeAttachment:VolumeAttachment")).toEqual([]);
    expect(senderCloudInit(run).bootScript).not.toContain("run 'format and mount the spool volume'");
  });
});

describe("kumomta-2025 with prefetch's two sender slots", () => {
  test("each slot has its own spool volume, attached to its own instance and named in its own boot script", async () => {
    const run = await runLab(labConfig({ "kumolab:profile": "kumomta-2025", "kumolab:sender.slots": "2", "kumolab:sender.standbySize": "c16-r42" }));
    expect(run.mocks.ofType("aws:ebs/volume:Volume").map((v) => v.inputs)).toEqual([
      expect.objectContaining({ type: "gp3", size: 100, iops: 7200, throughput: 225 }),
      expect.objectContaining({ type: "gp3", size: 100, iops: 7200, throughput: 225 }),
    ]);
    const attachments = run.mocks.ofType("aws:ec2/volumeAttachment:VolumeAttachment").map((a) => a.inputs);
    expect(attachments).toEqual(
      expect.arrayContaining([
        { instanceId: "sender-instance-x86_64-id", volumeId: MOCK_SPOOL_VOLUME_ID, deviceName: "/dev/sdf" },
        { instanceId: "sender-b-instance-x86_64-id", volumeId: MOCK_SPOOL_VOLUME_ID_B, deviceName: "/dev/sdf" },
      ]),
    );
    expect(attachments).toHaveLength(2);
    const bootOf = (name: string) => {
      const inst = run.mocks.ofType("aws:ec2/instance:Instance").find((i) => i.name === name);
      return Buffer.from((inst?.inputs["userDataBase64"] as string) ?? "", "base64").toString("utf8");
    };
    // udev's by-id name: the volume id without its dash.
    expect(bootOf("sender-instance-x86_64")).toContain("nvme-Amazon_Elastic_Block_Store_vol0a1b2c3d4e5f67890");
    expect(bootOf("sender-b-instance-x86_64")).toContain("nvme-Amazon_Elastic_Block_Store_vol0b0b0b0b0b0b0b0b0");
  });
});
