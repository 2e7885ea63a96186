/**
 * Provisioning a built lab, in order (each step idempotent; the two hosts in parallel, one SSH
 * connection per host reused for every step):
 *
 *   1. connect (retrying while the host boots)
 *   2. wait for cloud-init where it exists, and gather facts (systemd? sudo? KumoMTA installed?)
 *   3. install the port-25 nftables table (both hosts), beside steps 4–6
 *   4. push the policy: sink.lua on the sink; the routing init.lua on the sender (original kept aside)
 *   5. (re)start kumod with it, only if the policy changed or kumod is not running
 *   6. wait for kumod's 220 banner on its ports
 *   7. the port-25 proof from the sender (needs both hosts ready)
 */
import type { LabHost, LabHosts } from "../hosts/lab-hosts";
import { silentProgress, type ProgressSink, type Role } from "../progress/events";
import { SshSession, type SshSessionOptions } from "../ssh/session";
import { gatherFacts, type ProvisionFacts } from "./host-facts";
import { hostStep } from "./host-step";
import { loadLabConfig } from "../../lab-config/load";
import type { KumomtaSettings } from "../../lab-config/schema";
import { ensureKumod, type KumodState } from "./kumod-service";
import { SENDER_GENERATOR_PORT, SENDER_ORIGINAL_POLICY_PATH, SENDER_POLICY_MARKER, SENDER_POLICY_PATH, SENDER_SUBMISSION_ADDRESS, SINK_POLICY_PATH } from "./lab-endpoints";
import { policyInputs, renderSenderPolicy, renderSinkPolicy } from "./policies";
import { ensurePort25Table } from "./port25-firewall";
import { provePort25Closed, provePort25ClosedFromGenerator, type Port25Proof } from "./port25-proof";
import { provisionGenerator, type GeneratorProvisionResult } from "./provision-generator";
import { ensureRemoteFile } from "./remote-file";
import { ensureDkimKeys } from "./dkim-keys";
import { pushBodyFileStep } from "./body-file";
import type { ResolvedWorkload } from "../../lab-config/workloads";
import { waitForSmtpBanner } from "./smtp-ready";

export interface ProvisionOptions {
  progress?: ProgressSink;
  /**
   * KumoMTA settings: the sender's delivery settings rendered into init.lua, and KUMOD_LOG for both
   * kumods. Default: lab-config/lab.yaml's `kumomta`.
   */
  kumomta?: KumomtaSettings;
  /** The workload whose policies to push (sender options, sink behaviour); default: the published one. */
  workload?: ResolvedWorkload;
  /**
   * Restart the sender's kumod when the sink's was restarted (the sweep, before trials): kumod finds
   * a pooled connection its peer closed only when it writes on it, so each first delivery would fail
   * transiently and the next trial would count delivery failures of the lab's making. Default false:
   * a plain re-provision restarts only what it repaired.
   */
  restartSenderWithSink?: boolean;
  /** SSH settings (connect deadline, retries, command timeout). */
  ssh?: Partial<SshSessionOptions>;
  cloudInitTimeoutMs?: number;
  /** How long to wait for each kumod's 220 banner. */
  smtpReadyTimeoutMs?: number;
  /** Open sessions to reuse (the caller keeps ownership); otherwise provisionLab opens and closes its own. */
  sessions?: LabSessions;
}

export interface HostProvisionResult {
  facts: ProvisionFacts;
  kumod: KumodState;
  /** Step name → whether it changed anything on this host. */
  changes: Record<string, boolean>;
}

export interface ProvisionResult {
  labId: string;
  sender: HostProvisionResult;
  sink: HostProvisionResult;
  proof: Port25Proof;
  /** The generator host's steps, when the lab has one. */
  generator?: GeneratorProvisionResult;
  /** True when no step changed anything (a re-run on a provisioned lab). */
  unchanged: boolean;
  durationMs: number;
}

export interface LabSessions {
  sender: SshSession;
  sink: SshSession;
  /** The generator host's session, when the lab has one. */
  generator?: SshSession;
}

/** Closes every session of a lab. */
export function closeLabSessions(s: LabSessions): void {
  s.sender.close();
  s.sink.close();
  s.generator?.close();
}

