/**
 * traffic-gen's `--throttle` for an offered load in msgs/s. A ThrottleSpec is
 * `[local:]N/[k]unit[,max_burst=N]` with N a whole number (u64) and unit s|sec|second|m|min|
 * minute|h|hr|hour|d|day (KumoMTA crates/throttle/src/lib.rs `ThrottleSpec::try_from`;
 * /work/shared/reference/kumomta-contract.md). max_burst defaults to N: `N/s` lets one second's
 * worth through at once, as traffic-gen's own `--throttle N/s` does — the knee measures that.
 */

export interface RenderedThrottle {
  /** The spec passed to traffic-gen, e.g. `350/s`. */
  spec: string;
  /** The rate it stands for, msgs/s (N ÷ the period): the offered load of the step. */
  msgsPerSec: number;
}

/**
 * The closest whole-number spec: `N/s` at 1 msg/s and above (N rounded), else per minute
 * (`N/min`), else per hour; below 1 message an hour there is nothing to offer (throws). Per
 * minute and per hour add `max_burst=1`: a whole minute's messages at once would not be a load of
 * N per minute but a burst.
 */
export function throttleFor(msgsPerSec: number): RenderedThrottle {
  if (!Number.isFinite(msgsPerSec) || msgsPerSec <= 0) throw new Error(`cannot throttle traffic-gen to ${msgsPerSec} msgs/s: give a positive rate`);
  if (Math.round(msgsPerSec) >= 1) {
    const n = Math.round(msgsPerSec);
    return { spec: `${n}/s`, msgsPerSec: n };
  }
  const perMin = Math.round(msgsPerSec * 60);
  if (perMin >= 1) return { spec: `${perMin}/min,max_burst=1`, msgsPerSec: perMin / 60 };
  const perHour = Math.round(msgsPerSec * 3600);
  if (perHour >= 1) return { spec: `${perHour}/h,max_burst=1`, msgsPerSec: perHour / 3600 };
  throw new Error(`cannot throttle traffic-gen to ${msgsPerSec} msgs/s: below one message an hour`);
}
