/**
 * The `rate-dropped` flag of a steady-state (duration) trial: leaving out the first interval, the
 * rate in the last third of the run fell below 80 % of the rate in its first third.
 *
 * Why: AWS instances sold with "up to" network bandwidth (typically 16 vCPUs or fewer) have a
 * baseline and spend network I/O credits to burst above it, for a limited time (AWS: "typically
 * from 5 to 60 minutes, depending on the instance size"; EC2 User Guide, "Amazon EC2 instance
 * network bandwidth", https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ec2-instance-network-bandwidth.html);
 * smaller EBS-optimized instances likewise "can support maximum performance for 30 minutes at
 * least once every 24 hours" (EC2 User Guide, "Amazon EBS–optimized instances",
 * https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/ebs-optimized.html). When credits run out the rate falls to the baseline — for the small sizes a
 * fraction of the burst, far more than the few per cent a rate varies by within a run. Thirds,
 * not the first and last interval, so one slow interval (a reconnect, a compaction) does not
 * decide; 80 % leaves room for that noise while any fall to a baseline crosses it.
 * The first interval is left out: it holds the start-up — 20,000 connections opening, or a
 * throttle's initial burst (max_burst defaults to the limit: a whole second's messages at once,
 * crates/throttle/src/lib.rs) — which would read as a drop, or hide one.
 * The flag says the run's mean is not the sustained rate: the last third is closer to it.
 */
import { z } from "zod";

/** The last third below this share of the first third = the rate dropped. */
export const RATE_DROP_THRESHOLD = 0.8;
/** Fewer judged intervals than this (after the first) say nothing about a trend (a third must hold at least one). */
export const MIN_INTERVALS = 3;

export const rateDropSchema = z
  .object({
    /** Which series was judged: `accepted` (the sender's kumod) or `delivered` (the sink's). */
    series: z.enum(["accepted", "delivered"]),
    /** Mean msgs/s over the first and the last third of the intervals. */
    firstRate: z.number().finite().nonnegative(),
    lastRate: z.number().finite().nonnegative(),
    /** lastRate ÷ firstRate; null when the first third carried nothing. */
    ratio: z.number().finite().nonnegative().nullable(),
    dropped: z.boolean(),
  })
  .strict();
export type RateDrop = z.infer<typeof rateDropSchema>;

const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** The rule on one series of per-interval rates; undefined when fewer than MIN_INTERVALS follow the first. */
export function rateDropOf(series: "accepted" | "delivered", all: readonly number[], threshold = RATE_DROP_THRESHOLD): RateDrop | undefined {
  const rates = all.slice(1);
  if (rates.length < MIN_INTERVALS) return undefined;
  const third = Math.floor(rates.length / 3);
  const firstRate = mean(rates.slice(0, third));
  const lastRate = mean(rates.slice(rates.length - third));
  const ratio = firstRate > 0 ? lastRate / firstRate : null;
  return { series, firstRate, lastRate, ratio, dropped: ratio !== null && ratio < threshold };
}

/** Both series judged; the one that dropped (delivered first: the network's credits show there), else the accepted one. */
export function rateDropOfSeries(s: { accepted: readonly number[]; delivered: readonly number[] }): RateDrop | undefined {
  const delivered = rateDropOf("delivered", s.delivered);
  const accepted = rateDropOf("accepted", s.accepted);
  if (delivered?.dropped) return delivered;
  if (accepted?.dropped) return accepted;
  return accepted ?? delivered;
}

/** The flag in words, for the verdict line and the report. */
export function rateDropText(d: RateDrop): string {
  const pct = d.ratio === null ? "n/a" : `${(d.ratio * 100).toFixed(0)} %`;
  return `${d.series} rate in the last third ${d.lastRate.toFixed(1)} msgs/s = ${pct} of the first third's ${d.firstRate.toFixed(1)} msgs/s`;
}
