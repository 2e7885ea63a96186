/**
 * Runs kumod with a given policy, replacing what ran before, and restarts it only when needed
 * (policy or launch settings changed, or it is not running).
 *
 * - systemd hosts: the sink gets a unit of ours (kumolab-sink.service) and the packaged
 *   kumomta.service is stopped and disabled; the sender keeps kumomta.service (it already runs
 *   init.lua) with a drop-in of ours (KUMOD_LOG, when the lab sets one).
 * - hosts without systemd: kumod is supervised with a pid file (/run/kumolab/kumod.pid), started
 *   with setsid, output to /var/log/kumomta/kumolab-kumod.log; an earlier one is stopped first.
 */
import { KUMOD_LOG_PATTERN } from "../../lab-config/schema";
import type { Role } from "../progress/events";
import type { SshSession } from "../ssh/session";
import { shellJoin, shellQuote } from "../ssh/shell-quote";
import type { ProvisionFacts } from "./host-facts";
import { ensureRemoteFile } from "./remote-file";
import {
  KUMOD_LAUNCH_FILE,
  KUMOD_PATH,
  KUMOD_PID_FILE,
  KUMOD_SUPERVISED_LOG,
  KUMOD_USER,
  LAB_RUN_DIR,
  PACKAGED_UNIT,
  SENDER_DROPIN_FILE,
  SINK_UNIT,
  SINK_UNIT_FILE,
} from "./lab-endpoints";


export interface KumodLaunch {
  role: Role;
  policyPath: string;
  /**
   * KUMOD_LOG, or null to leave it unset: setting it replaces kumod's whole default filter
   * (crates/kumod/src/main.rs), dropping errors from its config, lua and spool targets.
   */
  kumodLog: string | null;
  /** The policy file changed in this run: restart even if running. */
  policyChanged: boolean;
}

export type KumodSupervision = "systemd" | "pid-file";

export function kumodArgv(policyPath: string): string[] {
  return [KUMOD_PATH, "--policy", policyPath, "--user", KUMOD_USER];
}

/** The launch spec recorded next to the pid file; a difference means restart. */
export function launchSpec(l: Pick<KumodLaunch, "policyPath" | "kumodLog">): string {
  return `${l.kumodLog === null ? "KUMOD_LOG unset" : `KUMOD_LOG=${l.kumodLog}`} ${shellJoin(kumodArgv(l.policyPath))}`;
}

export function sinkUnit(l: Pick<KumodLaunch, "policyPath" | "kumodLog">): string {
  return [
    "# kumolab: the lab's sink (kumod with sink.lua). Written by kumolab provisioning.",
    "[Unit]",
    "Description=kumolab sink: KumoMTA kumod with the discard policy",
    "After=network-online.target",
    "Wants=network-online.target",
    `Conflicts=${PACKAGED_UNIT}`,
    "",
    "[Service]",
    "Type=simple",
    ...(l.kumodLog === null ? [] : [`Environment=KUMOD_LOG=${l.kumodLog}`]),
    `ExecStart=${kumodArgv(l.policyPath).join(" ")}`,
    "Restart=always",
    "TimeoutStopSec=300",
    "LimitNOFILE=1048576",
    "",
    "[Install]",
    "WantedBy=multi-user.target",
    "",
  ].join("\n");
}

/** The sender's drop-in: KUMOD_LOG when the lab sets one; otherwise none of ours (kumod's default filter). */
export function senderDropIn(l: Pick<KumodLaunch, "kumodLog">): string {
  const env = l.kumodLog === null ? ["# KUMOD_LOG left unset: kumod keeps its default log filter."] : [`Environment=KUMOD_LOG=${l.kumodLog}`];
  return ["# kumolab: log settings of the sender's kumod. Written by kumolab provisioning.", "[Service]", ...env, ""].join("\n");
}

/**
 * The pid-file supervisor, run as root. Prints `unchanged PID` or `started PID`. It does not wait
 * to see kumod stay up: the SMTP wait that follows watches the pid and fails at once if it exits.
 * The cmdline check keeps a recycled pid from being mistaken for (or killed as) our kumod.
 */
export function pidFileScript(l: KumodLaunch): string {
  const spec = launchSpec(l);
  const policyArg = `--policy ${l.policyPath}`;
  return [
    `PIDF=${KUMOD_PID_FILE}; LAUNCH=${KUMOD_LAUNCH_FILE}`,
    `WANT=${shellQuote(spec)}`,
    `ours() { [ -n "$1" ] && [ -r /proc/$1/cmdline ] && tr '\\0' ' ' < /proc/$1/cmdline | grep -qF -- ${shellQuote(policyArg)}; }`,
    `pid=$(cat "$PIDF" 2>/dev/null)`,
    `if ours "$pid" && [ "$(cat "$LAUNCH" 2>/dev/null)" = "$WANT" ] && [ ${l.policyChanged ? 1 : 0} = 0 ]; then echo "unchanged $pid"; exit 0; fi`,
    `if ours "$pid"; then kill -TERM "$pid"; i=0; while [ -d /proc/$pid ] && [ $i -lt 150 ]; do sleep 0.1; i=$((i+1)); done; if [ -d /proc/$pid ]; then kill -KILL "$pid"; echo "killed $pid after 15 s" >&2; fi; fi`,
    `mkdir -p ${LAB_RUN_DIR} && cd /`,
    // setsid: kumod outlives this SSH session; all fds redirected so the channel can close.
    `${l.kumodLog === null ? "env -u KUMOD_LOG" : `KUMOD_LOG=${shellQuote(l.kumodLog)}`} setsid ${shellJoin(kumodArgv(l.policyPath))} </dev/null >>${KUMOD_SUPERVISED_LOG} 2>&1 &`,
    `new=$!`,
    `echo "$new" > "$PIDF" && printf '%s\\n' "$WANT" > "$LAUNCH"`,
    `echo "started $new"`,
  ].join("\n");
}

