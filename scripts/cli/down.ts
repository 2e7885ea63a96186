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

export async function downMain(argv: string[]): Promise<number> {
  const program = new Command("down")
    .description("Destroy a lab (all its cloud resources)")
    .option("--stack <name>", "Pulumi stack of the lab", process.env["KUMOLAB_STACK"] ?? "dev")
    .option("--backend <url>", "Pulumi state backend (default: PULUMI_BACKEND_URL or the project's .pulumi-state folder)")
    .exitOverride();
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ stack: string; backend?: string }>();
  const progress = terminalProgress(process.stdout);
  const url = backendUrl(opts.backend);
  const driver = new PulumiLabDriver(await openStack(opts.stack, url), url);
  await driver.recover({ progress });
  const outcome = await driver.teardown({ progress });
  if (outcome.ok) {
    process.stdout.write(`${outcome.detail}\n`);
    return 0;
  }
  process.stderr.write(formatTeardownFailure(outcome));
  return 1;
}

if (require.main === module) runMain(downMain);
