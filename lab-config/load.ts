/**
 * Reads the lab config from disk for the scripts: the defaults file and a stack's overrides from
 * `Pulumi.<stack>.yaml` (the same values `pulumi config set kumolab:<key>` writes).
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { LabConfigError, resolveLabConfig, type ResolvedLabConfig } from "./resolve";

/** The project root (where Pulumi.yaml is). */
export const PROJECT_DIR = path.resolve(__dirname, "..");
export const DEFAULTS_FILE = path.join(PROJECT_DIR, "lab-config", "lab.yaml");

export function readYamlFile(file: string): unknown {
  let text: string;
  try {
    text = readFileSync(file, "utf8");
  } catch (e) {
    throw new Error(`cannot read ${file}: ${(e as Error).message}`);
  }
  const doc = YAML.parseDocument(text);
  if (doc.errors.length > 0) {
    throw new LabConfigError(doc.errors.map((err) => `${file}: ${err.message}`), file);
  }
  return doc.toJS() as unknown;
}

/** `config:` of `Pulumi.<stack>.yaml`, or {} when the stack has no file yet. */
export function readStackOverrides(stack: string, projectDir = PROJECT_DIR): Record<string, unknown> {
  const file = path.join(projectDir, `Pulumi.${stack}.yaml`);
  if (!existsSync(file)) return {};
  const doc = readYamlFile(file);
  if (doc === null || doc === undefined) return {};
  if (typeof doc !== "object" || Array.isArray(doc)) throw new LabConfigError([`${file} must be a mapping`], file);
  const config = (doc as Record<string, unknown>)["config"];
  if (config === undefined || config === null) return {};
  if (typeof config !== "object" || Array.isArray(config)) throw new LabConfigError([`${file}: config must be a mapping`], file);
  return config as Record<string, unknown>;
}

/** The resolved config for `stack` (defaults + that stack's overrides). */
export function loadLabConfig(opts: { stack?: string; defaultsFile?: string; projectDir?: string } = {}): ResolvedLabConfig {
  const defaultsFile = opts.defaultsFile ?? DEFAULTS_FILE;
  const overrides = opts.stack ? readStackOverrides(opts.stack, opts.projectDir) : {};
  return resolveLabConfig(readYamlFile(defaultsFile), overrides, path.relative(process.cwd(), defaultsFile) || defaultsFile, opts.stack ? `stack ${opts.stack}` : "no stack");
}
