/**
 * The settle check's readings on real hosts (./settle.ts decides): the sender kumod's queue and open
 * messages from its metrics, CPU busy on both hosts from two /proc/stat reads 1 s apart, and the
 * sender's TIME_WAIT sockets towards the sink from one read of /proc/net/tcp, parsed here.
 */
import { deliveryActivity, openMessages, queueDepth } from "../trial/kumod-counters";
import type { RemoteHost } from "../trial/remote-host";
import { readMetrics } from "../trial/run-trial";
import { cpuBusyPct, timeWaitTowards, type SettleReadings } from "./settle";

export interface SettleTargets {
  sender: RemoteHost;
  sink: RemoteHost;
  senderMetricsUrl: string;
  /** The sink as the sender reaches it (an IPv4 literal) and its SMTP port. */
  sinkAddress: string;
  sinkPort: number;
}

/** The first `cpu ` line, read twice about 1 s apart: one command, two lines. */
export const CPU_TWICE_COMMAND = "head -n1 /proc/stat; sleep 1; head -n1 /proc/stat";

const TIMEOUT_MS = 10_000;

async function cpuOf(host: RemoteHost): Promise<number | null> {
  const r = await host.exec(CPU_TWICE_COMMAND, { timeoutMs: TIMEOUT_MS });
  const lines = r.stdout.split("\n").filter((l) => l.startsWith("cpu "));
  if (r.code !== 0 || lines.length !== 2) return null;
  return cpuBusyPct(lines[0] ?? "", lines[1] ?? "") ?? null;
}

/** Null when the sink is not an IPv4 literal (/proc/net/tcp lists IPv4 only). */
function timeWaitOrNull(procNetTcp: string, t: SettleTargets): number | null {
  try {
    return timeWaitTowards(procNetTcp, t.sinkAddress, t.sinkPort);
  } catch {
    return null;
  }
}

/** A reader that remembers the sender's delivery counters between reads (to tell whether deliveries stopped). */
export function settleReader(t: SettleTargets): (signal: AbortSignal) => Promise<SettleReadings> {
  let lastActivity: string | undefined;
  const orNull = <T>(p: Promise<T>): Promise<T | null> => p.catch(() => null);
  return async () => {
    const [metrics, senderCpuPct, sinkCpuPct, tcp] = await Promise.all([
      orNull(readMetrics(t.sender, t.senderMetricsUrl)),
      orNull(cpuOf(t.sender)),
      orNull(cpuOf(t.sink)),
      orNull(t.sender.exec("cat /proc/net/tcp", { timeoutMs: TIMEOUT_MS })),
    ]);
    const activity = metrics ? deliveryActivity(metrics) : undefined;
    const quiet = activity === undefined ? null : lastActivity !== undefined && lastActivity === activity;
    lastActivity = activity;
    return {
      senderQueue: metrics ? queueDepth(metrics) : null,
      senderOpen: metrics ? openMessages(metrics) : null,
      senderDeliveryQuiet: quiet,
      senderCpuPct,
      sinkCpuPct,
      timeWait: tcp && tcp.code === 0 ? timeWaitOrNull(tcp.stdout, t) : null,
    };
  };
}
