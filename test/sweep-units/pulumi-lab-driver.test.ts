/** PulumiLabDriver at its seam: the Automation API calls it makes, over a fake stack. */
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { loadLabConfig, PROJECT_DIR } from "../../lab-config/load";
import type { SenderSize } from "../../lab-config/schema";
import { assertSecretsProviderReady, backendUrl, DEFAULT_STATE_DIR } from "../../scripts/cloud/backend";
import { progressFromEngineEvent } from "../../scripts/cloud/engine-events";
import { pulumiOnPath } from "../../scripts/cloud/pulumi-cli";
import { StackOutputsError } from "../../scripts/hosts/from-stack";
import { PulumiLabDriver, SIZE_CONFIG_KEY } from "../../scripts/lab-drivers/pulumi-lab-driver";
import type { ProgressEvent } from "../../scripts/progress/events";
import { diagnosticEvent, failedEvent, FakeStack, outputsEvent, preEvent } from "./fake-stack";
import { labOutputs } from "./lab-outputs";

const cfg = loadLabConfig().config;
function size(id: string): SenderSize {
  const s = cfg.sender.sizes.find((x) => x.id === id);
  if (!s) throw new Error(`no size ${id} in lab.yaml`);
  return s;
}
const C2 = size("c2-r4");
const C4 = size("c4-r16");

function recorder(): { events: ProgressEvent[]; sink: (e: ProgressEvent) => void; messages: () => string[] } {
  const events: ProgressEvent[] = [];
  return { events, sink: (e) => void events.push(e), messages: () => events.flatMap((e) => (e.type === "log" ? [e.message] : [])) };
}

describe("PulumiLabDriver.ensureLab", () => {
  test("a new stack: sets the size config, then up with a signal and an event handler; hosts from the outputs; change 'created'", async () => {
    const fake = new FakeStack("dev", { upOutputs: (id) => labOutputs(id), events: [preEvent("create", "aws:ec2/instance:Instance", "sender"), outputsEvent("create", "aws:ec2/instance:Instance", "sender")] });
    const driver = new PulumiLabDriver(fake.asStackApi(), "file:///tmp/state");
    const progress = recorder();
    const signal = new AbortController().signal;

    const ready = await driver.ensureLab(C2, { progress: progress.sink, signal });

    expect(fake.methods()).toEqual(["outputs", "setConfig", "up"]);
    expect(fake.calls[1]?.args).toEqual([SIZE_CONFIG_KEY, { value: "c2-r4" }]);
    expect(SIZE_CONFIG_KEY).toBe("kumolab:sender.size");
    const upOpts = fake.calls[2]?.args[0] as { signal?: AbortSignal; onEvent?: unknown };
    expect(upOpts.signal).toBe(signal);
    expect(typeof upOpts.onEvent).toBe("function");

    expect(ready.change).toBe("created");
    expect(ready.hosts.labId).toBe("kumolab-dev");
    expect(ready.hosts.sender.address).toBe("198.18.0.10");
    expect(ready.hosts.sink.address).toBe("198.19.0.20");
    expect(ready.hosts.sinkAddressFromSender).toBe("198.19.0.20");
    expect(ready.hosts.sinkPort).toBe(2525);
    expect(ready.hosts.sender.user).toBe("ubuntu");
    expect(ready.hosts.sender.hostKey).toEqual({ kind: "pinned", publicKey: labOutputs("c2-r4").sender.hostPublicKey });
    expect(ready.hosts.sender.size).toMatchObject({ label: "c5.large", vcpu: 2, ramGiB: 4 });
    // Engine events reach the progress sink, resource by resource.
    expect(progress.messages()).toEqual(["pulumi: create aws:ec2/instance:Instance sender …", "pulumi: create aws:ec2/instance:Instance sender done"]);
  });

  test("the same size again is 'unchanged'; a different size is 'resized' (setConfig + up again, never destroy)", async () => {
    const fake = new FakeStack("dev", { initial: labOutputs("c2-r4"), upOutputs: (id) => labOutputs(id) });
    const driver = new PulumiLabDriver(fake.asStackApi(), "file:///tmp/state");
    const signal = new AbortController().signal;

    const same = await driver.ensureLab(C2, { progress: () => undefined, signal });
    expect(same.change).toBe("unchanged");

    const resized = await driver.ensureLab(C4, { progress: () => undefined, signal });
    expect(resized.change).toBe("resized");
    expect(resized.hosts.sender.size).toMatchObject({ label: "m5.xlarge", vcpu: 4, ramGiB: 16 });

    expect(fake.methods()).toEqual(["outputs", "setConfig", "up", "outputs", "setConfig", "up"]);
    expect(fake.calls.filter((c) => c.method === "setConfig").map((c) => c.args)).toEqual([
      [SIZE_CONFIG_KEY, { value: "c2-r4" }],
      [SIZE_CONFIG_KEY, { value: "c4-r16" }],
    ]);
    expect(fake.methods()).not.toContain("destroy");
  });

  test("outputs that break the contract are refused with the key path, never the private key", async () => {
    const broken = { ...labOutputs("c2-r4"), sinkPort: 0 };
    const fake = new FakeStack("dev", { upOutputs: () => broken });
    const driver = new PulumiLabDriver(fake.asStackApi(), "file:///tmp/state");
    const err = await driver.ensureLab(C2, { progress: () => undefined, signal: new AbortController().signal }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StackOutputsError);
    expect((err as Error).message).toContain("sinkPort");
    expect((err as Error).message).not.toContain("PRIVATE KEY");
  });

  test("existingLab: undefined for a stack without outputs, the hosts otherwise, and it changes nothing", async () => {
    const empty = new FakeStack("dev", { upOutputs: (id) => labOutputs(id) });
    expect(await new PulumiLabDriver(empty.asStackApi(), "b").existingLab()).toBeUndefined();
    const built = new FakeStack("dev", { initial: labOutputs("c4-r16"), upOutputs: (id) => labOutputs(id) });
    const hosts = await new PulumiLabDriver(built.asStackApi(), "b").existingLab();
    expect(hosts?.sender.address).toBe("198.18.0.10");
    expect(built.methods()).toEqual(["outputs"]);
  });
});

