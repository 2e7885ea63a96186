/**
 * A trial lost to a spot interruption: recorded as failed with the reason `spot-interrupted`, and
 * its size retried once with the reclaimed host(s) on demand. Pure decisions; scripts/sweep/run-sweep.ts
 * and scripts/cli/sweep.ts apply them.
 */
import type { ReclaimedHost } from "../lab-drivers/spot-reclaim";
import type { TrialRecord } from "../results/trial-record";

/** The failure reason a spot-interrupted trial carries (record, terminal, report). */
export const SPOT_INTERRUPTED = "spot-interrupted";

export type SpotRetry = { action: "retry-on-demand"; hosts: ReclaimedHost[] } | { action: "none"; why: string };

/**
 * After a failed trial: retry the size on demand when a host was reclaimed, once per size. A size
 * already retried (its hosts on demand since) fails as any trial does; `--fail-fast` stops the sweep
 * at the failed trial whatever its cause, as it says.
 */
export function spotRetryDecision(input: { reclaimed: readonly ReclaimedHost[]; sizeId: string; retriedSizes: ReadonlySet<string>; failFast: boolean }): SpotRetry {
  if (input.reclaimed.length === 0) return { action: "none", why: "no host was reclaimed: an ordinary failure" };
  if (input.failFast) return { action: "none", why: "--fail-fast stops at the first failed trial" };
  if (input.retriedSizes.has(input.sizeId)) return { action: "none", why: `size ${input.sizeId} was already retried on demand once` };
  return { action: "retry-on-demand", hosts: [...input.reclaimed] };
}

/** `sender (EC2 …) and sink (Azure …)`. */
export function reclaimedText(hosts: readonly ReclaimedHost[]): string {
  return hosts.map((h) => `${h.host} (${h.evidence})`).join(" and ");
}

/**
 * The failed record of a trial whose host was reclaimed: its failure says `spot-interrupted` first
 * (what the terminal's verdict line and the report's excluded list show), with the evidence and the
 * trial's own error after it, and carries the reclaimed hosts for machines.
 */
export function markSpotInterrupted(record: TrialRecord, hosts: readonly ReclaimedHost[]): TrialRecord {
  if (record.status !== "failed" || hosts.length === 0) return record;
  const own = record.failure ? `${record.failure.step}: ${record.failure.message}` : "the trial did not complete";
  const message = `${SPOT_INTERRUPTED}: ${reclaimedText(hosts)} reclaimed by the cloud — the trial's own error: ${own}`;
  return {
    ...record,
    failure: { step: record.failure?.step ?? "trial", message, reason: SPOT_INTERRUPTED, reclaimed: hosts.map((h) => ({ ...h })) },
    invalidReasons: record.invalidReasons.map((r) => (r.code === "failed" ? { ...r, detail: `${SPOT_INTERRUPTED} — ${reclaimedText(hosts)} reclaimed; ${r.detail}` } : r)),
  };
}
