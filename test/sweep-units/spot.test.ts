/**
 * Spot interruptions: the classification of what the clouds say (expected values are the providers'
 * documented codes, cited in scripts/lab-drivers/spot-reclaim.ts), the retry-on-demand decision, the
 * failed record that says `spot-interrupted`, the sweep's retry over a fake driver, and the Pulumi
 * driver's spot config and bounded look-up over a fake stack and a fake probe.
 */
import path from "node:path";
import { describe, expect, test } from "vitest";
import { loadLabConfig } from "../../lab-config/load";
import type { SenderSize } from "../../lab-config/schema";
import type { LabHosts } from "../../scripts/hosts/lab-hosts";
import type { LabDriver, LabReady } from "../../scripts/lab-drivers/lab-driver";
import { PulumiLabDriver, SPOT_CONFIG_KEYS } from "../../scripts/lab-drivers/pulumi-lab-driver";
import { azureReclaimEvidence, ec2ReclaimEvidence, ec2SpotLaunchRefusal, reclaimedHosts, type ReclaimedHost, type ReclaimTargets } from "../../scripts/lab-drivers/spot-reclaim";
import type { ProgressEvent } from "../../scripts/progress/events";
import { aggregate } from "../../scripts/report/build-report";
import { readManifest } from "../../scripts/results/results-dir";
import { trialRecordSchema } from "../../scripts/results/trial-record";
import { runSweep, type PreparedLab, type TrialOutcome, type TrialSpec } from "../../scripts/sweep/run-sweep";
import { markSpotInterrupted, spotRetryDecision } from "../../scripts/sweep/spot-retry";
import { trialVerdictLine } from "../../scripts/sweep/verdict";
import { makeRecord } from "../results/make-record";
import { FakeStack } from "./fake-stack";
import { labOutputs } from "./lab-outputs";

const sizes = loadLabConfig().config.sender.sizes;
const C2 = sizes.find((s) => s.id === "c2-r4") as SenderSize;
const C4 = sizes.find((s) => s.id === "c4-r16") as SenderSize;

describe("EC2: was the sender reclaimed? (API_StateReason codes)", () => {
  test("the two spot codes are a reclaim; the OS's own power-off and a user's stop are not", () => {
    expect(ec2ReclaimEvidence({ state: "terminated", stateReasonCode: "Server.SpotInstanceTermination" })).toBe("EC2 instance terminated, state reason Server.SpotInstanceTermination");
    expect(ec2ReclaimEvidence({ state: "stopped", stateReasonCode: "Server.SpotInstanceShutdown" })).toBe("EC2 instance stopped, state reason Server.SpotInstanceShutdown");
    // The lab's expiry timer powers the OS off: Client.InstanceInitiatedShutdown.
    expect(ec2ReclaimEvidence({ state: "terminated", stateReasonCode: "Client.InstanceInitiatedShutdown" })).toBeUndefined();
    expect(ec2ReclaimEvidence({ state: "stopped", stateReasonCode: "Client.UserInitiatedShutdown" })).toBeUndefined();
    expect(ec2ReclaimEvidence({ state: "terminated", stateReasonCode: "Server.InternalError" })).toBeUndefined();
    expect(ec2ReclaimEvidence({ state: "running" })).toBeUndefined();
  });

  test("the two-minute interruption notice (spot/instance-action) counts when it was read", () => {
    expect(ec2ReclaimEvidence({ state: "running", instanceAction: { action: "terminate", time: "2026-11-30T08:22:00Z" } })).toBe("EC2 spot interruption notice: terminate at 2026-11-30T08:22:00Z");
    expect(ec2ReclaimEvidence({ state: "running", instanceAction: { action: "none" } })).toBeUndefined();
  });
});

