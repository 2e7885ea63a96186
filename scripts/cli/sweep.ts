/**
 * `npm run sweep`: every sender size × trials, resumable, reported, always torn down.
 *
 *   npm run sweep [-- --sizes c2-r4,c4-r16] [--trials 2] [--yes] [--keep] [--fail-fast]
 *   npm run sweep -- --resume results/<run>
 *   npm run sweep -- --inventory lab-config/hosts.yaml
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline/promises";
import { formatTeardownFailure } from "../lab-drivers/lab-driver";
import { runMain } from "./run-main";
import { Command, InvalidArgumentError } from "commander";
import { DEFAULTS_FILE, loadLabConfig, PROJECT_DIR } from "../../lab-config/load";
import { LabConfigError } from "../../lab-config/resolve";
import { senderSizeById, type LabConfig, type SenderSize } from "../../lab-config/schema";
import { fetchTextOverHttp, resolveOperatorCidr } from "../../infra/operator-cidr";
import { backendUrl } from "../cloud/backend";
import type { LabDriver } from "../lab-drivers/lab-driver";
import { InventoryLabDriver } from "../lab-drivers/inventory-lab-driver";
import { openStack, PulumiLabDriver } from "../lab-drivers/pulumi-lab-driver";
import { terminalProgress } from "../progress/terminal";
import { buildAndWriteReport } from "../report/write-report";
import { appendRecord, appendTimelineEvent, readManifest, readRecords, writeManifest } from "../results/results-dir";
import type { RunManifest } from "../results/run-manifest";
import { durationCap } from "../trial/duration-cap";
import { trafficGenArgs } from "../trial/traffic-gen-args";
import { installInterrupts } from "../sweep/interrupts";
import { formatPlan, makePlan } from "../sweep/plan";
import { prepareLab, runPreparedTrial, useWorkload, type ProvisionedLab } from "../sweep/prepare-lab";
import { PUBLISHED_WORKLOAD, selectWorkloads } from "../../lab-config/workloads";
import { runSweep, trialKey, type SweepDeps } from "../sweep/run-sweep";

export interface SweepCliOptions {
  workloads?: string[];
  stack: string;
  backend?: string;
  inventory?: string;
  labConfig: string;
  sizes?: string[];
  trials?: number;
  coolDown?: number;
  results?: string;
  resume?: string;
  keep: boolean;
  yes: boolean;
  failFast: boolean;
  /** false with `--no-policy-pack`: `up` runs without kumolab's guard rails (policy-pack/). */
  policyPack: boolean;
}

/** Lets the tests run the real CLI over the namespace lab; product code always passes nothing. */
export interface SweepCliHooks {
  makeDriver?: (cfg: LabConfig, opts: SweepCliOptions) => Promise<LabDriver>;
}

const positive = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError("must be a positive integer");
  return n;
};
const nonNegative = (v: string): number => {
  const n = Number(v);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError("must be a whole number of seconds");
  return n;
};

function newRunId(now = new Date()): string {
  return now.toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z").replace("T", "-");
}

async function confirm(question: string): Promise<boolean> {
  if (!process.stdin.isTTY) throw new Error("the sweep asks for confirmation before creating anything: pass --yes to run without a terminal");
  const rl = createInterface({ input: process.stdin, output: process.stdout });
  try {
    return /^y(es)?$/i.test((await rl.question(`${question} [y/N] `)).trim());
  } finally {
    rl.close();
  }
}

async function makeDriver(cfg: LabConfig, opts: SweepCliOptions): Promise<LabDriver> {
  if (opts.inventory) return InventoryLabDriver.fromFile(opts.inventory);
  const url = backendUrl(opts.backend);
  if (!opts.policyPack) process.stderr.write("--no-policy-pack: every `pulumi up` of this sweep runs WITHOUT kumolab's guard rails (policy-pack/)\n");
  return new PulumiLabDriver(await openStack(opts.stack, url), url, {
    ...(opts.policyPack ? {} : { policyPacks: [] }),
    // `auto`: looked up once and stored in the stack's config before the first up (never at every up).
    ...(cfg.operatorCidr === "auto" ? { lookupOperatorCidr: () => resolveOperatorCidr(cfg, fetchTextOverHttp) } : {}),
  });
}

