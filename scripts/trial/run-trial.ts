/**
 * One trial: traffic-gen against the sender's kumod — on the sender itself, or on the lab's
 * generator host when it has one — with every figure around it collected: metrics before and after
 * on both kumods, the sender's queue drained, the sink's counter polled to place the last delivery,
 * CPU/memory/network sampled on every host, traffic-gen's own CPU and memory, kumod's RocksDB and
 * memory gauges, the NICs' own counters — and one durable record written whatever happens (a
 * failed trial says why).
 */
import { mkdir, writeFile } from "node:fs/promises";
import path from "node:path";
import type { LabConfig } from "../../lab-config/schema";
import type { LabHosts } from "../hosts/lab-hosts";
import { KUMOD_PATH, SENDER_HTTP_LISTEN } from "../provision/lab-endpoints";
import type { ProgressSink } from "../progress/events";
import { counterPollerScript, parseCounterPolls, timeCounterReached } from "./counter-poller";
import { durationCap } from "./duration-cap";
import { readHostFacts, type HostFacts } from "./host-facts";
import { parsePrometheusText, seriesDelta, seriesValue, type MetricsSnapshot } from "./prometheus";
import { KUMOD_SERIES } from "../kumomta/metrics";
import { deliveryActivity, drainedSince, kumodCounterDeltas, openMessages, queueDepth } from "./kumod-counters";
import type { KumomtaSettings } from "../../lab-config/schema";
import type { RemoteHost } from "./remote-host";
import { dropsOf, parseSamples, resourceSeries, samplerScript, summarizeResources, type ResourceSummary } from "./resource-sampler";
import { kumomtaView } from "./kumomta-view";
import { verdictOfRecord } from "./limit-verdict";
import { trafficGenArgs } from "./traffic-gen-args";
import { bodyFileMessageBytes, readBodyFile, remoteBodyFilePath } from "../provision/body-file";
import { PUBLISHED_WORKLOAD, type ResolvedWorkload } from "../../lab-config/workloads";
import { ProgressLineReader, parseTrafficGenOutput, type TrafficGenSummary } from "./traffic-gen-output";
import { shellQuote } from "../ssh/shell-quote";
import { validityOf } from "./validity";
import { intervalFor, ratePerInterval } from "./rate-series";
import { rateDropOfSeries } from "./rate-drop";
import type { CoolDown, EndToEnd, KumodCounterDeltas, RateOverTime, TrafficGenRun, TrialProfile, TrialRecord } from "../results/trial-record";
import { TRIAL_RECORD_SCHEMA_VERSION } from "../results/trial-record";
import { CLEAR_PID_FILE_COMMAND, parseProcessSamples, processSamplerScript, summarizeProcess, trafficGenCommand, type ProcessSummary } from "./process-sampler";
import { kumodGaugePollerScript, parseKumodGaugePolls, type KumodGauges } from "./kumod-gauges";
import { ethtoolCommand, nicStatsOf, parseEthtool, type EthtoolReading, type NicStats } from "./nic-stats";

type HostRole = "sender" | "sink" | "generator";

/** `ethtool -S` on a host; a host without it (or a driver without statistics) reads as such, never as an error. */
async function readEthtool(host: RemoteHost, iface: string): Promise<EthtoolReading> {
  const r = await host.exec(ethtoolCommand(iface), { timeoutMs: 10_000 });
  return parseEthtool(r.code, r.stdout + r.stderr);
}


export interface TrialEndpoints {
  /** Where traffic-gen submits on the sender, e.g. `127.0.0.1:2025`. */
  submissionTarget: string;
  /** kumod's HTTP listener on the sender, for a workload injecting over HTTP (default SENDER_HTTP_LISTEN). */
  httpInjectListen?: string;
  /** kumod's metrics on each host, read on the host itself. */
  senderMetricsUrl: string;
  sinkMetricsUrl: string;
}

