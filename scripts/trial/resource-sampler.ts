/**
 * Samples a host about once a second while a trial runs: CPU utilisation (from /proc/stat),
 * memory (from /proc/meminfo), bytes per second and drops on the main interface (from
 * /proc/net/dev), and the I/O of the block device holding KumoMTA's spool (from /proc/diskstats).
 * The loop runs on the host in bash with builtins only (one SSH channel, bounded by a sample count)
 * and streams plain lines back; it ends when the trial ends its stdin.
 */
import { z } from "zod";
import { summarize, type SeriesSummary } from "./series-summary";

export const INTERFACE_NAME = /^[A-Za-z0-9_.:@-]{1,15}$/;
/** Where kumod spools (KumoMTA's default data and meta spools live under it). */
export const SPOOL_PATH = "/var/spool/kumomta";
const SAFE_PATH = /^\/[A-Za-z0-9_./-]{0,200}$/;
/** /proc/diskstats counts sectors of 512 bytes whatever the device's own sector size (Documentation/admin-guide/iostats.rst). */
export const DISKSTATS_SECTOR_BYTES = 512;

/**
 * The loop run on the host with `bash -c`. `iface` must match INTERFACE_NAME (it is interpolated).
 *
 * No process is forked per sample (a busy host would stretch the interval and the sampler would
 * load the CPU it measures): the clock is $EPOCHREALTIME, files are read with `read`, the pause is
 * `read -t` on stdin. Before the loop it finds the spool's device: the mount in
 * /proc/self/mountinfo with the longest mount point that is a prefix of `spoolPath` gives its
 * major:minor, which names the device's line in /proc/diskstats (no findmnt/stat needed; a
 * filesystem with no block device, e.g. overlay or tmpfs, has no line and no disk figures).
 */
export function samplerScript(iface: string, maxSamples: number, intervalSeconds = 1, spoolPath = SPOOL_PATH): string {
  if (!INTERFACE_NAME.test(iface)) throw new Error(`refusing to sample interface ${JSON.stringify(iface)}: not an interface name`);
  if (!SAFE_PATH.test(spoolPath)) throw new Error(`refusing to sample the device of ${JSON.stringify(spoolPath)}: not a plain absolute path`);
  const n = Math.max(1, Math.floor(maxSamples));
  const spool = spoolPath.replace(/\/+$/, "");
  return [
    // EPOCHREALTIME's decimal point follows the locale.
    "LC_ALL=C; dev=; best=-1;",
    `while read -r _ _ mm _ mp _; do case "${spool}/" in "\${mp%/}/"*) if [ \${#mp} -gt $best ]; then best=\${#mp}; dev=$mm; fi;; esac; done < /proc/self/mountinfo;`,
    `i=0; while [ $i -lt ${n} ]; do i=$((i+1));`,
    `t=$EPOCHREALTIME; [ -n "$t" ] || t=$(date +%s.%N); printf 'S %s\n' "$t";`,
    "{ read -r l; printf '%s\n' \"$l\"; } < /proc/stat;",
    "while read -r k v _; do case $k in MemTotal:|MemAvailable:) printf '%s %s kB\n' \"$k\" \"$v\";; esac; done < /proc/meminfo;",
    `while read -r l; do case $l in "${iface}:"*) printf '%s\n' "$l";; esac; done < /proc/net/dev;`,
    // major minor name | reads merged sectors ms | writes merged sectors ms | in-flight io_ticks …
    `if [ -n "$dev" ]; then while read -r ma mi dn rd _ rs _ wr _ ws _ _ io _; do if [ "$ma:$mi" = "$dev" ]; then printf 'D %s %s %s %s %s %s\n' "$dn" "$rd" "$rs" "$wr" "$ws" "$io"; fi; done < /proc/diskstats; fi;`,
    // The pause waits on stdin: when the trial stops the sampler, stdin ends and so does the loop.
    `read -rt ${intervalSeconds} -u 0 _; [ $? -gt 128 ] || exit 0; done`,
  ].join(" ");
}

const diskSampleSchema = z.object({
  device: z.string().min(1),
  reads: z.number().nonnegative(),
  sectorsRead: z.number().nonnegative(),
  writes: z.number().nonnegative(),
  sectorsWritten: z.number().nonnegative(),
  /** Milliseconds the device had I/O in flight (io_ticks): its utilisation. */
  ioTicksMs: z.number().nonnegative(),
});

export const rawSampleSchema = z.object({
  t: z.number().positive(),
  cpuBusy: z.number().nonnegative(),
  cpuTotal: z.number().positive(),
  memTotalKiB: z.number().positive(),
  memAvailableKiB: z.number().nonnegative(),
  rxBytes: z.number().nonnegative(),
  txBytes: z.number().nonnegative(),
  rxDrops: z.number().nonnegative(),
  txDrops: z.number().nonnegative(),
  /** The spool device's counters; null when the host has none to show (see samplerScript). */
  disk: diskSampleSchema.nullable(),
});
export type RawSample = z.infer<typeof rawSampleSchema>;

