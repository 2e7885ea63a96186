/**
 * `npm run doctor`: is this machine ready for a sweep? Checks Node, the lab config, the Pulumi CLI
 * (and how to install it offline and point kumolab at it), the state backend's passphrase, AWS and
 * Azure credentials (present, not verified against the clouds: nothing is called), and the
 * operator-address lookup; says what to fix for each. Creates nothing, opens no stack.
 *
 *   npm run doctor [-- --stack dev] [--backend URL] [--lab-config FILE]
 * Exit codes (./exit-codes.ts): 0 ready, 1 something to fix, 2 the lab config is invalid.
 */
import { spawnSync } from "node:child_process";
import { accessSync, constants, existsSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { Command } from "commander";
import { fetchTextOverHttp, operatorCidrFromLookup, type FetchText } from "../../infra/operator-cidr";
import { DEFAULTS_FILE, loadLabConfig } from "../../lab-config/load";
import type { LabConfig } from "../../lab-config/schema";
import { backendUrl, isSelfManagedBackend } from "../cloud/backend";
import { INSTALL_HELP, locatePulumiCli, PULUMI_CLI_ENV } from "../cloud/pulumi-cli";
import { EXIT } from "./exit-codes";
import { runMain } from "./run-main";

export interface Check {
  name: string;
  ok: boolean;
  detail: string;
  /** What to do when not ok. */
  fix?: string;
}

export interface DoctorEnv {
  env: NodeJS.ProcessEnv;
  nodeVersion: string;
  isExecutable: (file: string) => boolean;
  exists: (file: string) => boolean;
  /** `<cli> version`, or undefined when it does not answer. */
  cliVersion: (cli: string) => string | undefined;
  fetchText: FetchText;
  lookupTimeoutMs: number;
}

const executable = (file: string): boolean => {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
};

export const realDoctorEnv: DoctorEnv = {
  env: process.env,
  nodeVersion: process.versions.node,
  isExecutable: executable,
  exists: existsSync,
  cliVersion: (cli) => {
    const r = spawnSync(cli, ["version"], { encoding: "utf8", timeout: 10_000 });
    return r.status === 0 ? r.stdout.trim() : undefined;
  },
  fetchText: fetchTextOverHttp,
  lookupTimeoutMs: 5_000,
};

/** package.json "engines": >=20 <21 || >=22. */
export function checkNode(version: string): Check {
  const major = Number(version.split(".")[0]);
  const ok = major === 20 || major >= 22;
  return { name: "Node.js", ok, detail: `v${version}`, ...(ok ? {} : { fix: "install Node 20 or 22+ (package.json engines); Node 21 is not supported by the Pulumi SDK kumolab pins" }) };
}

export function checkPulumiCli(d: DoctorEnv): Check {
  let where: string;
  try {
    where = locatePulumiCli(d.env, d.isExecutable);
  } catch (e) {
    return { name: "Pulumi CLI", ok: false, detail: (e as Error).message, fix: INSTALL_HELP };
  }
  if (where === "install") {
    return {
      name: "Pulumi CLI",
      ok: false,
      detail: `not found (${PULUMI_CLI_ENV}, PATH, ~/.pulumi/bin); a sweep would try to download it, which fails offline`,
      fix: `${INSTALL_HELP}. Offline: copy the pulumi-v3.*-linux-x64.tar.gz release from a machine that has it, unpack it (tar -xzf …) and set ${PULUMI_CLI_ENV}=<unpacked>/pulumi/pulumi`,
    };
  }
  const version = d.cliVersion(where);
  return version === undefined
    ? { name: "Pulumi CLI", ok: false, detail: `${where} does not answer 'version'`, fix: `check that ${where} is the Pulumi CLI for this machine, or ${INSTALL_HELP}` }
    : { name: "Pulumi CLI", ok: true, detail: `${version} at ${where}` };
}

export function checkPassphrase(url: string, d: DoctorEnv): Check {
  const name = "state backend";
  if (!isSelfManagedBackend(url)) {
    const token = d.env["PULUMI_ACCESS_TOKEN"] !== undefined;
    return { name, ok: true, detail: `${url}: Pulumi Cloud keeps the secrets${token ? "" : " (no PULUMI_ACCESS_TOKEN: 'pulumi login' must have been run)"}` };
  }
  const file = d.env["PULUMI_CONFIG_PASSPHRASE_FILE"];
  if (d.env["PULUMI_CONFIG_PASSPHRASE"] !== undefined) return { name, ok: true, detail: `${url}, passphrase from PULUMI_CONFIG_PASSPHRASE` };
  if (file !== undefined) {
    return d.exists(file)
      ? { name, ok: true, detail: `${url}, passphrase from PULUMI_CONFIG_PASSPHRASE_FILE` }
      : { name, ok: false, detail: `PULUMI_CONFIG_PASSPHRASE_FILE=${file} does not exist`, fix: "point PULUMI_CONFIG_PASSPHRASE_FILE at the file holding the passphrase, or set PULUMI_CONFIG_PASSPHRASE" };
  }
  return {
    name,
    ok: false,
    detail: `${url} encrypts the lab's SSH keys with a passphrase, and none is set`,
    fix: "export PULUMI_CONFIG_PASSPHRASE='…' (or PULUMI_CONFIG_PASSPHRASE_FILE=/path/to/file); keep it: the lab's state cannot be read without it",
  };
}

export function checkAws(d: DoctorEnv, region: string): Check {
  const e = d.env;
  const name = "AWS credentials";
  const home = e["HOME"] ?? os.homedir();
  if (e["AWS_ACCESS_KEY_ID"] && e["AWS_SECRET_ACCESS_KEY"]) return { name, ok: true, detail: `AWS_ACCESS_KEY_ID in the environment (region ${region} from lab-config; not verified: doctor calls no cloud)` };
  const files = [e["AWS_SHARED_CREDENTIALS_FILE"] ?? path.join(home, ".aws", "credentials"), e["AWS_CONFIG_FILE"] ?? path.join(home, ".aws", "config")];
  const found = files.find((f) => d.exists(f));
  if (found) return { name, ok: true, detail: `${e["AWS_PROFILE"] ? `profile ${e["AWS_PROFILE"]} in ` : ""}${found} (not verified: doctor calls no cloud)` };
  if (e["AWS_ACCESS_KEY_ID"]) return { name, ok: false, detail: "AWS_ACCESS_KEY_ID is set but AWS_SECRET_ACCESS_KEY is not", fix: "export AWS_SECRET_ACCESS_KEY too (and AWS_SESSION_TOKEN for temporary credentials)" };
  return { name, ok: false, detail: "none found (environment, ~/.aws/credentials, ~/.aws/config)", fix: "run 'aws configure' (or 'aws sso login --profile P' and export AWS_PROFILE=P), or export AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY" };
}

export function checkAzure(d: DoctorEnv): Check {
  const e = d.env;
  const name = "Azure credentials";
  const sp = ["ARM_CLIENT_ID", "ARM_TENANT_ID", "ARM_SUBSCRIPTION_ID"].filter((k) => !e[k]);
  const secret = e["ARM_CLIENT_SECRET"] || e["ARM_CLIENT_CERTIFICATE_PATH"] || e["ARM_USE_MSI"] === "true" || e["ARM_USE_OIDC"] === "true";
  if (e["ARM_CLIENT_ID"] && sp.length === 0 && secret) return { name, ok: true, detail: "service principal from ARM_* in the environment (not verified: doctor calls no cloud)" };
  const profile = path.join(e["AZURE_CONFIG_DIR"] ?? path.join(e["HOME"] ?? os.homedir(), ".azure"), "azureProfile.json");
  if (d.exists(profile)) return { name, ok: true, detail: `Azure CLI login (${profile}; not verified: doctor calls no cloud)` };
  if (e["ARM_CLIENT_ID"]) return { name, ok: false, detail: `ARM_CLIENT_ID is set but ${[...sp, ...(secret ? [] : ["ARM_CLIENT_SECRET"])].join(", ")} ${sp.length + (secret ? 0 : 1) > 1 ? "are" : "is"} not`, fix: "export the missing ARM_* variables, or use 'az login'" };
  return { name, ok: false, detail: "none found (ARM_* environment, Azure CLI login)", fix: "run 'az login' and 'az account set --subscription <id>', or export ARM_CLIENT_ID, ARM_CLIENT_SECRET, ARM_TENANT_ID and ARM_SUBSCRIPTION_ID" };
}

export async function checkOperatorAddress(cfg: LabConfig, d: DoctorEnv): Promise<Check> {
  const name = "operator address";
  if (cfg.operatorCidr !== "auto") return { name, ok: true, detail: `operatorCidr ${cfg.operatorCidr} (set in the config: no lookup)` };
  try {
    const cidr = operatorCidrFromLookup(await d.fetchText(cfg.operatorIpLookupUrl, d.lookupTimeoutMs), cfg.operatorIpLookupUrl);
    return { name, ok: true, detail: `operatorCidr auto: ${cfg.operatorIpLookupUrl} says ${cidr}` };
  } catch (e) {
    const cause = e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e);
    return {
      name,
      ok: false,
      detail: `operatorCidr auto: looking up your address at ${cfg.operatorIpLookupUrl} failed (${cause})`,
      fix: "check the connection to that URL, or set your address once: operatorCidr: 203.0.113.7/32 in lab-config/lab.yaml (or 'pulumi config set kumolab:operatorCidr 203.0.113.7/32')",
    };
  }
}

