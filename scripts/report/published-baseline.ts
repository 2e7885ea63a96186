/**
 * The published KumoMTA figures the lab is compared with (shared/reference/published-results.md),
 * each with the setup its source states, and how a measured size is matched to them: the same vCPU
 * count and the closest RAM within RAM_TOLERANCE (relative), so 8 vCPU / 32 GiB matches the page's
 * 8 / 30 but not 8 / 16. Whether a match is comparable — the setups agree — is ./setup-match.ts.
 */
import type { ProfileName } from "../../lab-config/profiles";

export type BaselineSource = "performance-testing-page" | "july-2023-blog" | "performance-update-2025";

/**
 * A test bed as far as its description goes; null = not stated, which never makes a figure
 * incomparable (nothing to compare with), and is said as such in the report.
 */
export interface PublishedSetup {
  /** The lab profile that reproduces this setup (lab-config/profiles.ts). */
  profile: ProfileName;
  /** The OS image, e.g. `ubuntu-24.04`. */
  os: string | null;
  /** The disk the spool is on: provisioned IOPS, and MB/s and GB when stated. */
  spoolDisk: { iops: number; throughputMBps: number | null; sizeGiB: number | null } | null;
  /** The spool's kind (KumoMTA define_spool: RocksDB | LocalDisk). */
  spoolKind: "RocksDB" | "LocalDisk" | null;
  /** DKIM signing on every message: `rsa-sha256`, or null when the source says nothing of it. */
  dkim: "rsa-sha256" | null;
  /**
   * Routed through KumoMTA's policy helpers (egress sources and pools, listener domains, shaping,
   * tenants): true when the source says so; null when it says nothing of it.
   */
  policyHelpers: true | null;
  /** Messages per run and the body size in bytes ("100,000 messages", "100 KB"). */
  messageCount: number;
  bodySizeBytes: number;
}

/** Every source's setup, from its own words (published-results.md quotes them). */
export const PUBLISHED_SETUPS: Readonly<Record<BaselineSource, PublishedSetup>> = {
  // "Sender: one KumoMTA instance on AWS, CPU/RAM varied. Sink: … Azure, 8 CPU / 16 GB. … 100 KB messages, 100,000 messages per run."
  "performance-testing-page": { profile: "minimal", os: null, spoolDisk: null, spoolKind: null, dkim: null, policyHelpers: null, messageCount: 100_000, bodySizeBytes: 100_000 },
  // "100 KB payload; configuration with DKIM (sha256) signing, RocksDB spool, 7200 IOPS disk, egress_source/listener-domains/shaping/tenants helpers"
  "july-2023-blog": { profile: "kumomta-2023-07", os: null, spoolDisk: { iops: 7200, throughputMBps: null, sizeGiB: null }, spoolKind: "RocksDB", dkim: "rsa-sha256", policyHelpers: true, messageCount: 100_000, bodySizeBytes: 100_000 },
  // "storage 100 GB gp3 provisioned at 7,200 IOPS and 225 MB/s; Ubuntu 24; RocksDB spool … 100,000 messages of 100 KB"
  "performance-update-2025": { profile: "kumomta-2025", os: "ubuntu-24.04", spoolDisk: { iops: 7200, throughputMBps: 225, sizeGiB: 100 }, spoolKind: "RocksDB", dkim: null, policyHelpers: null, messageCount: 100_000, bodySizeBytes: 100_000 },
};

export interface BaselineEntry {
  source: BaselineSource;
  /** Human-readable origin, for the report. */
  sourceLabel: string;
  instanceType: string | null;
  vcpu: number;
  ramGiB: number;
  mmh: number;
  msgsPerHour: number | null;
  /** The setup the figure came from (PUBLISHED_SETUPS of its source). */
  setup: PublishedSetup;
}

const PAGE = "KumoMTA performance-testing page (sink 8 CPU / 16 GB, 100 KB, 100,000 messages)";
const JULY = "KumoMTA July 2023 blog round (100 KB, DKIM, 4 runs averaged)";
const UPDATE_2025 = "KumoMTA 2025 performance update (c5n, Ubuntu 24, RocksDB on 100 GB gp3 at 7,200 IOPS / 225 MB/s, 100,000 × 100 KB, 4 runs averaged)";

