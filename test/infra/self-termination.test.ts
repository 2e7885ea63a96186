/**
 * Labs expire on the cloud side (issue 13), under Pulumi's mocks: the sender terminates itself at
 * expiresAt (shutdown behaviour `terminate`, instance tags readable from the metadata, a timer armed
 * first at boot), and the sink is deallocated by Azure's auto-shutdown schedule at expiresAt.
 */
import { chmodSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { execFileSync } from "node:child_process";
import { afterAll, describe, expect, test } from "vitest";
import { BOOT_SCRIPT, EXPIRE_SCRIPT, EXPIRE_TIMER, expireScript, type WriteFile } from "../../infra/cloud-init";
import { shutdownTimeOfDay } from "../../infra/azure-sink";
import { labConfig, runLab } from "./lab-fixture";
import { MOCK_CREATED_AT } from "./lab-mocks";
import YAML from "yaml";

function cloudConfig(base64: string): Record<string, unknown> {
  const text = Buffer.from(base64, "base64").toString("utf8");
  return YAML.parse(text.replace(/^#cloud-config\n/, "")) as Record<string, unknown>;
}

describe("self-termination settings on both VMs, with the right time", () => {
  test("sender: terminate on shutdown, instance tags in the metadata, expiresAt tag = createdAt + TTL; the boot script arms the expiry timer first", async () => {
    const { mocks, outputs } = await runLab(labConfig());
    const expected = new Date(Date.parse(MOCK_CREATED_AT) + 4 * 3_600_000).toISOString();
    expect(outputs.expiresAt).toBe(expected);
    const inst = mocks.one("aws:ec2/instance:Instance").inputs;
    expect(inst["instanceInitiatedShutdownBehavior"]).toBe("terminate");
    expect(inst["metadataOptions"]).toMatchObject({ httpTokens: "required", instanceMetadataTags: "enabled" });
    expect((inst["tags"] as Record<string, string>)["expiresAt"]).toBe(expected);

    const doc = cloudConfig(inst["userDataBase64"] as string);
    const files = doc["write_files"] as WriteFile[];
    expect(files.find((f) => f.path === EXPIRE_TIMER)?.content).toContain("OnUnitActiveSec=5min");
    expect(files.find((f) => f.path === EXPIRE_SCRIPT)?.content).toContain("meta-data/tags/instance/expiresAt");
    const boot = files.find((f) => f.path === BOOT_SCRIPT)?.content ?? "";
    const firstRun = boot.split("\n").find((l) => l.startsWith("run "));
    expect(firstRun).toBe("run 'arm the expiry timer (power off at expiresAt)' systemctl enable --now kumolab-expire.timer");
  });

  test("sink: an enabled auto-shutdown schedule named shutdown-computevm-<vm>, daily at expiresAt's UTC time, on the VM; its expiry script reads Azure's tagsList", async () => {
    const { mocks } = await runLab(labConfig());
    const sched = mocks.one("azure-native:devtestlab:GlobalSchedule").inputs;
    expect(sched).toMatchObject({
      name: "sink-vm-vmname".replace(/^/, "shutdown-computevm-"),
      taskType: "ComputeVmShutdownTask",
      status: "Enabled",
      dailyRecurrence: { time: "1600" },
      timeZoneId: "UTC",
      targetResourceId: "sink-vm-id",
    });
    expect((sched["tags"] as Record<string, string>)["labId"]).toBe("kumolab-test");
    const vm = mocks.one("azure-native:compute:VirtualMachine").inputs;
    const doc = cloudConfig((vm["osProfile"] as { customData: string }).customData);
    expect((doc["write_files"] as WriteFile[]).find((f) => f.path === EXPIRE_SCRIPT)?.content).toContain("compute/tagsList");
  });

  test("a TTL over a day: the daily schedule would stop the sink on day one, so it is created disabled (the VM's own timer still stops it)", async () => {
    const { mocks } = await runLab(labConfig({ "kumolab:lab": JSON.stringify({ ttlHours: 30 }) }));
    const sched = mocks.one("azure-native:devtestlab:GlobalSchedule").inputs;
    expect(sched["status"]).toBe("Disabled");
    expect(sched["dailyRecurrence"]).toEqual({ time: "1800" });
    expect(shutdownTimeOfDay("2026-03-01T09:05:00.000Z")).toBe("0905");
  });
});

describe("the expiry script itself (curl and systemctl faked on PATH)", () => {
  const dir = mkdtempSync(path.join(tmpdir(), "kumolab-expire-"));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  function run(cloud: "aws" | "azure", expiresAt: string): string {
    const bin = path.join(dir, `${cloud}-${expiresAt.replace(/\W/g, "")}`);
    execFileSync("mkdir", ["-p", bin]);
    const answer = cloud === "aws" ? expiresAt : JSON.stringify([{ name: "labId", value: "x" }, { name: "expiresAt", value: expiresAt }]);
    writeFileSync(path.join(bin, "curl"), `#!/bin/bash\nif [[ "$*" == *"-X PUT"* ]]; then echo token; else printf '%s' '${answer}'; fi\n`);
    writeFileSync(path.join(bin, "systemctl"), `#!/bin/bash\necho "$*" >> ${bin}/systemctl.log\n`);
    chmodSync(path.join(bin, "curl"), 0o755);
    chmodSync(path.join(bin, "systemctl"), 0o755);
    writeFileSync(path.join(bin, "expire"), expireScript(cloud));
    execFileSync("bash", [path.join(bin, "expire")], { env: { PATH: `${bin}:/usr/bin:/bin` } });
    try {
      return readFileSync(path.join(bin, "systemctl.log"), "utf8");
    } catch {
      return "";
    }
  }

  test("past expiresAt: powers off; before it: does nothing (both clouds)", () => {
    expect(run("aws", "2020-01-01T00:00:00.000Z")).toBe("poweroff\n");
    expect(run("azure", "2020-01-01T00:00:00.000Z")).toBe("poweroff\n");
    expect(run("aws", "2099-01-01T00:00:00.000Z")).toBe("");
    expect(run("azure", "2099-01-01T00:00:00.000Z")).toBe("");
  });
});
