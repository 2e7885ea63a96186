/** The run manifest, `<results dir>/run.json`: what the sweep set out to do, with the prices used for its cost. */
import { z } from "zod";

export const RUN_MANIFEST_SCHEMA_VERSION = 1;

export const manifestSizeSchema = z
  .object({
    id: z.string().min(1),
    /** Instance type, e.g. c5.2xlarge (or the inventory host's description). */
    label: z.string().min(1),
    vcpu: z.number().int().positive(),
    ramGiB: z.number().positive(),
    arch: z.enum(["x86_64", "arm64"]).optional(),
    hourlyUsd: z.number().nonnegative().optional(),
  })
  .strict();
export type ManifestSize = z.infer<typeof manifestSizeSchema>;

/** traffic-gen's parameters of a run (the config's `traffic:`, or a workload's in force). */
export const trafficSchema = z
  .object({
    concurrency: z.number().int().positive(),
    messageCount: z.number().int().positive(),
    bodySizeBytes: z.number().int().positive(),
    durationCapSeconds: z.number().int().positive(),
    extraArgs: z.array(z.string()),
  })
  .strict();

export const runManifestSchema = z
  .object({
    schemaVersion: z.literal(RUN_MANIFEST_SCHEMA_VERSION),
    runId: z.string().min(1),
    createdAt: z.iso.datetime({ offset: true }),
    source: z.enum(["stack", "inventory"]),
    labId: z.string().min(1),
    sizes: z.array(manifestSizeSchema).min(1),
    sink: z
      .object({ label: z.string().min(1), vcpu: z.number().int().positive().optional(), ramGiB: z.number().positive().optional(), hourlyUsd: z.number().nonnegative().optional() })
      .strict(),
    /** The lab's generator host (lab-config/generator.ts), billed over the lab's window like the sink; absent = none. */
    generator: z.object({ label: z.string().min(1), hourlyUsd: z.number().nonnegative().optional() }).strict().optional(),
    trialsPerSize: z.number().int().positive(),
    /** Hosts asked for on spot capacity (--spot / kumolab:spot.*); absent = on demand. A reclaimed host went on demand for the rest of the run. */
    spot: z.object({ sender: z.boolean(), sink: z.boolean() }).strict().optional(),
    /** The lab profile the sweep ran under (lab-config/profiles.ts), e.g. `kumomta-2025`; absent in runs from before profiles. */
    profile: z.string().min(1).optional(),
    /** Workloads run at each size, in order (lab-config/workloads.ts); absent = published only; `baseline` for the report's differences. */
    workloads: z.object({ names: z.array(z.string().min(1)).min(1), baseline: z.string().min(1) }).strict().optional(),
    coolDownSeconds: z.number().int().nonnegative(),
    /** Steady-state trials of this many seconds (trials.durationSeconds / --duration); absent = message-count trials. A resume keeps it. */
    trialDurationSeconds: z.number().int().positive().optional(),
    traffic: trafficSchema,
    /**
     * Every setting a resume needs, as the sweep resolved it when it started: `--resume` runs the
     * remaining trials with these (never with today's lab.yaml) and refuses a config that differs
     * unless told to go on (scripts/sweep/run-settings.ts). Absent in runs from before it existed.
     */
    settings: z
      .object({
        traffic: z.record(z.string(), z.unknown()),
        kumomta: z.record(z.string(), z.unknown()),
        workloads: z.record(z.string(), z.unknown()),
        sinkSmtpPort: z.number().int().positive(),
      })
      .strict()
      .optional(),
    /** Each workload's traffic-gen parameters in force (its own over `traffic:`), by workload name. */
    workloadTraffic: z.record(z.string(), trafficSchema).optional(),
    /**
     * The labs of the run and the sizes each measures (scripts/sweep/lab-slots.ts): one with
     * `--parallel 1`, up to N with `--parallel N`, each with its own stack (absent on an inventory).
     * `--resume` sends each size back to its lab; `npm run down -- --run` destroys every stack here.
     * Absent in runs from before parallel labs (one lab).
     */
    labs: z
      .array(z.object({ lab: z.string().min(1), stack: z.string().min(1).optional(), sizes: z.array(z.string().min(1)) }).strict())
      .min(1)
      .optional(),
    /** Resumes that went on although today's config differed (`--accept-config-change`): when, and the differences. */
    resumes: z.array(z.object({ at: z.iso.datetime({ offset: true }), acceptedDifferences: z.array(z.string()) }).strict()).optional(),
  })
  .strict()
  .superRefine((m, ctx) => {
    const ids = m.sizes.map((s) => s.id);
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) ctx.addIssue({ code: "custom", path: ["sizes", i, "id"], message: `duplicate size id '${id}'` });
    });
  });
export type RunManifest = z.infer<typeof runManifestSchema>;