/** Where the published figures are (shared/reference/published-results.md names both). */
export const PUBLISHED_PAGES: Readonly<Record<BaselineSource, { title: string; url: string }>> = {
  "performance-testing-page": { title: "KumoMTA docs: Performance Testing", url: "https://docs.kumomta.com/userguide/performance/testing" },
  "july-2023-blog": { title: "KumoMTA blog: How we built the most performant MTA on the planet (July 2023)", url: "https://kumomta.com/blog/building-the-fastest-mta-on-the-planet" },
  "performance-update-2025": { title: "KumoMTA blog: KumoMTA performance update (2025)", url: "https://kumomta.com/blog" },
};

const entry = (e: Omit<BaselineEntry, "setup">): BaselineEntry => ({ ...e, setup: PUBLISHED_SETUPS[e.source] });

export const PUBLISHED_BASELINE: readonly BaselineEntry[] = [
  entry({ source: "performance-testing-page", sourceLabel: PAGE, instanceType: null, vcpu: 2, ramGiB: 4, mmh: 2.7, msgsPerHour: null }),
  entry({ source: "performance-testing-page", sourceLabel: PAGE, instanceType: null, vcpu: 4, ramGiB: 16, mmh: 4.4, msgsPerHour: null }),
  entry({ source: "performance-testing-page", sourceLabel: PAGE, instanceType: null, vcpu: 8, ramGiB: 30, mmh: 4.9, msgsPerHour: null }),
  entry({ source: "performance-testing-page", sourceLabel: PAGE, instanceType: null, vcpu: 16, ramGiB: 64, mmh: 5.1, msgsPerHour: null }),
  entry({ source: "july-2023-blog", sourceLabel: JULY, instanceType: "c5.2xlarge", vcpu: 8, ramGiB: 16, mmh: 4.034, msgsPerHour: 4_033_514 }),
  entry({ source: "july-2023-blog", sourceLabel: JULY, instanceType: "c5.4xlarge", vcpu: 16, ramGiB: 32, mmh: 4.434, msgsPerHour: 4_433_514 }),
  entry({ source: "july-2023-blog", sourceLabel: JULY, instanceType: "c5a.8xlarge", vcpu: 32, ramGiB: 64, mmh: 5.096, msgsPerHour: 5_096_078 }),
  entry({ source: "july-2023-blog", sourceLabel: JULY, instanceType: "c6g.16xlarge", vcpu: 64, ramGiB: 128, mmh: 6.086, msgsPerHour: 6_086_112 }),
  entry({ source: "july-2023-blog", sourceLabel: JULY, instanceType: "c5.24xlarge", vcpu: 96, ramGiB: 192, mmh: 6.831, msgsPerHour: 6_831_168 }),
  // "c5n.2xlarge (8 cores, 21 GB) delivers nearly 3.3 MMH of 100 KB messages" — the one row the post's text gives.
  entry({ source: "performance-update-2025", sourceLabel: UPDATE_2025, instanceType: "c5n.2xlarge", vcpu: 8, ramGiB: 21, mmh: 3.3, msgsPerHour: null }),
];

/** Largest relative RAM difference still counted as the same machine shape (8/30 vs 8/32 is 6.7 %). */
export const RAM_TOLERANCE = 0.15;

export const BASELINE_MATCH_RULE = `same vCPU count and RAM within ${RAM_TOLERANCE * 100} % (closest first)`;

export interface BaselineMatch extends BaselineEntry {
  /** (ours − published) ÷ published RAM. */
  ramDifference: number;
}

/** Every published entry matching (vcpu, ramGiB), closest RAM first; the performance-testing page wins a tie. */
export function matchBaseline(vcpu: number, ramGiB: number): BaselineMatch[] {
  return PUBLISHED_BASELINE.filter((b) => b.vcpu === vcpu && Math.abs(ramGiB - b.ramGiB) / b.ramGiB <= RAM_TOLERANCE)
    .map((b) => ({ ...b, ramDifference: (ramGiB - b.ramGiB) / b.ramGiB }))
    .sort((a, b) => Math.abs(a.ramDifference) - Math.abs(b.ramDifference) || (a.source === "performance-testing-page" ? -1 : 1));
}
