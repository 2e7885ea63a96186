/**
 * A Pulumi workspace of its own for each lab of a parallel sweep.
 *
 * `createOrSelectStack` runs `pulumi stack select`/`stack init`, which rewrites the workspace's
 * `workspace.json` (the "current stack", kept under PULUMI_HOME/workspaces/ per project file):
 * two at once in one workspace race and can leave it corrupt (pulumi/pulumi#8186). So each parallel
 * lab gets its own project file, `.pulumi-workspaces/<stack>/Pulumi.yaml`: the same project and
 * program (`main` points back at infra/) and the same stack config folder (`stackConfigDir` points
 * back at the project, so `Pulumi.<stack>.yaml` stays where `npx pulumi config --stack …` finds it).
 * Every other command the Automation API runs names its stack (`--stack`), so nothing else is shared
 * but the state backend, which locks per stack.
 */
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { PROJECT_DIR, readStackOverrides } from "../../lab-config/load";
import { writeTextAtomic } from "../results/durable-file";

/** Where the labs' own workspaces live (ignored by git; safe to delete between runs). */
export const LAB_WORKSPACES_DIR = ".pulumi-workspaces";

/**
 * The project file of a lab's own workspace `workDir`: the project's `Pulumi.yaml` with `main` and
 * `stackConfigDir` made relative to `workDir` (Pulumi joins both to the project file's folder).
 */
export function labProjectFile(projectYaml: string, projectDir: string, workDir: string): string {
  const doc = YAML.parse(projectYaml) as Record<string, unknown>;
  const main = typeof doc["main"] === "string" ? doc["main"] : ".";
  const configDir = typeof doc["stackConfigDir"] === "string" ? doc["stackConfigDir"] : ".";
  const rel = (p: string): string => `${path.relative(workDir, path.resolve(projectDir, p)) || "."}/`;
  return YAML.stringify({ ...doc, main: rel(main), stackConfigDir: rel(configDir).replace(/\/$/, "") });
}

/** Creates (or refreshes) the lab's workspace folder for `stack` and returns it. */
export function ensureLabWorkspace(stack: string, projectDir = PROJECT_DIR): string {
  const workDir = path.join(projectDir, LAB_WORKSPACES_DIR, stack);
  mkdirSync(workDir, { recursive: true });
  const file = path.join(workDir, "Pulumi.yaml");
  const text = labProjectFile(readFileSync(path.join(projectDir, "Pulumi.yaml"), "utf8"), projectDir, workDir);
  if (!existsSync(file) || readFileSync(file, "utf8") !== text) writeTextAtomic(file, text);
  return workDir;
}

/** Environment for the program of a lab workspace: its cwd holds no tsconfig.json, so name the project's. */
export function labWorkspaceEnv(projectDir = PROJECT_DIR): Record<string, string> {
  return { PULUMI_NODEJS_TSCONFIG_PATH: path.join(projectDir, "tsconfig.json") };
}

/**
 * The base stack's settings carried into a lab stack's `config:` (the program of `dev-lab2` must
 * build what `dev`'s overrides say): every plain value of the base, over the lab's own. Encrypted
 * (`secure:`) values cannot move between stacks (each has its own key) and are returned in `skipped`.
 */
export function labStackConfig(base: Record<string, unknown>, lab: Record<string, unknown>): { config: Record<string, unknown>; skipped: string[] } {
  const skipped: string[] = [];
  const carried: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(base)) {
    if (v !== null && typeof v === "object" && !Array.isArray(v) && "secure" in v) skipped.push(k);
    else carried[k] = v;
  }
  return { config: { ...lab, ...carried }, skipped };
}

/**
 * Writes the base stack's plain settings into `Pulumi.<labStack>.yaml` (after `stack init` wrote
 * its encryption salt there, which is kept). Returns the keys that could not be carried.
 */
export function carryStackConfig(baseStack: string, labStack: string, projectDir = PROJECT_DIR): string[] {
  const base = readStackOverrides(baseStack, projectDir);
  const file = path.join(projectDir, `Pulumi.${labStack}.yaml`);
  const doc = existsSync(file) ? ((YAML.parse(readFileSync(file, "utf8")) as Record<string, unknown> | null) ?? {}) : {};
  const own = doc["config"];
  const { config, skipped } = labStackConfig(base, own !== null && typeof own === "object" && !Array.isArray(own) ? (own as Record<string, unknown>) : {});
  if (Object.keys(config).length > 0) writeTextAtomic(file, YAML.stringify({ ...doc, config }));
  return skipped;
}
