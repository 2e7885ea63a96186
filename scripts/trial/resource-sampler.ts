/**
 * Samples a host about once a second while a trial runs: CPU utilisation (from /proc/stat),
 * memory (from /proc/meminfo) and bytes per second on the main interface (from /proc/net/dev).
 * The loop runs on the host in bash (one SSH channel, bounded by a sample count) and streams
 * plain lines back; it ends when the trial ends its stdin.
 */
import { z } from "zod";
import { summarize, type SeriesSummary } from "./series-summary";

export const INTERFACE_NAME = /^[A-Za-z0-9_.:@-]{1,15}$/;

/** The loop run on the host with `bash -c`. `iface` must match INTERFACE_NAME (it is interpolated). */
export function samplerScript(iface: string, maxSamples: number, intervalSeconds = 1): string {
  if (!INTERFACE_NAME.test(iface)) throw new Error(`refusing to sample interface ${JSON.stringify(iface)}: not an interface name`);
  const n = Math.max(1, Math.floor(maxSamples));
  return [
    `i=0; while [ $i -lt ${n} ]; do i=$((i+1));`,
    `printf 'S %s\\n' "$(date +%s.%N)";`,
    `head -n1 /proc/stat;`,
    `grep -E '^(MemTotal|MemAvailable):' /proc/meminfo;`,
    `grep -E '^ *${iface.replace(/\./g, "\\.")}:' /proc/net/dev | sed 's/^ *//';`,
    // The pause waits on stdin: when the trial stops the sampler, stdin ends and so does the loop.
    `read -rt ${intervalSeconds} -u 0 _; [ $? -gt 128 ] || exit 0; done`,
  ].join(" ");
}

export const rawSampleSchema = z.object({
  t: z.number().positive(),
  cpuBusy: z.number().nonnegative(),
  cpuTotal: z.number().positive(),
  memTotalKiB: z.number().positive(),
  memAvailableKiB: z.number().nonnegative(),
  rxBytes: z.number().nonnegative(),
  txBytes: z.number().nonnegative(),
});
export type RawSample = z.infer<typeof rawSampleSchema>;

/** Parses the sampler's output into raw samples; an incomplete last block (cut by the channel close) is dropped. */
export function parseSamples(text: string): RawSample[] {
  const samples: RawSample[] = [];
  for (const block of text.split(/^S /m).slice(1)) {
    const lines = block.split("\n");
    const t = Number(lines[0]);
    const cpu = lines.find((l) => l.startsWith("cpu "));
    const memTotal = /MemTotal:\s+(\d+)/.exec(block);
    const memAvail = /MemAvailable:\s+(\d+)/.exec(block);
    const net = lines.find((l) => /^[A-Za-z0-9_.:@-]+:\s*\d/.test(l) && !/^(cpu|Mem)/.test(l));
    if (!cpu || !memTotal?.[1] || !memAvail?.[1] || !net) continue; // cut short
    const f = cpu.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest* are already in user/nice)
    const [user = 0, nice = 0, system = 0, idle = 0, iowait = 0, irq = 0, softirq = 0, steal = 0] = f;
    const total = user + nice + system + idle + iowait + irq + softirq + steal;
    const netFields = net.slice(net.indexOf(":") + 1).trim().split(/\s+/).map(Number);
    if (netFields.length < 16) continue; // the line was cut by the channel close
    const parsed = rawSampleSchema.safeParse({
      t,
      cpuBusy: total - idle - iowait,
      cpuTotal: total,
      memTotalKiB: Number(memTotal[1]),
      memAvailableKiB: Number(memAvail[1]),
      rxBytes: netFields[0],
      txBytes: netFields[8],
    });
    if (!parsed.success) throw new Error(`resource sampler printed an unreadable sample: ${JSON.stringify(block.slice(0, 200))}`);
    samples.push(parsed.data);
  }
  return samples;
}

export interface ResourcePoint {
  t: number;
  cpuPct: number;
  memUsedPct: number;
  rxBytesPerSec: number;
  txBytesPerSec: number;
}

/** Per-interval rates between consecutive samples. */
export function resourceSeries(samples: readonly RawSample[]): ResourcePoint[] {
  const points: ResourcePoint[] = [];
  for (let i = 1; i < samples.length; i++) {
    const a = samples[i - 1] as RawSample;
    const b = samples[i] as RawSample;
    const dt = b.t - a.t;
    const dTotal = b.cpuTotal - a.cpuTotal;
    if (dt <= 0 || dTotal <= 0) continue;
    points.push({
      t: b.t,
      cpuPct: (100 * (b.cpuBusy - a.cpuBusy)) / dTotal,
      memUsedPct: (100 * (b.memTotalKiB - b.memAvailableKiB)) / b.memTotalKiB,
      rxBytesPerSec: (b.rxBytes - a.rxBytes) / dt,
      txBytesPerSec: (b.txBytes - a.txBytes) / dt,
    });
  }
  return points;
}

export interface ResourceSummary {
  interface: string;
  linkBitsPerSecond: number | null;
  samples: number;
  cpuPct: SeriesSummary;
  memUsedPct: SeriesSummary;
  netRxBytesPerSec: SeriesSummary;
  netTxBytesPerSec: SeriesSummary;
}

export function summarizeResources(iface: string, linkBitsPerSecond: number | null, points: readonly ResourcePoint[]): ResourceSummary {
  return {
    interface: iface,
    linkBitsPerSecond,
    samples: points.length,
    cpuPct: summarize(points.map((p) => p.cpuPct)),
    memUsedPct: summarize(points.map((p) => p.memUsedPct)),
    netRxBytesPerSec: summarize(points.map((p) => p.rxBytesPerSec)),
    netTxBytesPerSec: summarize(points.map((p) => p.txBytesPerSec)),
  };
}