export function formatCheck(c: Check): string {
  return `${c.ok ? "✓" : "✗"} ${c.name}: ${c.detail}${c.ok || !c.fix ? "" : `\n    fix: ${c.fix}`}`;
}

export async function doctorMain(argv: string[], d: DoctorEnv = realDoctorEnv): Promise<number> {
  const program = new Command("doctor")
    .description("Check this machine for a sweep (Node, lab config, Pulumi CLI, passphrase, AWS and Azure credentials, operator address); creates nothing")
    .option("--stack <name>", "the stack whose config overrides to check", d.env["KUMOLAB_STACK"] ?? "dev")
    .option("--backend <url>", "Pulumi state backend (default: PULUMI_BACKEND_URL or the project's .pulumi-state folder)")
    .option("--lab-config <file>", "the lab config defaults file", DEFAULTS_FILE)
    .exitOverride();
  program.parse(argv, { from: "user" });
  const opts = program.opts<{ stack: string; backend?: string; labConfig: string }>();
  const checks: Check[] = [checkNode(d.nodeVersion)];
  let cfg: LabConfig | undefined;
  try {
    cfg = loadLabConfig({ stack: opts.stack, defaultsFile: opts.labConfig }).config;
    checks.push({ name: "lab config", ok: true, detail: `${opts.labConfig} + stack ${opts.stack}'s overrides: valid` });
  } catch (e) {
    checks.push({ name: "lab config", ok: false, detail: (e as Error).message.split("\n").join("\n    ") });
  }
  checks.push(checkPulumiCli(d), checkPassphrase(backendUrl(opts.backend, d.env), d), checkAws(d, cfg?.aws.region ?? "?"), checkAzure(d));
  if (cfg) checks.push(await checkOperatorAddress(cfg, d));
  process.stdout.write(`${checks.map(formatCheck).join("\n")}\n`);
  const problems = checks.filter((c) => !c.ok).length;
  process.stdout.write(problems === 0 ? "Ready: nothing to fix. Next: npm run plan, then npm run smoke.\n" : `${problems} thing${problems > 1 ? "s" : ""} to fix (nothing was created).\n`);
  if (!cfg) return EXIT.CONFIG;
  return problems === 0 ? EXIT.OK : EXIT.FAILED;
}

if (require.main === module) runMain((argv) => doctorMain(argv));
