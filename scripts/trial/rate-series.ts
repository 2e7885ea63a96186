/**
 * The rate over time of one trial: messages per interval from a kumod counter polled on its host
 * (./counter-poller.ts) — the sender's received counter (accepted) and the sink's (delivered). A
 * 2-minute run can ride an instance's burst allowances; a series shows whether the rate held.
 */
import { z } from "zod";
import type { CounterPoll } from "./counter-poller";

/** The counter at time t: the last reading taken (poll midpoint) at or before t; undefined before the first. */
export function counterAt(polls: readonly CounterPoll[], t: number): number | undefined {
  let v: number | undefined;
  for (const p of polls) {
    if ((p.t0 + p.t1) / 2 > t) break;
    v = p.value;
  }
  return v;
}

/**
 * Messages per second in each whole interval of `intervalSeconds` from `start` (host clock, epoch
 * seconds) for `seconds`: (counter at the interval's end − counter at its start) ÷ interval. A
 * trailing part shorter than an interval is left out (a partial interval would read as a drop).
 * An interval the polls do not cover (before the first reading) is left out too, so the series
 * starts where readings do.
 */
export function ratePerInterval(polls: readonly CounterPoll[], start: number, seconds: number, intervalSeconds: number): number[] {
  if (!(intervalSeconds > 0) || !(seconds > 0)) return [];
  const n = Math.min(100_000, Math.floor(seconds / intervalSeconds + 1e-9));
  const out: number[] = [];
  for (let i = 0; i < n; i++) {
    const a = counterAt(polls, start + i * intervalSeconds);
    const b = counterAt(polls, start + (i + 1) * intervalSeconds);
    if (a === undefined || b === undefined) continue;
    out.push(Math.max(0, b - a) / intervalSeconds);
  }
  return out;
}

/** About this many intervals per run: enough points for a sparkline, each long enough to smooth 25 ms polls. */
export const TARGET_INTERVALS = 30;

/**
 * The interval for a run of `seconds`: 0.5 s below 30 s (a short run still gets enough intervals
 * to judge; 20 polls each), else seconds ÷ 30 rounded up to a whole second (1 s at 30 s, 60 s at 30 min).
 */
export function intervalFor(seconds: number): number {
  return seconds < TARGET_INTERVALS ? 0.5 : Math.ceil(seconds / TARGET_INTERVALS);
}

export const rateSeriesSchema = z
  .object({
    /** Length of each interval, seconds. */
    intervalSeconds: z.number().positive(),
    /** Start of the first interval (the first injection), ISO time by the sender's clock. */
    startAt: z.iso.datetime({ offset: true }),
    /** Messages per second the sender's kumod accepted, per interval. */
    accepted: z.array(z.number().finite().nonnegative()),
    /** Messages per second the sink's kumod received, per interval (same intervals, the sink's clock). */
    delivered: z.array(z.number().finite().nonnegative()),
  })
  .strict();
export type RateSeries = z.infer<typeof rateSeriesSchema>;