describe("Azure: was the sink evicted? (Spot VMs, eviction policy Deallocate; Scheduled Events)", () => {
  const now = new Date("2026-11-30T08:00:00Z");
  const expiresAt = "2026-11-30T12:00:00Z";
  test("a Spot VM deallocated before the lab's expiry is an eviction; after it, the lab's own auto-shutdown", () => {
    const seen = { priority: "Spot", statusCodes: ["ProvisioningState/succeeded", "PowerState/deallocated"] };
    expect(azureReclaimEvidence(seen, now, expiresAt)).toBe("Azure Spot VM PowerState/deallocated before the lab's expiry (evicted)");
    expect(azureReclaimEvidence(seen, new Date("2026-11-30T12:00:00Z"), expiresAt)).toBeUndefined();
  });
  test("a running Spot VM, or a deallocated Regular one, was not evicted; a Preempt event is", () => {
    expect(azureReclaimEvidence({ priority: "Spot", statusCodes: ["PowerState/running"] }, now, expiresAt)).toBeUndefined();
    expect(azureReclaimEvidence({ priority: "Regular", statusCodes: ["PowerState/deallocated"] }, now, expiresAt)).toBeUndefined();
    expect(azureReclaimEvidence({ priority: "Spot", statusCodes: ["PowerState/running"], scheduledEventTypes: ["Preempt"] }, now, expiresAt)).toBe("Azure Scheduled Event Preempt (Spot VM eviction)");
    expect(azureReclaimEvidence({ priority: "Spot", statusCodes: [], scheduledEventTypes: ["Reboot"] }, now, expiresAt)).toBeUndefined();
  });
  test("a host not on spot is never called reclaimed, whatever the cloud shows", () => {
    const seen = { sender: { state: "terminated", stateReasonCode: "Server.SpotInstanceTermination" }, sink: { priority: "Spot", statusCodes: ["PowerState/deallocated"] } };
    expect(reclaimedHosts({ sender: false, sink: true }, seen, now, expiresAt).map((h) => h.host)).toEqual(["sink"]);
    expect(reclaimedHosts({ sender: true, sink: false }, seen, now, expiresAt).map((h) => h.host)).toEqual(["sender"]);
    expect(reclaimedHosts({ sender: false, sink: false }, seen, now, expiresAt)).toEqual([]);
  });
});

const SENDER: ReclaimedHost = { host: "sender", evidence: "EC2 instance terminated, state reason Server.SpotInstanceTermination" };

describe("EC2 refuses to start a spot sender (errors-overview codes)", () => {
  test("the four spot refusals are recognised by their code, as a whole word; other errors are not", () => {
    expect(ec2SpotLaunchRefusal("api error InsufficientInstanceCapacity: There is no Spot capacity available that matches your request.")).toBe("InsufficientInstanceCapacity");
    expect(ec2SpotLaunchRefusal("api error UnfulfillableCapacity: Unable to fulfill capacity due to your request configuration.")).toBe("UnfulfillableCapacity");
    expect(ec2SpotLaunchRefusal("MaxSpotInstanceCountExceeded: Max spot instance count exceeded")).toBe("MaxSpotInstanceCountExceeded");
    expect(ec2SpotLaunchRefusal("SpotMaxPriceTooLow: Your Spot request price of 0.001 is lower than the minimum required Spot request fulfillment price")).toBe("SpotMaxPriceTooLow");
    expect(ec2SpotLaunchRefusal("VcpuLimitExceeded: You have requested more vCPU capacity than your current vCPU limit")).toBeUndefined();
    expect(ec2SpotLaunchRefusal("InsufficientInstanceCapacityX")).toBeUndefined();
  });
});

