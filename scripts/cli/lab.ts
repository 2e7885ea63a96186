/**
 * `npm run lab -- <command>`: the lab's command line.
 *   config [--stack S]              the resolved lab config and where every value came from
 *   provision --inventory <file>    provision two hosts from an inventory (see lab-config/hosts.example.yaml)
 *   provision --stack <name>        provision the stack's hosts
 *   trial [--inventory F | --stack S] [--results DIR]   provision (idempotent) and run one trial
 *   list [--aws-region R…]          kumolab's labs in the clouds (by tag) with age and expiry
 * Exit codes (./exit-codes.ts, the same for every command): 0 ok, 1 failure (the message says what
 * to do), 2 the lab config, the inventory or the command line is wrong.
 */
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { Command, CommanderError } from "commander";
import { existsSync as fileExists } from "node:fs";
import { exitCodeOf } from "./exit-codes";
import { DEFAULTS_FILE, loadLabConfig, PROJECT_DIR } from "../../lab-config/load";
import { loadHostsFromStack } from "../cloud/stack-hosts";
import { DEFAULT_INVENTORY_FILE, hostsFromInventory, INVENTORY_CONNECT_DEADLINE_SECONDS } from "../hosts/inventory";
import type { LabHosts } from "../hosts/lab-hosts";
import { MANIFEST_FILE, TRIALS_FILE, appendRecord, readRecords, writeManifest } from "../results/results-dir";
import { durationCap } from "../trial/duration-cap";
import { formatTrialSummary } from "../trial/trial-summary";
import { prepareLab, runPreparedTrial } from "../sweep/prepare-lab";
import { terminalProgress } from "../progress/terminal";
import { KUMOD_LOG_PATTERN } from "../../lab-config/schema";
import { readKumodVersion } from "../provision/host-facts";
import { closeLabSessions, openLabSessions, provisionLab } from "../provision/provision-lab";
import { realGcDeps } from "../cloud/gc-wiring";
import { runGc } from "../cloud/gc-run";

/** The hosts of the lab: a stack's outputs, or an inventory file (the default inventory when neither is given). */
async function labHosts(o: { inventory?: string; stack?: string }): Promise<LabHosts> {
  if (o.inventory && o.stack) throw new Error("give either --inventory or --stack, not both");
  return o.stack ? loadHostsFromStack(o.stack) : hostsFromInventory(o.inventory ?? DEFAULT_INVENTORY_FILE);
}

function fail(e: unknown): never {
  // commander has printed its own usage error already.
  if (!(e instanceof CommanderError)) process.stderr.write(`${(e as Error).message}\n`);
  process.exit(exitCodeOf(e));
}

const program = new Command();
program.name("lab").description("kumolab: measure KumoMTA throughput per machine size in a closed lab").showHelpAfterError().exitOverride();

program
  .command("config")
  .description("print the resolved lab config with the source of every value")
  .option("--stack <name>", "apply this stack's overrides (Pulumi.<name>.yaml)")
  .option("--lab-config <file>", "the lab config defaults file", DEFAULTS_FILE)
  .action((o: { stack?: string; labConfig: string }) => {
    try {
      if (o.stack && !fileExists(path.join(PROJECT_DIR, `Pulumi.${o.stack}.yaml`))) {
        process.stderr.write(`note: stack ${o.stack} has no Pulumi.${o.stack}.yaml (a typo, or a stack with no overrides yet): showing ${path.relative(process.cwd(), o.labConfig) || o.labConfig} alone\n`);
      }
      const { config, sources } = loadLabConfig({ defaultsFile: o.labConfig, ...(o.stack ? { stack: o.stack } : {}) });
      const lines: string[] = [];
      const walk = (v: unknown, prefix: string) => {
        if (v !== null && typeof v === "object" && !Array.isArray(v)) {
          for (const [k, child] of Object.entries(v)) walk(child, prefix ? `${prefix}.${k}` : k);
          return;
        }
        const src = sources[prefix] ?? Object.entries(sources).find(([p]) => prefix.startsWith(`${p}.`))?.[1];
        const from = !src ? "(schema default)" : src.kind === "default" ? src.file : src.kind === "profile" ? `profile ${src.profile}` : `${src.origin} (${src.key})`;
        // A list of objects (sender.sizes, workloads.list) one item a line, not one 400-character line.
        if (Array.isArray(v) && v.some((x) => x !== null && typeof x === "object")) {
          lines.push(`${prefix} =    # ${from}`, ...v.map((x) => `  - ${JSON.stringify(x)}`));
          return;
        }
        lines.push(`${prefix} = ${JSON.stringify(v)}    # ${from}`);
      };
      walk(config, "");
      process.stdout.write(`${lines.join("\n")}\n`);
    } catch (e) {
      fail(e);
    }
  });

