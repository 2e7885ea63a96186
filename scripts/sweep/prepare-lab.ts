/**
 * The sweep's bridge between a lab's hosts and its trials: one SSH session per host, provisioning
 * (idempotent: after a resize only what changed is redone), and each trial run over those sessions.
 */
import { profileRecord } from "../../lab-config/profiles";
import type { KumomtaSettings, LabConfig } from "../../lab-config/schema";
import type { LabHosts } from "../hosts/lab-hosts";
import type { ProgressSink } from "../progress/events";
import { SENDER_GENERATOR_PORT, SENDER_METRICS_URL, SENDER_SUBMISSION_ADDRESS, SINK_METRICS_URL } from "../provision/lab-endpoints";
import type { Port25Proof } from "../provision/port25-proof";
import { closeLabSessions, openLabSessions, provisionLab, provisionStandbySender, type LabSessions } from "../provision/provision-lab";
import type { SshSessionOptions } from "../ssh/session";
import { runTrial, type TrialOutcome } from "../trial/run-trial";
import type { PreparedLab, TrialSpec } from "./run-sweep";
import { PUBLISHED_WORKLOAD, resolveWorkload } from "../../lab-config/workloads";
import { waitUntilSettled, type CoolDown } from "./settle";
import { settleReader } from "./settle-lab";

export interface ProvisionedLab extends PreparedLab {
  sessions: LabSessions;
  proof: Port25Proof;
  /** The KumoMTA settings the hosts were provisioned with: what every trial on them records. */
  kumomta: KumomtaSettings;
  /** The workload whose policies are on the hosts (published after prepareLab). */
  workload?: string;
}

export function sshOptions(cfg: LabConfig, progress: ProgressSink): Partial<SshSessionOptions> {
  return { progress, connectDeadlineMs: cfg.ssh.connectDeadlineSeconds * 1000, defaultCommandTimeoutMs: cfg.ssh.commandTimeoutSeconds * 1000 };
}

export async function prepareLab(hosts: LabHosts, cfg: LabConfig, opts: { progress: ProgressSink }): Promise<ProvisionedLab> {
  const ssh = sshOptions(cfg, opts.progress);
  const sessions = await openLabSessions(hosts, ssh);
  try {
    // Trials follow: a sink restarted under the sender's pooled connections restarts the sender too.
    const result = await provisionLab(hosts, { progress: opts.progress, sessions, ssh, kumomta: cfg.kumomta, restartSenderWithSink: true });
    return {
      hosts,
      sessions,
      proof: result.proof,
      kumomta: cfg.kumomta,
      workload: PUBLISHED_WORKLOAD,
      close: async () => closeLabSessions(sessions),
    };
  } catch (e) {
    closeLabSessions(sessions);
    throw e;
  }
}

/**
 * Prefetch: provisions the standby sender (`hosts.sender`) with `workload`'s sender policy while
 * the active sender is measured. The sink is only connected to, never changed (it is serving
 * trials). The lab's `workload` is left unset, so the first `useWorkload` after the swap runs a
 * whole provisioning pass (both hosts; a no-op where nothing differs): the sink may have moved to
 * another workload since.
 */
export async function prepareStandbyLab(hosts: LabHosts, cfg: LabConfig, opts: { workload: string; progress: ProgressSink; signal: AbortSignal }): Promise<ProvisionedLab> {
  const ssh = sshOptions(cfg, opts.progress);
  const sessions = await openLabSessions(hosts, ssh);
  // An interrupt must not wait for a boot's cloud-init (up to 10 min): closing the connections ends every step at once.
  const onAbort = (): void => {
    sessions.sender.close();
    sessions.sink.close();
  };
  opts.signal.addEventListener("abort", onAbort, { once: true });
  try {
    if (opts.signal.aborted) throw new Error("interrupted before the standby sender was provisioned");
    const result = await provisionStandbySender(hosts, sessions.sender, { progress: opts.progress, ssh, kumomta: cfg.kumomta, workload: resolveWorkload(cfg, opts.workload) });
    opts.signal.removeEventListener("abort", onAbort);
    return {
      hosts,
      sessions,
      proof: result.proof,
      kumomta: cfg.kumomta,
      close: async () => {
        sessions.sender.close();
        sessions.sink.close();
      },
    };
  } catch (e) {
    opts.signal.removeEventListener("abort", onAbort);
    sessions.sender.close();
    sessions.sink.close();
    throw e;
  }
}

