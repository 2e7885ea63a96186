/**
 * The throughput a size is expected to reach, for the sweep's time estimate: the published figure
 * for its shape (see report/published-baseline.ts), else the published row with the nearest vCPU
 * count (an estimate, never a result).
 */
import type { SenderSize } from "../../lab-config/schema";
import { matchBaseline, PUBLISHED_BASELINE } from "../report/published-baseline";

const MMH_TO_MSGS_PER_SEC = 1e6 / 3600;

export function expectedMsgsPerSec(size: Pick<SenderSize, "vcpu" | "ramGiB">): number {
  const exact = matchBaseline(size.vcpu, size.ramGiB)[0];
  if (exact) return exact.mmh * MMH_TO_MSGS_PER_SEC;
  const nearest = [...PUBLISHED_BASELINE].sort((a, b) => Math.abs(a.vcpu - size.vcpu) - Math.abs(b.vcpu - size.vcpu) || a.vcpu - b.vcpu)[0];
  if (!nearest) throw new Error("no published figures to estimate from");
  return nearest.mmh * MMH_TO_MSGS_PER_SEC;
}