describe("the retry on demand", () => {
  test("once per size, only for a reclaim, never under --fail-fast", () => {
    expect(spotRetryDecision({ reclaimed: [SENDER], sizeId: "c2-r4", retriedSizes: new Set(), failFast: false })).toEqual({ action: "retry-on-demand", hosts: [SENDER] });
    expect(spotRetryDecision({ reclaimed: [], sizeId: "c2-r4", retriedSizes: new Set(), failFast: false }).action).toBe("none");
    expect(spotRetryDecision({ reclaimed: [SENDER], sizeId: "c2-r4", retriedSizes: new Set(["c2-r4"]), failFast: false })).toEqual({ action: "none", why: "size c2-r4 was already retried on demand once" });
    expect(spotRetryDecision({ reclaimed: [SENDER], sizeId: "c4-r16", retriedSizes: new Set(["c2-r4"]), failFast: false }).action).toBe("retry-on-demand");
    expect(spotRetryDecision({ reclaimed: [SENDER], sizeId: "c2-r4", retriedSizes: new Set(), failFast: true }).action).toBe("none");
  });

  test("the record says spot-interrupted first, keeps the trial's own error, and is still a valid record", () => {
    const failed = makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-11-30T08:00:00.000Z", failedStep: { step: "traffic-gen", message: "ssh connection lost" } });
    const r = markSpotInterrupted(failed, [SENDER]);
    expect(trialRecordSchema.safeParse(r).success).toBe(true);
    expect(r.failure).toEqual({
      step: "traffic-gen",
      message: "spot-interrupted: sender (EC2 instance terminated, state reason Server.SpotInstanceTermination) reclaimed by the cloud — the trial's own error: traffic-gen: ssh connection lost",
      reason: "spot-interrupted",
      reclaimed: [SENDER],
    });
    expect(r.invalidReasons[0]?.detail).toMatch(/^spot-interrupted — sender \(EC2 instance terminated/);
    // The terminal's line for the trial.
    expect(trialVerdictLine(r)).toMatch(/FAILED — traffic-gen: spot-interrupted: sender/);
    // Nothing reclaimed, or an ok trial: unchanged.
    expect(markSpotInterrupted(failed, [])).toBe(failed);
    const ok = makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-11-30T08:00:00.000Z" });
    expect(markSpotInterrupted(ok, [SENDER])).toBe(ok);
  });

  test("both hosts reclaimed are named together; only the 'failed' invalid reason carries the interruption", () => {
    const SINK: ReclaimedHost = { host: "sink", evidence: "Azure spot VM deallocated before expiresAt" };
    const failed = makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-11-30T08:00:00.000Z", failedStep: { step: "traffic-gen", message: "ssh connection lost" } });
    const withOther = { ...failed, invalidReasons: [...failed.invalidReasons, { code: "queue-not-drained", detail: "12 left" }] } as typeof failed;
    const r = markSpotInterrupted(withOther, [SENDER, SINK]);
    expect(r.failure?.message).toBe(
      "spot-interrupted: sender (EC2 instance terminated, state reason Server.SpotInstanceTermination) and sink (Azure spot VM deallocated before expiresAt) reclaimed by the cloud — the trial's own error: traffic-gen: ssh connection lost",
    );
    expect(r.invalidReasons.find((x) => x.code === "queue-not-drained")?.detail).toBe("12 left");
  });

  test("why no retry, in words", () => {
    expect(spotRetryDecision({ reclaimed: [], sizeId: "c2-r4", retriedSizes: new Set(), failFast: false })).toEqual({ action: "none", why: "no host was reclaimed: an ordinary failure" });
    expect(spotRetryDecision({ reclaimed: [SENDER], sizeId: "c2-r4", retriedSizes: new Set(), failFast: true })).toEqual({ action: "none", why: "--fail-fast stops at the first failed trial" });
  });
});

describe("the report keeps the lost trial beside its retry", () => {
  test("excluded with its reason, the retry's figure used, the size '2 of 2 run', no duplicate warning", () => {
    const manifest = { ...readManifest(path.join(__dirname, "..", "fixtures", "results", "sweep-3-sizes")), trialsPerSize: 2 };
    const lost = markSpotInterrupted(makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T09:10:00Z", failedStep: { step: "traffic-gen", message: "connection lost" } }), [SENDER]);
    // 100,000 messages in 150 s = 2.4 MMH; in 144 s = 2.5 MMH.
    const retry = makeRecord({ sizeId: "c2-r4", trial: 1, startedAt: "2026-03-01T09:15:00Z", elapsedSeconds: 150 });
    const second = makeRecord({ sizeId: "c2-r4", trial: 2, startedAt: "2026-03-01T09:20:00Z", elapsedSeconds: 144 });
    const report = aggregate(manifest, [lost, retry, second], []);
    const row = report.rows.find((r) => r.sizeId === "c2-r4");
    expect(row?.statusText).toBe("2 of 2 run");
    expect(row?.mmh).toBeCloseTo(2.45, 12);
    expect(report.excluded.map((e) => [e.sizeId, e.trial, e.status, e.reasons[0]?.detail.slice(0, 26)])).toEqual([["c2-r4", 1, "failed", "spot-interrupted — sender "]]);
    expect(report.warnings.filter((w) => /more than once/.test(w))).toEqual([]);
  });
});

function hostsFor(id: string): LabHosts {
  const host = (role: "sender" | "sink", address: string) => ({ role, name: `${role} (${address})`, address, port: 22, user: "kumo", hostKey: { kind: "pinned" as const, publicKey: "ssh-ed25519 AAAA" }, credentials: { kind: "private-key-file" as const, path: "/dev/null" } });
  return { labId: `lab-${id}`, sender: host("sender", "198.18.0.10"), sink: host("sink", "198.18.0.20"), sinkAddressFromSender: "198.18.0.20", sinkPort: 2525, cloudFirewalls: [] };
}

/** A spot lab whose trials fail as scripted; `attempt` counts each (size, trial)'s runs. */
async function sweepWith(trial: (spec: TrialSpec, attempt: number) => TrialOutcome, sweepSizes: SenderSize[] = [C2, C4], failFast = false) {
  const log: string[] = [];
  const progress: ProgressEvent[] = [];
  const attempts = new Map<string, number>();
  let builds = 0;
  const driver: LabDriver = {
    description: "fake spot lab",
    source: "stack",
    canResize: true,
    async ensureLab(size): Promise<LabReady> {
      log.push(`ensureLab ${size.id}`);
      return { hosts: hostsFor(`${size.id}-${++builds}`), change: builds === 1 ? "created" : "resized" };
    },
    async existingLab() {
      return undefined;
    },
    async recover() {},
    async teardown() {
      log.push("teardown");
      return { ok: true, detail: "destroyed" };
    },
    onDemand(hosts) {
      log.push(`onDemand ${hosts.join(",")}`);
    },
  };
  const result = await runSweep<PreparedLab>(
    {
      driver,
      prepare: async (hosts) => {
        log.push(`prepare ${hosts.labId}`);
        return { hosts, close: async () => void log.push(`close ${hosts.labId}`) };
      },
      runTrial: async (lab, spec) => {
        const key = `${spec.sizeId}#${spec.trial}`;
        const n = (attempts.get(key) ?? 0) + 1;
        attempts.set(key, n);
        log.push(`trial ${key} on ${lab.hosts.labId}`);
        return trial(spec, n);
      },
      recordedTrials: async () => new Set(),
      timeline: async () => undefined,
    },
    { sizes: sweepSizes, trials: 2, coolDownSeconds: 0, keep: false, failFast, progress: (e) => void progress.push(e), signal: new AbortController().signal, pulumiSignal: new AbortController().signal },
  );
  return { log, progress, result, messages: progress.flatMap((e) => (e.type === "log" ? [e.message] : [])) };
}

const ok: TrialOutcome = { status: "ok", detail: "valid", valid: true };
const reclaimed: TrialOutcome = { status: "failed", detail: "traffic-gen: spot-interrupted", reclaimed: [SENDER] };

describe("the sweep retries a reclaimed size on demand", () => {
  test("the reclaimed trial stays failed; the lab is rebuilt with the sender on demand; the trial and the rest of the size run on it", async () => {
    const { log, result, messages } = await sweepWith((s, n) => (s.sizeId === "c2-r4" && s.trial === 1 && n === 1 ? reclaimed : ok));
    expect(log).toEqual([
      "ensureLab c2-r4",
      "prepare lab-c2-r4-1",
      "trial c2-r4#1 on lab-c2-r4-1",
      "close lab-c2-r4-1",
      "onDemand sender",
      "ensureLab c2-r4",
      "prepare lab-c2-r4-2",
      "trial c2-r4#1 on lab-c2-r4-2",
      "trial c2-r4#2 on lab-c2-r4-2",
      "close lab-c2-r4-2",
      "ensureLab c4-r16",
      "prepare lab-c4-r16-3",
      "trial c4-r16#1 on lab-c4-r16-3",
      "trial c4-r16#2 on lab-c4-r16-3",
      "close lab-c4-r16-3",
      "teardown",
    ]);
    expect({ ran: result.ran, failed: result.failed, spotInterrupted: result.spotInterrupted }).toEqual({ ran: 4, failed: 0, spotInterrupted: 1 });
    expect(messages.at(-1)).toMatch(/^sweep finished in \d+ s: 4 valid, 0 invalid, 0 failed, 0 already recorded, 1 lost to a spot interruption \(retried on demand\)$/);
    expect(messages.some((m) => /^spot: sender \(EC2 instance terminated, state reason Server\.SpotInstanceTermination\) reclaimed during trial 1 of size c2-r4 — recorded as failed \(spot-interrupted\); retrying size c2-r4 with sender on demand$/.test(m))).toBe(true);
  });

  test("a second reclaim in the same size is an ordinary failure: no second rebuild", async () => {
    const { log, result } = await sweepWith((s) => (s.sizeId === "c2-r4" ? reclaimed : ok), [C2]);
    expect(log.filter((l) => l.startsWith("ensureLab"))).toEqual(["ensureLab c2-r4", "ensureLab c2-r4"]);
    expect(log.filter((l) => l.startsWith("onDemand"))).toEqual(["onDemand sender"]);
    // Trial 1: reclaimed, retried, reclaimed again (ordinary); trial 2: reclaimed (ordinary).
    expect({ ran: result.ran, failed: result.failed, spotInterrupted: result.spotInterrupted }).toEqual({ ran: 0, failed: 2, spotInterrupted: 1 });
  });

  test("an ordinary failure is not retried", async () => {
    const { log, result } = await sweepWith((s) => (s.trial === 1 ? { status: "failed", detail: "traffic-gen exited 1" } : ok), [C2]);
    expect(log.filter((l) => l.startsWith("ensureLab"))).toEqual(["ensureLab c2-r4"]);
    expect(result.failed).toBe(1);
  });
});

describe("PulumiLabDriver on spot", () => {
  const noProgress = () => undefined;
  const resources = [
    { type: "aws:ec2/instance:Instance", id: "i-0abc", urn: "urn:pulumi:dev::kumolab::aws:ec2/instance:Instance::sender-instance-x86_64" },
    { type: "azure-native:compute:VirtualMachine", id: "/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/sink-vm", urn: "urn:pulumi:dev::kumolab::azure-native:compute:VirtualMachine::sink-vm" },
  ];

  test("--spot is stored in the stack's config before the up; onDemand stores the host off before the next", async () => {
    const fake = new FakeStack("dev", { upOutputs: (id) => labOutputs(id) });
    const driver = new PulumiLabDriver(fake.asStackApi(), "b");
    driver.useSpot({ sender: true, sink: true });
    await driver.ensureLab(C2, { progress: noProgress, signal: new AbortController().signal });
    driver.onDemand(["sender"]);
    await driver.ensureLab(C2, { progress: noProgress, signal: new AbortController().signal });
    const spotSets = fake.calls.filter((c) => c.method === "setConfig" && Object.values(SPOT_CONFIG_KEYS).includes(c.args[0] as string)).map((c) => [c.args[0], (c.args[1] as { value: string }).value]);
    expect(spotSets).toEqual([
      ["kumolab:spot.sender", "true"],
      ["kumolab:spot.sink", "true"],
      ["kumolab:spot.sender", "false"],
      ["kumolab:spot.sink", "true"],
    ]);
    // Each store comes before its up.
    const m = fake.methods();
    expect(m.indexOf("up")).toBeGreaterThan(m.indexOf("setConfig"));
  });

  test("reclaimed(): looks only at the hosts on spot, by their ids in the state; no spot, no look", async () => {
    const fake = new FakeStack("dev", { initial: labOutputs("c2-r4", { expiresAt: "2099-01-01T00:00:00.000Z" }), upOutputs: (id) => labOutputs(id), resources });
    const asked: ReclaimTargets[] = [];
    const driver = new PulumiLabDriver(fake.asStackApi(), "b", {
      reclaimProbe: {
        observe: async (targets) => {
          asked.push(targets);
          return { sender: { state: "terminated", stateReasonCode: "Server.SpotInstanceTermination" }, sink: { priority: "Spot", statusCodes: ["PowerState/running"] } };
        },
      },
    });
    const signal = new AbortController().signal;
    expect(await driver.reclaimed({ progress: noProgress, signal })).toEqual([]);
    expect(asked).toEqual([]);
    driver.useSpot({ sender: true, sink: true });
    expect(await driver.reclaimed({ progress: noProgress, signal })).toEqual([{ host: "sender", evidence: "EC2 instance terminated, state reason Server.SpotInstanceTermination" }]);
    expect(asked[0]?.sender?.instanceId).toBe("i-0abc");
    expect(asked[0]?.sink).toEqual({ vmId: "/subscriptions/s/resourceGroups/rg1/providers/Microsoft.Compute/virtualMachines/sink-vm" });
    driver.onDemand(["sender"]);
    await driver.reclaimed({ progress: noProgress, signal });
    expect(asked[1]?.sender).toBeUndefined();
  });

  test("a look-up that fails is said, and the failure stays ordinary", async () => {
    const fake = new FakeStack("dev", { initial: labOutputs("c2-r4"), upOutputs: (id) => labOutputs(id), resources });
    const driver = new PulumiLabDriver(fake.asStackApi(), "b", { reclaimProbe: { observe: async () => Promise.reject(new Error("ExpiredToken: the security token included in the request is expired")) } });
    driver.useSpot({ sender: true, sink: false });
    const said: string[] = [];
    const got = await driver.reclaimed({ progress: (e) => void (e.type === "log" && said.push(e.message)), signal: new AbortController().signal });
    expect(got).toEqual([]);
    expect(said[0]).toMatch(/^spot: could not look at the clouds \(ExpiredToken: the security token included in the request is expired\); recorded as an ordinary failure/);
  });

  test("EC2 cannot start the spot sender: the up runs again once with the sender on demand; any other failure is thrown", async () => {
    // The provider's message as the Automation API surfaces it (the EC2 error code inside the text).
    const noCapacity = new Error("error: 1 error occurred:\n\t* creating EC2 Instance: operation error EC2: RunInstances, https response error StatusCode: 500, api error InsufficientInstanceCapacity: There is no Spot capacity available that matches your request.");
    const fake = new FakeStack("dev", { upOutputs: (id) => labOutputs(id), upErrors: [noCapacity] });
    const driver = new PulumiLabDriver(fake.asStackApi(), "b");
    driver.useSpot({ sender: true, sink: true });
    const said: string[] = [];
    const ready = await driver.ensureLab(C2, { progress: (e) => void (e.type === "log" && said.push(e.message)), signal: new AbortController().signal });
    expect(ready.hosts.sender.address).toBeDefined();
    expect(fake.methods().filter((m) => m === "up")).toHaveLength(2);
    const spotSets = fake.calls.filter((c) => c.method === "setConfig" && (c.args[0] as string).startsWith("kumolab:spot.")).map((c) => `${c.args[0] as string}=${(c.args[1] as { value: string }).value}`);
    expect(spotSets).toEqual(["kumolab:spot.sender=true", "kumolab:spot.sink=true", "kumolab:spot.sender=false", "kumolab:spot.sink=true"]);
    expect(said).toContain("spot: EC2 could not start the sender on spot (InsufficientInstanceCapacity); starting it on demand — it stays on demand for this sweep");

    const other = new FakeStack("dev", { upOutputs: (id) => labOutputs(id), upErrors: [new Error("VcpuLimitExceeded: You have requested more vCPU capacity than your current vCPU limit")] });
    const d2 = new PulumiLabDriver(other.asStackApi(), "b");
    d2.useSpot({ sender: true, sink: false });
    await expect(d2.ensureLab(C2, { progress: noProgress, signal: new AbortController().signal })).rejects.toThrow(/VcpuLimitExceeded/);
    expect(other.methods().filter((m) => m === "up")).toHaveLength(1);
    // On demand already: the same refusal is not retried.
    const od = new FakeStack("dev", { upOutputs: (id) => labOutputs(id), upErrors: [noCapacity] });
    await expect(new PulumiLabDriver(od.asStackApi(), "b").ensureLab(C2, { progress: noProgress, signal: new AbortController().signal })).rejects.toThrow(/InsufficientInstanceCapacity/);
  });

  test("a probe that never answers does not hold the sweep: an interrupt ends the look", async () => {
    const fake = new FakeStack("dev", { initial: labOutputs("c2-r4"), upOutputs: (id) => labOutputs(id), resources });
    const driver = new PulumiLabDriver(fake.asStackApi(), "b", { reclaimProbe: { observe: () => new Promise(() => undefined) } });
    driver.useSpot({ sender: true, sink: true });
    const ctl = new AbortController();
    const said: string[] = [];
    const pending = driver.reclaimed({ progress: (e) => void (e.type === "log" && said.push(e.message)), signal: ctl.signal });
    ctl.abort();
    expect(await pending).toEqual([]);
    expect(said[0]).toMatch(/^spot: could not look at the clouds \(the sweep was interrupted\)/);
  });
});
