/**
 * Whether our figure may be held against a published one: the setup our trials recorded (profile,
 * what kumolab built, the workload's DKIM and spool, traffic-gen's load, the instance) against what
 * the figure's source states (./published-baseline.ts, PUBLISHED_SETUPS). Every stated item must
 * agree; an item the source leaves unstated is no obstacle. When one differs the report says what
 * differs instead of a ratio — "not comparable: spool volume 3,000 IOPS vs 7,200; no DKIM".
 */
import { z } from "zod";
import { GP3_BASELINE, PROFILES, type ProfileName } from "../../lab-config/profiles";
import type { TrialRecord } from "../results/trial-record";
import type { BaselineEntry, PublishedSetup } from "./published-baseline";

/** Our side, from a size's trial records; `unknown` items were not recorded or not built by kumolab. */
export interface OurSetup {
  /** The profile's name; null in records from before profiles. */
  profile: string | null;
  /** The instance type (the size's label). */
  instanceType: string;
  os: { kind: "built"; os: string } | { kind: "unknown"; why: string };
  /** The spool's disk: a spool volume, the root volume (gp3 baseline), or unknown. */
  spoolDisk: { kind: "volume"; iops: number; throughputMBps: number; sizeGiB: number } | { kind: "root" } | { kind: "unknown"; why: string };
  spoolKind: string;
  /** `rsa-sha256` (rsa2048), `ed25519`, or null: no DKIM. */
  dkim: string | null;
  /** The workload routed through our equivalent of KumoMTA's policy helpers (sender.policyHelpers). */
  policyHelpers: boolean;
  messageCount: number;
  bodySizeBytes: number;
}

/** What a trial's workload settings tell about signing and the spool (the shape belongs to lab-config/workloads.ts). */
const workloadSenderSchema = z.looseObject({
  sender: z
    .looseObject({
      dkim: z.looseObject({ algorithm: z.string() }).nullable().optional(),
      spool: z.looseObject({ kind: z.string() }).optional(),
      policyHelpers: z.boolean().optional(),
    })
    .optional(),
});

/** DKIM algorithms as the sources name them: KumoMTA's rsa_sha256_signer is "DKIM (sha256)". */
const DKIM_NAMES: Readonly<Record<string, string>> = { rsa2048: "rsa-sha256", ed25519: "ed25519" };

/** The setup one trial ran with; its size's label is the instance type. */
export function setupOfRecord(r: TrialRecord, instanceType: string): OurSetup {
  const p = r.context.profile;
  const w = workloadSenderSchema.safeParse(r.workload?.settings ?? {});
  const sender = w.success ? w.data.sender : undefined;
  const algorithm = sender?.dkim?.algorithm;
  const notBuilt = "not built by kumolab (your own hosts)";
  const notRecorded = "not recorded (trials from before profiles)";
  return {
    profile: p?.name ?? null,
    instanceType,
    os: p?.built ? { kind: "built", os: p.built.os } : { kind: "unknown", why: p ? notBuilt : notRecorded },
    spoolDisk: p?.built ? (p.built.spoolVolume ? { kind: "volume", ...p.built.spoolVolume } : { kind: "root" }) : { kind: "unknown", why: p ? notBuilt : notRecorded },
    // The lab's policy spools on RocksDB unless a workload says otherwise (lab-config/workloads.ts).
    spoolKind: sender?.spool?.kind ?? "RocksDB",
    dkim: algorithm === undefined ? null : (DKIM_NAMES[algorithm] ?? algorithm),
    // Records from before the option routed through one egress path: no helpers.
    policyHelpers: sender?.policyHelpers ?? false,
    messageCount: r.params.messageCount,
    bodySizeBytes: r.params.bodySizeBytes,
  };
}

const n = (v: number): string => v.toLocaleString("en-US");
const OS_NAMES: Readonly<Record<string, string>> = { "ubuntu-24.04": "Ubuntu 24.04", "ubuntu-22.04": "Ubuntu 22.04", "ubuntu-20.04": "Ubuntu 20.04" };
const osName = (os: string): string => OS_NAMES[os] ?? os;