program
  .command("provision")
  .description("push the sink and sender policies, start kumod, block outbound port 25 and prove it")
  .option("--inventory <file>", `hosts inventory (default ${DEFAULT_INVENTORY_FILE} when --stack is not given)`)
  .option("--stack <name>", "provision the hosts of this Pulumi stack")
  .option("--lab-config <file>", "the lab config defaults file (KumoMTA settings)", DEFAULTS_FILE)
  .option("--kumod-log <filter>", "KUMOD_LOG for both kumods (replaces kumod's default filter; default: kumomta.logFilter, unset)")
  .option("--connect-deadline <seconds>", `how long to keep retrying SSH (default: ssh.connectDeadlineSeconds for a stack whose VMs may be booting, ${INVENTORY_CONNECT_DEADLINE_SECONDS} s for an inventory's hosts, which are up)`)
  .action(async (o: { inventory?: string; stack?: string; labConfig: string; kumodLog?: string; connectDeadline?: string }) => {
    try {
      if (o.inventory && o.stack) throw new Error("give either --inventory or --stack, not both");
      if (o.kumodLog !== undefined && !KUMOD_LOG_PATTERN.test(o.kumodLog)) throw new Error(`--kumod-log ${JSON.stringify(o.kumodLog)} is not a log filter such as kumod=info,lua=info,config=info`);
      const cfg = loadLabConfig({ defaultsFile: o.labConfig, ...(o.stack ? { stack: o.stack } : {}) }).config;
      const kumomta = o.kumodLog === undefined ? cfg.kumomta : { ...cfg.kumomta, logFilter: o.kumodLog };
      const deadline = o.connectDeadline !== undefined ? Number(o.connectDeadline) : o.stack ? cfg.ssh.connectDeadlineSeconds : Math.min(cfg.ssh.connectDeadlineSeconds, INVENTORY_CONNECT_DEADLINE_SECONDS);
      if (!Number.isInteger(deadline) || deadline <= 0) throw new Error("--connect-deadline must be a positive number of seconds");
      const hosts = await labHosts(o);
      const progress = terminalProgress(process.stdout);
      const sessions = await openLabSessions(hosts, { progress, connectDeadlineMs: deadline * 1000 });
      try {
        const r = await provisionLab(hosts, { progress, kumomta, sessions });
        const [senderVersion, sinkVersion] = await Promise.all([readKumodVersion(sessions.sender), readKumodVersion(sessions.sink)]);
        process.stdout.write(
          `provisioned lab ${r.labId} in ${(r.durationMs / 1000).toFixed(1)} s${r.unchanged ? " (nothing changed)" : ""}; ${senderVersion ?? "kumod (no version printed)"} on the sender, ${sinkVersion ?? "kumod (no version printed)"} on the sink; port 25 proof passed at ${r.proof.at}${r.proof.generator ? ` (and from the generator at ${r.proof.generator.at})` : ""}\n`,
        );
      } finally {
        closeLabSessions(sessions);
      }
    } catch (e) {
      fail(e);
    }
  });

