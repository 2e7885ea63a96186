/**
 * Resolves the lab config: the defaults file, then per-stack overrides (`kumolab:<key>`),
 * validated by the one schema. Records where every value came from, for `npm run lab -- config`.
 * Pure: callers bring the parsed defaults and the overrides (see ./load.ts and infra/config.ts).
 */
import { z } from "zod";
import { DEFAULT_PROFILE, PROFILE_KEY, profileByName } from "./profiles";
import { labConfigSchema, type LabConfig } from "./schema";

export const CONFIG_NAMESPACE = "kumolab";

/** Where a resolved value came from. */
export type ValueSource = { kind: "default"; file: string } | { kind: "profile"; profile: string } | { kind: "override"; origin: string; key: string };

export interface ResolvedLabConfig {
  config: LabConfig;
  /** Dotted key path (e.g. `traffic.concurrency`) → where its value came from. */
  sources: Record<string, ValueSource>;
}

/** A config that failed validation; `issues` are one line each, naming the key path, the value and what is allowed. */
export class LabConfigError extends Error {
  constructor(
    readonly issues: string[],
    readonly where: string,
  ) {
    super(`invalid lab config (${where}):\n${issues.map((i) => `  - ${i}`).join("\n")}\nFix the value in lab-config/lab.yaml or with 'pulumi config set kumolab:<key> <value>'; nothing was created.`);
    this.name = "LabConfigError";
  }
}

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
type JsonObject = { [k: string]: Json };

