/**
 * Cool-downs that measure instead of waiting: between trials the sweep waits until the hosts have
 * settled — the sender's kumod holds nothing, both CPUs are near idle, few TIME_WAIT sockets remain
 * from the sender towards the sink — polled about once a second, never longer than the configured
 * cool-down. This module holds the pure decisions (parsing, thresholds) and the bounded wait loop;
 * ./settle-lab.ts reads the real hosts.
 */
import type { CoolDown, SettleReadings } from "../results/trial-record";
import { parseCpuLine } from "../trial/resource-sampler";

export type { CoolDown, SettleReadings };
export { parseCpuLine };

export interface SettleThresholds {
  /** CPU busy on each host, %, below which it counts as idle. */
  cpuBusyPct: number;
  /** TIME_WAIT sockets towards the sink below which the sender's sockets count as settled. */
  timeWait: number;
}

export const SETTLE_THRESHOLDS: SettleThresholds = { cpuBusyPct: 15, timeWait: 100 };

/** Time between the starts of two reads. */
export const SETTLE_POLL_MS = 1000;

/** CPU busy, %, between two reads of /proc/stat's `cpu` line; undefined when either is unreadable or no time passed. */
export function cpuBusyPct(before: string, after: string): number | undefined {
  const a = parseCpuLine(before);
  const b = parseCpuLine(after);
  if (!a || !b) return undefined;
  const dt = b.total - a.total;
  if (dt <= 0) return undefined;
  return Math.min(100, Math.max(0, ((b.busy - a.busy) / dt) * 100));
}

/**
 * An IPv4 address and port as /proc/net/tcp writes them: the address as the kernel's 32-bit word
 * printed in hex (little-endian hosts: the bytes reversed), the port in hex, both upper case.
 * 10.0.0.2:25 → "0200000A:0019".
 */
export function procNetAddress(ip: string, port: number): string {
  const bytes = ip.split(".").map(Number);
  if (bytes.length !== 4 || bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 255)) throw new Error(`not an IPv4 address: ${ip}`);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new Error(`not a port: ${port}`);
  const hex = (n: number, w: number): string => n.toString(16).toUpperCase().padStart(w, "0");
  return `${[...bytes].reverse().map((b) => hex(b, 2)).join("")}:${hex(port, 4)}`;
}

/** TCP_TIME_WAIT in /proc/net/tcp's `st` column. */
const TIME_WAIT = "06";

/** TIME_WAIT sockets in a /proc/net/tcp listing whose remote end is ip:port. */
export function timeWaitTowards(procNetTcp: string, ip: string, port: number): number {
  const want = procNetAddress(ip, port);
  let n = 0;
  for (const line of procNetTcp.split("\n")) {
    // "  12: 0100000A:D2F4 0200000A:0019 06 00000000:00000000 …"
    const f = line.trim().split(/\s+/);
    if (f.length < 4 || !/^\d+:$/.test(f[0] ?? "")) continue;
    if (f[2]?.toUpperCase() === want && f[3]?.toUpperCase() === TIME_WAIT) n++;
  }
  return n;
}

/** What keeps the hosts from counting as settled, in words; empty = settled. A reading that is null keeps them unsettled. */
export function unsettledBy(r: SettleReadings, t: SettleThresholds = SETTLE_THRESHOLDS): string[] {
  const why: string[] = [];
  if (r.senderQueue === null) why.push("sender queue unknown");
  else if (r.senderQueue > 0) why.push(`sender queue ${r.senderQueue}`);
  // Open messages can stay above 0 for good (scripts/trial/kumod-counters.ts): then deliveries must have stopped.
  if (r.senderOpen === null) why.push("sender open messages unknown");
  else if (r.senderOpen > 0 && r.senderDeliveryQuiet !== true) why.push(`sender still delivering (${r.senderOpen} open)`);
  for (const [name, pct] of [
    ["sender", r.senderCpuPct],
    ["sink", r.sinkCpuPct],
  ] as const) {
    if (pct === null) why.push(`${name} CPU unknown`);
    else if (pct >= t.cpuBusyPct) why.push(`${name} CPU ${pct.toFixed(0)} %`);
  }
  if (r.timeWait === null) why.push("TIME_WAIT unknown");
  else if (r.timeWait >= t.timeWait) why.push(`${r.timeWait} TIME_WAIT sockets`);
  return why;
}

export interface SettleWaitOptions {
  /** The configured cool-down: the wait never takes longer. */
  boundSeconds: number;
  signal: AbortSignal;
  thresholds?: SettleThresholds;
  pollMs?: number;
}

function plainSleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = (): void => {
      clearTimeout(timer);
      signal.removeEventListener("abort", done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener("abort", done, { once: true });
  });
}

/**
 * Reads until the hosts have settled or the bound is reached, whichever comes first. A read that
 * fails counts as not settled; a read still running at the bound is abandoned. Ends early (as
 * `bounded`) when `signal` aborts: the caller checks the signal.
 */
export async function waitUntilSettled(read: (signal: AbortSignal) => Promise<SettleReadings>, opts: SettleWaitOptions): Promise<CoolDown> {
  const now = Date.now;
  const sleep = plainSleep;
  const pollMs = opts.pollMs ?? SETTLE_POLL_MS;
  const boundMs = opts.boundSeconds * 1000;
  const start = now();
  const elapsed = (): number => Math.min(boundMs, Math.max(0, now() - start));
  const result = (outcome: CoolDown["outcome"], readings: SettleReadings | null): CoolDown => ({
    seconds: Math.round(elapsed() / 100) / 10,
    boundSeconds: opts.boundSeconds,
    outcome,
    readings,
  });
  let last: SettleReadings | null = null;
  // Bounded twice: by the clock, and by a count of polls far above any cool-down's worth.
  const maxPolls = Math.ceil(boundMs / Math.max(1, pollMs)) + 10;
  for (let i = 0; i < maxPolls && !opts.signal.aborted; i++) {
    const left = boundMs - elapsed();
    if (left <= 0) break;
    const pollStart = now();
    const ac = new AbortController();
    const onAbort = (): void => ac.abort();
    opts.signal.addEventListener("abort", onAbort, { once: true });
    try {
      const got = await Promise.race([read(ac.signal).then((r) => ({ r }), () => ({ r: undefined })), sleep(left, ac.signal).then(() => "timeout" as const)]);
      if (got === "timeout") break;
      if (got.r) {
        last = got.r;
        if (unsettledBy(got.r, opts.thresholds).length === 0) return result("settled", last);
      }
    } finally {
      ac.abort();
      opts.signal.removeEventListener("abort", onAbort);
    }
    const wait = Math.min(boundMs - elapsed(), pollMs - (now() - pollStart));
    if (wait > 0) await sleep(wait, opts.signal);
  }
  return result("bounded", last);
}

/** The cool-down in a few words, for the trial's terminal line and the report: "12 s, settled". */
export function coolDownText(c: CoolDown): string {
  return `${c.seconds < 10 ? c.seconds.toFixed(1) : c.seconds.toFixed(0)} s, ${c.outcome === "settled" ? "settled" : `not settled (bound ${c.boundSeconds} s)`}`;
}
