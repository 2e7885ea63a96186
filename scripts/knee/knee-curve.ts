/**
 * The latency curve of a knee run: one point per step, from its trial record (read back through
 * zod) — offered load, achieved acceptance rate, traffic-gen's p50/p99 transaction latency — and
 * the knee by ./knee-rule.ts.
 */
import type { TrialRecord } from "../results/trial-record";
import { KUMOD_SERIES } from "../kumomta/metrics";
import { seriesDelta } from "../trial/prometheus";
import { kneeOf, type KneeResult } from "./knee-rule";
import type { KneeRun } from "./knee-run";

export interface KneePoint {
  trial: number;
  fraction: number | null;
  throttle: string | null;
  offeredMsgsPerSec: number | null;
  /** traffic-gen's acceptance rate, msgs/s; null when the step failed. */
  achievedMsgsPerSec: number | null;
  p50Seconds: number | null;
  p99Seconds: number | null;
  /**
   * The sender kumod's mean time per delivery to the sink over the step, seconds: the delta of
   * deliver_message_latency_rollup's _sum ÷ its _count (scripts/kumomta/metrics.ts); kumod exports
   * no percentiles of it as a total series. Null when nothing was delivered or the metrics are missing.
   */
  kumodMeanDeliverySeconds: number | null;
  status: "ok" | "failed" | "missing";
  valid: boolean;
  /** Why the step's figure is not trusted (invalid reasons, or the failure); empty when valid. */
  notes: string[];
}

export interface KneeCurve {
  points: KneePoint[];
  knee: KneeResult;
  /** The knee's offered load (msgs/s; null = the unthrottled step or no knee). */
  kneeMsgsPerSec: number | null;
  /** Invalid reasons of the judged steps up to the knee: what, besides the sender, may have set the latency there. */
  caveats: string[];
}

/**
 * Reasons that make a step's latency meaningless: it failed, sent nothing, or its sends failed
 * (traffic-gen records the latency of failed attempts too, crates/traffic-gen/src/main.rs). The
 * other reasons (the sink's CPU, the network, the disk, the queue not drained) say what limited
 * the step, not that its latency is wrong: those steps are judged, and named as caveats.
 */
export const LATENCY_VOIDING_REASONS: readonly string[] = ["failed", "nothing-sent", "send-failures"];

export function judged(p: Pick<KneePoint, "status" | "p99Seconds" | "notes" | "valid">): boolean {
  return p.status === "ok" && p.p99Seconds !== null && (p.valid || !p.notes.some((n) => LATENCY_VOIDING_REASONS.includes(n)));
}

/** The points in order of offered load (the unthrottled step last), and the knee over the judged ones. */
export function kneeCurve(run: KneeRun, records: readonly TrialRecord[]): KneeCurve {
  const points: KneePoint[] = run.steps.map((s) => {
    const r = records.find((x) => x.sizeId === run.sizeId && x.trial === s.trial);
    if (!r) return { ...s, achievedMsgsPerSec: null, p50Seconds: null, p99Seconds: null, kumodMeanDeliverySeconds: null, status: "missing", valid: false, notes: ["no record (interrupted?)"] };
    const lat = r.trafficGen?.latency ?? null;
    const before = { at: r.startedAt, series: r.metrics.sender.before };
    const after = { at: r.endedAt, series: r.metrics.sender.after };
    const calls = seriesDelta(before, after, KUMOD_SERIES.deliveryLatencyCount);
    const sum = seriesDelta(before, after, KUMOD_SERIES.deliveryLatencySum);
    return {
      ...s,
      achievedMsgsPerSec: r.trafficGen?.rate.msgsPerSec ?? null,
      p50Seconds: lat?.p50 ?? null,
      p99Seconds: lat?.p99 ?? null,
      kumodMeanDeliverySeconds: calls > 0 && sum >= 0 ? sum / calls : null,
      status: r.status,
      valid: r.valid,
      notes: r.failure ? [`${r.failure.step}: ${r.failure.message}`] : r.invalidReasons.map((x) => x.code),
    };
  });
  const load = (p: KneePoint): number => p.offeredMsgsPerSec ?? Number.POSITIVE_INFINITY;
  points.sort((a, b) => load(a) - load(b));
  const knee = kneeOf(points.map((p) => ({ offeredMsgsPerSec: p.offeredMsgsPerSec, p99Seconds: judged(p) ? p.p99Seconds : null })));
  const kneePoint = knee.kneeIndex === null ? undefined : points[knee.kneeIndex];
  const upTo = knee.kneeIndex === null ? [] : points.slice(0, knee.kneeIndex + 1).filter((p) => judged(p) && !p.valid);
  const caveats = [...new Set(upTo.flatMap((p) => p.notes))];
  return { points, knee, kneeMsgsPerSec: kneePoint?.offeredMsgsPerSec ?? null, caveats };
}
