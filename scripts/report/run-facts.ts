/**
 * The facts of a run a reader needs beside its figures: KumoMTA versions per host, regions, what
 * the sink was (a cloud VM size, an inventory host or the namespace lab), TLS mode, traffic-gen's
 * parameters, kernels, dates, the data transfer it caused and the published pages compared with.
 */
import type { RunManifest } from "../results/run-manifest";
import type { TrialRecord } from "../results/trial-record";
import { DATA_TRANSFER_DEFINITION, DEFAULT_ASSUMPTIONS, dataTransferUsd } from "../sweep/estimate";

export interface Tally {
  text: string;
  trials: number;
}

export function tally(values: readonly string[]): Tally[] {
  const m = new Map<string, number>();
  for (const v of values) m.set(v, (m.get(v) ?? 0) + 1);
  return [...m.entries()].map(([text, trials]) => ({ text, trials }));
}

export type SinkKind = "cloud-vm" | "inventory-host" | "namespace-lab";

export interface RunFacts {
  kumodVersions: { sender: Tally[]; sink: Tally[] };
  regions: { sender: Tally[]; sink: Tally[] };
  sink: { kind: SinkKind; text: string };
  kernels: { sender: Tally[]; sink: Tally[] };
  /** The egress TLS mode(s) the sender ran with, in words. */
  tls: Tally[];
  /** Where traffic-gen ran: on the sender beside kumod, or on the lab's generator host (lab-config/generator.ts). */
  trafficGenOn: Tally[];
  /** `trialDurationSeconds`: steady-state trials of this length (run.json); absent = message-count trials. */
  traffic: RunManifest["traffic"] & { trialsPerSize: number; coolDownSeconds: number; trialDurationSeconds?: number };
  dates: { created: string; firstTrialStart: string | null; lastTrialEnd: string | null };
}

export interface TransferCost {
  /** Bytes of message bodies sent by traffic-gen over the run's trials. */
  bytes: number;
  usdPerGB: number;
  /** null where the run's hosts are not cloud VMs kumolab priced (an inventory or the namespace lab). */
  usd: number | null;
  definition: string;
  notes: string[];
}

const recorded = (x: string | undefined): string => (x === undefined || x === "" ? "not recorded" : x);

export function tlsText(egressTls: "opportunistic-insecure" | "disabled"): string {
  return egressTls === "opportunistic-insecure" ? "STARTTLS, certificate not verified (opportunistic-insecure)" : "plain SMTP, no TLS (disabled)";
}

function sinkOf(manifest: RunManifest, records: readonly TrialRecord[]): RunFacts["sink"] {
  const labels = [...new Set(records.map((r) => r.context.sinkSize.label))];
  if (manifest.source === "stack") {
    const size = [manifest.sink.vcpu === undefined ? null : `${manifest.sink.vcpu} vCPU`, manifest.sink.ramGiB === undefined ? null : `${manifest.sink.ramGiB} GiB`].filter((x) => x !== null);
    return { kind: "cloud-vm", text: `cloud VM ${manifest.sink.label}${size.length > 0 ? ` (${size.join(" / ")})` : ""}` };
  }
  // An inventory's run.json may carry the cloud config's VM size for its sink; the trials record
  // what the inventory itself said about the host, so that is what is shown.
  const label = labels.length === 0 ? "not recorded" : labels.join(", ");
  if (/namespace/i.test(label) || /^ns-/.test(manifest.labId)) return { kind: "namespace-lab", text: `namespace lab on one machine (${label}) — not a cloud VM; its figures say nothing about cloud sizes` };
  return { kind: "inventory-host", text: `inventory host: ${label}` };
}

/** Where a trial's traffic-gen ran, in words; records from before the generator host ran it on the sender. */
export function trafficGenOnText(r: Pick<TrialRecord, "trafficGenRun">): string {
  const run = r.trafficGenRun;
  if (run?.ranOn === "generator") return `on a generator host${run.vcpu !== null ? ` (${run.vcpu} vCPUs)` : ""}, the sender's CPU left to kumod`;
  return "on the sender, beside kumod";
}

export function runFacts(manifest: RunManifest, records: readonly TrialRecord[]): RunFacts {
  const starts = records.map((r) => r.startedAt).sort((a, b) => Date.parse(a) - Date.parse(b));
  const ends = records.map((r) => r.endedAt).sort((a, b) => Date.parse(a) - Date.parse(b));
  return {
    kumodVersions: { sender: tally(records.map((r) => recorded(r.context.kumodVersion.sender))), sink: tally(records.map((r) => recorded(r.context.kumodVersion.sink))) },
    regions: { sender: tally(records.map((r) => recorded(r.context.senderSize.region))), sink: tally(records.map((r) => recorded(r.context.sinkSize.region))) },
    sink: sinkOf(manifest, records),
    kernels: { sender: tally(records.map((r) => recorded(r.context.hosts?.sender.kernel))), sink: tally(records.map((r) => recorded(r.context.hosts?.sink.kernel))) },
    tls: tally(records.map((r) => (r.context.kumomta ? tlsText(r.context.kumomta.egressTls) : "not recorded"))),
    trafficGenOn: tally(records.map(trafficGenOnText)),
    traffic: { ...manifest.traffic, trialsPerSize: manifest.trialsPerSize, coolDownSeconds: manifest.coolDownSeconds, ...(manifest.trialDurationSeconds !== undefined ? { trialDurationSeconds: manifest.trialDurationSeconds } : {}) },
    dates: { created: manifest.createdAt, firstTrialStart: starts[0] ?? null, lastTrialEnd: ends[ends.length - 1] ?? null },
  };
}

/** Data transfer over the run, by the sweep plan's own definition (scripts/sweep/estimate.ts), over the messages actually sent. */
export function transferCost(manifest: RunManifest, records: readonly TrialRecord[]): TransferCost {
  const notes: string[] = [];
  const withSummary = records.filter((r) => r.trafficGen !== undefined);
  const messages = withSummary.map((r) => ({ sent: r.trafficGen?.sent ?? 0, body: r.params.bodySizeBytes }));
  const bytes = messages.reduce((a, m) => a + m.sent * m.body, 0);
  const usd = messages.reduce((a, m) => a + dataTransferUsd(m.sent, m.body), 0);
  const missing = records.length - withSummary.length;
  if (missing > 0) notes.push(`${missing} trial(s) have no traffic-gen summary (failed before it ended); what they sent is not counted`);
  if (manifest.source !== "stack") notes.push("the hosts are an inventory (or the namespace lab), not cloud VMs kumolab created: their data transfer price is unknown");
  return { bytes, usdPerGB: DEFAULT_ASSUMPTIONS.egressUsdPerGB, usd: manifest.source === "stack" ? usd : null, definition: DATA_TRANSFER_DEFINITION, notes };
}