/** Opens (connects) one session per host, in parallel. Closes both if either fails. */
export async function openLabSessions(hosts: LabHosts, ssh: Partial<SshSessionOptions> = {}): Promise<LabSessions> {
  const sessions: LabSessions = { sender: new SshSession(hosts.sender, ssh), sink: new SshSession(hosts.sink, ssh), ...(hosts.generator ? { generator: new SshSession(hosts.generator.host, ssh) } : {}) };
  const results = await Promise.allSettled([sessions.sender.connect(), sessions.sink.connect(), ...(sessions.generator ? [sessions.generator.connect()] : [])]);
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed.length > 0) {
    closeLabSessions(sessions);
    throw combine(failed.map((f) => f.reason as Error));
  }
  return sessions;
}

function combine(errors: Error[]): Error {
  if (errors.length === 1) return errors[0] as Error;
  return new Error(errors.map((e) => e.message).join("\n"), { cause: errors });
}

async function provisionHost(session: SshSession, hosts: LabHosts, role: Role, opts: Required<Pick<ProvisionOptions, "kumomta" | "cloudInitTimeoutMs" | "smtpReadyTimeoutMs">> & { progress: ProgressSink; workload: ResolvedWorkload | undefined }): Promise<HostProvisionResult> {
  const { progress } = opts;
  const host: LabHost = session.host;
  const changes: Record<string, boolean> = {};
  const name = host.name;

  await hostStep(progress, name, "connect", changes, async () => {
    await session.connect();
    return { changed: false, detail: `${host.user}@${host.address}:${host.port}`, value: undefined };
  });
  const facts = await hostStep(progress, name, "gather facts", changes, async () => {
    const f = await gatherFacts(session, opts.cloudInitTimeoutMs);
    if (f.cloudInit === "error" || f.cloudInit === "degraded") progress({ type: "log", host: name, level: "warn", message: `cloud-init finished with status ${f.cloudInit}; continuing, since KumoMTA is installed. See /var/log/cloud-init.log on the host.` });
    const cloudInit = f.cloudInit === "absent" ? "no cloud-init" : `cloud-init ${f.cloudInit}`;
    return { changed: false, detail: `${cloudInit}, ${f.systemd ? "systemd" : "no systemd"}, ${f.sudo === "root" ? "root" : "sudo"}, kumod installed`, value: f };
  });
  // Independent of the policy push, so beside it on the same connection (its own channel).
  const firewall = hostStep(progress, name, "block outbound port 25", changes, async () => {
    const r = await ensurePort25Table(session, "block outbound port 25");
    return { changed: r.changed, detail: r.detail, value: undefined };
  });
  // Don't leave a rejection unobserved while the policy steps run; it is awaited below.
  firewall.catch(() => undefined);

  const inputs = policyInputs(hosts);
  let policyChanged: boolean;
  let policyPath: string;
  if (role === "sink") {
    policyPath = SINK_POLICY_PATH;
    policyChanged = await hostStep(progress, name, "push sink.lua", changes, async () => {
      const r = await ensureRemoteFile(session, { path: SINK_POLICY_PATH, content: renderSinkPolicy(inputs, undefined, opts.workload?.sink), mode: 0o644 }, "push sink.lua");
      return { changed: r.changed, detail: SINK_POLICY_PATH, value: r.changed };
    });
  } else {
    policyPath = SENDER_POLICY_PATH;
    const dkim = opts.workload?.sender.dkim;
    if (dkim) {
      await hostStep(progress, name, "DKIM keys", changes, async () => {
        const k = await ensureDkimKeys(session, dkim, "DKIM keys");
        return { changed: k.created.length > 0, detail: `${k.created.length} generated, ${k.kept.length} kept (${dkim.algorithm})`, value: undefined };
      });
    }
    await pushBodyFileStep(progress, name, session, changes, opts.workload);
    const delivery = opts.workload ? { ...opts.kumomta, egressTls: opts.workload.sender.egressTls } : opts.kumomta;
    policyChanged = await hostStep(progress, name, "push init.lua", changes, async () => {
      // The packaged init.lua is kept aside once, so the host's own policy can be put back by hand.
      const keepOriginal = { as: SENDER_ORIGINAL_POLICY_PATH, marker: SENDER_POLICY_MARKER };
      const r = await ensureRemoteFile(session, { path: SENDER_POLICY_PATH, content: renderSenderPolicy(inputs, delivery, undefined, opts.workload ? { workload: opts.workload.sender } : {}), mode: 0o644, keepOriginal }, "push init.lua");
      if (r.original === "ours") progress({ type: "log", host: name, level: "warn", message: `${SENDER_POLICY_PATH} was already kumolab's and ${SENDER_ORIGINAL_POLICY_PATH} is missing: the packaged original cannot be restored from this host` });
      const original = r.original === "saved" ? `, the original kept as ${SENDER_ORIGINAL_POLICY_PATH}` : "";
      return { changed: r.changed || r.original === "saved", detail: `${SENDER_POLICY_PATH}${original}`, value: r.changed };
    });
  }

  // kumod (re)starts without waiting for the table: nothing is injected before the proof, and the
  // proof runs only once both hosts' tables are in place (awaited below).
  const kumod = await hostStep(progress, name, "start kumod", changes, async () => {
    const s = await ensureKumod(session, facts, { role, policyPath, kumodLog: opts.kumomta.logFilter, policyChanged }, "start kumod");
    return { changed: s.changed, detail: s.detail, value: s };
  });

  const ports = role === "sink" ? [hosts.sinkPort, 25] : [Number(SENDER_SUBMISSION_ADDRESS.split(":")[1])];
  await hostStep(progress, name, "wait for SMTP", changes, async () => {
    const r = await waitForSmtpBanner(session, facts, role, ports, opts.smtpReadyTimeoutMs, "wait for SMTP", kumod.pid);
    return { changed: false, detail: r.detail, value: undefined };
  });
  await firewall;
  return { facts, kumod, changes };
}

