/**
 * `npm run down [-- --stack dev]`: destroy a lab now. Clears what an interrupted run may have
 * left (lock, pending operations) first. A destroy that fails says what remains and how to remove it.
 */
import { formatTeardownFailure } from "../lab-drivers/lab-driver";
import { runMain } from "./run-main";
import { Command } from "commander";
import { backendUrl } from "../cloud/backend";
import { openStack, PulumiLabDriver } from "../lab-drivers/pulumi-lab-driver";
import { terminalProgress } from "../progress/terminal";
import { loadLabConfig } from "../../lab-config/load";
import { PROJECT_NAME } from "../cloud/gc-wiring";
import { PulumiCloudInventory } from "../cloud/pulumi-cloud-inventory";
import { stackLockVerdict } from "../cloud/stack-locks";

export async function downMain(argv: string[]): Promise<number> {
  const program = new Command("down")
    .description("Destroy a lab (all its cloud resources)")
    .option("--stack <name>", "Pulumi stack of the lab", process.env["KUMOLAB_STACK"] ?? "dev")
    .option("--backend <url>", "Pulumi state backend (default: PULUMI_BACKEND_URL or the project's .pulumi-state folder)")
    .option("--force", "destroy even while the stack's Pulumi lock is live (a sweep running)", false)
    .exitOverride();
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ stack: string; backend?: string; force: boolean }>();
  const progress = terminalProgress(process.stdout);
  const url = backendUrl(opts.backend);
  const lock = stackLockVerdict(url, PROJECT_NAME, opts.stack);
  if (lock.state === "live" && !opts.force) {
    process.stderr.write(`stack ${opts.stack} is ${lock.why}: a sweep may be running on it. Stop that sweep (it destroys the lab itself), or pass --force\n`);
    return 1;
  }
  if (lock.state === "stale") process.stdout.write(`stack ${opts.stack}: ${lock.why}; clearing it\n`);
  const inventory = new PulumiCloudInventory([loadLabConfig({ stack: opts.stack }).config.aws.region]);
  const driver = new PulumiLabDriver(await openStack(opts.stack, url), url, { inventory });
  try {
    await driver.recover({ progress });
  } catch (e) {
    process.stderr.write(`recovery failed (${(e as Error).message.split("\n")[0] ?? ""}); destroying anyway\n`);
  }
  const outcome = await driver.teardown({ progress });
  if (outcome.ok) {
    process.stdout.write(`${outcome.detail}\n`);
    return 0;
  }
  process.stderr.write(formatTeardownFailure(outcome));
  return 1;
}

if (require.main === module) runMain(downMain);
