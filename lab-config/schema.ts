/**
 * The lab's definition: one zod schema used by every part of kumolab
 * (the Pulumi program, the provisioning and trial scripts, the sweep and the report).
 *
 * Defaults live in `lab-config/lab.yaml`; any key can be overridden per stack with
 * `pulumi config set kumolab:<key> …` (see ./resolve.ts). Unknown keys are rejected
 * everywhere (`.strict()`), so a typo never silently falls back to a default.
 */
import { z } from "zod";
import { AZURE_VM_SIZES, MIN_SINK_VCPU } from "./azure-sizes";
import { DEFAULT_GENERATOR, generatorSchema } from "./generator";
import { parseOperatorCidr, wideOperatorCidrProblem } from "./cidr";
import { packageVersionProblem } from "./kumomta-package";
import { bodySizeSchema, concurrencySchema, egressTlsSchema, messageCountSchema, positiveInt } from "./schema-parts";
import { DEFAULT_WORKLOADS, workloadsSchema } from "./workloads";
import { DEFAULT_PROFILE, PROFILE_NAMES, spoolVolumeSchema, unknownProfileMessage } from "./profiles";

// Moved to ./schema-parts.ts so that ./workloads.ts can use them without an import cycle.
export { bodySizeSchema, egressTlsSchema, parseBodySize, positiveInt, type EgressTls } from "./schema-parts";

/** A plain Unix user/group name: safe to interpolate into a remote command. */
export const UNIX_NAME = /^[a-z_][a-z0-9_-]*$/;
export const unixNameSchema = z.string().regex(UNIX_NAME, "must be a Unix user name");

export const cpuArchSchema = z.enum(["x86_64", "arm64"]);
export type CpuArch = z.infer<typeof cpuArchSchema>;

/** One sender size of the sweep: a row of the published table. */
export const senderSizeSchema = z
  .object({
    /** Stable id used on the command line and in results, e.g. `c2-r4`. */
    id: z.string().regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "must be lower-case letters, digits and dashes (max 32)"),
    /** EC2 instance type, e.g. `c5.large`. */
    instanceType: z.string().regex(/^[a-z0-9]+\.[a-z0-9]+$/, "must be an EC2 instance type such as c5.large"),
    vcpu: positiveInt,
    ramGiB: z.number().positive(),
    arch: cpuArchSchema,
    /** On-demand USD per hour, used for the sweep's cost estimate. Optional. */
    hourlyUsd: z.number().nonnegative().optional(),
  })
  .strict();
export type SenderSize = z.infer<typeof senderSizeSchema>;

export const osImageSchema = z.enum(["ubuntu-24.04", "ubuntu-22.04", "ubuntu-20.04"]);
export type OsImage = z.infer<typeof osImageSchema>;

/**
 * tracing filter directives for KUMOD_LOG, e.g. `kumod=info` or `kumod=debug,lua=info`. Setting
 * KUMOD_LOG replaces kumod's whole default filter (crates/kumod/src/main.rs), so a value should
 * name every target whose errors you want to see.
 */
export const KUMOD_LOG_PATTERN = /^[A-Za-z0-9_:]+(=[a-z]+)?(,[A-Za-z0-9_:]+(=[a-z]+)?)*$/;


