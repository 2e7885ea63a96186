/**
 * The NIC's own counters (`ethtool -S <iface>`) before and after a trial, where ethtool and the
 * driver provide them. On AWS the ENA driver counts packets it queued or dropped because the
 * instance went over its network allowance (`bw_in_allowance_exceeded`, `bw_out_allowance_exceeded`,
 * `pps_allowance_exceeded`, `conntrack_allowance_exceeded`, `linklocal_allowance_exceeded`; AWS EC2
 * User Guide, "Monitor network performance for ENA settings"): shaping that /proc/net/dev does not
 * show. A host without ethtool, or a driver without statistics, is recorded as such — not an error.
 */
import { z } from "zod";
import { INTERFACE_NAME } from "./resource-sampler";

/** ENA's allowance counters: any increase means the instance's network allowance limited it. */
export const ENA_ALLOWANCE_COUNTERS = [
  "bw_in_allowance_exceeded",
  "bw_out_allowance_exceeded",
  "pps_allowance_exceeded",
  "conntrack_allowance_exceeded",
  "linklocal_allowance_exceeded",
] as const;

/** Counter names kept even when they did not move: drops, errors, misses and allowances say what limited. */
const KEPT = /(drop|miss|err|fifo|allowance|discard|exceeded|timeout)/i;

export function ethtoolCommand(iface: string): string {
  if (!INTERFACE_NAME.test(iface)) throw new Error(`refusing to read NIC statistics of ${JSON.stringify(iface)}: not an interface name`);
  // Exit 127: no ethtool. Otherwise ethtool's own exit status and message (e.g. "no stats available").
  return `if command -v ethtool >/dev/null 2>&1; then ethtool -S ${iface} 2>&1; else echo 'ethtool: not installed'; exit 127; fi`;
}

export type EthtoolReading = { ok: true; counters: Record<string, number> } | { ok: false; reason: string };

/** `ethtool -S` output (`NIC statistics:` then `     name: value` lines) or why there is none. */
export function parseEthtool(code: number | null, text: string): EthtoolReading {
  if (code === 127) return { ok: false, reason: "ethtool is not installed on the host" };
  if (code !== 0) return { ok: false, reason: `ethtool -S: ${text.trim().split("\n").slice(-1)[0] || `exit ${code ?? "?"}`}` };
  const counters: Record<string, number> = {};
  for (const line of text.split("\n")) {
    const m = /^\s+([^:]+):\s+(\d+)\s*$/.exec(line);
    if (m?.[1] && m[2]) counters[m[1].trim()] = Number(m[2]);
  }
  if (Object.keys(counters).length === 0) return { ok: false, reason: "the interface's driver reports no statistics" };
  return { ok: true, counters };
}

export const nicStatsSchema = z.discriminatedUnion("available", [
  z
    .object({
      available: z.literal(true),
      interface: z.string(),
      /** after − before of each counter that moved, and of every drop/error/allowance counter. */
      deltas: z.record(z.string(), z.number()),
      /** Sum of the ENA allowance counters' increases; null when the driver has none (not ENA). */
      allowanceExceeded: z.number().int().nonnegative().nullable(),
    })
    .strict(),
  z.object({ available: z.literal(false), interface: z.string(), reason: z.string().min(1) }).strict(),
]);
export type NicStats = z.infer<typeof nicStatsSchema>;

export function nicStatsOf(iface: string, before: EthtoolReading, after: EthtoolReading): NicStats {
  if (!before.ok) return { available: false, interface: iface, reason: before.reason };
  if (!after.ok) return { available: false, interface: iface, reason: after.reason };
  const deltas: Record<string, number> = {};
  for (const [k, v] of Object.entries(after.counters)) {
    const b = before.counters[k];
    if (b === undefined) continue;
    const d = v - b;
    if (d !== 0 || KEPT.test(k)) deltas[k] = d;
  }
  const ena = ENA_ALLOWANCE_COUNTERS.filter((k) => k in after.counters && k in before.counters);
  return {
    available: true,
    interface: iface,
    deltas,
    allowanceExceeded: ena.length === 0 ? null : ena.reduce((a, k) => a + Math.max(0, (after.counters[k] ?? 0) - (before.counters[k] ?? 0)), 0),
  };
}
