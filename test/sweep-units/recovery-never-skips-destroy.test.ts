/**
 * Issue 13 over the fake stack: a failed recovery never skips the destroy, and pending creates
 * (what an interrupted update created but never recorded) are looked up by tag and removed or listed.
 */
import { describe, expect, test } from "vitest";
import { PulumiLabDriver, pendingCreatesOf, labIdOfUrn } from "../../scripts/lab-drivers/pulumi-lab-driver";
import type { ProgressEvent } from "../../scripts/progress/events";
import { FakeStack } from "./fake-stack";
import { labOutputs } from "./lab-outputs";
import { awsResource, azureResource, FakeCloud } from "./fake-cloud";

function recorder(): { sink: (e: ProgressEvent) => void; warnings: () => string[]; messages: () => string[] } {
  const events: ProgressEvent[] = [];
  const logs = (level?: string) => events.flatMap((e) => (e.type === "log" && (level === undefined || e.level === level) ? [e.message] : []));
  return { sink: (e) => void events.push(e), warnings: () => logs("warn"), messages: () => logs() };
}

const INSTANCE_URN = "urn:pulumi:dev::kumolab::kumolab:aws:Sender$aws:ec2/instance:Instance::sender-instance-x86_64";
const VM_URN = "urn:pulumi:dev::kumolab::kumolab:azure:Sink$azure-native:compute:VirtualMachine::sink-vm";
const pendingInstance = { type: "creating", resource: { urn: INSTANCE_URN, type: "aws:ec2/instance:Instance", inputs: { tags: { Name: "kumolab-dev-sender" } } } };
const pendingVm = { type: "creating", resource: { urn: VM_URN, type: "azure-native:compute:VirtualMachine" } };

describe("a failed recovery does not skip the destroy", () => {
  test("setConfig > up > cancel > refresh throws: recover reports it, teardown still destroys and says what recovery could not do", async () => {
    const fake = new FakeStack("dev", { upOutputs: (id) => labOutputs(id), refreshError: new Error("error: getting credentials: ExpiredToken\ndetail") });
    const driver = new PulumiLabDriver(fake.asStackApi(), "b");
    const progress = recorder();
    await expect(driver.recover({ progress: progress.sink })).resolves.toBeUndefined();
    const out = await driver.teardown({ progress: progress.sink });
    expect(fake.methods()).toEqual(["cancel", "exportStack", "refresh", "destroy"]);
    expect(progress.warnings().join("\n")).toContain("'pulumi refresh' of stack dev failed (error: getting credentials: ExpiredToken); the destroy runs anyway");
    expect(out.ok).toBe(true);
    if (out.ok) expect(out.detail).toContain("despite: recovery: 'pulumi refresh' of stack dev failed");
  });

  test("refresh and destroy both fail: the outcome names the failed recovery, what remains with its cloud id, and how to remove it", async () => {
    const fake = new FakeStack("dev", {
      upOutputs: (id) => labOutputs(id),
      refreshError: new Error("provider error"),
      destroyError: new Error("DependencyViolation"),
      resources: [{ type: "aws:ec2/instance:Instance", id: "i-0123", urn: INSTANCE_URN }],
    });
    const driver = new PulumiLabDriver(fake.asStackApi(), "b");
    await driver.recover({ progress: () => undefined });
    const out = await driver.teardown({ progress: () => undefined });
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.remaining.join("\n")).toContain("'pulumi refresh' of stack dev failed (provider error)");
    expect(out.remaining.join("\n")).toContain("aws:ec2/instance:Instance i-0123");
    expect(out.howToRemove).toContain("npm run down -- --stack dev");
  });

  test("an unreadable state: pending creates are not cleared (refresh without clearPendingCreates), said loudly; destroy still runs", async () => {
    const fake = new FakeStack("dev", { upOutputs: (id) => labOutputs(id), exportError: new Error("state locked") });
    const driver = new PulumiLabDriver(fake.asStackApi(), "b");
    const progress = recorder();
    await driver.recover({ progress: progress.sink });
    expect(fake.calls.find((c) => c.method === "refresh")?.args[0]).toMatchObject({ clearPendingCreates: false });
    expect(progress.warnings().join("\n")).toContain("pending creates are kept, not cleared");
    await driver.teardown({ progress: () => undefined });
    expect(fake.methods()).toContain("destroy");
  });
});