/** A `cpu …` line of /proc/stat as (busy, total) jiffies; undefined when it is not one. */
export function parseCpuLine(line: string): { busy: number; total: number } | undefined {
  const parts = line.trim().split(/\s+/);
  if (parts[0] !== "cpu" || parts.length < 5) return undefined;
  // user nice system idle iowait irq softirq steal (guest and guest_nice are already in user and nice).
  const v = parts.slice(1, 9).map(Number);
  if (v.some((x) => !Number.isFinite(x) || x < 0)) return undefined;
  const total = v.reduce((a, b) => a + b, 0);
  const idle = (v[3] ?? 0) + (v[4] ?? 0);
  return { busy: total - idle, total };
}

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
    const cpuJiffies = parseCpuLine(cpu);
    const netFields = net.slice(net.indexOf(":") + 1).trim().split(/\s+/).map(Number);
    if (netFields.length < 16) continue; // the line was cut by the channel close
    const d = lines.find((l) => l.startsWith("D "))?.trim().split(/\s+/);
    const disk = d && d.length === 7 ? { device: d[1], reads: Number(d[2]), sectorsRead: Number(d[3]), writes: Number(d[4]), sectorsWritten: Number(d[5]), ioTicksMs: Number(d[6]) } : null;
    const parsed = rawSampleSchema.safeParse({
      t,
      cpuBusy: cpuJiffies?.busy,
      cpuTotal: cpuJiffies?.total,
      memTotalKiB: Number(memTotal[1]),
      memAvailableKiB: Number(memAvail[1]),
      rxBytes: netFields[0],
      txBytes: netFields[8],
      rxDrops: netFields[3],
      txDrops: netFields[11],
      disk,
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
  /** Spool device, when both samples have it. */
  disk?: { device: string; iops: number; readBytesPerSec: number; writeBytesPerSec: number; utilPct: number };
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
      ...(a.disk && b.disk && a.disk.device === b.disk.device
        ? {
            disk: {
              device: b.disk.device,
              iops: (b.disk.reads - a.disk.reads + (b.disk.writes - a.disk.writes)) / dt,
              readBytesPerSec: ((b.disk.sectorsRead - a.disk.sectorsRead) * DISKSTATS_SECTOR_BYTES) / dt,
              writeBytesPerSec: ((b.disk.sectorsWritten - a.disk.sectorsWritten) * DISKSTATS_SECTOR_BYTES) / dt,
              // io_ticks can run a little ahead of the wall clock between two reads: not above 100 %.
              utilPct: Math.min(100, (100 * (b.disk.ioTicksMs - a.disk.ioTicksMs)) / (dt * 1000)),
            },
          }
        : {}),
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
  /** Packets the interface dropped over the trial (last sample − first). */
  netDrops?: { rx: number; tx: number };
  /** The spool device's I/O; null when no sample showed it. */
  disk?: DiskSummary | null;
}

export interface DiskSummary {
  device: string;
  iops: SeriesSummary;
  readBytesPerSec: SeriesSummary;
  writeBytesPerSec: SeriesSummary;
  utilPct: SeriesSummary;
}

/** Drops over the trial, from the raw samples (counters: last − first, never below 0). */
export function dropsOf(samples: readonly RawSample[]): { rx: number; tx: number } | undefined {
  const a = samples[0];
  const b = samples[samples.length - 1];
  if (!a || !b || a === b) return undefined;
  return { rx: Math.max(0, b.rxDrops - a.rxDrops), tx: Math.max(0, b.txDrops - a.txDrops) };
}

export function summarizeResources(iface: string, linkBitsPerSecond: number | null, points: readonly ResourcePoint[], drops?: { rx: number; tx: number }): ResourceSummary {
  const disk = points.flatMap((p) => (p.disk ? [p.disk] : []));
  return {
    ...(drops ? { netDrops: drops } : {}),
    disk:
      disk.length === 0
        ? null
        : {
            device: (disk[disk.length - 1] as NonNullable<ResourcePoint["disk"]>).device,
            iops: summarize(disk.map((x) => x.iops)),
            readBytesPerSec: summarize(disk.map((x) => x.readBytesPerSec)),
            writeBytesPerSec: summarize(disk.map((x) => x.writeBytesPerSec)),
            utilPct: summarize(disk.map((x) => x.utilPct)),
          },
    interface: iface,
    linkBitsPerSecond,
    samples: points.length,
    cpuPct: summarize(points.map((p) => p.cpuPct)),
    memUsedPct: summarize(points.map((p) => p.memUsedPct)),
    netRxBytesPerSec: summarize(points.map((p) => p.rxBytesPerSec)),
    netTxBytesPerSec: summarize(points.map((p) => p.txBytesPerSec)),
  };
}