export interface TrialInput {
  runId: string;
  labId: string;
  resultsDir: string;
  sizeId: string;
  sizeLabel: { id: string; label: string; vcpu?: number; ramGiB?: number; region?: string };
  trial: number;
  traffic: LabConfig["traffic"];
  /** The workload (its traffic replaces `traffic`); absent = published parameters, discard sink. */
  workload?: ResolvedWorkload;
  hosts: LabHosts;
  sender: RemoteHost;
  sink: RemoteHost;
  /**
   * The generator host: traffic-gen runs there against `endpoints.submissionTarget` (the sender's
   * generator listener) instead of on the sender. Default: none, traffic-gen runs on the sender.
   * An HTTP-injection workload still runs on the sender (kumod's HTTP listener is loopback only).
   */
  generator?: RemoteHost;
  endpoints: TrialEndpoints;
  /** The port-25 proof from provisioning; null when there is none (the trial is then invalid). */
  port25Proof: Record<string, unknown> | null;
  /** The KumoMTA settings the hosts were provisioned with (recorded with the trial). */
  kumomta: KumomtaSettings;
  /** The lab profile and what kumolab built for it (lab-config/profiles.ts, profileRecord); recorded with the trial. Default: not recorded. */
  profile?: TrialProfile;
  /** The cool-down that ran before the trial (scripts/sweep/settle.ts), recorded with it. */
  coolDown?: CoolDown;
  /**
   * A steady-state trial: traffic-gen runs this many seconds (`--duration`, no `--message-count`).
   * Default: unset = a trial of `traffic.messageCount` messages under the duration cap. Example: 1800.
   */
  durationSeconds?: number;
  /** Longest wait for the sender's queue to drain after traffic-gen ends. Default: max(30 s, the run's own length). */
  drainTimeoutSeconds?: number;
  progress: ProgressSink;
  signal: AbortSignal;
}

/** A recorded trial, or one stopped by the user (not recorded, so a resume runs it again). */
export type TrialOutcome = { status: "recorded"; record: TrialRecord } | { status: "interrupted"; detail: string };

/** What the trial gathered so far; turned into the record at the end, whatever happened. */
interface TrialState {
  failure?: { step: string; message: string };
  facts: { sender?: HostFacts; sink?: HostFacts; generator?: HostFacts };
  metrics: { sender: { before?: MetricsSnapshot; after?: MetricsSnapshot }; sink: { before?: MetricsSnapshot; after?: MetricsSnapshot } };
  trafficGen?: TrafficGenSummary;
  endToEnd?: EndToEnd;
  resources: Partial<Record<"sender" | "sink" | "generator", ResourceSummary>>;
  /** traffic-gen's process, sampled where it ran. */
  trafficGenProcess?: ProcessSummary | null;
  /** kumod's health gauges polled on the sender. */
  gauges?: KumodGauges;
  /** ethtool -S before the trial, per host (read beside the facts). */
  nicBefore: Partial<Record<"sender" | "sink" | "generator", EthtoolReading>>;
  nic: Partial<Record<"sender" | "sink" | "generator", NicStats>>;
  /** Each kumod's counters over the trial, once its metrics after are read. */
  kumodCounters: { sender: KumodCounterDeltas | null; sink: KumodCounterDeltas | null };
  /** Known once the drain wait ends, even if the sink cannot be read afterwards. */
  drain?: { queueDrained: boolean; waitSeconds: number; senderDelivered: number };
  rateOverTime?: RateOverTime;
  /** Highest outbound connection count the sender's kumod showed while the trial ran. */
  peakConnections?: number;
  files: Record<string, string>;
}

class TrialStepError extends Error {
  constructor(
    readonly step: string,
    message: string,
  ) {
    super(message);
  }
}

async function inStep<T>(step: string, fn: () => Promise<T>): Promise<T> {
  try {
    return await fn();
  } catch (e) {
    if (e instanceof TrialStepError) throw e;
    throw new TrialStepError(step, (e as Error).message);
  }
}

export async function readMetrics(host: RemoteHost, url: string): Promise<MetricsSnapshot> {
  const r = await host.exec(`curl -sS --max-time 5 ${shellQuote(url)}`, { timeoutMs: 10_000 });
  if (r.code !== 0) throw new Error(`${host.name}: reading kumod metrics from ${url} failed (exit ${r.code}): ${r.stderr.trim().slice(0, 200)} — is kumod running? Re-run 'npm run lab -- provision'`);
  return parsePrometheusText(r.stdout);
}

/** A background command on a host whose output we keep; stopped by ending its stdin (see the loops). */
interface Background {
  /** Resolves at the command's first output (it is running), or after `ms` (false). */
  started(ms: number): Promise<boolean>;
  /** What it printed so far. */
  output(): string;
  stop(): Promise<string>;
}

function background(host: RemoteHost, command: string, timeoutMs: number): Background {
  const ac = new AbortController();
  let out = "";
  let markStarted: () => void = () => undefined;
  const firstOutput = new Promise<void>((resolve) => (markStarted = resolve));
  const done = host
    .exec(command, {
      timeoutMs,
      signal: ac.signal,
      onStdout: (c) => {
        out += c;
        markStarted();
      },
    })
    .then(() => undefined)
    .catch(() => undefined); // stopping it is the normal end: its output is what we keep
  return {
    started: (ms) => Promise.race([firstOutput.then(() => true), new Promise<boolean>((r) => setTimeout(() => r(false), ms))]),
    output: () => out,
    stop: async () => {
      ac.abort();
      // The remote loop ends when its stdin does; don't wait on a host that stopped answering.
      await Promise.race([done, new Promise((r) => setTimeout(r, 5000))]);
      return out;
    },
  };
}

