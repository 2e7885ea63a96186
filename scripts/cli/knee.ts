/**
 * `npm run knee`: latency against offered load on one sender size — an unthrottled trial for the
 * maximum, then trials at fractions of it with traffic-gen's `--throttle` — and the highest load
 * before p99 turns up (scripts/knee/knee-rule.ts). On the lab the sweep builds, or on an inventory.
 *
 *   npm run knee -- --size c2-r4 [--fractions 0.25,0.5,0.7,0.85,1] [--duration 120] [--yes] [--keep]
 *   npm run knee -- --inventory lab-config/hosts.yaml
 * Exit codes (./exit-codes.ts): 0 a curve with a knee was measured, 1 failed, 2 config or command
 * line, 3 the steps ran but no valid step has a latency (no knee), 130 interrupted.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline/promises";
import { Command, InvalidArgumentError } from "commander";
import { DEFAULTS_FILE, PROJECT_DIR } from "../../lab-config/load";
import { senderSizeById, type LabConfig, type SenderSize } from "../../lab-config/schema";
import { InventoryError } from "../hosts/inventory";
import { backendUrl } from "../cloud/backend";
import { formatTeardownFailure, type LabDriver } from "../lab-drivers/lab-driver";
import { terminalProgress } from "../progress/terminal";
import { appendRecord } from "../results/results-dir";
import { prepareLab, runPreparedTrial, settleLab, type ProvisionedLab } from "../sweep/prepare-lab";
import { installInterrupts } from "../sweep/interrupts";
import { trialVerdictLine } from "../sweep/verdict";
import { DEFAULT_FRACTIONS, parseFractions, writeKneeRun, type KneeRun } from "../knee/knee-run";
import { writeKneeReport } from "../knee/knee-report";
import { runKnee, stepDurationCap, type KneeDeps } from "../knee/run-knee";
import { nonNegative, positive } from "./cli-args";
import { loadRunConfig } from "./run-config";
import { EXIT } from "./exit-codes";
import { runMain } from "./run-main";
import { makeDriver } from "./sweep";

export interface KneeCliOptions {
  /** `--size <id>`: the sender size (required unless --inventory, whose hosts are one size). Example: c2-r4. */
  size?: string;
  /** `--fractions`: of the unthrottled rate. Default 0.25,0.5,0.7,0.85,1. Example: [0.5, 0.9]. */
  fractions: number[];
  /** `--duration <seconds>`: steady-state steps. Default: trials.durationSeconds, else traffic.messageCount per step. Example: 120. */
  duration?: number;
  /** `--cool-down <seconds>`: the longest pause between steps. Default: trials.coolDownSeconds. Example: 30. */
  coolDown?: number;
  /** `--stack`: Pulumi stack of the lab. Default: KUMOLAB_STACK, else dev. */
  stack: string;
  /** `--backend`: Pulumi state backend. Default: PULUMI_BACKEND_URL or the project's .pulumi-state. */
  backend?: string;
  /** `--inventory <file>`: your own two hosts instead of the clouds. Default: none. */
  inventory?: string;
  /** `--lab-config <file>`. Default: lab-config/lab.yaml. */
  labConfig: string;
  /** `--results <dir>`. Default: results/knee-<run id>. */
  results?: string;
  /** `--keep`: keep the lab at the end. Default false. */
  keep: boolean;
  /** `--yes`: don't ask before building. Default false. */
  yes: boolean;
  /** false with `--no-policy-pack`. Default true. */
  policyPack: boolean;
}

/** Lets the tests run the real CLI over the namespace lab; product code passes nothing. */
export interface KneeCliHooks {
  makeDriver?: (cfg: LabConfig, opts: KneeCliOptions) => Promise<LabDriver>;
}

const fractions = (v: string): number[] => {
  try {
    return parseFractions(v);
  } catch (e) {
    throw new InvalidArgumentError((e as Error).message);
  }
};

function newRunId(now = new Date()): string {
  return `knee-${now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z").replace("T", "-")}`;
}