export interface KumodState {
  changed: boolean;
  supervision: KumodSupervision;
  /** With pid-file supervision. */
  pid?: number;
  detail: string;
}

export async function ensureKumod(session: SshSession, facts: ProvisionFacts, l: KumodLaunch, step: string): Promise<KumodState> {
  if (l.kumodLog !== null && !KUMOD_LOG_PATTERN.test(l.kumodLog)) throw session.error("invalid-input", step, `KUMOD_LOG value ${JSON.stringify(l.kumodLog)} is not a log filter`, "use e.g. kumod=info,lua=info,config=info, or leave kumomta.logFilter null");
  if (!facts.systemd) {
    const r = await session.execOk(pidFileScript(l), { sudo: true, step, timeoutMs: 30_000, hint: `see ${KUMOD_SUPERVISED_LOG} on the host` });
    const m = /^(unchanged|started) (\d+)$/m.exec(r.stdout);
    if (!m || !m[1] || !m[2]) throw session.error("exit-status", step, `unexpected supervisor output: ${r.stdout.trim()}`, `see ${KUMOD_SUPERVISED_LOG}`);
    return { changed: m[1] === "started", supervision: "pid-file", pid: Number(m[2]), detail: `kumod pid ${m[2]} (${m[1]}), ${l.policyPath}` };
  }
  if (l.role === "sink") {
    const unit = await ensureRemoteFile(session, { path: SINK_UNIT_FILE, content: sinkUnit(l), mode: 0o644 }, step);
    const script = [
      `if systemctl is-enabled --quiet ${PACKAGED_UNIT} 2>/dev/null || systemctl is-active --quiet ${PACKAGED_UNIT}; then systemctl disable --now --quiet ${PACKAGED_UNIT} && echo stopped-packaged; fi`,
      unit.changed ? "systemctl daemon-reload" : ":",
      `systemctl enable --quiet ${SINK_UNIT}`,
      `if [ ${unit.changed || l.policyChanged ? 1 : 0} = 1 ] || ! systemctl is-active --quiet ${SINK_UNIT}; then systemctl restart ${SINK_UNIT} && echo restarted; else echo unchanged; fi`,
    ].join(" && ");
    const r = await session.execOk(script, { sudo: true, step, timeoutMs: 330_000, hint: `see: journalctl -u ${SINK_UNIT}` });
    const changed = unit.changed || /restarted|stopped-packaged/.test(r.stdout);
    return { changed, supervision: "systemd", detail: `${SINK_UNIT}: ${r.stdout.trim().split("\n").join(", ")}` };
  }
  // ensureRemoteFile creates the drop-in directory (kumomta.service.d) when it is missing.
  const dropIn = await ensureRemoteFile(session, { path: SENDER_DROPIN_FILE, content: senderDropIn(l), mode: 0o644 }, step);
  const script = [
    dropIn.changed ? "systemctl daemon-reload" : ":",
    `systemctl enable --quiet ${PACKAGED_UNIT}`,
    `if [ ${dropIn.changed || l.policyChanged ? 1 : 0} = 1 ] || ! systemctl is-active --quiet ${PACKAGED_UNIT}; then systemctl restart ${PACKAGED_UNIT} && echo restarted; else echo unchanged; fi`,
  ].join(" && ");
  const r = await session.execOk(script, { sudo: true, step, timeoutMs: 330_000, hint: `see: journalctl -u ${PACKAGED_UNIT}` });
  return { changed: dropIn.changed || /restarted/.test(r.stdout), supervision: "systemd", detail: `${PACKAGED_UNIT}: ${r.stdout.trim()}` };
}

/** The tail of kumod's own log, for errors. */
export async function kumodLogTail(session: SshSession, facts: ProvisionFacts, role: Role, lines = 40): Promise<string> {
  const cmd = facts.systemd ? `journalctl -u ${role === "sink" ? SINK_UNIT : PACKAGED_UNIT} -n ${lines} --no-pager 2>&1` : `tail -n ${lines} ${KUMOD_SUPERVISED_LOG} 2>&1`;
  try {
    const r = await session.exec(cmd, { sudo: true, step: "read kumod log", timeoutMs: 15_000 });
    return r.stdout.trim() || "(empty log)";
  } catch (e) {
    return `(could not read the log: ${(e as Error).message.split("\n")[0] ?? ""})`;
  }
}
