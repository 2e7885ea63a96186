/** Cool-downs that measure: parsing /proc, the thresholds, the bounded wait, and the readings from fake hosts. */
import { afterEach, describe, expect, test, vi } from "vitest";
import { coolDownSchema, trialRecordSchema } from "../../scripts/results/trial-record";
import { makeRecord } from "../results/make-record";
import { settleReader, CPU_TWICE_COMMAND } from "../../scripts/sweep/settle-lab";
import { coolDownText, cpuBusyPct, parseCpuLine, procNetAddress, timeWaitTowards, unsettledBy, waitUntilSettled, type SettleReadings } from "../../scripts/sweep/settle";
import type { RemoteExecResult, RemoteHost } from "../../scripts/trial/remote-host";
import { trialVerdictLine } from "../../scripts/sweep/verdict";

// A sender at 198.18.0.10 with five sockets; the sink is 198.18.0.20:2525 = "140012C6:09DD"
// (198.18.0.20 = C6 12 00 14, bytes reversed; 2525 = 0x09DD).
const PROC_NET_TCP = [
  "  sl  local_address rem_address   st tx_queue rx_queue tr tm->when retrnsmt   uid  timeout inode",
  "   0: 0100007F:1F40 00000000:0000 0A 00000000:00000000 00:00000000 00000000     0        0 1111 1 0000000000000000 100 0 0 10 0",
  "   1: 0A0012C6:A001 140012C6:09DD 06 00000000:00000000 03:00000A1B 00000000     0        0 0 3 0000000000000000",
  "   2: 0A0012C6:A002 140012C6:09DD 06 00000000:00000000 03:00000B2C 00000000     0        0 0 3 0000000000000000",
  "   3: 0A0012C6:A003 140012C6:09DD 01 00000000:00000000 00:00000000 00000000   999        0 2222 1 0000000000000000 20 4 30 10 -1",
  "   4: 0A0012C6:A004 140012C6:0019 06 00000000:00000000 03:00000C3D 00000000     0        0 0 3 0000000000000000",
  "   5: 0A0012C6:A005 150012C6:09DD 06 00000000:00000000 03:00000D4E 00000000     0        0 0 3 0000000000000000",
  "",
].join("\n");

// total 1000 (100+50+800+50), idle 850 → busy 150; then total 1150, idle 985 → busy 165: 15 of 150 = 10 %.
const CPU_BEFORE = "cpu  100 0 50 800 50 0 0 0 0 0";
const CPU_AFTER = "cpu  110 0 55 925 60 0 0 0 0 0";

const SETTLED: SettleReadings = { senderQueue: 0, senderOpen: 0, senderDeliveryQuiet: true, senderCpuPct: 3, sinkCpuPct: 2, timeWait: 4 };

describe("pure decisions", () => {
  test("/proc/net/tcp addresses: IPv4 bytes reversed, port in hex", () => {
    expect(procNetAddress("10.0.0.2", 25)).toBe("0200000A:0019");
    expect(procNetAddress("198.18.0.20", 2525)).toBe("140012C6:09DD");
    expect(() => procNetAddress("::1", 25)).toThrow(/IPv4/);
  });

  test("TIME_WAIT towards the sink counts state 06 with the sink's ip:port as the remote end only", () => {
    expect(timeWaitTowards(PROC_NET_TCP, "198.18.0.20", 2525)).toBe(2);
    expect(timeWaitTowards(PROC_NET_TCP, "198.18.0.20", 25)).toBe(1);
    expect(timeWaitTowards(PROC_NET_TCP, "198.18.0.30", 2525)).toBe(0);
    expect(timeWaitTowards("", "198.18.0.20", 2525)).toBe(0);
  });

  test("CPU busy from two /proc/stat cpu lines", () => {
    expect(parseCpuLine(CPU_BEFORE)).toEqual({ busy: 150, total: 1000 });
    expect(cpuBusyPct(CPU_BEFORE, CPU_AFTER)).toBeCloseTo(10, 10);
    // guest columns (9th, 10th) are already counted in user: they change nothing.
    expect(cpuBusyPct("cpu  100 0 50 800 50 0 0 0 400 0", "cpu  110 0 55 925 60 0 0 0 900 0")).toBeCloseTo(10, 10);
    expect(cpuBusyPct(CPU_BEFORE, CPU_BEFORE)).toBeUndefined();
    expect(cpuBusyPct("cpu0 1 2 3 4", CPU_AFTER)).toBeUndefined();
  });

  test("thresholds: each reading that is high or unknown is named", () => {
    expect(unsettledBy(SETTLED)).toEqual([]);
    // Open messages above 0 for good (a refused DATA) settle once deliveries stopped.
    expect(unsettledBy({ ...SETTLED, senderOpen: 7, senderDeliveryQuiet: true })).toEqual([]);
    expect(unsettledBy({ ...SETTLED, senderOpen: 7, senderDeliveryQuiet: false })).toEqual(["sender still delivering (7 open)"]);
    expect(unsettledBy({ senderQueue: 12, senderOpen: 0, senderDeliveryQuiet: true, senderCpuPct: 15, sinkCpuPct: 14.9, timeWait: 100 })).toEqual([
      "sender queue 12",
      "sender CPU 15 %",
      "100 TIME_WAIT sockets",
    ]);
    expect(unsettledBy({ ...SETTLED, timeWait: 99 })).toEqual([]);
    expect(unsettledBy({ senderQueue: null, senderOpen: null, senderDeliveryQuiet: null, senderCpuPct: null, sinkCpuPct: null, timeWait: null })).toHaveLength(5);
    expect(unsettledBy({ ...SETTLED, sinkCpuPct: 40 }, { cpuBusyPct: 50, timeWait: 10 })).toEqual([]);
  });

  test("the cool-down in words, and on the trial's terminal line", () => {
    expect(coolDownText({ seconds: 3.2, boundSeconds: 120, outcome: "settled", readings: SETTLED })).toBe("3.2 s, settled");
    expect(coolDownText({ seconds: 120, boundSeconds: 120, outcome: "bounded", readings: null })).toBe("120 s, not settled (bound 120 s)");
    const r = { sizeId: "c2-r4", trial: 2, status: "ok" as const, valid: true, invalidReasons: [], trafficGen: { rate: { msgsPerSec: 1500 } } };
    expect(trialVerdictLine({ ...r, coolDown: { seconds: 14, boundSeconds: 120, outcome: "settled", readings: null } })).toBe("c2-r4 trial 2: 1500.0 msgs/s → VALID (after a cool-down of 14 s, settled)");
    expect(trialVerdictLine(r)).toBe("c2-r4 trial 2: 1500.0 msgs/s → VALID");
  });
});