/**
 * Provisions the lab and proves port 25 shut. Throws a LabHostError (host, step, hint) on the first
 * failure of each host; when the port-25 proof fails the error is a ProofFailedError carrying the proof.
 */
export async function provisionLab(hosts: LabHosts, opts: ProvisionOptions = {}): Promise<ProvisionResult> {
  const started = Date.now();
  const progress = opts.progress ?? silentProgress;
  const hostOpts = {
    progress,
    kumomta: opts.kumomta ?? loadLabConfig().config.kumomta,
    cloudInitTimeoutMs: opts.cloudInitTimeoutMs ?? 600_000,
    smtpReadyTimeoutMs: opts.smtpReadyTimeoutMs ?? 60_000,
    workload: opts.workload,
  };
  const own = opts.sessions === undefined;
  const sessions: LabSessions = opts.sessions ?? {
    sender: new SshSession(hosts.sender, { progress, ...opts.ssh }),
    sink: new SshSession(hosts.sink, { progress, ...opts.ssh }),
    ...(hosts.generator ? { generator: new SshSession(hosts.generator.host, { progress, ...opts.ssh }) } : {}),
  };
  if (hosts.generator && !sessions.generator) throw new Error("provisionLab: the lab has a generator host but no session was opened to it (openLabSessions opens one)");
  // The generator's steps run beside the other two hosts'; its proof needs the sender's listener.
  const generatorRun = sessions.generator ? provisionGenerator(sessions.generator, { progress, cloudInitTimeoutMs: hostOpts.cloudInitTimeoutMs, workload: opts.workload }) : undefined;
  generatorRun?.catch(() => undefined); // awaited below
  try {
    // Both hosts at once; each runs its steps in order. Wait for both so a failure on one host
    // does not leave the other half-done without saying so.
    const [sender, sink] = await Promise.allSettled([provisionHost(sessions.sender, hosts, "sender", hostOpts), provisionHost(sessions.sink, hosts, "sink", hostOpts)]);
    if (sender.status === "rejected" || sink.status === "rejected") {
      // The generator's own failure, if any, is part of the answer too.
      const generatorError = generatorRun ? await generatorRun.then(() => undefined, (e: unknown) => e as Error) : undefined;
      throw combine([...[sender, sink].filter((r): r is PromiseRejectedResult => r.status === "rejected").map((r) => r.reason as Error), ...(generatorError ? [generatorError] : [])]);
    }
    // A sink restarted (a workload switched its policy) under the sender's open connections: see
    // restartSenderWithSink. The sender's kumod is restarted too, so it connects afresh (its spool is kept).
    if (opts.restartSenderWithSink === true && sink.value.kumod.changed && !sender.value.kumod.changed) {
      const facts = sender.value.facts;
      sender.value.kumod = await hostStep(progress, sessions.sender.name, "restart kumod (the sink restarted)", sender.value.changes, async () => {
        const k = await ensureKumod(sessions.sender, facts, { role: "sender", policyPath: SENDER_POLICY_PATH, kumodLog: hostOpts.kumomta.logFilter, policyChanged: true }, "restart kumod");
        await waitForSmtpBanner(sessions.sender, facts, "sender", [Number(SENDER_SUBMISSION_ADDRESS.split(":")[1])], hostOpts.smtpReadyTimeoutMs, "restart kumod", k.pid);
        return { changed: true, detail: k.detail, value: k };
      });
    }
    const proofChanges: Record<string, boolean> = {};
    const proof = await hostStep(progress, sessions.sender.name, "port-25 proof", proofChanges, async () => {
      const p = await provePort25Closed(sessions.sender, hosts);
      const [p25, pSink] = p.probes;
      return { changed: false, detail: `port 25 ${p25?.outcome} (${p25?.durationMs} ms), port ${pSink?.port} ${pSink?.outcome}`, value: p };
    });
    let generator: GeneratorProvisionResult | undefined;
    if (generatorRun && sessions.generator) {
      generator = await generatorRun;
      const g = sessions.generator;
      proof.generator = await hostStep(progress, g.name, "port-25 proof", proofChanges, async () => {
        const p = await provePort25ClosedFromGenerator(g, hosts, SENDER_GENERATOR_PORT);
        const [p25, pListener] = p.probes;
        return { changed: false, detail: `port 25 ${p25?.outcome} (${p25?.durationMs} ms), sender port ${pListener?.port} ${pListener?.outcome}`, value: p };
      });
    }
    const unchanged = [sender.value, sink.value, ...(generator ? [generator] : [])].every((h) => Object.values(h.changes).every((c) => !c));
    return { labId: hosts.labId, sender: sender.value, sink: sink.value, ...(generator ? { generator } : {}), proof, unchanged, durationMs: Date.now() - started };
  } finally {
    // Never leave its steps running on a closed session. Reached with an error of its own only when a
    // later step (a proof) failed first: that error is the one thrown; the generator's step-fail was reported.
    await generatorRun?.catch(() => undefined);
    if (own) closeLabSessions(sessions);
  }
}