/** KumoMTA on the lab's hosts: what is installed, and the sender's delivery settings. */
export const kumomtaSettingsSchema = z
  .object({
    channel: z.enum(["stable", "dev"]),
    /** Pin a package version as apt knows it (`2025.01.29.123456.833f82a8`); null for the channel's latest. */
    version: z
      .union([
        z.string().superRefine((v, ctx) => {
          const problem = packageVersionProblem(v);
          if (problem) ctx.addIssue({ code: "custom", message: problem });
        }),
        z.null(),
      ])
      .default(null),
    /** Outbound TLS from sender to sink; recorded with every trial. */
    egressTls: egressTlsSchema,
    /**
     * `retry_interval` of the sender's queue, in seconds. kumod's default is 20 minutes: a transient
     * failure would then surface long after the trial ended. The lab retries within the trial.
     */
    retryIntervalSeconds: z.number().int().min(1).max(3600),
    /** `max_retry_interval` (the doubling retry delay stops growing here), in seconds; ≥ retryIntervalSeconds. */
    maxRetryIntervalSeconds: z.number().int().min(1).max(86_400),
    /** `max_ready` of the egress path to the sink: messages held ready for a connection (kumod's default 1024). */
    maxReady: z.number().int().min(1).max(10_000_000),
    /** `connection_limit` of the egress path to the sink: concurrent connections (kumod's default 32). */
    connectionLimit: z.number().int().min(1).max(100_000),
    /** KUMOD_LOG for both kumods; null leaves it unset, so kumod keeps its own default filter. */
    logFilter: z.union([z.string().regex(KUMOD_LOG_PATTERN, "must be tracing filter directives such as kumod=info,lua=info"), z.null()]),
  })
  .strict()
  .superRefine((k, ctx) => {
    if (k.maxRetryIntervalSeconds < k.retryIntervalSeconds) {
      ctx.addIssue({ code: "custom", path: ["maxRetryIntervalSeconds"], message: `must be at least retryIntervalSeconds (${k.retryIntervalSeconds})` });
    }
  });
export type KumomtaSettings = z.infer<typeof kumomtaSettingsSchema>;

