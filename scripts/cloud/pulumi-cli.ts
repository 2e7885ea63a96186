/**
 * Finds the real Pulumi CLI binary for the Automation API. The `pulumi` npm package installs a
 * Node wrapper in node_modules/.bin that downloads the CLI on first use; the Automation API must
 * talk to the real binary, not the wrapper (a signal sent to the wrapper would not reach the CLI).
 */
import { accessSync, constants, readFileSync } from "node:fs";
import path from "node:path";
import { PulumiCommand } from "@pulumi/pulumi/automation";
import { z } from "zod";

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

const resolverModule = z.object({ resolve: z.function() });

/** The CLI binary fetched (once, cached) by Pulumi's official `pulumi` npm package. */
async function pulumiFromNpmPackage(): Promise<string> {
  const mod = resolverModule.parse(require("pulumi/lib/resolve"));
  const bin = z.string().parse(await (mod.resolve as () => Promise<unknown>)());
  return bin;
}

/** A PulumiCommand for the Automation API: the CLI on PATH, else the one the npm package provides. */
export async function pulumiCommand(): Promise<PulumiCommand> {
  const bin = pulumiOnPath() ?? (await pulumiFromNpmPackage());
  // PulumiCommand expects an installation root holding bin/pulumi.
  return PulumiCommand.get({ root: path.dirname(path.dirname(bin)) });
}