export async function kneeMain(argv: string[], hooks: KneeCliHooks = {}): Promise<number> {
  const program = new Command("knee")
    .description("Latency against offered load on one sender size: the highest load before p99 turns up")
    .option("--size <id>", "sender size id (required unless --inventory)")
    .option("--fractions <list>", "fractions of the unthrottled rate to offer with traffic-gen --throttle", fractions, [...DEFAULT_FRACTIONS])
    .option("--duration <seconds>", "steady-state steps of this length (default: trials.durationSeconds, else traffic.messageCount messages per step)", positive)
    .option("--cool-down <seconds>", "longest pause between steps, ended once the hosts settle (default: trials.coolDownSeconds)", nonNegative)
    .option("--stack <name>", "Pulumi stack of the lab", process.env["KUMOLAB_STACK"] ?? "dev")
    .option("--backend <url>", "Pulumi state backend (default: PULUMI_BACKEND_URL or the project's .pulumi-state folder)")
    .option("--inventory <file>", "run on your own two hosts instead of the clouds")
    .option("--lab-config <file>", "the lab config defaults file", DEFAULTS_FILE)
    .option("--results <dir>", "results folder (default: results/knee-<time>)")
    .option("--keep", "keep the lab at the end", false)
    .option("--yes", "don't ask for confirmation", false)
    .option("--no-policy-pack", "run `pulumi up` without kumolab's guard rails (policy-pack/); only for debugging the pack itself")
    .exitOverride();
  program.parse(argv, { from: "user" });
  const opts = program.opts<KneeCliOptions>();
  const progress = terminalProgress(process.stdout);

  const loaded = loadRunConfig(opts);
  if ("exit" in loaded) return loaded.exit;
  let cfg: LabConfig = loaded.cfg;
  if (cfg.traffic.throttle !== null) {
    process.stderr.write(`traffic.throttle is set (${cfg.traffic.throttle}) in the lab config: the knee sets traffic-gen's --throttle itself; set it to null\n`);
    return EXIT.CONFIG;
  }

  // An inventory's driver only reads its file; a stack is opened (and created, if new) only after
  // "Go ahead?", so that a mistake or a 'no' leaves nothing behind (as for the sweep).
  const openDriver = (): Promise<LabDriver> => (hooks.makeDriver ?? makeDriver)(cfg, opts);
  let early: LabDriver | undefined;
  let size: SenderSize;
  try {
    early = opts.inventory ? await openDriver() : undefined;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return e instanceof InventoryError ? EXIT.CONFIG : EXIT.FAILED;
  }
  if (early?.fixedSize) {
    if (opts.size && opts.size !== early.fixedSize.id) {
      process.stderr.write(`${early.description} has one sender size (${early.fixedSize.id}); drop --size\n`);
      return EXIT.CONFIG;
    }
    size = early.fixedSize;
  } else {
    if (!opts.size) {
      process.stderr.write(`--size is required: one of ${cfg.sender.sizes.map((s) => s.id).join(", ")}\n`);
      return EXIT.CONFIG;
    }
    try {
      size = senderSizeById(cfg, opts.size);
    } catch (e) {
      process.stderr.write(`--size: ${(e as Error).message}\n`);
      return EXIT.CONFIG;
    }
  }
  const labText = early?.description ?? `stack ${opts.stack} (${backendUrl(opts.backend)})${opts.policyPack ? "" : ", guard rails OFF (--no-policy-pack)"}`;
  const coolDown = opts.coolDown ?? cfg.trials.coolDownSeconds;
  const resultsDir = path.resolve(opts.results ?? path.join(PROJECT_DIR, "results", newRunId()));
  const durationSeconds = cfg.trials.durationSeconds;
  const each = durationSeconds !== undefined ? `${durationSeconds} s steady state` : `${cfg.traffic.messageCount.toLocaleString("en-US")} messages`;
  process.stdout.write(
    [
      `Knee plan — ${labText}, sender size ${size.id} (${size.instanceType}, ${size.vcpu} vCPU, ${size.ramGiB} GiB)`,
      `  step 1: unthrottled (${each}, concurrency ${cfg.traffic.concurrency}) to measure the maximum`,
      `  steps 2–${opts.fractions.length + 1}: ${opts.fractions.map((f) => `${Math.round(f * 100)} %`).join(", ")} of it with traffic-gen --throttle (${each} each)`,
      `  cool-down up to ${coolDown} s between steps; results in ${resultsDir}; the lab is ${opts.keep ? "kept" : "destroyed"} at the end`,
      "",
    ].join("\n"),
  );
  if (!opts.yes) {
    if (!process.stdin.isTTY) {
      process.stderr.write("the knee asks for confirmation before creating anything: pass --yes to run without a terminal\n");
      return EXIT.CONFIG;
    }
    const rl = createInterface({ input: process.stdin, output: process.stdout });
    const answer = await rl.question("Go ahead? [y/N] ").finally(() => rl.close());
    if (!/^y(es)?$/i.test(answer.trim())) {
      process.stdout.write("Nothing was created.\n");
      return EXIT.FAILED;
    }
  }

  const driver = early ?? (await openDriver());
  mkdirSync(resultsDir, { recursive: true });
  const planned: KneeRun = {
    schemaVersion: 1,
    runId: path.basename(resultsDir),
    createdAt: new Date().toISOString(),
    lab: driver.description,
    sizeId: size.id,
    fractions: opts.fractions,
    ...(durationSeconds !== undefined ? { durationSeconds } : {}),
    maxMsgsPerSec: null,
    steps: [],
  };
  writeKneeRun(resultsDir, planned);

  const interrupts = installInterrupts({
    onFirst: (why) => progress({ type: "log", level: "warn", message: `${why}: stopping — results are kept, the lab is being torn down${opts.keep ? " (no: --keep)" : ""}. Press Ctrl-C again to exit at once.` }),
    onSecond: () => process.stderr.write(`\nExiting now. ${driver.description} may still be running — destroy it with 'npm run down${driver.source === "stack" ? ` -- --stack ${opts.stack}` : ""}'. Results so far: ${resultsDir}\n`),
  });
  const deps: KneeDeps<ProvisionedLab> = {
    driver,
    prepare: (hosts, o) => prepareLab(hosts, cfg, o),
    runStep: async (lab, step, o) => {
      // The step's throttle goes in as the traffic's: traffic-gen-args renders it as --throttle.
      const stepCfg: LabConfig = { ...cfg, traffic: { ...cfg.traffic, throttle: step.throttle, durationCapSeconds: stepDurationCap(cfg.traffic, step.offeredMsgsPerSec) } };
      const total = opts.fractions.length + 1;
      const outcome = await runPreparedTrial(lab, { sizeId: size.id, size, trial: step.trial, trials: total, ...(o.coolDown ? { coolDown: o.coolDown } : {}) }, { runId: planned.runId, resultsDir, cfg: stepCfg, progress: o.progress, signal: o.signal });
      if (outcome.status === "interrupted") return "interrupted";
      appendRecord(resultsDir, outcome.record);
      progress({ type: "log", level: outcome.record.valid ? "info" : "warn", message: trialVerdictLine(outcome.record) });
      return outcome.record;
    },
    settle: (lab, o) => settleLab(lab, o),
    save: (run) => writeKneeRun(resultsDir, run),
  };
  const result = await runKnee(deps, { size, run: planned, coolDownSeconds: coolDown, keep: opts.keep, progress, signal: interrupts.signal, pulumiSignal: interrupts.pulumiSignal });
  interrupts.dispose();

  let noKnee = false;
  if (result.run.steps.length > 0) {
    const written = await writeKneeReport(resultsDir);
    process.stdout.write(`\n${written.markdown}\nReport: ${written.files.join(", ")}\n`);
    noKnee = written.curve.knee.kneeIndex === null;
  }
  if (!result.teardown.ok) {
    process.stderr.write(`\nTEARDOWN ${formatTeardownFailure(result.teardown)}`);
    return EXIT.FAILED;
  }
  process.stdout.write(`${result.teardown.detail}\n`);
  if (result.interrupted) return EXIT.INTERRUPTED;
  if (result.error) {
    process.stderr.write(`knee failed (exit ${EXIT.FAILED}): ${result.error.message}\nResults so far: ${resultsDir}\n`);
    return EXIT.FAILED;
  }
  if (noKnee) {
    process.stdout.write(`exit ${EXIT.NO_VALID_FIGURE}: the steps ran, but no valid step has a latency: no knee\n`);
    return EXIT.NO_VALID_FIGURE;
  }
  return EXIT.OK;
}

if (require.main === module) runMain(kneeMain);
