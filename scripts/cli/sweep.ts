/**
 * `npm run sweep`: every sender size × trials, resumable, reported, always torn down.
 *
 *   npm run sweep [-- --sizes c2-r4,c4-r16] [--trials 2] [--yes] [--keep] [--fail-fast]
 *   npm run sweep -- --resume results/<run>
 *   npm run sweep -- --inventory lab-config/hosts.yaml
 *   npm run sweep -- --parallel 2  (two labs at once, each its own stack: <stack>-lab1, <stack>-lab2)
 *   npm run sweep -- --spot        (spot capacity; a reclaimed host's size is retried on demand)
 *   npm run sweep -- --dry-run     (= npm run plan: the plan and its estimate, offline; nothing opened or created)
 *   npm run plan -- --parallel 2 --spot --no-prefetch   (the plan options; the plans side by side either way)
 * Exit codes (./exit-codes.ts): 0 every size has a valid figure, 3 the sweep ran but some size has
 * none, 1 failed, 2 config or command line, 130 interrupted.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline/promises";
import { formatTeardownFailure } from "../lab-drivers/lab-driver";
import { runMain } from "./run-main";
import { nonNegative, positive } from "./cli-args";
import { loadRunConfig } from "./run-config";
import { EXIT } from "./exit-codes";
import { hostsFromInventory, InventoryError } from "../hosts/inventory";
import { configForRun, refuseResumeMessage, runSettingsOf, settingsDifferences, workloadTrafficOf } from "../sweep/run-settings";
import { sweepVerdict, trialVerdictLine } from "../sweep/verdict";
import { Command } from "commander";
import { DEFAULTS_FILE, PROJECT_DIR } from "../../lab-config/load";
import { senderSizeById, type LabConfig, type SenderSize } from "../../lab-config/schema";
import { fetchTextOverHttp, resolveOperatorCidr } from "../../infra/operator-cidr";
import { backendUrl } from "../cloud/backend";
import type { LabDriver } from "../lab-drivers/lab-driver";
import { InventoryLabDriver } from "../lab-drivers/inventory-lab-driver";
import { terminalProgress } from "../progress/terminal";
import { buildAndWriteReport } from "../report/write-report";
import { appendRecord, appendTimelineEvent, readManifest, readRecords, writeManifest } from "../results/results-dir";
import type { RunManifest } from "../results/run-manifest";
import { durationCap } from "../trial/duration-cap";
import { trafficGenArgs } from "../trial/traffic-gen-args";
import { installInterrupts } from "../sweep/interrupts";
import { formatPlan, makePlan, type PlanLab } from "../sweep/plan";
import { ttlForPlan } from "../sweep/lab-ttl";
import { prepareLab, prepareStandbyLab, runPreparedTrial, settleLab, useWorkload, type ProvisionedLab } from "../sweep/prepare-lab";
import { PUBLISHED_WORKLOAD, selectWorkloads } from "../../lab-config/workloads";
import { checkBodyFiles } from "../provision/body-file";
import { trialKey, type SweepDeps } from "../sweep/run-sweep";
import { runParallelSweep, sweepExitCode, type LabRun } from "../sweep/parallel-sweep";
import { assignSizesToLabs, baseStackOf, labLabel, labsForResume, type LabSlot } from "../sweep/lab-slots";
import { carryStackConfig, ensureLabWorkspace } from "../lab-drivers/lab-workspace";
import { markSpotInterrupted } from "../sweep/spot-retry";

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
  /** `--dry-run`: print the plan and its estimate, open and create nothing (no Pulumi CLI, credentials or stack needed). */
  dryRun?: boolean;
  /**
   * false with `--no-prefetch`: each size resizes the one sender in place. Default true: with more
   * than one size, the next size's sender is prepared on a standby slot while the current size is
   * measured (README "Prefetch"). After the plan, the CLI sets it to whether prefetch is used.
   */
  prefetch: boolean;
  /** `--accept-config-change`: resume although today's config differs from run.json (run.json's settings are used; recorded). */
  acceptConfigChange?: boolean;
  /**
   * `--parallel <n>`: up to n labs at once, one size per lab at a time (scripts/sweep/lab-slots.ts).
   * Default 1: one lab on `--stack`, exactly the sweep without the option. E.g. 2 → stacks dev-lab1, dev-lab2.
   */
  parallel?: number;
  /** `--spot`: the sender (and the sink where its size/location offers it) on spot capacity; default off. A reclaimed host's size is retried on demand. */
  spot?: boolean;
  /** `--duration <seconds>`: steady-state trials of this length (overrides trials.durationSeconds). Default: the config's; unset = message-count trials. Example: 1800. */
  duration?: number;
}

