/**
 * `npm run lab -- <command>`: the lab's command line.
 *   config [--stack S]              the resolved lab config and where every value came from
 *   provision --inventory <file>    provision two hosts from an inventory (see lab-config/hosts.example.yaml)
 *   provision --stack <name>        provision the stack's hosts (needs scripts/cloud/stack-hosts.ts)
 * Exit codes: 0 ok, 1 failure (the message says what to do).
 */
import { Command } from "commander";
import { LabConfigError } from "../../lab-config/resolve";
import { loadLabConfig } from "../../lab-config/load";
import { DEFAULT_INVENTORY_FILE, hostsFromInventory } from "../hosts/inventory";
import { terminalProgress } from "../progress/terminal";
import { KUMOD_LOG_PATTERN } from "../provision/kumod-service";
import { provisionLab } from "../provision/provision-lab";

function fail(e: unknown): never {
  process.stderr.write(`${(e as Error).message}\n`);
  process.exit(1);
}

const program = new Command();
program.name("lab").description("kumolab: measure KumoMTA throughput per machine size in a closed lab").showHelpAfterError();

program
  .command("config")
  .description("print the resolved lab config with the source of every value")
  .option("--stack <name>", "apply this stack's overrides (Pulumi.<name>.yaml)")
  .action((o: { stack?: string }) => {
    try {
      const { config, sources } = loadLabConfig(o.stack ? { stack: o.stack } : {});
      const lines: string[] = [];
      const walk = (v: unknown, prefix: string) => {
        if (v !== null && typeof v === "object" && !Array.isArray(v)) {
          for (const [k, child] of Object.entries(v)) walk(child, prefix ? `${prefix}.${k}` : k);
          return;
        }
        const src = sources[prefix] ?? Object.entries(sources).find(([p]) => prefix.startsWith(`${p}.`))?.[1];
        const from = !src ? "(schema default)" : src.kind === "default" ? src.file : `${src.origin} (${src.key})`;
        lines.push(`${prefix} = ${JSON.stringify(v)}    # ${from}`);
      };
      walk(config, "");
      process.stdout.write(`${lines.join("\n")}\n`);
    } catch (e) {
      if (e instanceof LabConfigError) fail(e);
      fail(e);
    }
  });

program
  .command("provision")
  .description("push the sink and sender policies, start kumod, block outbound port 25 and prove it")
  .option("--inventory <file>", `hosts inventory (default ${DEFAULT_INVENTORY_FILE} when --stack is not given)`)
  .option("--stack <name>", "provision the hosts of this Pulumi stack")
  .option("--kumod-log <filter>", "KUMOD_LOG for both kumods", "kumod=info")
  .option("--connect-deadline <seconds>", "how long to keep retrying SSH while a host boots", "300")
  .action(async (o: { inventory?: string; stack?: string; kumodLog: string; connectDeadline: string }) => {
    try {
      if (o.inventory && o.stack) throw new Error("give either --inventory or --stack, not both");
      if (!KUMOD_LOG_PATTERN.test(o.kumodLog)) throw new Error(`--kumod-log ${JSON.stringify(o.kumodLog)} is not a log filter such as kumod=info`);
      const deadline = Number(o.connectDeadline);
      if (!Number.isInteger(deadline) || deadline <= 0) throw new Error("--connect-deadline must be a positive number of seconds");
      if (o.stack) {
        // Reading hosts from a stack lives in scripts/cloud/stack-hosts.ts (not in this repository yet).
        throw new Error(`provision --stack ${o.stack}: reading hosts from a stack is not yet available; use --inventory <file> (see lab-config/hosts.example.yaml)`);
      }
      const hosts = hostsFromInventory(o.inventory ?? DEFAULT_INVENTORY_FILE);
      const progress = terminalProgress(process.stdout);
      const r = await provisionLab(hosts, { progress, kumodLog: o.kumodLog, ssh: { connectDeadlineMs: deadline * 1000 } });
      process.stdout.write(
        `provisioned lab ${r.labId} in ${(r.durationMs / 1000).toFixed(1)} s${r.unchanged ? " (nothing changed)" : ""}; kumod ${r.sender.kumodVersion ?? "?"} (sender), ${r.sink.kumodVersion ?? "?"} (sink); port 25 proof passed at ${r.proof.at}\n`,
      );
    } catch (e) {
      fail(e);
    }
  });

program.parseAsync(process.argv).catch(fail);
