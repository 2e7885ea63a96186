/**
 * `npm run gc`: list the labs in the backend whose expiresAt has passed, and destroy them after
 * confirmation (`--yes` to skip the question).
 */
import { createInterface } from "node:readline/promises";
import { formatTeardownFailure } from "../lab-drivers/lab-driver";
import { runMain } from "./run-main";
import { Command } from "commander";
import { LocalWorkspace } from "@pulumi/pulumi/automation";
import { PROJECT_DIR } from "../../lab-config/load";
import { assertSecretsProviderReady, backendUrl } from "../cloud/backend";
import { findExpiredLabs } from "../cloud/expired-labs";
import { pulumiCommand } from "../cloud/pulumi-cli";
import { openStack, PulumiLabDriver } from "../lab-drivers/pulumi-lab-driver";
import { terminalProgress } from "../progress/terminal";

export async function gcMain(argv: string[]): Promise<number> {
  const program = new Command("gc")
    .description("Destroy labs whose expiresAt has passed")
    .option("--backend <url>", "Pulumi state backend (default: PULUMI_BACKEND_URL or the project's .pulumi-state folder)")
    .option("--yes", "destroy without asking", false)
    .exitOverride();
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ backend?: string; yes: boolean }>();
  const url = backendUrl(opts.backend);
  assertSecretsProviderReady(url);
  const ws = await LocalWorkspace.create({ workDir: PROJECT_DIR, pulumiCommand: await pulumiCommand(), envVars: { PULUMI_BACKEND_URL: url } });
  const { expired, notes } = await findExpiredLabs({ listStacks: () => ws.listStacks(), stackOutputs: (name) => ws.stackOutputs(name) });
  for (const n of notes) process.stdout.write(`note: ${n}\n`);
  if (expired.length === 0) {
    process.stdout.write(`no expired labs in ${url}\n`);
    return 0;
  }
  process.stdout.write(`expired labs in ${url}:\n${expired.map((l) => `  ${l.stack}  lab ${l.labId}  expired ${l.expiresAt}  (${l.resourceCount ?? "?"} resources)`).join("\n")}\n`);
  if (!opts.yes) {
    if (!process.stdin.isTTY) throw new Error("gc asks before destroying: pass --yes to run without a terminal");
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question(`Destroy these ${expired.length} lab(s)? [y/N] `);
    rl.close();
    if (!/^y(es)?$/i.test(answer.trim())) return 1;
  }
  const progress = terminalProgress(process.stdout);
  let failed = 0;
  for (const lab of expired) {
    const driver = new PulumiLabDriver(await openStack(lab.stack, url), url);
    await driver.recover({ progress });
    const outcome = await driver.teardown({ progress });
    if (outcome.ok) process.stdout.write(`${lab.stack}: ${outcome.detail}\n`);
    else {
      failed++;
      process.stderr.write(`${lab.stack}: ${formatTeardownFailure(outcome)}`);
    }
  }
  return failed > 0 ? 1 : 0;
}

if (require.main === module) runMain(gcMain);