const HOUR = 3600;
/** No delivery ending for this long (and empty queues) = nothing from an earlier run is in flight. */
const QUIET_MS = 1000;

export async function runTrial(input: TrialInput): Promise<TrialOutcome> {
  const { progress, signal } = input;
  const traffic = input.workload?.traffic ?? input.traffic;
  const startedAt = new Date();
  const steady = input.durationSeconds !== undefined;
  const cap = input.durationSeconds !== undefined ? { seconds: input.durationSeconds, reason: `steady state: traffic-gen runs ${input.durationSeconds} s (--duration), no --message-count` } : durationCap(traffic);
  const viaHttp = input.workload?.traffic.http ? true : false;
  // Where traffic-gen runs: the generator host when there is one (HTTP injection stays on the sender).
  const generator = viaHttp ? undefined : input.generator;
  const tgHost = generator ?? input.sender;
  const ranOn = generator ? ("generator" as const) : ("sender" as const);
  const submissionTarget = input.endpoints.submissionTarget;
  // A body file was copied to the sender when the workload's policies were pushed (provision-lab.ts).
  const remoteBodyFile = input.workload?.traffic.bodyFile ? remoteBodyFilePath(input.workload.name) : null;
  const args = trafficGenArgs({ ...traffic, remoteBodyFile }, viaHttp ? `http://${input.endpoints.httpInjectListen ?? SENDER_HTTP_LISTEN}` : submissionTarget, cap.seconds, steady ? "duration" : "count");
  // The sender counts HTTP injections under http_listener, SMTP ones under esmtp_listener.
  const injected = viaHttp ? KUMOD_SERIES.receivedHttp : KUMOD_SERIES.received;
  const workloadName = input.workload?.name ?? PUBLISHED_WORKLOAD;
  const rawDir = path.join(input.resultsDir, "raw", workloadName === PUBLISHED_WORKLOAD ? `${input.sizeId}-t${input.trial}` : `${input.sizeId}-${workloadName}-t${input.trial}`);
  await mkdir(rawDir, { recursive: true });
  const rel = (f: string): string => path.relative(input.resultsDir, path.join(rawDir, f));

  const state: TrialState = { facts: {}, metrics: { sender: {}, sink: {} }, kumodCounters: { sender: null, sink: null }, resources: {}, nicBefore: {}, nic: {}, files: {} };
  const samplers: Array<{ name: HostRole } & Background> = [];
  let processSampler: Background | undefined;
  let gaugePoller: Background | undefined;
  let pollers: { sender: Background; sink: Background } | undefined;
  let connectionPoller: Background | undefined;
  let trafficGenStdout = "";
  let trafficGenStderr = "";
  const drainLimitSeconds = input.drainTimeoutSeconds ?? Math.max(30, cap.seconds);
  const maxSeconds = cap.seconds + drainLimitSeconds + 30;

  try {
    // 1. Context, and a clean slate: no traffic-gen left from an interrupted trial. The facts are
    //    read beside the metrics below (kumod --version may take a moment).
    const facts = inStep("host facts", () =>
      Promise.all([
        readHostFacts(input.sender, KUMOD_PATH, input.hosts.sinkAddressFromSender),
        readHostFacts(input.sink, KUMOD_PATH, undefined),
        tgHost.exec(`pkill -x traffic-gen; ${CLEAR_PID_FILE_COMMAND}; true`, { timeoutMs: 10_000, sudo: true }),
        // The generator's main interface is the one towards the sender.
        generator ? readHostFacts(generator, KUMOD_PATH, submissionTarget.replace(/:\d+$/, "")) : Promise.resolve(undefined),
      ]),
    );
    facts.catch(() => undefined); // awaited below; not left unobserved meanwhile
    // The NICs' counters before, as soon as each host's interface is known: beside the metrics below.
    const hostsReady = facts.then(([senderFacts, sinkFacts, , generatorFacts]): Array<[HostRole, RemoteHost, HostFacts]> => [
      ["sender", input.sender, senderFacts],
      ["sink", input.sink, sinkFacts],
      ...(generator && generatorFacts ? [["generator", generator, generatorFacts] as [HostRole, RemoteHost, HostFacts]] : []),
    ]);
    const nicBeforeRead = hostsReady.then((hs) => Promise.all(hs.map(([, h, f]) => readEthtool(h, f.interface))));
    nicBeforeRead.catch(() => undefined); // awaited below

    // 2. Metrics before — once the sender holds nothing from earlier (a message left from an
    //    interrupted trial would be delivered during this one and inflate the sink's count).
    //    Queues empty is not enough: a message a dispatcher is delivering is in no queue gauge. So also
    //    every message accounted for, or no delivery ending for a second.
    let senderBefore = await inStep("metrics before", () => readMetrics(input.sender, input.endpoints.senderMetricsUrl));
    const settleStart = Date.now();
    let quietSince = Date.now();
    let activity = deliveryActivity(senderBefore);
    const settled = (): boolean => queueDepth(senderBefore) === 0 && (openMessages(senderBefore) <= 0 || Date.now() - quietSince >= QUIET_MS);
    for (let i = 0; i < 10_000 && !settled() && Date.now() - settleStart < drainLimitSeconds * 1000 && !signal.aborted; i++) {
      await new Promise((r) => setTimeout(r, 250));
      senderBefore = await inStep("metrics before", () => readMetrics(input.sender, input.endpoints.senderMetricsUrl));
      const now = deliveryActivity(senderBefore);
      if (now !== activity) {
        activity = now;
        quietSince = Date.now();
      }
    }
    if (!settled()) {
      throw new TrialStepError(
        "metrics before",
        `the sender's kumod still holds messages from earlier after ${drainLimitSeconds} s (${queueDepth(senderBefore)} queued, deliveries still ending); is the sink up? Check it, re-run 'npm run lab -- provision', then try again`,
      );
    }
    const sinkBefore = await inStep("metrics before", () => readMetrics(input.sink, input.endpoints.sinkMetricsUrl));
    state.metrics = { sender: { before: senderBefore }, sink: { before: sinkBefore } };
    const [senderFacts, sinkFacts, , generatorFacts] = await facts;
    state.facts = { sender: senderFacts, sink: sinkFacts, ...(generatorFacts ? { generator: generatorFacts } : {}) };
    const hostsNow = await hostsReady;
    const nicBefore = await inStep("NIC statistics", () => nicBeforeRead);
    hostsNow.forEach(([role], i) => (state.nicBefore[role] = nicBefore[i] as EthtoolReading));
    const senderBaseline = seriesValue(senderBefore, injected) ?? 0;
    const sinkBaseline = seriesValue(sinkBefore, KUMOD_SERIES.received) ?? 0;

    // 3. Samplers on both hosts, and each kumod's received counter every 0.025 s: the sender's
    //    places the first injection, the sink's the last delivery.
    samplers.push({ name: "sender", ...background(input.sender, `bash -c ${shellQuote(samplerScript(senderFacts.interface, maxSeconds))}`, maxSeconds * 1000) });
    samplers.push({ name: "sink", ...background(input.sink, `bash -c ${shellQuote(samplerScript(sinkFacts.interface, maxSeconds))}`, maxSeconds * 1000) });
    if (generator && generatorFacts) samplers.push({ name: "generator", ...background(generator, `bash -c ${shellQuote(samplerScript(generatorFacts.interface, maxSeconds))}`, maxSeconds * 1000) });
    // traffic-gen's own CPU and memory, 4 times a second, where it runs (found by its pid file).
    processSampler = background(tgHost, `bash -c ${shellQuote(processSamplerScript(maxSeconds * 4, 0.25))}`, maxSeconds * 1000);
    // kumod's RocksDB and memory gauges on the sender, once a second.
    gaugePoller = background(input.sender, `bash -c ${shellQuote(kumodGaugePollerScript(input.endpoints.senderMetricsUrl, maxSeconds))}`, maxSeconds * 1000);
    pollers = {
      sender: background(input.sender, `bash -c ${shellQuote(counterPollerScript(input.endpoints.senderMetricsUrl, injected, maxSeconds * 40))}`, maxSeconds * 1000),
      sink: background(input.sink, `bash -c ${shellQuote(counterPollerScript(input.endpoints.sinkMetricsUrl, KUMOD_SERIES.received, maxSeconds * 40))}`, maxSeconds * 1000),
    };

    // The sender's open outbound connections every 0.1 s: their peak against connection_limit.
    connectionPoller = background(input.sender, `bash -c ${shellQuote(counterPollerScript(input.endpoints.senderMetricsUrl, KUMOD_SERIES.connectionCount, maxSeconds * 10, 0.1))}`, maxSeconds * 1000);

    // The counters must be read before the first message, or the first injection cannot be placed.
    const running = await Promise.all([pollers.sender.started(10_000), pollers.sink.started(10_000)]);
    if (running.includes(false)) progress({ type: "log", level: "warn", message: "a metrics poller did not start within 10 s: the end-to-end rate may be missing" });

    // 4. traffic-gen. Its start on the sender's clock (one call, just before): its deadline is
    //    `--duration` after that, and the rate over time must end there, not at the last
    //    injection — clients still send one more message while traffic-gen finishes (main.rs
    //    latency.refresh()), a trickle that would read as a drop.
    const clock = await inStep("traffic-gen", () => input.sender.exec(`bash -c ${shellQuote('printf "%s" "$EPOCHREALTIME"')}`, { timeoutMs: 10_000 }));
    const tgStartedAt = /^\d+(\.\d+)?$/.test(clock.stdout.trim()) ? Number(clock.stdout.trim()) : undefined;
    if (tgStartedAt === undefined) progress({ type: "log", level: "warn", message: `${input.sender.name}: could not read the clock before traffic-gen (exit ${clock.code ?? "?"}: ${clock.stderr.trim().slice(0, 120)}); the rate over time ends at the first injection + traffic-gen's run time instead` });
    const reader = new ProgressLineReader();
    const command = trafficGenCommand(args.argv.map(shellQuote).join(" "));
    progress({
      type: "step-start",
      host: tgHost.name,
      step: `traffic-gen: ${steady ? `${cap.seconds} s steady state` : `${traffic.messageCount} messages`}, concurrency ${traffic.concurrency}, ${remoteBodyFile ? `body file ${remoteBodyFile}` : `${traffic.bodySize} B bodies`}${steady ? "" : ` (cap ${cap.seconds} s)`}`,
    });
    const run = await inStep("traffic-gen", () =>
      tgHost.exec(command, {
        timeoutMs: (cap.seconds + 60) * 1000,
        signal,
        onStdout: (c) => {
          trafficGenStdout += c;
          for (const p of reader.push(c)) progress({ type: "rate", msgsPerSec: p.msgsPerSec, sent: p.sent, ...(steady ? {} : { total: traffic.messageCount }) });
        },
        onStderr: (c) => (trafficGenStderr += c),
      }),
    );
    if (signal.aborted) throw new TrialStepError("traffic-gen", "interrupted");
    const tgOut = run.stdout;
    if (run.code === null && !run.signal) {
      throw new TrialStepError(
        "traffic-gen",
        `lost the SSH connection to ${tgHost.name} before traffic-gen finished (no exit status came back); the remote traffic-gen was stopped with it. The next trial reconnects`,
      );
    }
    if (run.code !== 0 && !/overall rate:/.test(tgOut)) {
      throw new TrialStepError("traffic-gen", `traffic-gen exited ${run.code ?? `by signal ${run.signal ?? "?"}`}: ${run.stderr.trim().split("\n").slice(-3).join(" | ") || "(no stderr)"}`);
    }
    const tg = await inStep("parse traffic-gen output", async () => parseTrafficGenOutput(tgOut, run.stderr));
    state.trafficGen = tg;
    progress({ type: "step-done", host: tgHost.name, step: "traffic-gen", ms: Math.round(tg.elapsed.seconds * 1000), detail: `${tg.sent} sent, ${tg.failed} failed, ${tg.rate.msgsPerSec.toFixed(1)} msgs/s` });

    // 5. Wait (bounded) until the sender has delivered what it accepted.
    const drainStart = Date.now();
    let senderNow = await inStep("queue drain", () => readMetrics(input.sender, input.endpoints.senderMetricsUrl));
    // A message that failed permanently has ended too: waiting for it to be delivered would wait out the limit.
    const drained = (m: MetricsSnapshot): boolean => drainedSince(senderBefore, m);
    for (let i = 0; i < 10_000 && !drained(senderNow) && Date.now() - drainStart < drainLimitSeconds * 1000 && !signal.aborted; i++) {
      await new Promise((r) => setTimeout(r, 100));
      senderNow = await inStep("queue drain", () => readMetrics(input.sender, input.endpoints.senderMetricsUrl));
    }
    if (signal.aborted) throw new TrialStepError("queue drain", "interrupted");
    const queueDrained = drained(senderNow);
    const drainWaitSeconds = (Date.now() - drainStart) / 1000;
    state.metrics.sender.after = senderNow;
    state.kumodCounters.sender = await inStep("queue drain", async () => kumodCounterDeltas(senderBefore, senderNow));
    state.drain = { queueDrained, waitSeconds: drainWaitSeconds, senderDelivered: seriesDelta(senderBefore, senderNow, KUMOD_SERIES.delivered) };

    // 6. Metrics after; the sink's counter series places the last delivery.
    const sinkAfter = await inStep("metrics after", () => readMetrics(input.sink, input.endpoints.sinkMetricsUrl));
    // Let the sink's poller see the final count before stopping it (it reads every 25 ms; bounded).
    const sinkFinal = seriesValue(sinkAfter, KUMOD_SERIES.received) ?? 0;
    const sinkPoller = pollers.sink;
    const seen = (): boolean => parseCounterPolls(sinkPoller.output()).some((p) => p.value >= sinkFinal);
    for (let i = 0; i < 40 && !seen(); i++) await new Promise((r) => setTimeout(r, 25));
    state.metrics = { sender: { before: senderBefore, after: senderNow }, sink: { before: sinkBefore, after: sinkAfter } };
    state.kumodCounters.sink = await inStep("metrics after", async () => kumodCounterDeltas(sinkBefore, sinkAfter));
    const [senderPolls, sinkPolls, connectionPolls] = await Promise.all([pollers.sender.stop(), pollers.sink.stop(), connectionPoller.stop()]);
    // The NICs' own counters after, beside the metrics (a host without ethtool says so).
    const nicAfter = await inStep("NIC statistics", () => Promise.all(hostsNow.map(([, h, f]) => readEthtool(h, f.interface))));
    hostsNow.forEach(([role, , f], i) => {
      const before = state.nicBefore[role];
      if (before) state.nic[role] = nicStatsOf(f.interface, before, nicAfter[i] as EthtoolReading);
    });
    pollers = undefined;
    connectionPoller = undefined;
    const connections = parseCounterPolls(connectionPolls);
    if (connections.length > 0) state.peakConnections = Math.max(...connections.map((p) => p.value));
    await writeFile(path.join(rawDir, "sender-connections.txt"), connectionPolls);
    state.files["senderConnections"] = rel("sender-connections.txt");
    await writeFile(path.join(rawDir, "sender-counter.txt"), senderPolls);
    await writeFile(path.join(rawDir, "sink-counter.txt"), sinkPolls);
    state.files["senderCounter"] = rel("sender-counter.txt");
    state.files["sinkCounter"] = rel("sink-counter.txt");
    const sinkReceived = seriesDelta(sinkBefore, sinkAfter, KUMOD_SERIES.received);
    const relative = (text: string, base: number) => parseCounterPolls(text).map((p) => ({ ...p, value: p.value - base }));
    // First injection: the sender's counter leaves its baseline; last delivery: the sink's reaches its final count.
    const first = timeCounterReached(relative(senderPolls, senderBaseline), 1);
    const last = sinkReceived > 0 ? timeCounterReached(relative(sinkPolls, sinkBaseline), sinkReceived) : undefined;
    const firstInjection = first?.at ?? startedAt.getTime() / 1000;
    // The rate over time, in whole intervals from the first injection to traffic-gen's deadline (or
    // its end, for a message-count run), both on the sender's clock: what each kumod counted per
    // interval. Only a steady-state trial is judged for a drop: a message-count run ends with its
    // clients finishing one by one, which would read as one.
    if (first !== undefined) {
      const senderRelative = relative(senderPolls, senderBaseline);
      const ranFor = steady ? cap.seconds : tg.elapsed.seconds;
      const runSeconds = tgStartedAt !== undefined ? tgStartedAt + ranFor - first.at : ranFor;
      const interval = intervalFor(runSeconds);
      const series = {
        intervalSeconds: interval,
        startAt: new Date(first.at * 1000).toISOString(),
        accepted: ratePerInterval(senderRelative, first.at, runSeconds, interval),
        delivered: ratePerInterval(relative(sinkPolls, sinkBaseline), first.at, runSeconds, interval),
      };
      state.rateOverTime = { series, drop: steady ? (rateDropOfSeries(series) ?? null) : null };
    }
    const lastDelivery = last?.at;
    // Without the sender's own first reading there is no end-to-end window (never mix clocks).
    const e2eSeconds = first !== undefined && lastDelivery !== undefined ? lastDelivery - firstInjection : undefined;
    // The rate's numerator: messages that reached their end. A discard sink receives each once. A smart
    // sink's counter also counts every refused DATA (kumod counts before its policy answers), so a
    // deferred message retried counts twice there: count what ended at the sender instead — delivered,
    // or bounced — each message once.
    const senderEnded = (state.kumodCounters.sender?.delivered ?? 0) + (state.kumodCounters.sender?.permanentFailures ?? 0);
    const ended = input.workload?.sink.kind === "smart" ? senderEnded : sinkReceived;
    state.endToEnd = {
      sinkReceived,
      senderDelivered: seriesDelta(senderBefore, senderNow, KUMOD_SERIES.delivered),
      firstInjectionAt: new Date(firstInjection * 1000).toISOString(),
      lastDeliveryAt: lastDelivery !== undefined ? new Date(lastDelivery * 1000).toISOString() : null,
      seconds: e2eSeconds ?? null,
      msgsPerSec: e2eSeconds && e2eSeconds > 0 ? ended / e2eSeconds : null,
      mmh: e2eSeconds && e2eSeconds > 0 ? ((ended / e2eSeconds) * HOUR) / 1e6 : null,
      queueDrained,
      drainWaitSeconds,
    };
  } catch (e) {
    const err = e instanceof TrialStepError ? e : new TrialStepError("trial", (e as Error).message);
    state.failure = { step: err.step, message: err.message };
    progress({ type: "step-fail", host: input.sender.name, step: `trial ${input.trial} (${err.step})`, ms: Date.now() - startedAt.getTime(), error: err.message });
  } finally {
    if (pollers) await Promise.all([pollers.sender.stop(), pollers.sink.stop()]);
    if (connectionPoller) await connectionPoller.stop();
    if (gaugePoller) {
      const text = await gaugePoller.stop();
      await writeFile(path.join(rawDir, "sender-kumod-gauges.txt"), text);
      state.files["senderKumodGauges"] = rel("sender-kumod-gauges.txt");
      state.gauges = parseKumodGaugePolls(text);
    }
    if (processSampler) {
      const text = await processSampler.stop();
      await writeFile(path.join(rawDir, `traffic-gen-process-${ranOn}.txt`), text);
      state.files["trafficGenProcess"] = rel(`traffic-gen-process-${ranOn}.txt`);
      const vcpu = state.facts[ranOn]?.vcpu;
      state.trafficGenProcess = vcpu ? summarizeProcess(parseProcessSamples(text), vcpu) : null;
    }
    // Raw series and logs beside the record, whatever happened.
    const sampled = await Promise.all(samplers.map(async (s) => ({ s, text: await s.stop() })));
    for (const { s, text } of sampled) {
      const raw = parseSamples(text);
      const points = resourceSeries(raw);
      const file = `samples-${s.name}.jsonl`;
      await writeFile(path.join(rawDir, file), points.map((p) => JSON.stringify(p)).join("\n") + (points.length ? "\n" : ""));
      state.files[{ sender: "samples", sink: "samplesSink", generator: "samplesGenerator" }[s.name]] = rel(file);
      const facts = state.facts[s.name];
      if (facts) state.resources[s.name] = summarizeResources(facts.interface, facts.linkBitsPerSecond, points, dropsOf(raw));
    }
    await writeFile(path.join(rawDir, "traffic-gen.stdout"), trafficGenStdout);
    await writeFile(path.join(rawDir, "traffic-gen.stderr"), trafficGenStderr);
  }

  if (signal.aborted) return { status: "interrupted", detail: state.failure?.message ?? "interrupted" };
  const trafficGenRun: TrafficGenRun = { ranOn, host: tgHost.name, target: viaHttp ? `http://${input.endpoints.httpInjectListen ?? SENDER_HTTP_LISTEN}` : submissionTarget, vcpu: state.facts[ranOn]?.vcpu ?? null, process: state.trafficGenProcess ?? null };
  return { status: "recorded", record: buildRecord(input, state, { startedAt, cap, args, rel, trafficGenRun }) };
}

