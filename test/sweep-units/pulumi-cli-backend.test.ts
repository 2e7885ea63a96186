/**
 * The passphrase check for every self-managed backend (Pulumi docs, "State and backends": file,
 * s3, azblob, gs, postgres are self-managed and use the passphrase secrets provider by default),
 * and finding the Pulumi CLI with public API only, offline users told how to install it.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import type { PulumiCommand } from "@pulumi/pulumi/automation";
import { describe, expect, test } from "vitest";
import { assertSecretsProviderReady } from "../../scripts/cloud/backend";
import { locatePulumiCli, pulumiCommand, type PulumiCliDeps } from "../../scripts/cloud/pulumi-cli";

describe("passphrase for every self-managed backend", () => {
  test.each(["s3://kumolab-state", "azblob://state", "gs://kumolab-state", "postgres://user@db/state", "file:///x"])("%s needs PULUMI_CONFIG_PASSPHRASE", (url) => {
    expect(() => assertSecretsProviderReady(url, {})).toThrow(new RegExp(`\\(${url.replace(/[/.]/g, "\\$&")}\\) encrypts the lab's SSH keys with a passphrase: set PULUMI_CONFIG_PASSPHRASE`));
    expect(() => assertSecretsProviderReady(url, { PULUMI_CONFIG_PASSPHRASE: "x" })).not.toThrow();
  });

  test("Pulumi Cloud, hosted or self-hosted, does not", () => {
    expect(() => assertSecretsProviderReady("https://api.pulumi.com", {})).not.toThrow();
    expect(() => assertSecretsProviderReady("https://pulumi.example.internal", {})).not.toThrow();
  });
});

describe("the Pulumi CLI", () => {
  const fakeCommand = (root: string) => ({ command: `${root}/bin/pulumi`, version: null }) as unknown as PulumiCommand;
  const deps = (over: Partial<PulumiCliDeps>): PulumiCliDeps => ({
    env: { PATH: "" },
    isExecutable: () => false,
    atRoot: async (root) => fakeCommand(root),
    install: async () => fakeCommand("/home/u/.pulumi/versions/3.248.0"),
    installTimeoutMs: 1_000,
    ...over,
  });

  test("KUMOLAB_PULUMI_CLI first, then ~/.pulumi/bin, else install", () => {
    expect(locatePulumiCli({ KUMOLAB_PULUMI_CLI: "/opt/pulumi/bin/pulumi", PATH: "" }, () => true)).toBe("/opt/pulumi/bin/pulumi");
    expect(locatePulumiCli({ HOME: "/home/u", PATH: "" }, (f) => f === "/home/u/.pulumi/bin/pulumi")).toBe("/home/u/.pulumi/bin/pulumi");
    expect(locatePulumiCli({ HOME: "/home/u", PATH: "" }, () => false)).toBe("install");
    expect(() => locatePulumiCli({ KUMOLAB_PULUMI_CLI: "/nope", PATH: "" }, () => false)).toThrow(/KUMOLAB_PULUMI_CLI=\/nope is not an executable file; install the Pulumi CLI/);
  });

  test("a found CLI is used from its installation root", async () => {
    const cmd = await pulumiCommand(deps({ env: { KUMOLAB_PULUMI_CLI: "/opt/pulumi/bin/pulumi" }, isExecutable: () => true }));
    expect(cmd.command).toBe("/opt/pulumi/bin/pulumi");
  });

  test("offline: the download's failure comes with how to install the CLI and point kumolab at it", async () => {
    const offline = deps({ install: async () => Promise.reject(new TypeError("fetch failed")) });
    await expect(pulumiCommand(offline)).rejects.toThrow(
      "no Pulumi CLI on this machine (KUMOLAB_PULUMI_CLI, PATH, ~/.pulumi/bin) and downloading it failed (fetch failed); install the Pulumi CLI (https://www.pulumi.com/docs/iac/download-install/: 'curl -fsSL https://get.pulumi.com | sh', or a package manager), then put it on PATH or point kumolab at it: KUMOLAB_PULUMI_CLI=/path/to/bin/pulumi",
    );
    const hanging = deps({ install: () => new Promise<never>(() => undefined), installTimeoutMs: 30 });
    await expect(pulumiCommand(hanging)).rejects.toThrow(/downloading it failed \(no answer within 0.03 s\)/);
  });

  test("no internal path of the pulumi npm package is imported", () => {
    const src = readFileSync(path.resolve(__dirname, "../../scripts/cloud/pulumi-cli.ts"), "utf8");
    expect(src).not.toMatch(/require\(|pulumi\/lib\//);
  });
});
