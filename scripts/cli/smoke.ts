/**
 * `npm run smoke`: the real thing end to end at the smallest size — build the lab, provision it
 * (which proves port 25 closed from the sender), one trial of a few thousand messages, report,
 * destroy — with its time and cost in the plan before it asks. Run it after upgrading KumoMTA, the
 * providers or kumolab: if it passes, a sweep will not stumble on the first `pulumi up`.
 *
 *   npm run smoke [-- --stack smoke] [--yes] [--keep] [--lab-config FILE] [--no-policy-pack]
 *
 * It is the sweep (scripts/cli/sweep.ts) with a smoke-sized plan: the smallest sender size by
 * vCPUs, one trial of the published workload, SMOKE_MESSAGES messages, no cool-down.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import { z } from "zod";
import { DEFAULTS_FILE, PROJECT_DIR, readYamlFile } from "../../lab-config/load";
import { resolveLabConfig } from "../../lab-config/resolve";
import { PUBLISHED_WORKLOAD } from "../../lab-config/workloads";
import { runMain } from "./run-main";
import { sweepMain, type SweepCliHooks } from "./sweep";

/** Enough messages to load every path of the sender (queues, connections, TLS) for a few seconds, few enough to cost cents. */
export const SMOKE_MESSAGES = 3000;
export const SMOKE_STACK = "smoke";

const configFile = z.looseObject({
  traffic: z.looseObject({}).optional(),
  trials: z.looseObject({}).optional(),
  sender: z.looseObject({ sizes: z.array(z.looseObject({ id: z.string(), vcpu: z.number() })) }),
});

/** The lab config a smoke run uses: the given one with SMOKE_MESSAGES messages and one trial. */
export function smokeLabConfig(defaults: unknown, source: string): Record<string, unknown> {
  const parsed = configFile.safeParse(defaults);
  if (!parsed.success) throw new Error(`${source}: not a lab config with sender.sizes (${parsed.error.issues[0]?.message ?? "?"}); pass --lab-config with a lab.yaml`);
  const d = parsed.data;
  return { ...d, traffic: { ...(d.traffic ?? {}), messageCount: SMOKE_MESSAGES }, trials: { ...(d.trials ?? {}), count: 1, coolDownSeconds: 0 } };
}

/** The smallest configured sender size (fewest vCPUs; the first listed among equals). */
export function smallestSizeId(cfg: Record<string, unknown>, source: string): string {
  const sizes = configFile.parse(cfg).sender.sizes;
  const smallest = [...sizes].sort((a, b) => a.vcpu - b.vcpu)[0];
  if (!smallest) throw new Error(`${source}: sender.sizes is empty; a smoke run needs one size`);
  return smallest.id;
}

/** Splits off `--lab-config FILE` (the smoke rewrites it); the rest goes to the sweep as given. */
function takeLabConfig(argv: string[]): { file: string; rest: string[] } {
  const rest: string[] = [];
  let file = DEFAULTS_FILE;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i] ?? "";
    if (a === "--lab-config") {
      const v = argv[i + 1];
      if (v === undefined) throw new Error("--lab-config needs a file");
      file = path.resolve(v);
      i++;
    } else if (a.startsWith("--lab-config=")) file = path.resolve(a.slice("--lab-config=".length));
    else rest.push(a);
  }
  return { file, rest };
}

export async function smokeMain(argv: string[], hooks: SweepCliHooks = {}): Promise<number> {
  if (argv.some((a) => a === "--sizes" || a === "--trials" || a === "--workloads" || a === "--resume" || a.startsWith("--sizes=") || a.startsWith("--trials="))) {
    process.stderr.write("smoke: the plan is fixed (smallest size, one trial, the published workload); use 'npm run sweep' to choose sizes, trials or workloads\n");
    return 2;
  }
  let file: string;
  let rest: string[];
  let smokeConfig: Record<string, unknown>;
  let sizeId: string;
  try {
    ({ file, rest } = takeLabConfig(argv));
    smokeConfig = smokeLabConfig(readYamlFile(file), file);
    sizeId = smallestSizeId(smokeConfig, file);
    // Validate it as the sweep will, so a bad file fails here with the same message.
    resolveLabConfig(smokeConfig, {}, file, "smoke");
  } catch (e) {
    process.stderr.write(`smoke: ${(e as Error).message}\n`);
    return 2;
  }
  const dir = mkdtempSync(path.join(os.tmpdir(), "kumolab-smoke-"));
  const smokeFile = path.join(dir, "lab.yaml");
  writeFileSync(smokeFile, YAML.stringify(smokeConfig));
  const hasStack = rest.some((a) => a === "--stack" || a.startsWith("--stack="));
  const hasResults = rest.some((a) => a === "--results" || a.startsWith("--results="));
  const runId = new Date().toISOString().replace(/[-:]/g, "").replace(/\.\d+Z$/, "Z").replace("T", "-");
  process.stdout.write(`smoke: ${SMOKE_MESSAGES} messages, one trial at ${sizeId}, then the lab is destroyed${rest.includes("--keep") ? " (kept: --keep)" : ""}\n`);
  return sweepMain(
    [
      ...(hasStack ? [] : ["--stack", SMOKE_STACK]),
      ...(hasResults ? [] : ["--results", path.join(PROJECT_DIR, "results", `smoke-${runId}`)]),
      ...rest,
      "--lab-config",
      smokeFile,
      "--sizes",
      sizeId,
      "--trials",
      "1",
      "--workloads",
      PUBLISHED_WORKLOAD,
      "--fail-fast",
    ],
    hooks,
  );
}

if (require.main === module) runMain(smokeMain);
