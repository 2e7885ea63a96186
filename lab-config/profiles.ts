/**
 * Lab profiles: one per published test bed, so that a sweep can reproduce the setup a published
 * figure came from (shared/reference/published-results.md), and `minimal` for today's lab.
 *
 * A profile is a layer of lab-config values between lab/lab.yaml and a stack's overrides
 * (./resolve.ts): it sets what its round states — instance family and sizes, OS image, a separate
 * spool volume, DKIM, message count and body, runs per size — and a stack can still override any
 * key. What a profile cannot reproduce is listed in `differences`, shown by the report and README.
 *
 * Prices (`hourlyUsd`) are on-demand us-west-2, approximate, for the sweep's cost estimate only.
 */
import { z } from "zod";
import type { LabConfig } from "./schema";

export const PROFILE_NAMES = ["minimal", "kumomta-2025", "kumomta-2023-07"] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];
export const DEFAULT_PROFILE: ProfileName = "minimal";

/** The lab config key that picks the profile (`profile: kumomta-2025` in lab.yaml, or `pulumi config set kumolab:profile …`). */
export const PROFILE_KEY = "profile";

/** The published round a profile reproduces (scripts/report/published-baseline.ts names their figures). */
export type PublishedRound = "performance-update-2025" | "july-2023-blog";

/**
 * The spool volume's gp3 limits (AWS EC2 API, CreateVolume: gp3 3,000–16,000 IOPS, 125–1,000 MiB/s;
 * at most 500 IOPS per GiB and 0.25 MiB/s per provisioned IOPS).
 */
export const GP3 = { minIops: 3000, maxIops: 16_000, minThroughput: 125, maxThroughput: 1000, iopsPerGiB: 500, throughputPerIops: 0.25 } as const;

/** A root gp3 volume created without iops/throughput gets gp3's baseline: what `minimal` spools on. */
export const GP3_BASELINE = { iops: GP3.minIops, throughputMBps: GP3.minThroughput } as const;

/** A separate EBS gp3 volume for the sender's spool (`aws.spoolVolume`), formatted and mounted by the boot script. */
export const spoolVolumeSchema = z
  .object({
    /** Size in GiB, e.g. 100 (the 2025 round). */
    sizeGiB: z.number().int().min(1).max(16_384),
    /** Provisioned IOPS, e.g. 7200 (both rounds); gp3 allows 3,000–16,000 and 500 per GiB. */
    iops: z.number().int().min(GP3.minIops).max(GP3.maxIops),
    /** Provisioned throughput in MiB/s, e.g. 225 (the 2025 round); gp3 allows 125–1,000 and 0.25 per IOPS. */
    throughputMBps: z.number().int().min(GP3.minThroughput).max(GP3.maxThroughput),
  })
  .strict()
  .superRefine((v, ctx) => {
    if (v.iops > v.sizeGiB * GP3.iopsPerGiB) {
      ctx.addIssue({ code: "custom", path: ["iops"], message: `gp3 allows at most ${GP3.iopsPerGiB} IOPS per GiB: ${v.iops} IOPS needs at least ${Math.ceil(v.iops / GP3.iopsPerGiB)} GiB (sizeGiB is ${v.sizeGiB})` });
    }
    if (v.throughputMBps > v.iops * GP3.throughputPerIops) {
      ctx.addIssue({ code: "custom", path: ["throughputMBps"], message: `gp3 allows at most ${GP3.throughputPerIops} MiB/s per provisioned IOPS: ${v.throughputMBps} MiB/s needs at least ${Math.ceil(v.throughputMBps / GP3.throughputPerIops)} IOPS (iops is ${v.iops})` });
    }
  });
export type SpoolVolume = z.infer<typeof spoolVolumeSchema>;

export interface LabProfile {
  name: ProfileName;
  /** One line for the plan, the record and the report. */
  title: string;
  /** The round whose figures this profile can be compared with; null for `minimal`. */
  round: PublishedRound | null;
  /** Lab-config values this profile sets (the same keys and shapes as lab.yaml). */
  layer: Record<string, unknown>;
  /** What the round states that this profile does not reproduce, each a sentence. */
  differences: string[];
}

/** The published spool disk of both rounds (published-results.md): 100 GB gp3 at 7,200 IOPS and 225 MB/s (2025). */
const PUBLISHED_SPOOL_VOLUME: SpoolVolume = { sizeGiB: 100, iops: 7200, throughputMBps: 225 };

/** The published load of every round: 100,000 messages of 100 KB per run, four runs per size. */
const PUBLISHED_TRAFFIC = { messageCount: 100_000, bodySize: "100kb" };
// "4 sequential runs, 2 minutes apart, averaged" (July 2023); "four runs averaged" (2025).
const PUBLISHED_TRIALS = { count: 4, coolDownSeconds: 120 };

/** A signing domain of our own: the rounds do not say which domains they signed for. */
export const PROFILE_DKIM_DOMAIN = "kumolab.example.com";

const SHARED_DIFFERENCES = [
  "The sink is one KumoMTA on Azure that discards everything (as on the performance-testing page); the rounds do not describe their sink further.",
];