/** Lets the tests run the real CLI over the namespace lab; product code always passes nothing. */
export interface SweepCliHooks {
  /** Called once per lab (`slot`: which lab, its stack and sizes); each call must return a lab of its own. */
  makeDriver?: (cfg: LabConfig, opts: SweepCliOptions, slot: LabSlot) => Promise<LabDriver>;
}


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

/** One look-up of the operator's address for every lab of the run (each stores it in its own stack's config). */
function onceOnly(f: () => Promise<string>): () => Promise<string> {
  let p: Promise<string> | undefined;
  return () => (p ??= f());
}

type DriverOptions = Pick<SweepCliOptions, "inventory" | "backend" | "policyPack" | "stack" | "prefetch">;

function driverMaker(): (cfg: LabConfig, opts: DriverOptions, slot: LabSlot) => Promise<LabDriver> {
  let lookup: (() => Promise<string>) | undefined;
  return async (cfg, opts, slot) => {
    if (opts.inventory) return InventoryLabDriver.fromFile(opts.inventory);
    const url = backendUrl(opts.backend);
    // Loaded here, not at the top: the Automation API takes seconds to import and --dry-run never needs it.
    const { openStack, PulumiLabDriver } = await import("../lab-drivers/pulumi-lab-driver");
    if (!opts.policyPack && slot.lab === labLabel(0)) process.stderr.write("--no-policy-pack: every `pulumi up` of this sweep runs WITHOUT kumolab's guard rails (policy-pack/)\n");
    const { PulumiCloudInventory } = await import("../cloud/pulumi-cloud-inventory");
    const { pulumiReclaimProbe } = await import("../cloud/pulumi-reclaim-probe");
    const stack = slot.stack ?? opts.stack;
    let opened: Awaited<ReturnType<typeof openStack>>;
    if (stack === opts.stack) opened = await openStack(stack, url);
    else {
      // A lab of a parallel sweep: its own workspace (labs open at once), the base stack's settings carried over.
      opened = await openStack(stack, url, { workDir: ensureLabWorkspace(stack) });
      const base = baseStackOf(stack);
      const skipped = carryStackConfig(base, stack);
      if (skipped.length > 0) process.stderr.write(`stack ${stack}: encrypted settings of stack ${base} cannot be carried over (${skipped.join(", ")}); set them with 'npx pulumi config set --secret <key> <value> --stack ${stack}'\n`);
    }
    if (cfg.operatorCidr === "auto") lookup ??= onceOnly(() => resolveOperatorCidr(cfg, fetchTextOverHttp));
    return new PulumiLabDriver(opened, url, {
      ...(opts.policyPack ? {} : { policyPacks: [] }),
      // Recovery after an interrupt looks pending creates up by the lab's tags (as down and gc do).
      inventory: new PulumiCloudInventory([cfg.aws.region]),
      // After a failed trial on spot: EC2's state reason and Azure's instance view say whether a host was reclaimed.
      reclaimProbe: pulumiReclaimProbe,
      // `auto`: looked up once and stored in the stack's config before the first up (never at every up).
      ...(lookup !== undefined ? { lookupOperatorCidr: lookup } : {}),
      senderSlots: opts.prefetch ? 2 : 1,
    });
  };
}

