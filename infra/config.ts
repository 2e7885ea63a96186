/**
 * The lab config of this stack: lab-config/lab.yaml overridden by the stack's `kumolab:<key>`
 * settings, validated by the one schema. Throws LabConfigError (naming key path, value and what is
 * allowed) before any resource exists.
 */
import * as pulumi from "@pulumi/pulumi";
import { DEFAULTS_FILE, PROJECT_DIR, readYamlFile } from "../lab-config/load";
import { resolveLabConfig, type ResolvedLabConfig } from "../lab-config/resolve";
import path from "node:path";

/**
 * `rawConfig` is what Pulumi hands the program: `{"kumolab:sender.size": "c4-r16", "kumolab:traffic": "{\"concurrency\":5000}", "aws:region": …}`
 * (structured values as JSON text; other namespaces are ignored).
 */
export function resolveStackConfig(rawConfig: Record<string, string>, stack: string, defaultsFile = DEFAULTS_FILE): ResolvedLabConfig {
  return resolveLabConfig(readYamlFile(defaultsFile), rawConfig, path.relative(PROJECT_DIR, defaultsFile) || defaultsFile, `stack ${stack}`);
}

/** The running program's config (only callable inside `pulumi up`/`preview` or under mocks). */
export function readStackConfig(): ResolvedLabConfig {
  return resolveStackConfig(pulumi.runtime.allConfig(), pulumi.getStack());
}