export const PROFILES: Readonly<Record<ProfileName, LabProfile>> = {
  minimal: {
    name: "minimal",
    title: "minimal: the lab.yaml setup (spool on the root gp3 volume at its baseline 3,000 IOPS / 125 MB/s, minimal policy)",
    round: null,
    layer: {},
    differences: [],
  },
  "kumomta-2025": {
    name: "kumomta-2025",
    title: "kumomta-2025: the 2025 performance update's test bed (c5n, Ubuntu 24.04, RocksDB spool on 100 GB gp3 at 7,200 IOPS / 225 MB/s)",
    round: "performance-update-2025",
    layer: {
      os: "ubuntu-24.04",
      aws: { spoolVolume: PUBLISHED_SPOOL_VOLUME },
      sender: {
        size: "c8-r21",
        // The post's cores and RAM: c5n at 8, 16 and 36 vCPU with 21, 42 and 96 GB.
        sizes: [
          { id: "c8-r21", instanceType: "c5n.2xlarge", vcpu: 8, ramGiB: 21, arch: "x86_64", hourlyUsd: 0.432 },
          { id: "c16-r42", instanceType: "c5n.4xlarge", vcpu: 16, ramGiB: 42, arch: "x86_64", hourlyUsd: 0.864 },
          { id: "c36-r96", instanceType: "c5n.9xlarge", vcpu: 36, ramGiB: 96, arch: "x86_64", hourlyUsd: 1.944 },
        ],
      },
      traffic: PUBLISHED_TRAFFIC,
      trials: PUBLISHED_TRIALS,
      workloads: { baseline: "published", list: [{ name: "published", sender: { spool: { kind: "RocksDB", flush: false } } }] },
    },
    differences: [
      "KumoMTA publishes no Ubuntu 24.04 package (its build matrix has 20.04 and 22.04): the Ubuntu 22.04 package is installed on 24.04.",
      "The post's KumoMTA release (2025.05.06-b29689af) is used only when kumomta.version pins it; by default the channel's latest is installed.",
      "The ARM c7g rows of the post are not in the profile (its text gives no figure for them).",
      ...SHARED_DIFFERENCES,
    ],
  },
  "kumomta-2023-07": {
    name: "kumomta-2023-07",
    title: "kumomta-2023-07: the July 2023 round's test bed (c5/c5a/c6g, DKIM sha256, RocksDB spool on a 7,200 IOPS gp3 volume)",
    round: "july-2023-blog",
    layer: {
      aws: { spoolVolume: PUBLISHED_SPOOL_VOLUME },
      sender: {
        size: "c8-r16",
        sizes: [
          { id: "c8-r16", instanceType: "c5.2xlarge", vcpu: 8, ramGiB: 16, arch: "x86_64", hourlyUsd: 0.34 },
          { id: "c16-r32", instanceType: "c5.4xlarge", vcpu: 16, ramGiB: 32, arch: "x86_64", hourlyUsd: 0.68 },
          { id: "c32-r64", instanceType: "c5a.8xlarge", vcpu: 32, ramGiB: 64, arch: "x86_64", hourlyUsd: 1.232 },
          { id: "c64-r128", instanceType: "c6g.16xlarge", vcpu: 64, ramGiB: 128, arch: "arm64", hourlyUsd: 2.176 },
          { id: "c96-r192", instanceType: "c5.24xlarge", vcpu: 96, ramGiB: 192, arch: "x86_64", hourlyUsd: 4.08 },
        ],
      },
      traffic: PUBLISHED_TRAFFIC,
      trials: PUBLISHED_TRIALS,
      workloads: {
        baseline: "dkim-sha256",
        list: [
          {
            name: "dkim-sha256",
            description: "The July 2023 round: every message DKIM-signed (RSA-SHA256), RocksDB spool, routed through tenant, egress pool/source, listener-domain and shaping policy",
            sender: { dkim: { algorithm: "rsa2048", domains: [PROFILE_DKIM_DOMAIN] }, spool: { kind: "RocksDB", flush: false }, policyHelpers: true },
          },
        ],
      },
    },
    differences: [
      "The round states a 7,200 IOPS disk but not its size, type or throughput: the profile uses the 2025 round's 100 GB gp3 at 225 MB/s.",
      "The round's RSA key size is not stated: the profile signs with a 2048-bit key (kumo.dkim.rsa_sha256_signer).",
      "The round's OS, BIND9 caching resolver and sysctl values are not stated in full: the profile keeps lab.yaml's OS and KumoMTA's published Linux tuning, and the sender resolves nothing (the sink is an address literal).",
      "The round's policy helpers (egress sources and pools, listener domains, shaping, tenants) are reproduced by kumolab's own equivalent, not KumoMTA's policy-extras helpers and their TOML files, whose contents the round does not publish: one tenant (or X-Tenant's), one pool with one source (the sender's own address), relay_to for traffic-gen's domains, and shaping entries for the sink only — every message still goes to the one sink.",
      ...SHARED_DIFFERENCES,
    ],
  },
};

/** The profile called `name`, or an error naming the known ones and where to set it. */
export function profileByName(name: string): LabProfile {
  if ((PROFILE_NAMES as readonly string[]).includes(name)) return PROFILES[name as ProfileName];
  throw new Error(unknownProfileMessage(name));
}

export function unknownProfileMessage(name: string): string {
  return `unknown profile '${name}'; known: ${PROFILE_NAMES.join(", ")} (lab-config/profiles.ts). Set it in lab-config/lab.yaml (profile: …) or per stack: pulumi config set kumolab:profile kumomta-2025`;
}

/**
 * What a trial records about its profile (scripts/results/trial-record.ts, context.profile): the name,
 * and the OS and spool volume kumolab built — null when the hosts are the operator's own (an inventory).
 */
export function profileRecord(cfg: Pick<LabConfig, "profile" | "os" | "aws">, builtByKumolab: boolean): { name: string; built: { os: string; spoolVolume: SpoolVolume | null } | null } {
  return { name: cfg.profile, built: builtByKumolab ? { os: cfg.os, spoolVolume: cfg.aws.spoolVolume } : null };
}
