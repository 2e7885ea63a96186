/**
 * The published KumoMTA figures the lab is compared with (shared/reference/published-results.md),
 * and how a measured size is matched to them: the same vCPU count and the closest RAM within
 * RAM_TOLERANCE (relative), so 8 vCPU / 32 GiB matches the page's 8 / 30 but not 8 / 16.
 */
export type BaselineSource = "performance-testing-page" | "july-2023-blog";

export interface BaselineEntry {
  source: BaselineSource;
  /** Human-readable origin, for the report. */
  sourceLabel: string;
  instanceType: string | null;
  vcpu: number;
  ramGiB: number;
  mmh: number;
  msgsPerHour: number | null;
}

const PAGE = "KumoMTA performance-testing page (sink 8 CPU / 16 GB, 100 KB, 100,000 messages)";
const JULY = "KumoMTA July 2023 blog round (100 KB, DKIM, 4 runs averaged)";

/** Where the published figures are (shared/reference/published-results.md names both). */
export const PUBLISHED_PAGES: Readonly<Record<BaselineSource, { title: string; url: string }>> = {
  "performance-testing-page": { title: "KumoMTA docs: Performance Testing", url: "https://docs.kumomta.com/userguide/performance/testing" },
  "july-2023-blog": { title: "KumoMTA blog: How we built the most performant MTA on the planet (July 2023)", url: "https://kumomta.com/blog/building-the-fastest-mta-on-the-planet" },
};

export const PUBLISHED_BASELINE: readonly BaselineEntry[] = [
  { source: "performance-testing-page", sourceLabel: PAGE, instanceType: null, vcpu: 2, ramGiB: 4, mmh: 2.7, msgsPerHour: null },
  { source: "performance-testing-page", sourceLabel: PAGE, instanceType: null, vcpu: 4, ramGiB: 16, mmh: 4.4, msgsPerHour: null },
  { source: "performance-testing-page", sourceLabel: PAGE, instanceType: null, vcpu: 8, ramGiB: 30, mmh: 4.9, msgsPerHour: null },
  { source: "performance-testing-page", sourceLabel: PAGE, instanceType: null, vcpu: 16, ramGiB: 64, mmh: 5.1, msgsPerHour: null },
  { source: "july-2023-blog", sourceLabel: JULY, instanceType: "c5.2xlarge", vcpu: 8, ramGiB: 16, mmh: 4.034, msgsPerHour: 4_033_514 },
  { source: "july-2023-blog", sourceLabel: JULY, instanceType: "c5.4xlarge", vcpu: 16, ramGiB: 32, mmh: 4.434, msgsPerHour: 4_433_514 },
  { source: "july-2023-blog", sourceLabel: JULY, instanceType: "c5a.8xlarge", vcpu: 32, ramGiB: 64, mmh: 5.096, msgsPerHour: 5_096_078 },
  { source: "july-2023-blog", sourceLabel: JULY, instanceType: "c6g.16xlarge", vcpu: 64, ramGiB: 128, mmh: 6.086, msgsPerHour: 6_086_112 },
  { source: "july-2023-blog", sourceLabel: JULY, instanceType: "c5.24xlarge", vcpu: 96, ramGiB: 192, mmh: 6.831, msgsPerHour: 6_831_168 },
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