describe("the trial record's coolDown", () => {
  test("optional; validated when present", () => {
    const base = makeRecord({ sizeId: "c2-r4", trial: 2, startedAt: "2026-01-05T10:00:00.000Z" });
    expect(trialRecordSchema.safeParse(base).success).toBe(true);
    const coolDown = { seconds: 14, boundSeconds: 120, outcome: "settled", readings: SETTLED };
    expect(trialRecordSchema.parse({ ...base, coolDown }).coolDown).toEqual(coolDown);
    expect(trialRecordSchema.safeParse({ ...base, coolDown: { ...coolDown, outcome: "slept" } }).success).toBe(false);
    expect(trialRecordSchema.safeParse({ ...base, coolDown: { ...coolDown, seconds: -1 } }).success).toBe(false);
    expect(trialRecordSchema.safeParse({ ...base, coolDown: { ...coolDown, readings: { ...SETTLED, timeWait: 1.5 } } }).success).toBe(false);
  });
});

describe("waitUntilSettled: polled about once a second, never past the bound", () => {
  afterEach(() => vi.useRealTimers());

  /** A read that takes 1 s (like the two /proc/stat reads) and returns the next of `seq` (the last repeats). */
  function reads(seq: Array<SettleReadings | Error | "hang">) {
    let i = 0;
    const calls: number[] = [];
    const read = (): Promise<SettleReadings> => {
      const r = seq[Math.min(i++, seq.length - 1)];
      calls.push(Date.now());
      if (r === "hang") return new Promise(() => undefined);
      return new Promise((resolve, reject) => setTimeout(() => (r instanceof Error ? reject(r) : resolve(r as SettleReadings)), 1000));
    };
    return { read, calls };
  }

  async function run(seq: Array<SettleReadings | Error | "hang">, boundSeconds: number, advanceMs: number) {
    vi.useFakeTimers({ now: 0 });
    const { read, calls } = reads(seq);
    const p = waitUntilSettled(read, { boundSeconds, signal: new AbortController().signal });
    await vi.advanceTimersByTimeAsync(advanceMs);
    return { result: await p, calls };
  }

  test("settles at the third read: 3 s waited of 120, the last readings kept", async () => {
    const busy = { ...SETTLED, senderQueue: 40 };
    const { result, calls } = await run([busy, { ...SETTLED, sinkCpuPct: 60 }, SETTLED], 120, 5000);
    expect(result).toEqual({ seconds: 3, boundSeconds: 120, outcome: "settled", readings: SETTLED });
    expect(calls).toEqual([0, 1000, 2000]);
    expect(coolDownSchema.parse(result)).toEqual(result);
  });

  test("a host that never settles waits the full cool-down, as a plain sleep did", async () => {
    const busy = { ...SETTLED, timeWait: 500 };
    const { result, calls } = await run([busy], 5, 10_000);
    expect(result).toEqual({ seconds: 5, boundSeconds: 5, outcome: "bounded", readings: busy });
    expect(calls).toEqual([0, 1000, 2000, 3000, 4000]);
  });

  test("a read that hangs is abandoned at the bound; failed reads count as unsettled", async () => {
    expect((await run(["hang"], 4, 10_000)).result).toEqual({ seconds: 4, boundSeconds: 4, outcome: "bounded", readings: null });
    const { result } = await run([new Error("ssh lost"), SETTLED], 60, 5000);
    expect(result).toEqual({ seconds: 2, boundSeconds: 60, outcome: "settled", readings: SETTLED });
  });

  test("a zero cool-down returns at once without reading", async () => {
    const { result, calls } = await run([SETTLED], 0, 0);
    expect(result).toEqual({ seconds: 0, boundSeconds: 0, outcome: "bounded", readings: null });
    expect(calls).toEqual([]);
  });

  test("an abort ends the wait at once", async () => {
    vi.useFakeTimers({ now: 0 });
    const ac = new AbortController();
    const p = waitUntilSettled(reads(["hang"]).read, { boundSeconds: 120, signal: ac.signal });
    await vi.advanceTimersByTimeAsync(2500);
    ac.abort();
    await vi.advanceTimersByTimeAsync(0);
    expect(await p).toEqual({ seconds: 2.5, boundSeconds: 120, outcome: "bounded", readings: null });
  });
});

