/**
 * traffic-gen's own CPU and memory while a trial runs, wherever it runs (the sender, or the
 * generator host): read from /proc/<pid>/stat (utime, stime: clock ticks) and /proc/<pid>/status
 * (VmRSS, VmHWM: KiB) of the traffic-gen process, a few times a second by the host's own clock.
 *
 * The process is found by a pid file the trial's command writes just before it `exec`s traffic-gen
 * (so the pid is traffic-gen's own, whatever its comm reads). Like the other samplers the loop uses
 * bash builtins only, is bounded by a sample count and ends when the trial ends its stdin.
 * proc(5): in /proc/<pid>/stat, comm (field 2) is in parentheses and may hold spaces, so the
 * fields are counted after the last ')': state is field 3, utime 14, stime 15.
 */
import { z } from "zod";
import { summarize, type SeriesSummary } from "./series-summary";

/** Where the trial's command leaves traffic-gen's pid (the SSH user's; /tmp exists on every host). */
export const TRAFFIC_GEN_PID_FILE = "/tmp/kumolab-traffic-gen.pid";

/** The command that runs traffic-gen with its pid recorded: the shell writes its own pid, then becomes traffic-gen. */
export function trafficGenCommand(argvQuoted: string): string {
  return `echo $$ > ${TRAFFIC_GEN_PID_FILE} && exec ${argvQuoted}`;
}

/** Removes a pid file left by an earlier trial, so the sampler never reads a stale process. */
export const CLEAR_PID_FILE_COMMAND = `rm -f ${TRAFFIC_GEN_PID_FILE}`;

/**
 * The loop, for `bash -c`. Prints `HZ <ticks per second>` once, then per sample
 * `P <epoch s> <utime> <stime> <VmRSS kB> <VmHWM kB>` while the process lives. Before the pid
 * file appears it checks every `intervalSeconds`; once the process is gone it prints `X <epoch s>`.
 */
export function processSamplerScript(maxSamples: number, intervalSeconds = 0.25, pidFile = TRAFFIC_GEN_PID_FILE): string {
  if (!/^\/[A-Za-z0-9_./-]{1,200}$/.test(pidFile)) throw new Error(`refusing to read the pid file ${JSON.stringify(pidFile)}: not a plain absolute path`);
  const n = Math.max(1, Math.floor(maxSamples));
  return [
    "LC_ALL=C; pid=; gone=;",
    // getconf forks once, before the loop; 100 is every Linux's USER_HZ when it is missing.
    "hz=$(getconf CLK_TCK 2>/dev/null); printf 'HZ %s\\n' \"${hz:-100}\";",
    `i=0; while [ $i -lt ${n} ]; do i=$((i+1));`,
    `if [ -z "$pid" ] && [ -r ${pidFile} ]; then read -r pid < ${pidFile}; case $pid in ''|*[!0-9]*) pid=;; esac; fi;`,
    'if [ -n "$pid" ] && [ -z "$gone" ]; then',
    't=$EPOCHREALTIME;',
    'if read -r l 2>/dev/null < /proc/$pid/stat; then r=${l##*) }; set -- $r; ut=${12}; st=${13}; rss=0; hwm=0;',
    'while read -r k v _; do case $k in VmRSS:) rss=$v;; VmHWM:) hwm=$v;; esac; done < /proc/$pid/status 2>/dev/null;',
    "printf 'P %s %s %s %s %s\\n' \"$t\" \"$ut\" \"$st\" \"$rss\" \"$hwm\";",
    "else gone=1; printf 'X %s\\n' \"$t\"; fi;",
    "fi;",
    `read -rt ${intervalSeconds} -u 0 _; [ $? -gt 128 ] || exit 0; done`,
  ].join(" ");
}

export const processSampleSchema = z.object({
  t: z.number().positive(),
  /** utime + stime, clock ticks. */
  cpuTicks: z.number().int().nonnegative(),
  rssKiB: z.number().int().nonnegative(),
  hwmKiB: z.number().int().nonnegative(),
});
export type ProcessSample = z.infer<typeof processSampleSchema>;

export interface ProcessSamples {
  /** Clock ticks per second (USER_HZ). */
  hz: number;
  samples: ProcessSample[];
}

/** The sampler's output; lines cut by the channel close (or unreadable) are skipped. */
export function parseProcessSamples(text: string): ProcessSamples {
  const hzLine = /^HZ (\d+)\s*$/m.exec(text);
  const hz = hzLine ? Number(hzLine[1]) : 100;
  const samples: ProcessSample[] = [];
  for (const line of text.split("\n")) {
    const m = /^P (\d+(?:\.\d+)?) (\d+) (\d+) (\d+) (\d+)$/.exec(line.trim());
    if (!m) continue;
    samples.push(processSampleSchema.parse({ t: Number(m[1]), cpuTicks: Number(m[2]) + Number(m[3]), rssKiB: Number(m[4]), hwmKiB: Number(m[5]) }));
  }
  return { hz: hz > 0 ? hz : 100, samples };
}

export interface ProcessSummary {
  samples: number;
  /** CPU per interval between consecutive samples, % of ONE core (a process using 2 cores reads 200). */
  cpuPct: SeriesSummary;
  /** CPU seconds used between the first and the last sample. */
  cpuSeconds: number;
  /** Mean CPU as a share of the host's capacity (cpuPct.mean ÷ (vCPUs × 100)). */
  hostCpuShare: number;
  /** Resident memory over the samples, KiB. */
  rssKiB: SeriesSummary;
  /** Peak resident memory over the process's life (VmHWM at the last sample), KiB. */
  peakRssKiB: number;
}

/** null with fewer than two samples (no interval to measure CPU over). */
export function summarizeProcess(p: ProcessSamples, vcpu: number): ProcessSummary | null {
  const s = p.samples;
  const first = s[0];
  const last = s[s.length - 1];
  if (!first || !last || s.length < 2 || last.t <= first.t) return null;
  const cpu: number[] = [];
  for (let i = 1; i < s.length; i++) {
    const a = s[i - 1] as ProcessSample;
    const b = s[i] as ProcessSample;
    const dt = b.t - a.t;
    if (dt > 0) cpu.push((100 * (b.cpuTicks - a.cpuTicks)) / p.hz / dt);
  }
  const cpuPct = summarize(cpu);
  return {
    samples: s.length,
    cpuPct,
    cpuSeconds: (last.cpuTicks - first.cpuTicks) / p.hz,
    hostCpuShare: vcpu > 0 ? cpuPct.mean / (vcpu * 100) : 0,
    rssKiB: summarize(s.map((x) => x.rssKiB)),
    peakRssKiB: Math.max(last.hwmKiB, ...s.map((x) => x.rssKiB)),
  };
}
