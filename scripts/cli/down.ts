/**
 * `npm run down [-- --stack dev]`: destroy a lab now. Clears what an interrupted run may have
 * left (lock, pending operations) first. A destroy that fails says what remains and how to remove it.
 * `npm run down -- --run results/<run>`: every lab stack of that run (run.json `labs`), all at once,
 * each in its own Pulumi workspace (scripts/lab-drivers/lab-workspace.ts).
 */
import path from "node:path";
import { formatTeardownFailure, type TeardownOutcome } from "../lab-drivers/lab-driver";
import { runMain } from "./run-main";
import { Command } from "commander";
import { backendUrl } from "../cloud/backend";
import { openStack, PulumiLabDriver } from "../lab-drivers/pulumi-lab-driver";
import { ensureLabWorkspace } from "../lab-drivers/lab-workspace";
import { labProgress, type ProgressSink } from "../progress/events";
import { terminalProgress } from "../progress/terminal";
import { loadLabConfig } from "../../lab-config/load";
import { PROJECT_NAME } from "../cloud/gc-wiring";
import { PulumiCloudInventory } from "../cloud/pulumi-cloud-inventory";
import { stackLockVerdict } from "../cloud/stack-locks";
import { readManifest } from "../results/results-dir";

/** The stacks `down --run` destroys: every lab of the run that has one, in lab order. */
export function stacksOfRun(labs: ReadonlyArray<{ lab: string; stack?: string }> | undefined): Array<{ lab: string; stack: string }> {
  return (labs ?? []).flatMap((l) => (l.stack === undefined ? [] : [{ lab: l.lab, stack: l.stack }]));
}

async function destroyStack(stack: string, url: string, ownWorkspace: boolean, progress: ProgressSink): Promise<TeardownOutcome> {
  // A lab stack's Pulumi.<stack>.yaml carries its base stack's settings (the region among them).
  const inventory = new PulumiCloudInventory([loadLabConfig({ stack }).config.aws.region]);
  const driver = new PulumiLabDriver(await openStack(stack, url, ownWorkspace ? { workDir: ensureLabWorkspace(stack) } : {}), url, { inventory });
  try {
    await driver.recover({ progress });
  } catch (e) {
    progress({ type: "log", level: "warn", message: `recovery of stack ${stack} failed (${(e as Error).message.split("\n")[0] ?? ""}); destroying anyway` });
  }
  return driver.teardown({ progress });
}

export async function downMain(argv: string[]): Promise<number> {
  const program = new Command("down")
    .description("Destroy a lab (all its cloud resources), or every lab of a sweep's run (--run)")
    .option("--stack <name>", "Pulumi stack of the lab", process.env["KUMOLAB_STACK"] ?? "dev")
    .option("--run <dir>", "a sweep's results folder: destroy every lab stack its run.json names (a parallel sweep's labs), all at once")
    .option("--backend <url>", "Pulumi state backend (default: PULUMI_BACKEND_URL or the project's .pulumi-state folder)")
    .option("--force", "destroy even while the stack's Pulumi lock is live (a sweep running)", false)
    .exitOverride();
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ stack: string; run?: string; backend?: string; force: boolean }>();
  const progress = terminalProgress(process.stdout);
  const url = backendUrl(opts.backend);

  let targets: Array<{ lab?: string; stack: string }> = [{ stack: opts.stack }];
  if (opts.run !== undefined) {
    let labs;
    try {
      labs = readManifest(path.resolve(opts.run)).labs;
    } catch (e) {
      process.stderr.write(`--run ${opts.run}: ${(e as Error).message}; give a sweep's results folder (results/<run id>)\n`);
      return 2;
    }
    targets = stacksOfRun(labs);
    if (targets.length === 0) {
      process.stderr.write(`--run ${opts.run}: run.json names no lab stacks (a run on an inventory, or from before parallel labs); destroy its stack with --stack <name>\n`);
      return 2;
    }
  }

  // Every stack's lock first: none is touched while a sweep still runs on any of them (unless --force).
  const live: string[] = [];
  for (const t of targets) {
    const lock = stackLockVerdict(url, PROJECT_NAME, t.stack);
    if (lock.state === "live" && !opts.force) live.push(`stack ${t.stack} is ${lock.why}`);
    if (lock.state === "stale") process.stdout.write(`stack ${t.stack}: ${lock.why}; clearing it\n`);
  }
  if (live.length > 0) {
    process.stderr.write(`${live.join("\n")}\na sweep may be running on ${live.length === 1 ? "it" : "them"}. Stop that sweep (it destroys its labs itself), or pass --force\n`);
    return 1;
  }

  const several = targets.length > 1;
  const outcomes = await Promise.all(
    targets.map(async (t) => {
      const p = several && t.lab !== undefined ? labProgress(progress, t.lab) : progress;
      try {
        return await destroyStack(t.stack, url, several, p);
      } catch (e) {
        return { ok: false as const, remaining: [`stack ${t.stack} could not be opened or destroyed: ${(e as Error).message.split("\n")[0] ?? ""}`], howToRemove: `run 'npm run down -- --stack ${t.stack}' again` };
      }
    }),
  );
  let failed = 0;
  outcomes.forEach((outcome, i) => {
    const who = several ? `${targets[i]?.lab ?? ""} (stack ${targets[i]?.stack ?? ""}): ` : "";
    if (outcome.ok) process.stdout.write(`${who}${outcome.detail}\n`);
    else {
      failed++;
      process.stderr.write(`${who}${formatTeardownFailure(outcome)}`);
    }
  });
  return failed > 0 ? 1 : 0;
}

if (require.main === module) runMain(downMain);
