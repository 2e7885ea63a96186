/**
 * Whether a trial's figure can be trusted as the sender's limit, and if not, why.
 * Invalid trials are kept (with their reasons) but never enter a mean.
 */
import type { EndToEnd, HostResources, InvalidReason, InvalidReasonCode, KumodCounterDeltas } from "../results/trial-record";
import type { TrafficGenSummary } from "./traffic-gen-output";

type InvalidCode = InvalidReasonCode;

export interface ValidityInput {
  status: "ok" | "failed";
  failure?: { step: string; message: string };
  trafficGen?: TrafficGenSummary;
  endToEnd?: EndToEnd;
  resources?: { sender: HostResources; sink: HostResources };
  port25Proof: Record<string, unknown> | null;
  messageCount: number;
  durationCapSeconds: number;
  /** The sender kumod's counters over the trial, when its metrics were read before and after. */
  senderCounters?: KumodCounterDeltas | null;
  drain?: { queueDrained: boolean; waitSeconds: number; senderDelivered: number };
  /**
   * The sink's behaviour in the trial's workload. A smart sink refuses shares on purpose: its
   * deferrals (retried) and bounces (final) are expected, counted in the record, and not reasons;
   * "drained" then means every message reached a final state (delivered or bounced) and the
   * sender's queue is empty. Default: discard (every failure is a reason).
   */
  sinkBehaviour?: "discard" | "smart";
  /**
   * A steady-state trial: traffic-gen ran for `durationCapSeconds` without `--message-count`, so
   * reaching its deadline is the plan, not a shortfall. Its "sent" counts the claims in flight at
   * the deadline too (main.rs reads the counter, then the runtime drops those sends), so the count
   * that must match the sink's is what the sender's kumod accepted. Default false.
   */
  durationMode?: boolean;
}

/** The sink may be the limit, not the sender, above this CPU (mean of the trial's samples). */
export const SINK_CPU_LIMIT_PCT = 85;
/** The network is the limit above this share of the link speed, when the link reports one. */
export const LINK_SHARE_LIMIT = 0.8;
/** A disk busy (io_ticks) above this share of the trial (mean of the samples) set the pace itself. */
export const DISK_UTIL_LIMIT_PCT = 90;
/**
 * Dropped packets (either direction) over a trial above which the NIC, not the sender, may be the
 * limit. Not zero: some drivers count unrelated traffic (multicast, unknown protocols) as rx drops,
 * a handful per minute on a quiet cloud VM; a NIC overrun under load drops thousands.
 */
export const NIC_DROPS_LIMIT = 100;

export function validityOf(r: ValidityInput): { valid: boolean; reasons: InvalidReason[] } {
  const reasons: InvalidReason[] = [];
  const add = (code: InvalidCode, detail: string): void => void reasons.push({ code, detail });

  if (r.status !== "ok") add("failed", r.failure ? `${r.failure.step}: ${r.failure.message}` : "the trial did not complete");
  if (r.port25Proof === null) add("missing-port25-proof", "no port-25 proof from provisioning: nothing shows mail could not leave");
  const tg = r.trafficGen;
  if (tg) {
    if (tg.sent === 0) add("nothing-sent", "traffic-gen sent no message");
    if (!r.durationMode && (tg.outcome === "deadline-reached" || tg.sent < r.messageCount)) {
      add("incomplete-deadline", `traffic-gen sent ${tg.sent} of ${r.messageCount} messages (${tg.outcome}); its --duration cap was ${r.durationCapSeconds} s`);
    }
    if (tg.failed > 0 || tg.stderr.clientErrorCount > 0) add("send-failures", `traffic-gen: ${tg.failed} failed, ${tg.stderr.clientErrorCount} client errors`);
  }
  const c = r.senderCounters;
  const smart = r.sinkBehaviour === "smart";
  if (smart && c && tg && r.drain?.queueDrained && c.delivered + c.permanentFailures !== (r.durationMode ? c.received : tg.sent)) {
    add("sink-count-mismatch", `${r.durationMode ? `the sender's kumod accepted ${c.received}` : `traffic-gen sent ${tg.sent}`} but the sender delivered ${c.delivered} and bounced ${c.permanentFailures}`);
  }
  if (!smart && c && c.transientFailures + c.permanentFailures > 0) {
    add(
      "delivery-failures",
      `the sender's kumod failed deliveries to the sink ${c.transientFailures} times transiently and ${c.permanentFailures} permanently (a TLS setting the sink refuses, the sink down or refusing): see its log`,
    );
  }
  if (r.drain && !r.drain.queueDrained) {
    add("queue-not-drained", `the sender's queue had not drained after ${r.drain.waitSeconds.toFixed(1)} s (delivered ${r.drain.senderDelivered}${tg ? ` of ${tg.sent}` : ""})`);
  }
  const e2e = r.endToEnd;
  if (e2e) {
    // A smart sink counts every DATA, refused ones too: its count is not the messages sent.
    if (!smart && r.durationMode && c && e2e.queueDrained && e2e.sinkReceived !== c.received) {
      add("sink-count-mismatch", `the sender's kumod accepted ${c.received} but the sink counted ${e2e.sinkReceived}`);
    } else if (!smart && !r.durationMode && tg && e2e.queueDrained && e2e.sinkReceived !== tg.sent) add("sink-count-mismatch", `traffic-gen sent ${tg.sent} but the sink counted ${e2e.sinkReceived}`);
  }
  const res = r.resources;
  if (res) {
    if (res.sink.cpuPct.mean > SINK_CPU_LIMIT_PCT) add("sink-cpu-high", `sink CPU averaged ${res.sink.cpuPct.mean.toFixed(0)} % (> ${SINK_CPU_LIMIT_PCT} %): the sink, not the sender, may be the limit`);
    for (const [name, s] of Object.entries(res)) {
      if (s.linkBitsPerSecond === null || s.linkBitsPerSecond === undefined) continue;
      const avg = Math.max(s.netRxBytesPerSec.mean, s.netTxBytesPerSec.mean) * 8;
      if (avg > LINK_SHARE_LIMIT * s.linkBitsPerSecond) {
        add("network-near-link", `${name} ${s.interface} averaged ${(avg / 1e6).toFixed(0)} Mbit/s of a ${(s.linkBitsPerSecond / 1e6).toFixed(0)} Mbit/s link`);
      }
    }
    for (const [name, s] of Object.entries(res)) {
      const util = s.disk?.utilPct.mean;
      if (s.disk && util !== undefined && util > DISK_UTIL_LIMIT_PCT) {
        add("disk-saturated", `${name} ${s.disk.device} (the spool's device) was busy ${util.toFixed(0)} % of the trial (> ${DISK_UTIL_LIMIT_PCT} %), ${s.disk.iops.mean.toFixed(0)} IOPS, ${(s.disk.writeBytesPerSec.mean / 1e6).toFixed(1)} MB/s written`);
      }
      const drops = s.netDrops;
      if (drops && drops.rx + drops.tx > NIC_DROPS_LIMIT) add("nic-drops", `${name} ${s.interface} dropped ${drops.rx} received and ${drops.tx} sent packets (> ${NIC_DROPS_LIMIT})`);
    }
  }
  // Deduplicate codes, keeping every detail.
  const merged = new Map<InvalidCode, string[]>();
  for (const reason of reasons) merged.set(reason.code, [...(merged.get(reason.code) ?? []), reason.detail]);
  const out = [...merged.entries()].map(([code, details]) => ({ code, detail: details.join("; ") }));
  return { valid: out.length === 0, reasons: out };
}
