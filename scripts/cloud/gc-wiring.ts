/** The real dependencies of `gc` and `lab list`: the state backend (if any), the clouds by tag, Pulumi's locks. */
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { existsSync } from "node:fs";
import { createInterface } from "node:readline/promises";
import { loadLabConfig, PROJECT_DIR } from "../../lab-config/load";
import { openStack, PulumiLabDriver } from "../lab-drivers/pulumi-lab-driver";
import { terminalProgress } from "../progress/terminal";
import { assertSecretsProviderReady, backendUrl } from "./backend";
import type { BackendStacks } from "./expired-labs";
import type { GcDeps } from "./gc-run";
import { PulumiCloudInventory } from "./pulumi-cloud-inventory";
import { pulumiCommand } from "./pulumi-cli";
import { fileBackendDir, stackLockVerdict } from "./stack-locks";

export const PROJECT_NAME = "kumolab";

export async function realGcDeps(o: { backend?: string; yes: boolean; awsRegions: string[] }): Promise<GcDeps> {
  const url = backendUrl(o.backend);
  let stacks: BackendStacks | undefined;
  // A file backend that does not exist (another machine, `git clean -xdf`) is "no local state", not an error.
  if (!url.startsWith("file://") || existsSync(fileBackendDir(url))) {
    assertSecretsProviderReady(url);
    const ws = await LocalWorkspace.create({ workDir: PROJECT_DIR, pulumiCommand: await pulumiCommand(), envVars: { PULUMI_BACKEND_URL: url } });
    stacks = { listStacks: () => ws.listStacks(), stackOutputs: (name) => ws.stackOutputs(name) };
  }
  const regions = o.awsRegions.length > 0 ? o.awsRegions : [loadLabConfig().config.aws.region];
  const inventory = new PulumiCloudInventory(regions);
  const progress = terminalProgress(process.stdout);
  return {
    stacks,
    inventory,
    project: PROJECT_NAME,
    lockVerdict: (stack) => stackLockVerdict(url, PROJECT_NAME, stack),
    destroyStack: async (stack) => {
      const driver = new PulumiLabDriver(await openStack(stack, url), url, { inventory });
      await driver.recover({ progress });
      return driver.teardown({ progress });
    },
    confirm: async (question) => {
      if (o.yes) return true;
      if (!process.stdin.isTTY) throw new Error("gc asks before deleting: pass --yes to run without a terminal");
      const rl = createInterface({ input: process.stdin, output: process.stdout });
      const answer = await rl.question(question);
      rl.close();
      return /^y(es)?$/i.test(answer.trim());
    },
    out: (l) => void process.stdout.write(`${l}\n`),
    err: (l) => void process.stderr.write(l.endsWith("\n") ? l : `${l}\n`),
  };
}