/** Pushes a workload's policies (DKIM keys, sender options, sink behaviour) before its trials; idempotent. */
export async function useWorkload(lab: ProvisionedLab, name: string, cfg: LabConfig, opts: { progress: ProgressSink }): Promise<void> {
  if (lab.workload === name) return;
  await Promise.all([lab.sessions.sender.connect(), lab.sessions.sink.connect(), lab.sessions.generator?.connect()]);
  const result = await provisionLab(lab.hosts, { progress: opts.progress, sessions: lab.sessions, ssh: sshOptions(cfg, opts.progress), kumomta: cfg.kumomta, workload: resolveWorkload(cfg, name), restartSenderWithSink: true });
  lab.proof = result.proof;
  lab.workload = name;
}

export async function runPreparedTrial(
  lab: ProvisionedLab,
  spec: TrialSpec,
  opts: {
    runId: string;
    resultsDir: string;
    cfg: LabConfig;
    progress: ProgressSink;
    signal: AbortSignal;
    drainTimeoutSeconds?: number;
    /** Where the hosts came from: a stack kumolab built (its profile's OS and spool volume are on them) or an inventory. Default: inventory (nothing claimed). */
    source?: "stack" | "inventory";
  },
): Promise<TrialOutcome> {
  // A connection lost in an earlier trial is opened again (bounded by the SSH connect deadline).
  await Promise.all([lab.sessions.sender.connect(), lab.sessions.sink.connect(), lab.sessions.generator?.connect()]);
  const generator = lab.sessions.generator && lab.hosts.generator ? { host: lab.sessions.generator, senderAddress: lab.hosts.generator.senderAddress } : undefined;
  const size = lab.hosts.sender.size;
  return runTrial({
    runId: opts.runId,
    labId: lab.hosts.labId,
    resultsDir: opts.resultsDir,
    sizeId: spec.sizeId,
    sizeLabel: { id: spec.sizeId, label: spec.size.instanceType, vcpu: spec.size.vcpu, ramGiB: spec.size.ramGiB, ...(size?.region ? { region: size.region } : {}) },
    trial: spec.trial,
    traffic: opts.cfg.traffic,
    workload: resolveWorkload(opts.cfg, spec.workload ?? PUBLISHED_WORKLOAD),
    hosts: lab.hosts,
    sender: lab.sessions.sender,
    sink: lab.sessions.sink,
    ...(generator ? { generator: generator.host } : {}),
    endpoints: {
      // With a generator host, traffic-gen submits from there to the sender's generator listener.
      submissionTarget: generator ? `${generator.senderAddress}:${SENDER_GENERATOR_PORT}` : SENDER_SUBMISSION_ADDRESS,
      senderMetricsUrl: SENDER_METRICS_URL,
      sinkMetricsUrl: SINK_METRICS_URL,
    },
    port25Proof: lab.proof,
    kumomta: lab.kumomta,
    profile: profileRecord(opts.cfg, opts.source === "stack"),
    ...(spec.coolDown ? { coolDown: spec.coolDown } : {}),
    ...(opts.drainTimeoutSeconds !== undefined ? { drainTimeoutSeconds: opts.drainTimeoutSeconds } : {}),
    ...(opts.cfg.trials.durationSeconds !== undefined ? { durationSeconds: opts.cfg.trials.durationSeconds } : {}),
    progress: opts.progress,
    signal: opts.signal,
  });
}

/** The cool-down between trials on this lab: until its hosts settle, at most `boundSeconds` (./settle.ts). */
export function settleLab(lab: ProvisionedLab, opts: { boundSeconds: number; signal: AbortSignal }): Promise<CoolDown> {
  const read = settleReader({
    sender: lab.sessions.sender,
    sink: lab.sessions.sink,
    senderMetricsUrl: SENDER_METRICS_URL,
    sinkAddress: lab.hosts.sinkAddressFromSender,
    sinkPort: lab.hosts.sinkPort,
  });
  return waitUntilSettled(
    async (signal) => {
      // A connection lost in the trial before is opened again (the wait abandons a read still running at its bound).
      await Promise.all([lab.sessions.sender.connect(), lab.sessions.sink.connect()]);
      return read(signal);
    },
    { boundSeconds: opts.boundSeconds, signal: opts.signal },
  );
}
