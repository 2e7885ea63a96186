/**
 * kumod's health gauges while a trial runs: RocksDB write stalls and load shedding (per-spool
 * gauges, scripts/kumomta/metrics.ts ROCKS_SPOOL_GAUGES) and memory against its soft limit. They
 * are gauges — a stall that began and ended within the trial shows in no before/after pair — so
 * the sender's /metrics is read about once a second and only these lines are kept.
 */
import { KUMOD_SERIES, ROCKS_SPOOL_GAUGES, ROCKS_SPOOL_LABEL } from "../kumomta/metrics";

const WANTED = [...Object.values(ROCKS_SPOOL_GAUGES), KUMOD_SERIES.memoryUsage.name, KUMOD_SERIES.memoryLimit.name];

/**
 * The poll loop for `bash -c` (builtins only, the request over /dev/tcp as counter-poller.ts does):
 * per poll `G <epoch s>`, then each exported line of a wanted family, verbatim.
 */
export function kumodGaugePollerScript(metricsUrl: string, maxPolls: number, intervalSeconds = 1): string {
  const url = /^http:\/\/(\d{1,3}(?:\.\d{1,3}){3}):(\d{1,5})(\/[A-Za-z0-9/_.-]*)$/.exec(metricsUrl);
  if (!url) throw new Error(`refusing to poll ${JSON.stringify(metricsUrl)}: not http://IPv4:port/path`);
  const [, host, port, pathPart] = url;
  // `name{…} v` or `name v`: the family name, then a brace or a space.
  const patterns = WANTED.flatMap((n) => [`"${n}{"*`, `"${n} "*`]).join("|");
  const n = Math.max(1, Math.floor(maxPolls));
  return [
    `i=0; while [ $i -lt ${n} ]; do i=$((i+1));`,
    "printf 'G %s\\n' \"$EPOCHREALTIME\";",
    `if exec 3<>/dev/tcp/${host}/${port}; then`,
    `printf 'GET ${pathPart} HTTP/1.0\\r\\nHost: ${host}\\r\\n\\r\\n' >&3;`,
    `while IFS= read -r line <&3; do line=\${line%$'\\r'}; case "$line" in ${patterns}) printf '%s\\n' "$line";; esac; done;`,
    "exec 3<&-; fi 2>/dev/null;",
    `read -rt ${intervalSeconds} -u 0 _; [ $? -gt 128 ] || exit 0;`,
    "done",
  ].join(" ");
}

/** One gauge over the trial: its highest value (over every spool path) and in how many polls it was above 0. */
export interface GaugeFigure {
  max: number;
  nonZeroPolls: number;
}

export interface KumodGauges {
  polls: number;
  /** Each RocksDB gauge; null when kumod never exported it (a LocalDisk spool, or a release without it). */
  rocksdb: { [K in keyof typeof ROCKS_SPOOL_GAUGES]: GaugeFigure | null };
  /** Peak memory_usage against memory_limit; null when kumod exported neither. */
  memory: { peakUsageBytes: number; limitBytes: number | null; peakShare: number | null } | null;
}

const LINE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})? (-?[0-9.eE+]+|NaN|[+-]Inf)$/;

/** The poller's output → the trial's figures. Lines cut by the channel close are skipped. */
export function parseKumodGaugePolls(text: string): KumodGauges {
  const polls: Array<Map<string, number>> = [];
  for (const block of text.split(/^G /m).slice(1)) {
    // Per family, the highest value over its series in this poll (one series per spool path).
    const values = new Map<string, number>();
    for (const raw of block.split("\n").slice(1)) {
      const m = LINE.exec(raw.trim());
      if (!m || !m[1] || !m[3]) continue;
      if (m[2] !== undefined && m[1].startsWith("rocks_spool_") && !m[2].includes(`${ROCKS_SPOOL_LABEL}=`)) continue;
      const v = Number(m[3]);
      if (!Number.isFinite(v)) continue;
      values.set(m[1], Math.max(values.get(m[1]) ?? -Infinity, v));
    }
    polls.push(values);
  }
  const figure = (name: string): GaugeFigure | null => {
    const seen = polls.flatMap((p) => (p.has(name) ? [p.get(name) as number] : []));
    return seen.length === 0 ? null : { max: Math.max(...seen), nonZeroPolls: seen.filter((v) => v > 0).length };
  };
  const rocksdb = Object.fromEntries(Object.entries(ROCKS_SPOOL_GAUGES).map(([k, name]) => [k, figure(name)])) as KumodGauges["rocksdb"];
  const usage = polls.flatMap((p) => (p.has(KUMOD_SERIES.memoryUsage.name) ? [p.get(KUMOD_SERIES.memoryUsage.name) as number] : []));
  const limits = polls.flatMap((p) => (p.has(KUMOD_SERIES.memoryLimit.name) ? [p.get(KUMOD_SERIES.memoryLimit.name) as number] : []));
  const peak = usage.length ? Math.max(...usage) : null;
  const limit = limits.length ? (limits[limits.length - 1] as number) : null;
  return {
    polls: polls.length,
    rocksdb,
    memory: peak === null ? null : { peakUsageBytes: peak, limitBytes: limit, peakShare: limit && limit > 0 ? peak / limit : null },
  };
}
