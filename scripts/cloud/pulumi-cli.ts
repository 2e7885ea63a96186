/**
 * Finds the real Pulumi CLI binary for the Automation API. The `pulumi` npm package installs a
 * Node wrapper in node_modules/.bin that downloads the CLI on first use; the Automation API must
 * talk to the real binary, not the wrapper (a signal sent to the wrapper would not reach the CLI).
 * Only public API: no import of the npm package's internals; a missing CLI is downloaded with the
 * Automation API's own `PulumiCommand.install`, and offline the user is told how to install it.
 */
import { accessSync, constants, readFileSync } from "node:fs";
import path from "node:path";
// Loaded when needed: the Automation API takes seconds to import, and `npm run doctor` / `plan` only look.
import type { PulumiCommand } from "@pulumi/pulumi/automation";

function isNodeWrapper(file: string): boolean {
  try {
    return readFileSync(file, { encoding: "utf8", flag: "r" }).slice(0, 64).includes("node");
  } catch {
    return false; // unreadable: not a script we can recognise; treat as a binary candidate
  }
}

/** A `pulumi` binary on PATH that is not the npm wrapper, if any. */
export function pulumiOnPath(env: NodeJS.ProcessEnv = process.env): string | undefined {
  for (const dir of (env["PATH"] ?? "").split(path.delimiter)) {
    if (!dir) continue;
    const candidate = path.join(dir, "pulumi");
    try {
      accessSync(candidate, constants.X_OK);
    } catch {
      continue;
    }
    if (!isNodeWrapper(candidate)) return candidate;
  }
  return undefined;
}

/** Points kumolab at a Pulumi CLI binary (`/opt/pulumi/bin/pulumi`), ahead of PATH. */
export const PULUMI_CLI_ENV = "KUMOLAB_PULUMI_CLI";
/** How long a first-time download of the CLI may take. */
export const PULUMI_INSTALL_TIMEOUT_MS = 300_000;

export const INSTALL_HELP =
  `install the Pulumi CLI (https://www.pulumi.com/docs/iac/download-install/: 'curl -fsSL https://get.pulumi.com | sh', or a package manager), ` +
  `then put it on PATH or point kumolab at it: ${PULUMI_CLI_ENV}=/path/to/bin/pulumi`;

/** Where the CLI is, in order: ${PULUMI_CLI_ENV}, PATH (not the npm wrapper), ~/.pulumi/bin (get.pulumi.com's place); or "install". */
export function locatePulumiCli(env: NodeJS.ProcessEnv = process.env, isExecutable: (file: string) => boolean = executable): string | "install" {
  const explicit = env[PULUMI_CLI_ENV];
  if (explicit !== undefined && explicit !== "") {
    if (!isExecutable(explicit)) throw new Error(`${PULUMI_CLI_ENV}=${explicit} is not an executable file; ${INSTALL_HELP}`);
    return explicit;
  }
  const onPath = pulumiOnPath(env);
  if (onPath !== undefined) return onPath;
  const home = env["HOME"];
  if (home) {
    const got = path.join(home, ".pulumi", "bin", "pulumi");
    if (isExecutable(got)) return got;
  }
  return "install";
}

function executable(file: string): boolean {
  try {
    accessSync(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

export interface PulumiCliDeps {
  env: NodeJS.ProcessEnv;
  isExecutable: (file: string) => boolean;
  /** PulumiCommand.get for an installation root (root/bin/pulumi). */
  atRoot: (root: string) => Promise<PulumiCommand>;
  /** PulumiCommand.install: downloads the CLI matching the SDK into ~/.pulumi/versions/<version> (Automation API, public). */
  install: () => Promise<PulumiCommand>;
  installTimeoutMs: number;
}

const realDeps: PulumiCliDeps = {
  env: process.env,
  isExecutable: executable,
  atRoot: async (root) => (await import("@pulumi/pulumi/automation")).PulumiCommand.get({ root }),
  install: async () => (await import("@pulumi/pulumi/automation")).PulumiCommand.install(),
  installTimeoutMs: PULUMI_INSTALL_TIMEOUT_MS,
};

/** A PulumiCommand for the Automation API: a CLI found on this machine, else one downloaded once; offline, a message that says what to do. */
export async function pulumiCommand(deps: PulumiCliDeps = realDeps): Promise<PulumiCommand> {
  const where = locatePulumiCli(deps.env, deps.isExecutable);
  // PulumiCommand expects an installation root holding bin/pulumi.
  if (where !== "install") return deps.atRoot(path.dirname(path.dirname(where)));
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      deps.install(),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${deps.installTimeoutMs / 1000} s`)), deps.installTimeoutMs);
      }),
    ]);
  } catch (e) {
    const cause = e instanceof Error ? e.message : String(e);
    throw new Error(`no Pulumi CLI on this machine (${PULUMI_CLI_ENV}, PATH, ~/.pulumi/bin) and downloading it failed (${cause}); ${INSTALL_HELP}`);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