function isObject(v: unknown): v is JsonObject {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

/**
 * Pulumi hands config values to programs as strings (structured values as JSON text), while a
 * stack file may hold them typed. Normalise both: JSON text becomes its value, other text stays text.
 */
export function parseOverrideValue(v: unknown): unknown {
  if (typeof v !== "string") return v;
  const t = v.trim();
  if (t === "") return v;
  try {
    return JSON.parse(t) as unknown;
  } catch {
    return v; // plain text such as a region name: not JSON, kept as given
  }
}

function setPath(target: JsonObject, path: string[], value: unknown): void {
  let node: JsonObject = target;
  for (const [i, part] of path.entries()) {
    if (i === path.length - 1) {
      node[part] = value as Json;
      return;
    }
    const next = node[part];
    if (!isObject(next)) node[part] = {};
    node = node[part] as JsonObject;
  }
}

function leafPaths(value: unknown, prefix: string[] = []): string[][] {
  if (isObject(value)) {
    const keys = Object.keys(value);
    if (keys.length === 0) return [prefix];
    return keys.flatMap((k) => leafPaths(value[k], [...prefix, k]));
  }
  return [prefix];
}

function describeValue(root: unknown, path: PropertyKey[]): string {
  let v: unknown = root;
  for (const p of path) {
    if (v === null || typeof v !== "object") return "(missing)";
    v = (v as Record<PropertyKey, unknown>)[p];
  }
  return v === undefined ? "(missing)" : JSON.stringify(v);
}

/** One line per zod issue: key path, value, what is allowed. */
export function formatConfigIssues(error: z.ZodError, input: unknown): string[] {
  return error.issues.flatMap((issue) => {
    if (issue.code === "unrecognized_keys") {
      return issue.keys.map((k) => {
        const path = [...issue.path, k].join(".");
        return `${path}: unknown key (value ${describeValue(input, [...issue.path, k])}); check its spelling against lab-config/lab.yaml`;
      });
    }
    const path = issue.path.length > 0 ? issue.path.join(".") : "(root)";
    return [`${path} = ${describeValue(input, issue.path)}: ${issue.message}`];
  });
}

/**
 * Merge `overrides` (keys with or without the `kumolab:` prefix; dotted keys address nested values)
 * over `defaults` and validate. The profile (`profile:`, from the overrides or else the defaults;
 * lab-config/profiles.ts) is a layer in between: its values replace the defaults', an override replaces both.
 * @param defaultsFile shown as the source of default values
 * @param overrideOrigin shown as the source of overrides, e.g. `stack dev`
 */
export function resolveLabConfig(
  defaults: unknown,
  overrides: Record<string, unknown>,
  defaultsFile: string,
  overrideOrigin: string,
): ResolvedLabConfig {
  if (!isObject(defaults)) throw new LabConfigError([`(root): ${defaultsFile} must hold a mapping of keys`], defaultsFile);
  const merged = structuredClone(defaults);
  const sources: Record<string, ValueSource> = {};
  for (const path of leafPaths(defaults)) sources[path.join(".")] = { kind: "default", file: defaultsFile };

  const profileName = profileNameOf(defaults, overrides);
  let profileLayer: Record<string, unknown>;
  try {
    profileLayer = profileByName(profileName).layer;
  } catch (e) {
    throw new LabConfigError([`${PROFILE_KEY} = ${JSON.stringify(profileName)}: ${(e as Error).message}`], `${defaultsFile} + ${overrideOrigin}`);
  }
  for (const leaf of leafPaths(profileLayer)) {
    if (leaf.length === 0) continue; // an empty layer (minimal) sets nothing
    const leafValue = leaf.reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), profileLayer);
    setPath(merged, leaf, structuredClone(leafValue));
    const key = leaf.join(".");
    for (const p of Object.keys(sources)) if (p === key || p.startsWith(`${key}.`)) delete sources[p];
    sources[key] = { kind: "profile", profile: profileName };
  }

  const badKeys: string[] = [];
  for (const [rawKey, rawValue] of Object.entries(overrides)) {
    const [ns, key] = rawKey.includes(":") ? (rawKey.split(/:(.*)/s) as [string, string]) : [CONFIG_NAMESPACE, rawKey];
    if (ns !== CONFIG_NAMESPACE) continue; // other namespaces (aws:region, …) belong to the providers
    const path = key.split(".").filter((p) => p.length > 0);
    if (path.length === 0) {
      badKeys.push(`${rawKey}: empty key`);
      continue;
    }
    const value = parseOverrideValue(rawValue);
    // `pulumi config set --secret` stores `{ secure: <ciphertext> }` in Pulumi.<stack>.yaml. Nothing in the
    // lab config is secret (keys are generated, passphrases come from the environment): say so plainly.
    if (isObject(value) && Object.keys(value).length === 1 && typeof value["secure"] === "string") {
      badKeys.push(`${rawKey}: is a secret (pulumi config set --secret), which the lab config does not take — nothing in it is secret; set it in plain text: pulumi config set ${rawKey} <value>`);
      continue;
    }
    // `pulumi config set --path kumolab:traffic.concurrency 5000` arrives as `kumolab:traffic` = {"concurrency":5000}:
    // a mapping merges into the mapping it overrides (arrays and scalars replace).
    for (const leaf of leafPaths(value, path)) {
      const leafValue = leaf.slice(path.length).reduce<unknown>((v, k) => (isObject(v) ? v[k] : undefined), value);
      setPath(merged, leaf, leafValue);
      // Whatever the override replaced now comes from it.
      const key = leaf.join(".");
      for (const p of Object.keys(sources)) if (p === key || p.startsWith(`${key}.`)) delete sources[p];
      sources[key] = { kind: "override", origin: overrideOrigin, key: rawKey };
    }
  }
  if (badKeys.length > 0) throw new LabConfigError(badKeys, overrideOrigin);

  const parsed = labConfigSchema.safeParse(merged);
  if (!parsed.success) throw new LabConfigError(formatConfigIssues(parsed.error, merged), `${defaultsFile} + ${overrideOrigin}`);
  return { config: parsed.data, sources };
}

/** The profile in force: a stack's `kumolab:profile` over the defaults' `profile:`, else `minimal`. */
function profileNameOf(defaults: JsonObject, overrides: Record<string, unknown>): string {
  for (const [rawKey, rawValue] of Object.entries(overrides)) {
    const [ns, key] = rawKey.includes(":") ? (rawKey.split(/:(.*)/s) as [string, string]) : [CONFIG_NAMESPACE, rawKey];
    if (ns === CONFIG_NAMESPACE && key === PROFILE_KEY) return String(parseOverrideValue(rawValue));
  }
  const own = defaults[PROFILE_KEY];
  return own === undefined || own === null ? DEFAULT_PROFILE : String(own);
}
