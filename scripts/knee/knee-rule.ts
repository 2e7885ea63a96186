/**
 * The knee: the highest offered load before latency turns up.
 *
 * Rule: the reference is the p99 of the lightest measured step (where queueing is least); a step
 * "turns up" when its p99 is above KNEE_FACTOR (2) × that reference. The knee is the last step, in
 * order of offered load, before the first step that turns up — the loads above it may recover by
 * chance, but an operator planning headroom wants the first turn. Why 2×: at light load p99 is the
 * service time plus noise; queueing theory (M/M/1: waiting time ∝ ρ/(1−ρ)) puts a doubling of the
 * response time at 50 % utilisation of the bottleneck, the usual "latency has started to climb"
 * point, and a factor of 2 is well outside the run-to-run spread of a p99 at a steady load.
 */

/** A step turns up when its p99 exceeds this multiple of the lightest step's p99. */
export const KNEE_FACTOR = 2;

export interface KneeStepInput {
  /** Offered load (the throttle), msgs/s; null = unthrottled. */
  offeredMsgsPerSec: number | null;
  /** traffic-gen's p99 transaction latency, seconds; null when the step has none (failed). */
  p99Seconds: number | null;
}

export interface KneeResult {
  /** Index (into the steps given) of the knee step; null when no step has a latency. */
  kneeIndex: number | null;
  /** Index of the first step that turned up; null when none did within the measured range. */
  turnIndex: number | null;
  /** The lightest step's p99, seconds (the reference). */
  referenceP99Seconds: number | null;
  /** The p99 above which a step turns up (reference × KNEE_FACTOR). */
  limitP99Seconds: number | null;
  /** The rule's outcome in words. */
  text: string;
}

/**
 * Applies the rule to throttled steps. Steps without a latency are skipped (said in the text by the
 * caller); an unthrottled step counts as the highest load. Steps are ordered by offered load here.
 */
export function kneeOf(steps: readonly KneeStepInput[], factor = KNEE_FACTOR): KneeResult {
  const load = (s: KneeStepInput): number => s.offeredMsgsPerSec ?? Number.POSITIVE_INFINITY;
  const order = steps
    .map((s, i) => ({ s, i }))
    .filter((x) => x.s.p99Seconds !== null)
    .sort((a, b) => load(a.s) - load(b.s));
  const first = order[0];
  if (!first || first.s.p99Seconds === null) return { kneeIndex: null, turnIndex: null, referenceP99Seconds: null, limitP99Seconds: null, text: "no step has a latency: no knee" };
  const reference = first.s.p99Seconds;
  const limit = reference * factor;
  const turn = order.findIndex((x) => (x.s.p99Seconds ?? 0) > limit);
  const fmt = (s: KneeStepInput): string => (s.offeredMsgsPerSec === null ? "the unthrottled step" : `${s.offeredMsgsPerSec.toFixed(1)} msgs/s`);
  if (turn === -1) {
    const last = order[order.length - 1] ?? first;
    return { kneeIndex: last.i, turnIndex: null, referenceP99Seconds: reference, limitP99Seconds: limit, text: `p99 stayed within ${factor}× the lightest step's (${ms(reference)}) up to ${fmt(last.s)}: no knee within the measured range` };
  }
  if (turn === 0) throw new Error("unreachable: the reference step cannot exceed its own multiple");
  const knee = order[turn - 1] ?? first;
  const up = order[turn] ?? first;
  return {
    kneeIndex: knee.i,
    turnIndex: up.i,
    referenceP99Seconds: reference,
    limitP99Seconds: limit,
    text: `p99 turns up at ${fmt(up.s)} (${ms(up.s.p99Seconds ?? 0)} > ${factor}× the lightest step's ${ms(reference)}): the knee is ${fmt(knee.s)}`,
  };
}

const ms = (s: number): string => `${(s * 1000).toFixed(s < 0.01 ? 2 : 1)} ms`;