describe("PulumiLabDriver.recover and teardown", () => {
  test("recover: cancel, export the state (pending creates), then refresh clearing pending creates", async () => {
    const fake = new FakeStack("dev", { upOutputs: (id) => labOutputs(id) });
    await new PulumiLabDriver(fake.asStackApi(), "b").recover({ progress: () => undefined });
    expect(fake.methods()).toEqual(["cancel", "exportStack", "refresh"]);
    expect(fake.calls[2]?.args[0]).toMatchObject({ clearPendingCreates: true });
  });

  test("recover goes on to refresh when cancel fails (nothing to cancel), saying so in progress", async () => {
    const fake = new FakeStack("dev", { upOutputs: (id) => labOutputs(id), cancelError: new Error("no update in progress\nmore detail") });
    const progress = recorder();
    await new PulumiLabDriver(fake.asStackApi(), "b").recover({ progress: progress.sink });
    expect(fake.methods()).toEqual(["cancel", "exportStack", "refresh"]);
    expect(progress.messages().some((m) => m.includes("pulumi cancel: no update in progress") && !m.includes("more detail"))).toBe(true);
  });

  test("teardown destroys and returns ok", async () => {
    const fake = new FakeStack("dev", { initial: labOutputs("c2-r4"), upOutputs: (id) => labOutputs(id) });
    const driver = new PulumiLabDriver(fake.asStackApi(), "b");
    const out = await driver.teardown({ progress: () => undefined });
    expect(fake.methods()).toEqual(["destroy"]);
    expect(out.ok).toBe(true);
    if (out.ok) expect(out.detail).toContain("stack dev destroyed");
  });

  test("a failed destroy lists what remains (types, ids) and how to remove it", async () => {
    const fake = new FakeStack("lab7", {
      upOutputs: (id) => labOutputs(id),
      destroyError: new Error("error: deleting security group: DependencyViolation\nline 2\nline 3\nline 4"),
      resources: [
        { type: "pulumi:pulumi:Stack", urn: "urn:pulumi:lab7::kumolab::pulumi:pulumi:Stack::kumolab-lab7" },
        { type: "pulumi:providers:aws", id: "prov-1", urn: "urn:pulumi:lab7::kumolab::pulumi:providers:aws::default" },
        { type: "aws:ec2/securityGroup:SecurityGroup", id: "sg-0abc123", urn: "urn:pulumi:lab7::kumolab::aws:ec2/securityGroup:SecurityGroup::sender" },
        { type: "azure-native:resources:ResourceGroup", id: "/subscriptions/s/resourceGroups/kumolab-lab7", urn: "urn:pulumi:lab7::kumolab::azure-native:resources:ResourceGroup::rg" },
      ],
    });
    const out = await new PulumiLabDriver(fake.asStackApi(), "b").teardown({ progress: () => undefined });
    expect(fake.methods()).toEqual(["destroy", "exportStack"]);
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.remaining[0]).toContain("destroy failed: error: deleting security group: DependencyViolation");
    expect(out.remaining[0]).not.toContain("line 4");
    const listed = out.remaining.slice(1);
    expect(listed).toHaveLength(2); // the pulumi: bookkeeping resources are not cloud resources
    expect(listed[0]).toContain("aws:ec2/securityGroup:SecurityGroup sg-0abc123");
    expect(listed[1]).toContain("azure-native:resources:ResourceGroup /subscriptions/s/resourceGroups/kumolab-lab7");
    expect(out.howToRemove).toContain("npm run down -- --stack lab7");
  });

  test("a failed destroy whose state cannot be read still says so, and how to remove", async () => {
    const fake = new FakeStack("lab7", { upOutputs: (id) => labOutputs(id), destroyError: new Error("boom"), exportError: new Error("state locked") });
    const out = await new PulumiLabDriver(fake.asStackApi(), "b").teardown({ progress: () => undefined });
    expect(out.ok).toBe(false);
    if (out.ok) return;
    expect(out.remaining.join("\n")).toContain("could not read the stack's state");
    expect(out.remaining.join("\n")).toContain("state locked");
    expect(out.howToRemove).toContain("npm run down -- --stack lab7");
  });
});