/**
 * Prefetch: provisions the lab's standby sender only (README "Prefetch") — port-25 table, policy,
 * kumod, its banner, and the port-25 proof from it — while the active sender is measured. The sink
 * is left exactly as it is (no policy push, no restart): it is serving trials, and it already
 * admits the standby (`LabHosts.alsoAdmitFromSink`). `session` is the standby's; the caller owns it.
 */
export async function provisionStandbySender(hosts: LabHosts, session: SshSession, opts: Omit<ProvisionOptions, "sessions" | "restartSenderWithSink"> = {}): Promise<{ sender: HostProvisionResult; proof: Port25Proof }> {
  const progress = opts.progress ?? silentProgress;
  const sender = await provisionHost(session, hosts, "sender", {
    progress,
    kumomta: opts.kumomta ?? loadLabConfig().config.kumomta,
    cloudInitTimeoutMs: opts.cloudInitTimeoutMs ?? 600_000,
    smtpReadyTimeoutMs: opts.smtpReadyTimeoutMs ?? 60_000,
    workload: opts.workload,
  });
  const proof = await hostStep(progress, session.name, "port-25 proof", {}, async () => {
    const p = await provePort25Closed(session, hosts);
    const [p25, pSink] = p.probes;
    return { changed: false, detail: `port 25 ${p25?.outcome} (${p25?.durationMs} ms), port ${pSink?.port} ${pSink?.outcome}`, value: p };
  });
  return { sender, proof };
}