/** The lab driver of one lab on `--stack` (or the inventory), one sender: what `npm run knee` runs on. */
export function makeDriver(cfg: LabConfig, opts: Pick<SweepCliOptions, "inventory" | "backend" | "policyPack" | "stack">): Promise<LabDriver> {
  return driverMaker()(cfg, { ...opts, prefetch: false }, { lab: labLabel(0), sizes: [] });
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
    .option("--no-prefetch", "resize the one sender in place between sizes (default with more than one size: the next size's sender boots on a standby while the current size is measured)")
    .option("--no-policy-pack", "run `pulumi up` without kumolab's guard rails (policy-pack/); only for debugging the pack itself")
    .option("--dry-run", "print the plan, its estimate and assumptions, then stop: nothing is opened or created (no Pulumi CLI, credentials or stack needed)", false)
    .option("--spot", "sender (and sink where offered) on spot capacity: cheaper, may be reclaimed; a reclaimed trial is recorded failed and its size retried on demand", false)
    .option("--duration <seconds>", "steady-state trials: traffic-gen runs this long instead of traffic.messageCount; each trial records its rate over time and a rate-dropped flag (default: trials.durationSeconds)", positive)
    .option("--accept-config-change", "with --resume: go on although today's lab config differs from the run's (run.json's settings are used; recorded in run.json)", false)
    .option("--parallel <n>", "up to n labs at once, one size per lab at a time, each its own stack <stack>-lab<i> (default 1: one lab on --stack)", positive)
    .exitOverride();
  program.parse(argv, { from: "user" });
  const opts = program.opts<SweepCliOptions>();
  const progress = terminalProgress(process.stdout);

  const loaded = loadRunConfig(opts);
  if ("exit" in loaded) return loaded.exit;
  let cfg: LabConfig = loaded.cfg;

  // What to run: a resumed sweep keeps what it set out to do.
  let manifest: RunManifest | undefined;
  let resultsDir: string;
  let sizes: SenderSize[];
  let trials: number;
  let coolDown: number;
  let workloads: string[];
  let recorded = 0;
  let acceptedDifferences: string[] = [];
  if (opts.resume) {
    resultsDir = path.resolve(opts.resume);
    if (!existsSync(path.join(resultsDir, "run.json"))) {
      process.stderr.write(
        `--resume ${opts.resume}: ${existsSync(resultsDir) ? "this folder holds no run.json, so no sweep to finish" : "no such folder"}; give the results folder of a sweep (results/<run id>, named when the sweep stopped), or start a new sweep without --resume\n`,
      );
      return EXIT.CONFIG;
    }
    try {
      manifest = readManifest(resultsDir);
    } catch (e) {
      process.stderr.write(`--resume: ${(e as Error).message}\n`);
      return EXIT.CONFIG;
    }
    if (opts.sizes || opts.trials || opts.workloads || opts.coolDown !== undefined || opts.parallel !== undefined) {
      process.stderr.write(`--resume finishes the sweep as planned in ${path.join(resultsDir, "run.json")} (its sizes, trials and labs); drop --sizes/--trials/--workloads/--cool-down/--parallel\n`);
      return EXIT.CONFIG;
    }
    if (opts.inventory && manifest.source === "stack") {
      process.stderr.write(`--resume: this run was on a cloud lab (${manifest.labId}), not on an inventory; drop --inventory (and give --stack if it was not the default)\n`);
      return EXIT.CONFIG;
    }
    if (!opts.inventory && manifest.source === "inventory" && !hooks.makeDriver) {
      process.stderr.write(`--resume: this run was on your own hosts (${manifest.labId}); add --inventory with the same hosts file\n`);
      return EXIT.CONFIG;
    }
    // Every setting comes from run.json; today's config only where run.json has nothing to say (hosts, SSH).
    let runCfg: LabConfig;
    try {
      runCfg = configForRun(cfg, manifest);
    } catch (e) {
      process.stderr.write(`--resume: ${(e as Error).message}\n`);
      return EXIT.CONFIG;
    }
    const differences = settingsDifferences(runCfg, cfg, manifest.workloads?.names ?? [PUBLISHED_WORKLOAD]);
    if (!manifest.settings) process.stderr.write(`note: ${path.join(resultsDir, "run.json")} predates the recorded settings: only its traffic (messages, concurrency, body size) is checked against today's config\n`);
    if (differences.length > 0 && !opts.acceptConfigChange) {
      process.stderr.write(`${refuseResumeMessage(resultsDir, differences)}\n`);
      return EXIT.CONFIG;
    }
    if (differences.length > 0) {
      process.stderr.write(`--accept-config-change: finishing with run.json's settings; ignored from today's config:\n${differences.map((d) => `  - ${d}`).join("\n")}\n`);
      acceptedDifferences = differences;
    }
    cfg = runCfg;
    // Steady state or not, as the run began: run.json decides, never today's config or --duration.
    if (opts.duration !== undefined && opts.duration !== manifest.trialDurationSeconds) {
      process.stderr.write(`--resume: this run's trials are ${manifest.trialDurationSeconds === undefined ? "message-count trials" : `${manifest.trialDurationSeconds} s steady-state trials`} (run.json); drop --duration\n`);
      return EXIT.CONFIG;
    }
    const { durationSeconds: _todays, ...trialsOfRun } = cfg.trials;
    cfg = { ...cfg, trials: { ...trialsOfRun, ...(manifest.trialDurationSeconds !== undefined ? { durationSeconds: manifest.trialDurationSeconds } : {}) } };
    recorded = existsSync(path.join(resultsDir, "trials.jsonl")) ? readRecords(resultsDir).records.length : 0;
    sizes = manifest.sizes.map((m) => cfg.sender.sizes.find((s) => s.id === m.id) ?? { id: m.id, instanceType: m.label.includes(".") ? m.label : "inventory.host", vcpu: m.vcpu, ramGiB: m.ramGiB, arch: m.arch ?? "x86_64", hourlyUsd: m.hourlyUsd });
    trials = manifest.trialsPerSize;
    coolDown = manifest.coolDownSeconds;
    workloads = manifest.workloads?.names ?? [PUBLISHED_WORKLOAD];
  } else {
    try {
      workloads = selectWorkloads(cfg, opts.workloads);
    } catch (e) {
      process.stderr.write(`--workloads: ${(e as Error).message}\n`);
      return EXIT.CONFIG;
    }
    const ids = opts.sizes ?? cfg.sender.sizes.map((s) => s.id);
    const repeated = ids.filter((id, i) => ids.indexOf(id) !== i);
    if (repeated.length > 0) {
      process.stderr.write(`--sizes: ${repeated.join(", ")} given more than once; each size runs once (use --trials for more trials)\n`);
      return EXIT.CONFIG;
    }
    try {
      sizes = ids.map((id) => senderSizeById(cfg, id));
    } catch (e) {
      process.stderr.write(`--sizes: ${(e as Error).message}\n`);
      return EXIT.CONFIG;
    }
    trials = opts.trials ?? cfg.trials.count;
    coolDown = opts.coolDown ?? cfg.trials.coolDownSeconds;
    resultsDir = path.resolve(opts.results ?? path.join(PROJECT_DIR, "results", newRunId()));
  }

  if (opts.sizes && opts.sizes.length === 0) {
    process.stderr.write(`--sizes: empty; give one or more size ids (${cfg.sender.sizes.map((s) => s.id).join(", ")}), or leave --sizes out for all of them\n`);
    return EXIT.CONFIG;
  }
  if (opts.workloads && opts.workloads.length === 0 && !opts.resume) {
    process.stderr.write(`--workloads: empty; give one or more of ${cfg.workloads.list.map((w) => w.name).join(", ")}, or leave --workloads out for all of them\n`);
    return EXIT.CONFIG;
  }
  // Body files are read on this machine: a wrong one is said now, before anything is built.
  const bodyFileErrors = checkBodyFiles(cfg, workloads);
  if (bodyFileErrors.length > 0) {
    process.stderr.write(`${bodyFileErrors.join("\n")}\n`);
    return EXIT.CONFIG;
  }

  if (opts.inventory && (opts.parallel ?? 1) > 1) {
    process.stderr.write(`--parallel ${opts.parallel}: an inventory is one pair of hosts, one lab; drop --parallel (or run a cloud sweep)\n`);
    return EXIT.CONFIG;
  }

  // The plan's lab, known without opening anything: an inventory is read (not connected to); a stack is only named.
  let planLab: PlanLab;
  let inventorySize: SenderSize | undefined;
  try {
    if (opts.inventory) {
      const hosts = hostsFromInventory(opts.inventory);
      planLab = { kind: "inventory", description: `inventory ${opts.inventory} (lab ${hosts.labId}): your own two hosts`, senderAddress: hosts.sender.address, sinkAddress: hosts.sinkAddressFromSender, sinkPort: hosts.sinkPort };
      const sz = hosts.sender.size;
      if (sz?.vcpu !== undefined && sz.ramGiB !== undefined) inventorySize = { id: hosts.labId, instanceType: sz.label, vcpu: sz.vcpu, ramGiB: sz.ramGiB, arch: "x86_64" };
    } else planLab = { kind: "stack", description: `stack ${opts.stack} (${backendUrl(opts.backend)})${opts.policyPack ? "" : ", guard rails OFF (--no-policy-pack)"}`, stack: opts.stack };
  } catch (e) {
    process.stderr.write(`${(e as Error).message}\n`);
    return e instanceof InventoryError ? EXIT.CONFIG : EXIT.FAILED;
  }
  // The plan the run will follow: a resumed parallel run keeps run.json's labs; a generator host turns prefetch off.
  const planOptions = {
    parallel: manifest?.labs !== undefined && manifest.labs.length > 1 ? manifest.labs.length : (opts.parallel ?? 1),
    prefetch: opts.prefetch !== false && !cfg.generator.enabled,
    spot: opts.spot === true,
  };
  if (opts.dryRun) {
    if (opts.inventory && !manifest) {
      if (opts.sizes) {
        process.stderr.write(`${planLab.description} has one sender size (from its sender.size); drop --sizes\n`);
        return EXIT.CONFIG;
      }
      if (!inventorySize) {
        process.stderr.write(`${opts.inventory}: sender.size needs label, vcpu and ramGiB for the sweep's table (e.g. size: { label: m5.xlarge, vcpu: 4, ramGiB: 16 })\n`);
        return EXIT.CONFIG;
      }
      sizes = [inventorySize];
    }
    const dry = makePlan(cfg, { sizes, workloads, trials, coolDownSeconds: coolDown, lab: planLab, resultsDir, keep: opts.keep, recorded, options: planOptions });
    process.stdout.write(`${formatPlan(dry, cfg)}\n${labsLine(slotsOf(opts, manifest, sizes, planLab.kind === "stack"))}Dry run: nothing was opened or created (no Pulumi CLI, credentials or stack were needed). Run without --dry-run to go ahead.\n`);
    return EXIT.OK;
  }

  // An inventory's driver only reads its file; a stack is opened — and created, if new — only after
  // "Go ahead?", so that a 'no' leaves nothing behind.
  const makeDriver = hooks.makeDriver ?? driverMaker();
  // Prefetch needs a second sender only in a lab that has a next size to prepare. A generator host
  // submits to one sender's private address (its listener and relay rule name it): no prefetch then.
  if (opts.prefetch !== false && cfg.generator.enabled && sizes.length > 1) process.stdout.write("prefetch: off — the generator host submits to one sender's address; each size resizes the sender in place\n");
  const openDriver = (slot: LabSlot): Promise<LabDriver> => makeDriver(cfg, { ...opts, prefetch: opts.prefetch !== false && !cfg.generator.enabled && slot.sizes.length > 1 }, slot);
  const early = opts.inventory ? await openDriver({ lab: labLabel(0), sizes: sizes.map((s) => s.id) }) : undefined;
  if (early?.fixedSize && !manifest) {
    // An inventory's hosts are one size: that size is the sweep's only one.
    if (opts.sizes) {
      process.stderr.write(`${early.description} has one sender size (from its sender.size); drop --sizes\n`);
      return EXIT.CONFIG;
    }
    sizes = [early.fixedSize];
  }
  if (opts.spot && early && !early.useSpot) {
    process.stderr.write(`--spot: ${early.description} cannot use spot capacity (your own hosts are what they are); drop --spot\n`);
    return EXIT.CONFIG;
  }
  if (early && !early.canResize && sizes.length > 1) {
    process.stderr.write(`${early.description} cannot resize its sender: choose one size with --sizes (it has ${sizes.length})\n`);
    return EXIT.CONFIG;
  }

  let slots = slotsOf(opts, manifest, sizes, planLab.kind === "stack");
  const plan = makePlan(cfg, { sizes, workloads, trials, coolDownSeconds: coolDown, lab: planLab, resultsDir, keep: opts.keep, recorded, options: planOptions });
  process.stdout.write(`${formatPlan(plan, cfg)}\n${labsLine(slots)}`);
  // The lab's VMs power themselves off at expiresAt: a plan that outlives the TTL raises it first, visibly.
  const ttl = planLab.kind === "stack" ? ttlForPlan(plan.estimate.wallSecondsAtMost, cfg.lab.ttlHours) : ({ extend: false } as const);
  if ("tooLong" in ttl) {
    process.stderr.write(`${ttl.tooLong}\n`);
    return EXIT.CONFIG;
  }
  if (ttl.extend) process.stdout.write(`Lab lifetime: ${ttl.why}.\n`);
  // The stack's config keeps the choice (a spot host retried on demand stays so): say where it comes from.
  const spot = opts.spot ? { sender: true, sink: true } : planLab.kind === "stack" ? cfg.spot : { sender: false, sink: false };
  if (spot.sender || spot.sink) {
    const on = spot.sender && spot.sink ? "the sender, and the sink where its size and location offer it" : spot.sender ? "the sender" : "the sink, where its size and location offer it";
    process.stdout.write(
      `Capacity: spot — ${on}${opts.spot ? "" : ` (from the stack's config: kumolab:spot.sender ${spot.sender}, kumolab:spot.sink ${spot.sink}; set them to false to run on demand)`}; the clouds may reclaim either mid-trial: that trial is recorded failed (spot-interrupted) and its size retried once with the host on demand.\n`,
    );
  }
  if (!opts.yes && !(await confirm("Go ahead?"))) {
    process.stdout.write("Nothing was created.\n");
    return EXIT.FAILED;
  }
  // Every lab's stack at once: each has its own workspace (scripts/lab-drivers/lab-workspace.ts).
  const drivers = early ? [early] : await Promise.all(slots.map((slot) => openDriver(slot)));
  const driver = drivers[0] as LabDriver;
  // Only a stack has a stack name to record (the namespace test lab and an inventory have none).
  slots = slots.map((slot, i) => (drivers[i]?.source === "stack" ? slot : { lab: slot.lab, sizes: slot.sizes }));
  // The estimate is one lab's whole sweep: each parallel lab is done sooner, so this TTL is ample.
  if (ttl.extend) for (const d of drivers) d.extendTtl?.(ttl.toHours);
  const noSpot = drivers.find((d) => !d.useSpot);
  if (opts.spot && noSpot) {
    process.stderr.write(`--spot: ${noSpot.description} cannot use spot capacity (your own hosts are what they are); drop --spot\n`);
    return EXIT.CONFIG;
  }
  // Spot from --spot or from the stack's config: either way a reclaim is detected and retried.
  if (spot.sender || spot.sink) for (const d of drivers) d.useSpot?.(spot);

  mkdirSync(resultsDir, { recursive: true });
  if (manifest && acceptedDifferences.length > 0) {
    manifest = { ...manifest, resumes: [...(manifest.resumes ?? []), { at: new Date().toISOString(), acceptedDifferences }] };
    writeManifest(resultsDir, manifest);
  }
  if (!manifest) {
    const cap = durationCap(cfg.traffic);
    manifest = {
      schemaVersion: 1,
      runId: path.basename(resultsDir),
      createdAt: new Date().toISOString(),
      source: driver.source,
      labId: drivers.length === 1 ? driver.description : `${drivers.length} labs: ${drivers.map((d, i) => `${slots[i]?.lab ?? labLabel(i)} ${d.description}`).join("; ")}`,
      labs: slots,
      sizes: sizes.map((s) => ({ id: s.id, label: s.instanceType, vcpu: s.vcpu, ramGiB: s.ramGiB, arch: s.arch, ...(s.hourlyUsd !== undefined ? { hourlyUsd: s.hourlyUsd } : {}) })),
      sink: { label: cfg.sink.vmSize, ...(cfg.sink.hourlyUsd !== undefined ? { hourlyUsd: cfg.sink.hourlyUsd } : {}) },
      ...(planLab.kind === "stack" && cfg.generator.enabled ? { generator: { label: cfg.generator.instanceType, ...(cfg.generator.hourlyUsd !== undefined ? { hourlyUsd: cfg.generator.hourlyUsd } : {}) } } : {}),
      trialsPerSize: trials,
      ...(spot.sender || spot.sink ? { spot: { sender: spot.sender, sink: spot.sink } } : {}),
      profile: cfg.profile,
      workloads: { names: workloads, baseline: cfg.workloads.baseline },
      coolDownSeconds: coolDown,
      ...(cfg.trials.durationSeconds !== undefined ? { trialDurationSeconds: cfg.trials.durationSeconds } : {}),
      traffic: {
        concurrency: cfg.traffic.concurrency,
        messageCount: cfg.traffic.messageCount,
        bodySizeBytes: cfg.traffic.bodySize,
        durationCapSeconds: cap.seconds,
        extraArgs: trafficGenArgs(cfg.traffic, "", cap.seconds).extraArgs,
      },
      settings: runSettingsOf(cfg),
      workloadTraffic: workloadTrafficOf(cfg, workloads),
    };
    writeManifest(resultsDir, manifest);
  }
  const runId = manifest.runId;

  const interrupts = installInterrupts({
    onFirst: (why) => progress({ type: "log", level: "warn", message: `${why}: stopping — results are kept, ${drivers.length > 1 ? `every lab (${drivers.length}) is` : "the lab is"} being torn down${opts.keep ? " (no: --keep)" : ""}. Press Ctrl-C again to exit at once.` }),
    onSecond: () =>
      process.stderr.write(
        drivers.length === 1
          ? `\nExiting now. Left behind: ${driver.description} may still be running — destroy it with 'npm run down${driver.source === "stack" ? ` -- --stack ${slots[0]?.stack ?? opts.stack}` : ""}'. Results so far are in ${resultsDir}; finish with 'npm run sweep -- --resume ${resultsDir}'.\n`
          : `\nExiting now. Left behind, each may still be running: ${drivers.map((d, i) => `${slots[i]?.lab ?? ""} ${d.description}`).join("; ")} — destroy them all with 'npm run down -- --run ${resultsDir}'. Results so far are in ${resultsDir}; finish with 'npm run sweep -- --resume ${resultsDir}'.\n`,
      ),
  });

  const depsOf = (labDriver: LabDriver, lab: string | undefined): SweepDeps<ProvisionedLab> => ({
    driver: labDriver,
    prepare: (hosts, o) => prepareLab(hosts, cfg, o),
    runTrial: async (lab, spec, o) => {
      const outcome = await runPreparedTrial(lab, spec, { runId, resultsDir, cfg, source: labDriver.source, ...o });
      if (outcome.status === "interrupted") return { status: "interrupted", detail: outcome.detail };
      // A failed trial on spot: ask the lab whether a host was reclaimed, before the record is written.
      const reclaimed = outcome.record.status === "failed" && labDriver.reclaimed ? await labDriver.reclaimed(o) : [];
      const r = markSpotInterrupted(outcome.record, reclaimed);
      appendRecord(resultsDir, r);
      return {
        status: r.status,
        valid: r.status === "ok" && r.valid,
        verdict: trialVerdictLine(r),
        detail: r.failure ? `${r.failure.step}: ${r.failure.message}` : r.valid ? "valid" : `invalid: ${r.invalidReasons.map((x: { code: string }) => x.code).join(", ")}`,
        ...(reclaimed.length > 0 ? { reclaimed } : {}),
      };
    },
    prepareStandby: (hosts, o) => prepareStandbyLab(hosts, cfg, o),
    useWorkload: (lab, name, o) => useWorkload(lab, name, cfg, o),
    settle: (lab, o) => settleLab(lab, o),
    recordedTrials: async () => {
      const { records } = readRecords(resultsDir);
      return new Set(records.map((r) => trialKey(r.sizeId, r.trial, r.workload?.name)));
    },
    // Appends are synchronous (scripts/results/durable-file.ts): labs in this one process never interleave a line.
    timeline: async (kind, sizeId, detail) => appendTimelineEvent(resultsDir, { at: new Date().toISOString(), kind, ...(sizeId ? { sizeId } : {}), ...(lab !== undefined ? { lab } : {}), ...(detail ? { detail } : {}) }),
  });
  const labRuns: LabRun<ProvisionedLab>[] = slots.map((slot, i) => ({
    slot,
    deps: depsOf(drivers[i] as LabDriver, slots.length > 1 ? slot.lab : undefined),
    sizes: slot.sizes.map((id) => sizes.find((s) => s.id === id)).filter((s): s is SenderSize => s !== undefined),
  }));

  const plannedTrialSeconds = (spec: { sizeId: string; workload?: string }): number | undefined =>
    plan.estimate.cells.find((c) => c.sizeId === spec.sizeId && c.workload === (spec.workload ?? PUBLISHED_WORKLOAD))?.trialSeconds;
  const { total: result } = await runParallelSweep(labRuns, { trials, workloads, coolDownSeconds: coolDown, plannedTrialSeconds, keep: opts.keep, failFast: opts.failFast, prefetch: opts.prefetch !== false, progress, signal: interrupts.signal, pulumiSignal: interrupts.pulumiSignal });
  interrupts.dispose();

  const { records } = readRecords(resultsDir);
  if (records.length > 0) {
    const written = await buildAndWriteReport(resultsDir);
    process.stdout.write(`\n${written.markdown}\nReport: ${written.files.join(", ")}\n`);
  }
  const verdict = sweepVerdict(records, { sizeIds: sizes.map((s) => s.id), workloads, trials });
  const code = sweepExitCode(result, verdict.exitCode);
  if (!result.teardown.ok) {
    process.stderr.write(`\nTEARDOWN ${formatTeardownFailure(result.teardown)}`);
    return code;
  }
  process.stdout.write(`${result.teardown.detail}\n`);
  if (result.interrupted) {
    process.stdout.write(`Interrupted. Finish with: npm run sweep -- --resume ${resultsDir}\n`);
    return code;
  }
  if (result.error) {
    process.stderr.write(`sweep failed (exit ${code}): ${result.error.message}\nResults so far: ${resultsDir}; finish with 'npm run sweep -- --resume ${resultsDir}'\n`);
    return code;
  }
  process.stdout.write(`\n${verdict.lines.join("\n")}\n`);
  if (verdict.exitCode !== EXIT.OK) process.stdout.write(`exit ${verdict.exitCode}: the sweep ran, but not every size has a valid figure\n`);
  return code;
}

/** The run's labs: run.json's for a resume, else the sizes dealt to `--parallel` labs (stacks named only on a cloud lab). */
function slotsOf(opts: SweepCliOptions, manifest: RunManifest | undefined, sizes: readonly SenderSize[], stacks: boolean): LabSlot[] {
  // A run on an inventory (or the test lab) has no stacks, whatever the command line says now.
  const base = stacks && (manifest === undefined || manifest.source === "stack") ? opts.stack : undefined;
  if (!manifest) return assignSizesToLabs(sizes, opts.parallel ?? 1, base);
  // One lab resumes on --stack, as before parallel labs; several on the stacks run.json names.
  if ((manifest.labs?.length ?? 1) === 1) return assignSizesToLabs(sizes, 1, base);
  return labsForResume(manifest.labs, sizes, base);
}

/** The plan's line about parallel labs (nothing with one lab, as before). */
function labsLine(slots: readonly LabSlot[]): string {
  if (slots.length <= 1) return "";
  return `Labs: ${slots.length} at once, each its own${slots[0]?.stack !== undefined ? " stack, Pulumi workspace," : ""} sender and sink — ${slots.map((s) => `${s.lab}${s.stack !== undefined ? ` (stack ${s.stack})` : ""}: ${s.sizes.join(", ")}`).join("; ")}\n`;
}

if (require.main === module) runMain(sweepMain);
