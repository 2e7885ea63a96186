/**
 * Polls one kumod counter on a host at a short interval (default 0.1 s) by the host's own clock,
 * so the end-to-end rate can place the last delivery in time. Runs on the host, bounded by a
 * poll count; dies with the channel.
 */
import { z } from "zod";

export function counterPollerScript(metricsUrl: string, metric: string, maxPolls: number, intervalSeconds = 0.1): string {
  if (!/^http:\/\/[0-9a-zA-Z.:[\]-]+\/[A-Za-z0-9/_.-]*$/.test(metricsUrl)) throw new Error(`refusing to poll ${JSON.stringify(metricsUrl)}: not a plain http URL`);
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(metric)) throw new Error(`refusing to poll ${JSON.stringify(metric)}: not a metric name`);
  const n = Math.max(1, Math.floor(maxPolls));
  return [
    `i=0; while [ $i -lt ${n} ]; do i=$((i+1));`,
    `t=$(date +%s.%N);`,
    `v=$(curl -s --max-time 1 ${metricsUrl} | awk '$1 ~ /^${metric}({|$)/ {s+=$2} END {printf "%d", s}');`,
    `[ -n "$v" ] && printf 'C %s %s\\n' "$t" "$v";`,
    `sleep ${intervalSeconds}; done`,
  ].join(" ");
}

export const counterPollSchema = z.object({ t: z.number().positive(), value: z.number().nonnegative() });
export type CounterPoll = z.infer<typeof counterPollSchema>;

export function parseCounterPolls(text: string): CounterPoll[] {
  const polls: CounterPoll[] = [];
  for (const line of text.split("\n")) {
    const m = /^C (\d+(?:\.\d+)?) (\d+)$/.exec(line.trim());
    if (!m) continue; // a line cut by the channel close, or curl noise
    polls.push(counterPollSchema.parse({ t: Number(m[1]), value: Number(m[2]) }));
  }
  return polls;
}

/**
 * When the counter reached `target`: the midpoint between the last poll below it and the first
 * at or above it (the error is at most half a poll interval). Undefined when never reached.
 */
export function timeCounterReached(polls: readonly CounterPoll[], target: number): number | undefined {
  for (let i = 0; i < polls.length; i++) {
    const p = polls[i] as CounterPoll;
    if (p.value >= target) {
      const prev = i > 0 ? (polls[i - 1] as CounterPoll) : undefined;
      return prev ? (prev.t + p.t) / 2 : p.t;
    }
  }
  return undefined;
}
