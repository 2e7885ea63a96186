/**
 * traffic-gen's `--throttle` for an offered load in msgs/s. A ThrottleSpec is
 * `[local:]N/[k]unit[,max_burst=B]` with N a whole number (u64) and unit s|sec|second|m|min|
 * minute|h|hr|hour|d|day (KumoMTA crates/throttle/src/lib.rs `ThrottleSpec::try_from`;
 * /work/shared/reference/kumomta-contract.md). traffic-gen checks it before each message and a
 * denied client sleeps the retry-after rounded up to whole seconds (crates/traffic-gen/src/main.rs,
 * crates/throttle/src/throttle.rs), and max_burst defaults to N: `N/s` lets about one second's
 * messages through at once, then the clients wait for the next second.
 */

export interface RenderedThrottle {
  /** The spec passed to traffic-gen, e.g. `350/s`. */
  spec: string;
  /** The rate it stands for, msgs/s (N ÷ the period): the offered load of the step. */
  msgsPerSec: number;
}

/** Per second from this rate up: rounding to a whole N/s is then off by at most 5 %. */
export const PER_SECOND_FROM = 10;

/**
 * The closest whole-number spec: `N/s` from 10 msgs/s up (N rounded); below, per minute
 * (`N/min`) with max_burst of about one second's messages (ceil(N/60)) — the default, N, would
 * let a whole minute's load through at once; below one message a minute, per hour with
 * max_burst=1. A rate of zero, negative or below one message an hour throws.
 */
export function throttleFor(msgsPerSec: number): RenderedThrottle {
  if (!Number.isFinite(msgsPerSec) || msgsPerSec <= 0) throw new Error(`cannot throttle traffic-gen to ${msgsPerSec} msgs/s: give a positive rate`);
  if (msgsPerSec >= PER_SECOND_FROM) {
    const n = Math.round(msgsPerSec);
    return { spec: `${n}/s`, msgsPerSec: n };
  }
  const perMin = Math.round(msgsPerSec * 60);
  if (perMin >= 1) return { spec: `${perMin}/min,max_burst=${Math.ceil(perMin / 60)}`, msgsPerSec: perMin / 60 };
  const perHour = Math.round(msgsPerSec * 3600);
  if (perHour >= 1) return { spec: `${perHour}/h,max_burst=1`, msgsPerSec: perHour / 3600 };
  throw new Error(`cannot throttle traffic-gen to ${msgsPerSec} msgs/s: below one message an hour`);
}
