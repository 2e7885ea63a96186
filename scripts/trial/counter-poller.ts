/**
 * Polls one kumod counter on a host at a short interval (default 0.025 s) by the host's own clock,
 * so the end-to-end rate can place the first injection (sender) and the last delivery (sink) in
 * time. Each poll is bracketed by the clock before and after the request: the value was read
 * somewhere in between. Runs on the host, bounded by a poll count; ends when its stdin ends.
 */
import { z } from "zod";
import { seriesKey, type SeriesSelector } from "../kumomta/metrics";

/**
 * The poll loop, in bash with builtins only (the HTTP request over /dev/tcp, the clock from
 * $EPOCHREALTIME, the pause from `read -t`): forking curl/date/sleep on every poll made the
 * interval ten times longer on a busy host, and with it the error. Run with `bash -c`.
 *
 * It reads exactly one series, matched by its whole text: kumod exports each counter as a total
 * series and per-listener series at once, so a match on the name alone would count twice. With at
 * most one label the text is the same in both of kumod's writers (they differ in the separator
 * between labels), which is why selectors with more labels are refused.
 */
export function counterPollerScript(metricsUrl: string, series: SeriesSelector, maxPolls: number, intervalSeconds = 0.025): string {
  const url = /^http:\/\/(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})(\/[A-Za-z0-9/_.-]*)$/.exec(metricsUrl);
  if (!url) throw new Error(`refusing to poll ${JSON.stringify(metricsUrl)}: not http://IPv4:port/path`);
  if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(series.name)) throw new Error(`refusing to poll ${JSON.stringify(series.name)}: not a metric name`);
  const labels = Object.entries(series.labels);
  if (labels.length > 1) throw new Error(`refusing to poll ${series.name} by ${labels.length} labels: its text differs between kumod's writers; poll a series with at most one label`);
  if (labels.some(([k, v]) => !/^[a-zA-Z_][a-zA-Z0-9_]*$/.test(k) || !/^[A-Za-z0-9_:.@>\[\]-]*$/.test(v))) throw new Error(`refusing to poll ${seriesKey(series.name, series.labels)}: label not safe to place in a shell pattern`);
  // `name{service="x"} 123` or `name 123`: the series text, then a space. Quoted for bash's case.
  const linePrefix = `${seriesKey(series.name, series.labels)} `.replace(/"/g, '\\"');
  const [, host, port, pathPart] = url;
  const n = Math.max(1, Math.floor(maxPolls));
  return [
    `i=0; while [ $i -lt ${n} ]; do i=$((i+1));`,
    "t0=$EPOCHREALTIME; s=0;",
    `if exec 3<>/dev/tcp/${host}/${port}; then`,
    `printf 'GET ${pathPart} HTTP/1.0\\r\\nHost: ${host}\\r\\n\\r\\n' >&3;`,
    `while IFS= read -r line <&3; do case "$line" in "${linePrefix}"*) v=\${line##* }; v=\${v%$'\\r'}; s=\${v%%.*} ;; esac; done;`,
    "exec 3<&-;",
    `printf 'C %s %s %s\\n' "$t0" "$s" "$EPOCHREALTIME";`,
    // A line on every poll, even a failed one: writing is how the loop notices its channel closed.
    `else printf 'E %s\\n' "$EPOCHREALTIME"; fi 2>/dev/null;`,
    // A fork-free pause that also ends the loop when the trial closes its stdin.
    `read -rt ${intervalSeconds} -u 0 _; [ $? -gt 128 ] || exit 0;`,
    "done",
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
 * half-width is the error bound. Undefined when never reached, or already reached at the first reading.
 */
export function timeCounterReached(polls: readonly CounterPoll[], target: number): { at: number; errorSeconds: number } | undefined {
  for (let i = 0; i < polls.length; i++) {
    const p = polls[i] as CounterPoll;
    if (p.value >= target) {
      // Reached before the first reading: when is unknown.
      if (i === 0) return undefined;
      const lo = (polls[i - 1] as CounterPoll).t0;
      return { at: (lo + p.t1) / 2, errorSeconds: (p.t1 - lo) / 2 };
    }
  }
  return undefined;
}
