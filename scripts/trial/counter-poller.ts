/**
 * Polls one kumod counter on a host at a short interval (default 0.05 s) by the host's own clock,
 * so the end-to-end rate can place the first injection (sender) and the last delivery (sink) in
 * time. Each poll is bracketed by the clock before and after the request: the value was read
 * somewhere in between. Runs on the host, bounded by a poll count; dies with the channel.
 */
import { z } from "zod";

export function counterPollerScript(metricsUrl: string, metric: string, maxPolls: number, intervalSeconds = 0.05): string {
  if (!/^http:\/\/[0-9a-zA-Z.:[\]-]+\/[A-Za-z0-9/_.-]*$/.test(metricsUrl)) throw new Error(`refusing to poll ${JSON.stringify(metricsUrl)}: not a plain http URL`);
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metric)) throw new Error(`refusing to poll ${JSON.stringify(metric)}: not a metric name`);
  const n = Math.max(1, Math.floor(maxPolls));
  return [
    `i=0; while [ $i -lt ${n} ]; do i=$((i+1));`,
    `t0=$(date +%s.%N);`,
    `v=$(curl -s --max-time 1 ${metricsUrl} | awk '$1 ~ /^${metric}({|$)/ {s+=$2} END {printf "%d", s}');`,
    `t1=$(date +%s.%N);`,
    `[ -n "$v" ] && printf 'C %s %s %s\\n' "$t0" "$v" "$t1";`,
    `sleep ${intervalSeconds}; done`,
  ].join(" ");
}

/** One reading: the value was read between t0 and t1 (host clock, epoch seconds). */
export const counterPollSchema = z.object({ t0: z.number().positive(), value: z.number().nonnegative(), t1: z.number().positive() }).refine((p) => p.t1 >= p.t0, "t1 before t0");
export type CounterPoll = z.infer<typeof counterPollSchema>;

export function parseCounterPolls(text: string): CounterPoll[] {
  const polls: CounterPoll[] = [];
  for (const line of text.split("\n")) {
    const m = /^C (\d+(?:\.\d+)?) (\d+) (\d+(?:\.\d+)?)$/.exec(line.trim());
    if (!m) continue; // a line cut by the channel close, or curl noise
    polls.push(counterPollSchema.parse({ t0: Number(m[1]), value: Number(m[2]), t1: Number(m[3]) }));
  }
  return polls;
}

/**
 * When the counter first reached `target`. It was below at the previous reading (taken after that
 * poll's t0) and at or above at this one (taken before its t1): the midpoint of that window, whose
 * half-width is the error bound. Undefined when never reached.
 */
export function timeCounterReached(polls: readonly CounterPoll[], target: number): { at: number; errorSeconds: number } | undefined {
  for (let i = 0; i < polls.length; i++) {
    const p = polls[i] as CounterPoll;
    if (p.value >= target) {
      const prev = i > 0 ? (polls[i - 1] as CounterPoll) : undefined;
      const lo = prev ? prev.t0 : p.t0;
      return { at: (lo + p.t1) / 2, errorSeconds: (p.t1 - lo) / 2 };
    }
  }
  return undefined;
}