describe("pending creates are found by tag, not forgotten", () => {
  test("pendingCreatesOf reads the exported deployment; labIdOfUrn derives the lab id as the program does", () => {
    const { pending, idsInState } = pendingCreatesOf({ version: 3, deployment: { resources: [{ id: "sg-1", type: "aws:ec2/securityGroup:SecurityGroup" }], pending_operations: [pendingInstance, { type: "updating", resource: { urn: "u", type: "t" } }] } });
    expect(pending).toEqual([{ urn: INSTANCE_URN, type: "aws:ec2/instance:Instance", nameTag: "kumolab-dev-sender" }]);
    expect([...idsInState]).toEqual(["sg-1"]);
    expect(labIdOfUrn(INSTANCE_URN)).toBe("kumolab-dev");
  });

  test("state exported before the clear; both clouds' orphans found by labId and type and removed; what is in the state is left to destroy", async () => {
    const orphanInstance = awsResource("kumolab-dev", "instance", "i-0orphan", { Name: "kumolab-dev-sender" });
    const knownSg = awsResource("kumolab-dev", "security-group", "sg-known");
    const orphanVm = azureResource("kumolab-dev", "Microsoft.Compute/virtualMachines", "sink-vm");
    const otherLab = awsResource("kumolab-other", "instance", "i-0other", { Name: "kumolab-dev-sender" });
    const cloud = new FakeCloud([orphanInstance, knownSg, orphanVm, otherLab]);
    const fake = new FakeStack("dev", {
      upOutputs: (id) => labOutputs(id),
      resources: [{ type: "aws:ec2/securityGroup:SecurityGroup", id: "sg-known", urn: "urn:pulumi:dev::kumolab::aws:ec2/securityGroup:SecurityGroup::sender-sg" }],
      pendingOperations: [pendingInstance, pendingVm],
    });
    const driver = new PulumiLabDriver(fake.asStackApi(), "b", { inventory: cloud });
    const progress = recorder();
    await driver.recover({ progress: progress.sink });

    expect(fake.methods().slice(0, 3)).toEqual(["cancel", "exportStack", "refresh"]);
    expect(fake.calls[2]?.args[0]).toMatchObject({ clearPendingCreates: true });
    expect(cloud.listed).toEqual(["kumolab-dev"]);
    expect(cloud.removeCalls).toEqual([[orphanInstance.id, orphanVm.id]]);
    expect(progress.messages()).toContain(`orphan ${orphanInstance.id} removed`);
    const out = await driver.teardown({ progress: () => undefined });
    expect(out.ok).toBe(true);
  });

  test("an orphan the cloud refuses to delete is listed with its id and the exact command; teardown is not ok", async () => {
    const orphan = awsResource("kumolab-dev", "instance", "i-0stuck");
    const cloud = new FakeCloud([orphan], { undeletable: [orphan.id] });
    const fake = new FakeStack("dev", { upOutputs: (id) => labOutputs(id), pendingOperations: [pendingInstance] });
    const driver = new PulumiLabDriver(fake.asStackApi(), "b", { inventory: cloud });
    await driver.recover({ progress: () => undefined });
    const out = await driver.teardown({ progress: () => undefined });
    expect(fake.methods()).toContain("destroy");
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.remaining.join("\n")).toContain("i-0stuck");
    expect(out.howToRemove).toContain("aws ec2 terminate-instances --region us-west-2 --instance-ids i-0stuck");
  });

  test("without an inventory, or when the look-up fails, each pending create is listed with its URN and how to find it", async () => {
    for (const driverOpts of [{}, { inventory: new FakeCloud([], { listError: new Error("ExpiredToken") }) }]) {
      const fake = new FakeStack("dev", { upOutputs: (id) => labOutputs(id), pendingOperations: [pendingInstance] });
      const driver = new PulumiLabDriver(fake.asStackApi(), "b", driverOpts);
      await driver.recover({ progress: () => undefined });
      const out = await driver.teardown({ progress: () => undefined });
      expect(out.ok).toBe(false);
      if (out.ok) continue;
      expect(out.remaining.join("\n")).toContain(INSTANCE_URN);
      expect(out.remaining.join("\n") + out.howToRemove).toContain("npm run gc");
    }
  });

  test("a pending create with nothing found by tag was never created: noted, not an error", async () => {
    const cloud = new FakeCloud([]);
    const fake = new FakeStack("dev", { upOutputs: (id) => labOutputs(id), pendingOperations: [pendingInstance] });
    const driver = new PulumiLabDriver(fake.asStackApi(), "b", { inventory: cloud });
    const progress = recorder();
    await driver.recover({ progress: progress.sink });
    expect(progress.messages().some((m) => m.includes(`pending create ${INSTANCE_URN}: nothing tagged labId=kumolab-dev`))).toBe(true);
    expect(cloud.removeCalls).toEqual([]);
    expect((await driver.teardown({ progress: () => undefined })).ok).toBe(true);
  });
});

describe("runSweep: a recovery that throws still leads to the destroy", () => {
  test("ensureLab fails, recover throws: teardown runs and the warning says so", async () => {
    const { runSweep } = await import("../../scripts/sweep/run-sweep");
    const { loadLabConfig } = await import("../../lab-config/load");
    const size = loadLabConfig().config.sender.sizes[0];
    if (!size) throw new Error("lab.yaml has no sizes");
    const log: string[] = [];
    const progress = recorder();
    const result = await runSweep(
      {
        driver: {
          description: "fake",
          source: "stack",
          canResize: true,
          ensureLab: async () => {
            throw new Error("up failed");
          },
          existingLab: async () => undefined,
          recover: async () => {
            log.push("recover");
            throw new Error("refresh: ExpiredToken");
          },
          teardown: async () => {
            log.push("teardown");
            return { ok: true, detail: "destroyed" };
          },
        },
        prepare: async () => ({ hosts: undefined as never, close: async () => undefined }),
        runTrial: async () => ({ status: "ok", detail: "" }),
        recordedTrials: async () => new Set<string>(),
        timeline: async () => undefined,
      },
      { sizes: [size], trials: 1, coolDownSeconds: 0, keep: false, failFast: false, progress: progress.sink, signal: new AbortController().signal, pulumiSignal: new AbortController().signal },
    );
    expect(log).toEqual(["recover", "teardown"]);
    expect(result.teardown.ok).toBe(true);
    expect(progress.warnings().join("\n")).toContain("recovery failed (refresh: ExpiredToken); destroying anyway");
  });
});