describe("engine events → progress", () => {
  test("changes are shown; 'same' steps, the stack resource and chatter are not; failures and diagnostics warn", () => {
    expect(progressFromEngineEvent(preEvent("update", "aws:ec2/instance:Instance", "sender"))).toEqual({ type: "log", level: "info", message: "pulumi: update aws:ec2/instance:Instance sender …" });
    expect(progressFromEngineEvent(preEvent("same", "aws:ec2/instance:Instance", "sender"))).toBeUndefined();
    expect(progressFromEngineEvent(preEvent("create", "pulumi:pulumi:Stack", "kumolab-dev"))).toBeUndefined();
    expect(progressFromEngineEvent(outputsEvent("delete", "azure-native:compute:VirtualMachine", "sink"))).toEqual({ type: "log", level: "info", message: "pulumi: delete azure-native:compute:VirtualMachine sink done" });
    expect(progressFromEngineEvent(failedEvent("create", "aws:ec2/instance:Instance", "sender"))).toMatchObject({ level: "warn", message: "pulumi: create aws:ec2/instance:Instance sender FAILED" });
    expect(progressFromEngineEvent(diagnosticEvent("error", "  quota exceeded\n"))).toMatchObject({ level: "warn", message: "pulumi error: quota exceeded" });
    expect(progressFromEngineEvent(diagnosticEvent("info", "hello"))).toBeUndefined();
  });

  test("during teardown, destroy events reach progress", async () => {
    const fake = new FakeStack("dev", { upOutputs: (id) => labOutputs(id), events: [preEvent("delete", "aws:ec2/instance:Instance", "sender")] });
    const progress = recorder();
    await new PulumiLabDriver(fake.asStackApi(), "b").teardown({ progress: progress.sink });
    expect(progress.messages()).toContain("pulumi: delete aws:ec2/instance:Instance sender …");
  });
});

describe("backend", () => {
  test("default: a file:// folder inside the project; the env overrides it; an explicit URL wins", () => {
    expect(backendUrl(undefined, {})).toBe(`file://${DEFAULT_STATE_DIR}`);
    expect(DEFAULT_STATE_DIR.startsWith(PROJECT_DIR + path.sep)).toBe(true);
    expect(backendUrl(undefined, { PULUMI_BACKEND_URL: "s3://bucket/kumolab" })).toBe("s3://bucket/kumolab");
    expect(backendUrl("file:///srv/state", { PULUMI_BACKEND_URL: "s3://bucket/kumolab" })).toBe("file:///srv/state");
  });

  test("the local backend needs a passphrase; the error says which variables to set", () => {
    expect(() => assertSecretsProviderReady("file:///x", {})).toThrow(/PULUMI_CONFIG_PASSPHRASE.*PULUMI_CONFIG_PASSPHRASE_FILE/);
    expect(() => assertSecretsProviderReady("file:///x", { PULUMI_CONFIG_PASSPHRASE: "" })).not.toThrow();
    expect(() => assertSecretsProviderReady("file:///x", { PULUMI_CONFIG_PASSPHRASE_FILE: "/p" })).not.toThrow();
    // Other backends bring their own secrets provider.
    expect(() => assertSecretsProviderReady("https://api.pulumi.com", {})).not.toThrow();
  });
});

describe("pulumiOnPath", () => {
  const root = mkdtempSync(path.join(tmpdir(), "kumolab-pulumi-path-"));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  function dirWith(name: string, content: string | Buffer | undefined, mode = 0o755): string {
    const dir = path.join(root, name);
    mkdirSync(dir, { recursive: true });
    if (content !== undefined) {
      writeFileSync(path.join(dir, "pulumi"), content);
      chmodSync(path.join(dir, "pulumi"), mode);
    }
    return dir;
  }

  const wrapper = dirWith("node_modules/.bin", "#!/usr/bin/env node\nrequire('../pulumi/bin/pulumi');\n");
  // A real CLI is an ELF binary: no "node" in its first bytes.
  const binary = dirWith("pulumi-cli/bin", Buffer.concat([Buffer.from([0x7f, 0x45, 0x4c, 0x46, 2, 1, 1, 0]), Buffer.alloc(120, 0)]));
  const notExecutable = dirWith("noexec/bin", "binary", 0o644);
  const empty = dirWith("empty", undefined);

  test("skips the npm node wrapper and finds the real binary after it", () => {
    expect(pulumiOnPath({ PATH: [empty, wrapper, binary].join(path.delimiter) })).toBe(path.join(binary, "pulumi"));
  });

  test("skips a file that is not executable; undefined when only the wrapper is there", () => {
    expect(pulumiOnPath({ PATH: [notExecutable, binary].join(path.delimiter) })).toBe(path.join(binary, "pulumi"));
    expect(pulumiOnPath({ PATH: [wrapper, empty].join(path.delimiter) })).toBeUndefined();
    expect(pulumiOnPath({})).toBeUndefined();
  });
});