/** Each stated item of `published` ours does not match, in words; empty = comparable. */
export function setupDifferences(ours: OurSetup, published: PublishedSetup, publishedInstanceType: string | null): string[] {
  const out: string[] = [];
  if (publishedInstanceType !== null && ours.instanceType !== publishedInstanceType) out.push(`instance ${ours.instanceType} vs ${publishedInstanceType}`);
  if (published.os !== null) {
    if (ours.os.kind === "unknown") out.push(`OS ${ours.os.why} vs ${osName(published.os)}`);
    else if (ours.os.os !== published.os) out.push(`OS ${osName(ours.os.os)} vs ${osName(published.os)}`);
  }
  const disk = published.spoolDisk;
  if (disk !== null) {
    const d = ours.spoolDisk;
    if (d.kind === "unknown") out.push(`spool disk ${d.why} vs ${n(disk.iops)} IOPS`);
    else {
      // The root volume is gp3 created without iops/throughput: gp3's baseline.
      const iops = d.kind === "volume" ? d.iops : GP3_BASELINE.iops;
      const mbps = d.kind === "volume" ? d.throughputMBps : GP3_BASELINE.throughputMBps;
      if (iops !== disk.iops) out.push(`spool volume ${n(iops)} IOPS vs ${n(disk.iops)}`);
      if (disk.throughputMBps !== null && mbps !== disk.throughputMBps) out.push(`spool volume ${n(mbps)} MB/s vs ${n(disk.throughputMBps)}`);
      // The root volume's size is lab.yaml's, not a spool volume's: only a spool volume's size is held against the published one.
      if (disk.sizeGiB !== null && d.kind === "volume" && d.sizeGiB !== disk.sizeGiB) out.push(`spool volume ${n(d.sizeGiB)} GB vs ${n(disk.sizeGiB)}`);
    }
  }
  if (published.spoolKind !== null && ours.spoolKind !== published.spoolKind) out.push(`spool ${ours.spoolKind} vs ${published.spoolKind}`);
  if (published.dkim !== null) {
    if (ours.dkim === null) out.push("no DKIM");
    else if (ours.dkim !== published.dkim) out.push(`DKIM ${ours.dkim} vs ${published.dkim}`);
  }
  if (published.policyHelpers === true && !ours.policyHelpers) out.push("no policy helpers (egress pool and source, listener domains, shaping, tenants)");
  if (ours.messageCount !== published.messageCount) out.push(`${n(ours.messageCount)} messages per trial vs ${n(published.messageCount)}`);
  if (ours.bodySizeBytes !== published.bodySizeBytes) out.push(`${n(ours.bodySizeBytes)}-byte bodies vs ${n(published.bodySizeBytes)}`);
  return out;
}

export interface PublishedComparison {
  /** Every stated item of the figure's setup matches ours: the ratio means something. */
  comparable: boolean;
  /** What differs, each in words; empty when comparable. */
  differences: string[];
  /** The profile that reproduces the figure's setup (run a sweep with it to compare). */
  profile: string;
}

/** Our setup against one published figure. */
export function comparePublished(ours: OurSetup, figure: Pick<BaselineEntry, "setup" | "instanceType">): PublishedComparison {
  const differences = setupDifferences(ours, figure.setup, figure.instanceType);
  return { comparable: differences.length === 0, differences, profile: figure.setup.profile };
}

/** "not comparable: spool volume 3,000 IOPS vs 7,200; no DKIM (profile kumomta-2023-07 reproduces it)". */
export function notComparableText(c: PublishedComparison): string {
  return `not comparable: ${c.differences.join("; ")} (profile ${c.profile} reproduces it)`;
}

/**
 * The run's lab profile(s) in words, each with what it does not reproduce of its round:
 * "kumomta-2025: the 2025 performance update's test bed (…); not reproduced: …". Trials from before
 * profiles say so.
 */
export function profileFacts(names: readonly string[]): string[] {
  if (names.length === 0) return ["not recorded (trials from before profiles: the minimal setup)"];
  return names.map((name) => {
    const p = (PROFILES as Readonly<Record<string, (typeof PROFILES)[ProfileName] | undefined>>)[name];
    if (p === undefined) return `${name} (not a profile this kumolab knows)`;
    return p.differences.length === 0 ? p.title : `${p.title}; not reproduced: ${p.differences.join(" ")}`;
  });
}