describe("settleReader on fake hosts", () => {
  const metrics = (o: { received: number; delivered: number; scheduled: number; ready: number }): string =>
    [
      `total_messages_received{service="esmtp_listener"} ${o.received}`,
      `total_messages_delivered{service="smtp_client"} ${o.delivered}`,
      `total_messages_transfail{service="smtp_client"} 0`,
      `total_messages_fail{service="smtp_client"} 1`,
      `ready_count{service="smtp_client"} ${o.ready}`,
      `scheduled_count_total ${o.scheduled}`,
      "",
    ].join("\n");

  function host(name: string, answers: Record<string, () => RemoteExecResult>, seen: string[]): RemoteHost {
    return {
      name,
      async exec(command) {
        seen.push(`${name}: ${command}`);
        const key = Object.keys(answers).find((k) => command.startsWith(k));
        if (key === undefined) throw new Error(`unexpected command ${command}`);
        return (answers[key] as () => RemoteExecResult)();
      },
    };
  }

  test("queue, open messages, CPU of both hosts, TIME_WAIT towards the sink; deliveries quiet from the second read", async () => {
    const seen: string[] = [];
    let m = metrics({ received: 1000, delivered: 995, scheduled: 3, ready: 1 });
    const ok = (stdout: string): RemoteExecResult => ({ code: 0, stdout, stderr: "" });
    const sender = host("sender", { curl: () => ok(m), [CPU_TWICE_COMMAND]: () => ok(`${CPU_BEFORE}\n${CPU_AFTER}\n`), "cat /proc/net/tcp": () => ok(PROC_NET_TCP) }, seen);
    const sink = host("sink", { [CPU_TWICE_COMMAND]: () => ok("cpu  0 0 0 100 0 0 0 0\ncpu  50 0 0 150 0 0 0 0\n") }, seen);
    const read = settleReader({ sender, sink, senderMetricsUrl: "http://127.0.0.1:8000/metrics", sinkAddress: "198.18.0.20", sinkPort: 2525 });
    const signal = new AbortController().signal;
    // 1000 received − 995 delivered − 1 bounced = 4 open; queue 3 scheduled + 1 ready; sink 50 busy of 100.
    expect(await read(signal)).toEqual({ senderQueue: 4, senderOpen: 4, senderDeliveryQuiet: false, senderCpuPct: 10, sinkCpuPct: 50, timeWait: 2 });
    m = metrics({ received: 1000, delivered: 999, scheduled: 0, ready: 0 });
    expect(await read(signal)).toMatchObject({ senderQueue: 0, senderOpen: 0, senderDeliveryQuiet: false });
    expect(await read(signal)).toMatchObject({ senderQueue: 0, senderOpen: 0, senderDeliveryQuiet: true });
    expect(seen.filter((s) => s.startsWith("sink"))).toEqual(Array(3).fill(`sink: ${CPU_TWICE_COMMAND}`));
  });

  test("a host that cannot be read gives nulls, not an error", async () => {
    const fail = (): RemoteExecResult => ({ code: 1, stdout: "", stderr: "no" });
    const sender = host("sender", { curl: fail, [CPU_TWICE_COMMAND]: fail, "cat /proc/net/tcp": fail }, []);
    const sink: RemoteHost = { name: "sink", exec: async () => Promise.reject(new Error("connection lost")) };
    const read = settleReader({ sender, sink, senderMetricsUrl: "http://127.0.0.1:8000/metrics", sinkAddress: "198.18.0.20", sinkPort: 2525 });
    expect(await read(new AbortController().signal)).toEqual({ senderQueue: null, senderOpen: null, senderDeliveryQuiet: null, senderCpuPct: null, sinkCpuPct: null, timeWait: null });
  });
});
