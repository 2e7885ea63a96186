/**
 * `npm run gc`: every kumolab lab the clouds show by tag (AWS region(s) of the lab config or
 * `--aws-region`, the Azure subscription of the current login), grouped by lab with age and expiry,
 * plus expired stacks of the state backend; the expired ones are deleted after confirmation
 * (`--yes` to skip the question) — through their stack when it is here, else by tag. A stack whose
 * Pulumi lock is live (a sweep running) is skipped and named. Works with no local state at all.
 */
import { Command } from "commander";
import { realGcDeps } from "../cloud/gc-wiring";
import { runGc } from "../cloud/gc-run";
import { runMain } from "./run-main";

export async function gcMain(argv: string[]): Promise<number> {
  const program = new Command("gc")
    .description("List kumolab's labs in the clouds by tag and delete the expired ones")
    .option("--backend <url>", "Pulumi state backend (default: PULUMI_BACKEND_URL or the project's .pulumi-state folder)")
    .option("--aws-region <region...>", "AWS regions to look in (default: aws.region of the lab config)", [])
    .option("--yes", "delete without asking", false)
    .exitOverride();
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ backend?: string; yes: boolean; awsRegion: string[] }>();
  const result = await runGc(await realGcDeps({ ...opts, awsRegions: opts.awsRegion }), { delete: true });
  return result.failed.length > 0 || result.skipped.length > 0 ? 1 : 0;
}

if (require.main === module) runMain(gcMain);