program
  .command("trial")
  .description("run one trial (traffic-gen through the sender to the sink) and record every figure")
  .option("--inventory <file>", `hosts inventory (default ${DEFAULT_INVENTORY_FILE} when --stack is not given)`)
  .option("--stack <name>", "run on the hosts of this Pulumi stack")
  .option("--lab-config <file>", "the lab config defaults file (traffic-gen parameters, SSH deadlines)", DEFAULTS_FILE)
  .option("--results <dir>", "results folder to append the record to (default: results/trial-<time>)")
  .action(async (o: { inventory?: string; stack?: string; labConfig: string; results?: string }) => {
    try {
      const cfg = loadLabConfig({ defaultsFile: o.labConfig, ...(o.stack ? { stack: o.stack } : {}) }).config;
      const hosts = await labHosts(o);
      const resultsDir = path.resolve(o.results ?? path.join(PROJECT_DIR, "results", `trial-${new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z")}`));
      mkdirSync(resultsDir, { recursive: true });
      const size = hosts.sender.size;
      const sizeId = o.stack ? cfg.sender.size : hosts.labId;
      const sizeDef = cfg.sender.sizes.find((s) => s.id === sizeId);
      const label = sizeDef?.instanceType ?? size?.label ?? "unknown";
      const vcpu = sizeDef?.vcpu ?? size?.vcpu;
      const ramGiB = sizeDef?.ramGiB ?? size?.ramGiB;
      if (!existsSync(path.join(resultsDir, MANIFEST_FILE))) {
        if (vcpu === undefined || ramGiB === undefined) throw new Error(`the sender's size is unknown: give sender.size { label, vcpu, ramGiB } in the inventory`);
        const cap = durationCap(cfg.traffic);
        writeManifest(resultsDir, {
          schemaVersion: 1,
          runId: path.basename(resultsDir),
          createdAt: new Date().toISOString(),
          source: o.stack ? "stack" : "inventory",
          labId: hosts.labId,
          sizes: [{ id: sizeId, label, vcpu, ramGiB, ...(sizeDef?.hourlyUsd !== undefined ? { hourlyUsd: sizeDef.hourlyUsd } : {}) }],
          sink: { label: hosts.sink.size?.label ?? cfg.sink.vmSize },
          trialsPerSize: 1,
          coolDownSeconds: cfg.trials.coolDownSeconds,
          traffic: { concurrency: cfg.traffic.concurrency, messageCount: cfg.traffic.messageCount, bodySizeBytes: cfg.traffic.bodySize, durationCapSeconds: cap.seconds, extraArgs: [] },
        });
      }
      const trial = readRecords(resultsDir).records.filter((r) => r.sizeId === sizeId).reduce((m, r) => Math.max(m, r.trial), 0) + 1;
      const progress = terminalProgress(process.stdout);
      const lab = await prepareLab(hosts, cfg, { progress });
      try {
        const outcome = await runPreparedTrial(
          lab,
          { sizeId, size: { id: sizeId, instanceType: label, vcpu: vcpu ?? 1, ramGiB: ramGiB ?? 1, arch: sizeDef?.arch ?? "x86_64" }, trial, trials: trial },
          { runId: path.basename(resultsDir), resultsDir, cfg, progress, signal: new AbortController().signal, source: o.stack ? "stack" : "inventory" },
        );
        if (outcome.status === "interrupted") throw new Error(`trial interrupted: ${outcome.detail}`);
        appendRecord(resultsDir, outcome.record);
        process.stdout.write(`\n${formatTrialSummary(outcome.record, path.join(resultsDir, TRIALS_FILE))}\n`);
        if (outcome.record.status === "failed") process.exitCode = 1;
      } finally {
        await lab.close();
      }
    } catch (e) {
      fail(e);
    }
  });

program
  .command("list")
  .description("list kumolab's labs in the clouds (found by tag, with or without local state): resources, age, expiry")
  .option("--backend <url>", "Pulumi state backend (default: PULUMI_BACKEND_URL or the project's .pulumi-state folder)")
  .option("--aws-region <region...>", "AWS regions to look in (default: aws.region of the lab config)", [])
  .action(async (o: { backend?: string; awsRegion: string[] }) => {
    try {
      await runGc(await realGcDeps({ ...(o.backend !== undefined ? { backend: o.backend } : {}), yes: false, awsRegions: o.awsRegion }), { delete: false });
    } catch (e) {
      fail(e);
    }
  });

program.parseAsync(process.argv).catch(fail);