export async function sweepMain(argv: string[], hooks: SweepCliHooks = {}): Promise<number> {
  const program = new Command("sweep")
    .description("Run every sender size × trials, report, and tear the lab down")
    .option("--stack <name>", "Pulumi stack of the lab", process.env["KUMOLAB_STACK"] ?? "dev")
    .option("--backend <url>", "Pulumi state backend (default: PULUMI_BACKEND_URL or the project's .pulumi-state folder)")
    .option("--inventory <file>", "run on your own two hosts instead of the clouds (one size, nothing built or destroyed)")
    .option("--lab-config <file>", "the lab config defaults file", DEFAULTS_FILE)
    .option("--sizes <ids>", "comma-separated sender size ids (default: all in the config)", (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean))
    .option("--trials <n>", "trials per size (default: trials.count)", positive)
    .option("--workloads <names>", "comma-separated workloads to run at each size (default: all in workloads.list)", (v: string) => v.split(",").map((s) => s.trim()).filter(Boolean))
    .option("--cool-down <seconds>", "pause between trials (default: trials.coolDownSeconds)", nonNegative)
    .option("--results <dir>", "results folder (default: results/<run id>)")
    .option("--resume <dir>", "finish the sweep recorded in this results folder")
    .option("--keep", "keep the lab at the end", false)
    .option("--yes", "don't ask for confirmation", false)
    .option("--fail-fast", "stop at the first failed trial", false)
    .option("--no-policy-pack", "run `pulumi up` without kumolab's guard rails (policy-pack/); only for debugging the pack itself")
    .exitOverride();
  program.parse(argv, { from: "user" });
  const opts = program.opts<SweepCliOptions>();
  const progress = terminalProgress(process.stdout);

  let cfg: LabConfig;
  try {
    cfg = loadLabConfig({ stack: opts.inventory ? undefined : opts.stack, defaultsFile: opts.labConfig }).config;
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return e instanceof LabConfigError ? 2 : 1;
  }

  // What to run: a resumed sweep keeps what it set out to do.
  let manifest: RunManifest | undefined;
  let resultsDir: string;
  let sizes: SenderSize[];
  let trials: number;
  let coolDown: number;
  let workloads: string[];
  if (opts.resume) {
    resultsDir = path.resolve(opts.resume);
    manifest = readManifest(resultsDir);
    if (opts.sizes || opts.trials || opts.workloads) {
      process.stderr.write(`--resume finishes the sweep as planned in ${path.join(resultsDir, "run.json")}; drop --sizes/--trials/--workloads\n`);
      return 2;
    }
    sizes = manifest.sizes.map((m) => cfg.sender.sizes.find((s) => s.id === m.id) ?? { id: m.id, instanceType: m.label.includes(".") ? m.label : "inventory.host", vcpu: m.vcpu, ramGiB: m.ramGiB, arch: m.arch ?? "x86_64", hourlyUsd: m.hourlyUsd });
    trials = manifest.trialsPerSize;
    coolDown = manifest.coolDownSeconds;
    workloads = manifest.workloads?.names ?? [PUBLISHED_WORKLOAD];
  } else {
    try {
      workloads = selectWorkloads(cfg, opts.workloads);
    } catch (e) {
      process.stderr.write(`--workloads: ${(e as Error).message}\n`);
      return 2;
    }
    const ids = opts.sizes ?? cfg.sender.sizes.map((s) => s.id);
    const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
    if (repeated.length > 0) {
      process.stderr.write(`--sizes: ${repeated.join(", ")} given more than once; each size runs once (use --trials for more trials)\n`);
      return 2;
    }
    try {
      sizes = ids.map((id) => senderSizeById(cfg, id));
    } catch (e) {
      process.stderr.write(`--sizes: ${(e as Error).message}\n`);
      return 2;
    }
    trials = opts.trials ?? cfg.trials.count;
    coolDown = opts.coolDown ?? cfg.trials.coolDownSeconds;
    resultsDir = path.resolve(opts.results ?? path.join(PROJECT_DIR, "results", newRunId()));
  }

  const driver = await (hooks.makeDriver ?? makeDriver)(cfg, opts);
  if (driver.fixedSize && !manifest) {
    // An inventory's hosts are one size: that size is the sweep's only one.
    if (opts.sizes) {
      process.stderr.write(`${driver.description} has one sender size (from its sender.size); drop --sizes\n`);
      return 2;
    }
    sizes = [driver.fixedSize];
  }
  if (!driver.canResize && sizes.length > 1) {
    process.stderr.write(`${driver.description} cannot resize its sender: choose one size with --sizes (it has ${sizes.length})\n`);
    return 2;
  }

  const plan = makePlan(cfg, { sizes, trials, coolDownSeconds: coolDown, labDescription: driver.description, resultsDir, keep: opts.keep, labExists: driver.source === "inventory", destroys: driver.source === "stack" });
  process.stdout.write(`${formatPlan(plan, cfg)}\n`);
  if (!opts.yes && !(await confirm("Go ahead?"))) {
    process.stdout.write("Nothing was created.\n");
    return 1;
  }

  mkdirSync(resultsDir, { recursive: true });
  if (!manifest) {
    const cap = durationCap(cfg.traffic);
    manifest = {
      schemaVersion: 1,
      runId: path.basename(resultsDir),
      createdAt: new Date().toISOString(),
      source: driver.source,
      labId: driver.description,
      sizes: sizes.map((s) => ({ id: s.id, label: s.instanceType, vcpu: s.vcpu, ramGiB: s.ramGiB, arch: s.arch, ...(s.hourlyUsd !== undefined ? { hourlyUsd: s.hourlyUsd } : {}) })),
      sink: { label: cfg.sink.vmSize, ...(cfg.sink.hourlyUsd !== undefined ? { hourlyUsd: cfg.sink.hourlyUsd } : {}) },
      trialsPerSize: trials,
      workloads: { names: workloads, baseline: cfg.workloads.baseline },
      coolDownSeconds: coolDown,
      traffic: {
        concurrency: cfg.traffic.concurrency,
        messageCount: cfg.traffic.messageCount,
        bodySizeBytes: cfg.traffic.bodySize,
        durationCapSeconds: cap.seconds,
        extraArgs: trafficGenArgs(cfg.traffic, "", cap.seconds).extraArgs,
      },
    };
    writeManifest(resultsDir, manifest);
  }
  const runId = manifest.runId;

  const interrupts = installInterrupts({
    onFirst: (why) => progress({ type: "log", level: "warn", message: `${why}: stopping — results are kept, the lab is being torn down${opts.keep ? " (no: --keep)" : ""}. Press Ctrl-C again to exit at once.` }),
    onSecond: () =>
      process.stderr.write(
        `\nExiting now. Left behind: ${driver.description} may still be running — destroy it with 'npm run down${driver.source === "stack" ? ` -- --stack ${opts.stack}` : ""}'. Results so far are in ${resultsDir}; finish with 'npm run sweep -- --resume ${resultsDir}'.\n`,
      ),
  });

  const deps: SweepDeps<ProvisionedLab> = {
    driver,
    prepare: (hosts, o) => prepareLab(hosts, cfg, o),
    runTrial: async (lab, spec, o) => {
      const outcome = await runPreparedTrial(lab, spec, { runId, resultsDir, cfg, ...o });
      if (outcome.status === "interrupted") return { status: "interrupted", detail: outcome.detail };
      appendRecord(resultsDir, outcome.record);
      const r = outcome.record;
      return { status: r.status, detail: r.failure ? `${r.failure.step}: ${r.failure.message}` : r.valid ? "valid" : `invalid: ${r.invalidReasons.map((x: { code: string }) => x.code).join(", ")}` };
    },
    useWorkload: (lab, name, o) => useWorkload(lab, name, cfg, o),
    recordedTrials: async () => {
      const { records } = readRecords(resultsDir);
      return new Set(records.map((r) => trialKey(r.sizeId, r.trial, r.workload?.name)));
    },
    timeline: async (kind, sizeId, detail) => appendTimelineEvent(resultsDir, { at: new Date().toISOString(), kind, ...(sizeId ? { sizeId } : {}), ...(detail ? { detail } : {}) }),
  };

  const result = await runSweep(deps, { sizes, trials, workloads, coolDownSeconds: coolDown, keep: opts.keep, failFast: opts.failFast, progress, signal: interrupts.signal, pulumiSignal: interrupts.pulumiSignal });
  interrupts.dispose();

  const { records } = readRecords(resultsDir);
  if (records.length > 0) {
    const written = await buildAndWriteReport(resultsDir);
    process.stdout.write(`\n${written.markdown}\nReport: ${written.files.join(", ")}\n`);
  }
  if (!result.teardown.ok) {
    process.stderr.write(`\nTEARDOWN ${formatTeardownFailure(result.teardown)}`);
    return 1;
  }
  process.stdout.write(`${result.teardown.detail}\n`);
  if (result.interrupted) {
    process.stdout.write(`Interrupted. Finish with: npm run sweep -- --resume ${resultsDir}\n`);
    return 130;
  }
  if (result.error) {
    process.stderr.write(`sweep failed: ${result.error.message}\nResults so far: ${resultsDir}; finish with 'npm run sweep -- --resume ${resultsDir}'\n`);
    return 1;
  }
  return result.failed > 0 ? 1 : 0;
}

if (require.main === module) runMain(sweepMain);