/** A workload's body file: the bytes each message carried (the file, CRLF line endings); null without one or when it cannot be read now. */
function bodyBytesOf(workload: ResolvedWorkload | undefined): number | null {
  if (!workload?.traffic.bodyFile) return null;
  try {
    return bodyFileMessageBytes(readBodyFile(workload.name, workload.traffic.bodyFile).content);
  } catch {
    return null;
  }
}

function buildRecord(
  input: TrialInput,
  state: TrialState,
  x: { startedAt: Date; cap: ReturnType<typeof durationCap>; args: ReturnType<typeof trafficGenArgs>; rel: (f: string) => string; trafficGenRun: TrafficGenRun },
): TrialRecord {
  const status = state.failure ? "failed" : "ok";
  const traffic = input.workload?.traffic ?? input.traffic;
  const c = state.kumodCounters.sender;
  const after = state.metrics.sender.after;
  const validity = validityOf({
    status,
    failure: state.failure,
    trafficGen: state.trafficGen,
    endToEnd: state.endToEnd,
    resources: state.resources.sender && state.resources.sink ? { sender: state.resources.sender, sink: state.resources.sink } : undefined,
    port25Proof: input.port25Proof,
    messageCount: traffic.messageCount,
    durationCapSeconds: x.cap.seconds,
    senderCounters: state.kumodCounters.sender,
    drain: state.drain,
    sinkBehaviour: input.workload?.sink.kind ?? "discard",
    durationMode: input.durationSeconds !== undefined,
  });
  const senderBefore = state.metrics.sender.before;
  const view =
    c && after && senderBefore
      ? kumomtaView({
          before: senderBefore,
          after,
          counters: c,
          peakConnections: state.peakConnections ?? null,
          connectionLimit: input.kumomta.connectionLimit,
          maxReady: input.kumomta.maxReady,
          gauges: state.gauges ?? null,
        })
      : undefined;
  const resources =
    state.resources.sender && state.resources.sink
      ? { sender: state.resources.sender, sink: state.resources.sink, ...(state.resources.generator ? { generator: state.resources.generator } : {}) }
      : undefined;
  const nic = state.nic.sender && state.nic.sink ? { sender: state.nic.sender, sink: state.nic.sink, ...(state.nic.generator ? { generator: state.nic.generator } : {}) } : undefined;
  const verdict = status === "ok" ? verdictOfRecord({ resources, endToEnd: state.endToEnd, kumomta: view, trafficGenRun: x.trafficGenRun, ...(nic ? { nic } : {}) }) : undefined;
  const hostFacts = (f: HostFacts | undefined): { vcpu: number; memGiB: number; kernel: string } | undefined =>
    f ? { vcpu: f.vcpu, memGiB: f.memGiB, kernel: f.kernel } : undefined;
  const sender = hostFacts(state.facts.sender);
  const sink = hostFacts(state.facts.sink);
  return {
    schemaVersion: TRIAL_RECORD_SCHEMA_VERSION,
    runId: input.runId,
    labId: input.labId,
    sizeId: input.sizeId,
    trial: input.trial,
    status,
    ...(state.failure ? { failure: state.failure } : {}),
    valid: validity.valid,
    invalidReasons: validity.reasons,
    startedAt: x.startedAt.toISOString(),
    endedAt: new Date().toISOString(),
    params: {
      concurrency: traffic.concurrency,
      messageCount: traffic.messageCount,
      bodySizeBytes: bodyBytesOf(input.workload) ?? traffic.bodySize,
      durationCapSeconds: x.cap.seconds,
      durationCapReason: x.cap.reason,
      extraArgs: x.args.extraArgs,
      argv: x.args.argv,
      ...(input.durationSeconds !== undefined ? { durationSeconds: input.durationSeconds } : {}),
    },
    ...(state.trafficGen ? { trafficGen: state.trafficGen } : {}),
    ...(state.endToEnd ? { endToEnd: state.endToEnd } : {}),
    metrics: {
      sender: { before: state.metrics.sender.before?.series ?? {}, after: state.metrics.sender.after?.series ?? {} },
      sink: { before: state.metrics.sink.before?.series ?? {}, after: state.metrics.sink.after?.series ?? {} },
    },
    ...(resources ? { resources } : {}),
    trafficGenRun: x.trafficGenRun,
    ...(nic ? { nic } : {}),
    kumodCounters: state.kumodCounters,
    workload: { name: input.workload?.name ?? PUBLISHED_WORKLOAD, settings: input.workload ? { ...input.workload } : { published: true } },
    // Every deferral is retried (short retry_interval, scripts/kumomta/policy-api.ts); a retry still
    // pending at the end shows in queueAtEnd.
    ...(view ? { kumomta: view } : {}),
    ...(verdict ? { verdict } : {}),
    ...(input.coolDown ? { coolDown: input.coolDown } : {}),
    ...(state.rateOverTime ? { rateOverTime: state.rateOverTime } : {}),
    ...(c && after ? { outcomes: { deferrals: c.transientFailures, bounces: c.permanentFailures, retries: c.transientFailures, queueAtEnd: queueDepth(after) } } : {}),
    context: {
      kumodVersion: { sender: state.facts.sender?.kumodVersion ?? "unknown", sink: state.facts.sink?.kumodVersion ?? "unknown" },
      hosts: sender && sink ? { sender, sink } : null,
      senderSize: input.sizeLabel,
      sinkSize: { label: input.hosts.sink.size?.label ?? "unknown", ...(input.hosts.sink.size?.region ? { region: input.hosts.sink.size.region } : {}) },
      senderHost: { address: input.hosts.sender.address, ...(input.hosts.sender.slot !== undefined ? { slot: input.hosts.sender.slot } : {}) },
      port25Proof: input.port25Proof,
      kumomta: {
        egressTls: input.kumomta.egressTls,
        retryIntervalSeconds: input.kumomta.retryIntervalSeconds,
        maxRetryIntervalSeconds: input.kumomta.maxRetryIntervalSeconds,
        maxReady: input.kumomta.maxReady,
        connectionLimit: input.kumomta.connectionLimit,
        logFilter: input.kumomta.logFilter,
      },
      ...(input.profile ? { profile: input.profile } : {}),
    },
    files: {
      trafficGenStdout: x.rel("traffic-gen.stdout"),
      trafficGenStderr: x.rel("traffic-gen.stderr"),
      samples: state.files["samples"] ?? x.rel("samples-sender.jsonl"),
      ...state.files,
    },
  };
}