export const labConfigSchema = z
  .object({
    /**
     * The lab profile (lab-config/profiles.ts): `minimal` (default), or a published round's test
     * bed, `kumomta-2025` or `kumomta-2023-07`, whose values sit between lab.yaml and the stack's overrides.
     */
    profile: z.enum(PROFILE_NAMES, { error: (iss) => unknownProfileMessage(String(iss.input)) }).default(DEFAULT_PROFILE),
    aws: z
      .object({
        /** AWS region of the sender, e.g. `us-west-2` (the July 2023 prices were us-west-2). */
        region: z.string().regex(/^[a-z]{2}(-[a-z]+)+-\d$/, "must be an AWS region such as us-west-2"),
        /** Root volume of the sender in GiB. */
        rootVolumeGiB: z.number().int().min(8).max(1024),
        /**
         * A separate gp3 volume for the sender's spool, e.g. `{ sizeGiB: 100, iops: 7200, throughputMBps: 225 }`
         * (the published rounds); default null: the spool stays on the root volume (gp3 baseline 3,000 IOPS / 125 MB/s).
         */
        spoolVolume: spoolVolumeSchema.nullable().default(null),
      })
      .strict(),
    azure: z
      .object({
        /** Azure location of the sink, e.g. `westus2`. */
        location: z.string().regex(/^[a-z0-9]+$/, "must be an Azure location such as westus2"),
        /** Root (OS) disk of the sink in GiB. */
        osDiskGiB: z.number().int().min(30).max(1024),
      })
      .strict(),
    /**
     * Who may reach the lab (SSH, metrics). `auto` = the operator's public address as a /32,
     * looked up at `pulumi up` from `operatorIpLookupUrl`.
     */
    // `auto`, or a range parsed and normalised (lab-config/cidr.ts): host bits cleared; IPv6 refused (the lab is IPv4-only).
    operatorCidr: z.string().transform((text, ctx) => {
      if (text === "auto") return text;
      const p = parseOperatorCidr(text);
      if (p.ok) return p.cidr;
      ctx.addIssue({ code: "custom", message: p.problem });
      return z.NEVER;
    }),
    /** Explicit opt-in to a world-open `operatorCidr` (0.0.0.0/0 or ::/0). Never the default. */
    allowWorldOpenOperatorCidr: z.boolean(),
    /** What's-my-IP URL used when `operatorCidr` is `auto`; must answer with a bare IPv4 address. */
    operatorIpLookupUrl: z.url({ protocol: /^https$/, error: "must be an https:// URL (a plain-http answer could be forged on the way, and the lab would admit the forger)" }),
    sender: z
      .object({
        /** The size a plain `pulumi up` builds: an id from `sizes`. With prefetch, the active slot's size. */
        size: z.string(),
        sizes: z.array(senderSizeSchema).min(1),
        /**
         * Prefetch (set by the sweep; README "Prefetch"): the sender slots the lab holds. 2 adds a
         * standby slot beside the active one, with its own address the sink admits from the start.
         * Default 1. Example: 2.
         */
        slots: z.union([z.literal(1), z.literal(2)]).default(1),
        /** The slot that is the active sender (`size` is its size). Default `a`. Example: `b` after a swap. */
        activeSlot: z.enum(["a", "b"]).default("a"),
        /** The standby slot's size id, or null for no standby VM (its address stays). Default null. Example: `c4-r16`. */
        standbySize: z.string().nullable().default(null),
      })
      .strict(),
    sink: z
      .object({
        /** Azure VM size of the sink; must be a known size with at least 8 vCPUs. */
        vmSize: z.string().regex(/^Standard_[A-Za-z0-9_]+$/, "must be an Azure VM size such as Standard_F8s_v2"),
        /** The sink's SMTP port (not 25: see the README, "Port 25"). */
        smtpPort: z.number().int().min(1).max(65535),
        /** On-demand USD per hour of the sink VM, for the cost estimate. Optional. */
        hourlyUsd: z.number().nonnegative().optional(),
      })
      .strict(),
    /** The optional generator host (lab-config/generator.ts); default: none, traffic-gen runs on the sender. */
    generator: generatorSchema.default({ ...DEFAULT_GENERATOR }),
    kumomta: kumomtaSettingsSchema,
    os: osImageSchema,
    traffic: z
      .object({
        concurrency: concurrencySchema,
        messageCount: messageCountSchema,
        /** Body size in traffic-gen's syntax, stored as bytes. */
        bodySize: bodySizeSchema,
        /**
         * traffic-gen's `--duration` cap in seconds. traffic-gen stops at its deadline even with
         * `--message-count`, so a run that hits this cap is marked incomplete. `auto` derives it
         * from the message count at a pessimistic rate (see scripts/trial/duration-cap.ts).
         */
        durationCapSeconds: z.union([z.literal("auto"), positiveInt]),
        /** Destination domains with optional weights (`--domain NAME[:WEIGHT]`); empty = traffic-gen's defaults. */
        domains: z
          .array(
            z
              .object({ name: z.string().regex(/^[A-Za-z0-9.-]+$/, "must be a domain name"), weight: positiveInt.optional() })
              .strict(),
          )
          .default([]),
        /** Extra headers (`--header "H: v"`). */
        headers: z.array(z.string().regex(/^[A-Za-z0-9-]+: .*$/, "must look like 'Name: value'")).default([]),
        /** traffic-gen `--throttle` spec, or null. */
        throttle: z.union([z.string().min(1), z.null()]).default(null),
      })
      .strict(),
    /** The workloads a sweep can run (lab-config/workloads.ts); default: `published` only. */
    workloads: workloadsSchema.default(DEFAULT_WORKLOADS),
    trials: z
      .object({
        count: positiveInt,
        coolDownSeconds: z.number().int().nonnegative(),
        /**
         * Steady-state trials: traffic-gen runs this many seconds (its `--duration`, no
         * `--message-count`) and each trial records its rate over time (scripts/trial/rate-drop.ts).
         * Default: unset = trials of `traffic.messageCount` messages. Example: 1800. `--duration` overrides.
         */
        durationSeconds: positiveInt.max(86_400, { message: "must be at most 86400 (a day); a longer run outlives the lab's TTL" }).optional(),
      })
      .strict(),
    /**
     * Spot capacity (`npm run sweep -- --spot` sets both in the stack's config): the sender as an
     * EC2 Spot Instance, the sink as an Azure Spot VM where its size and location offer it (the
     * preflight checks). Cheaper, but either may be reclaimed mid-trial (README, "Spot capacity").
     * Default: both on demand, e.g. `{ sender: true, sink: false }` for a spot sender only.
     */
    spot: z
      .object({
        /** The sender on an EC2 Spot Instance (one-time; a new instance per size). Default false. */
        sender: z.boolean(),
        /** The sink on an Azure Spot VM (eviction policy Deallocate, max price -1). Default false. */
        sink: z.boolean(),
      })
      .strict()
      .default({ sender: false, sink: false }),
    lab: z
      .object({
        /** Lab lifetime; resources are tagged with `expiresAt` = creation + TTL and `npm run gc` reclaims them. */
        ttlHours: z.number().positive().max(168),
      })
      .strict(),
    ssh: z
      .object({
        /** Login user on both VMs (Ubuntu images: `ubuntu`). */
        user: unixNameSchema,
        /** How long to keep retrying a connection while a VM boots. */
        connectDeadlineSeconds: positiveInt,
        /** Default timeout of one remote command. */
        commandTimeoutSeconds: positiveInt,
      })
      .strict(),
  })
  .strict()
  .superRefine((cfg, ctx) => {
    const operatorPrefix = cfg.operatorCidr === "auto" ? 32 : Number(cfg.operatorCidr.split("/")[1]);
    const wide = cfg.operatorCidr === "auto" ? undefined : wideOperatorCidrProblem(cfg.operatorCidr, operatorPrefix);
    if (wide !== undefined && !cfg.allowWorldOpenOperatorCidr) {
      ctx.addIssue({
        code: "custom",
        path: ["operatorCidr"],
        message: wide,
      });
    }
    const ids = cfg.sender.sizes.map((s) => s.id);
    ids.forEach((id, i) => {
      if (ids.indexOf(id) !== i) ctx.addIssue({ code: "custom", path: ["sender", "sizes", i, "id"], message: `duplicate size id '${id}'` });
    });
    if (!ids.includes(cfg.sender.size)) {
      ctx.addIssue({
        code: "custom",
        path: ["sender", "size"],
        message: `unknown size id '${cfg.sender.size}'; allowed: ${ids.join(", ")}`,
      });
    }
    const standby = cfg.sender.standbySize;
    if (standby !== null && !ids.includes(standby)) {
      ctx.addIssue({ code: "custom", path: ["sender", "standbySize"], message: `unknown size id '${standby}'; allowed: ${ids.join(", ")}, or null` });
    }
    if (cfg.sender.slots === 1 && (standby !== null || cfg.sender.activeSlot !== "a")) {
      ctx.addIssue({ code: "custom", path: ["sender", "slots"], message: "a standby sender (standbySize) or activeSlot b needs slots: 2" });
    }
    const sinkSize = AZURE_VM_SIZES[cfg.sink.vmSize];
    if (!sinkSize) {
      ctx.addIssue({
        code: "custom",
        path: ["sink", "vmSize"],
        message: `unknown Azure VM size '${cfg.sink.vmSize}'; known: ${Object.keys(AZURE_VM_SIZES).join(", ")} (add it to lab-config/azure-sizes.ts)`,
      });
    } else if (sinkSize.vcpu < MIN_SINK_VCPU) {
      ctx.addIssue({
        code: "custom",
        path: ["sink", "vmSize"],
        message: `${cfg.sink.vmSize} has ${sinkSize.vcpu} vCPUs; the sink needs at least ${MIN_SINK_VCPU} so that it is never the limit`,
      });
    }
    if (cfg.sink.smtpPort === 22) {
      ctx.addIssue({ code: "custom", path: ["sink", "smtpPort"], message: "22 is sshd's port on the sink: the sender would deliver to sshd (and the lab reaches the sink over SSH there); use 2525" });
    }
    if (cfg.sink.smtpPort === 25 || cfg.sink.smtpPort === 465 || cfg.sink.smtpPort === 587) {
      ctx.addIssue({
        code: "custom",
        path: ["sink", "smtpPort"],
        message: "the sink port must not be 25, 465 or 587: the lab blocks those outbound on every host",
      });
    }
  });

/** The lab config as the file holds it (before defaults and transforms). */
export type LabConfigInput = z.input<typeof labConfigSchema>;
/** The resolved, validated lab config. */
export type LabConfig = z.output<typeof labConfigSchema>;

/** Returns the sender size with `id`, or throws naming the allowed ids. */
export function senderSizeById(cfg: LabConfig, id: string): SenderSize {
  const size = cfg.sender.sizes.find((s) => s.id === id);
  if (!size) {
    throw new Error(`unknown sender size '${id}'; allowed: ${cfg.sender.sizes.map((s) => s.id).join(", ")} (lab-config/lab.yaml: sender.sizes)`);
  }
  return size;
}
