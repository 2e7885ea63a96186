/**
 * Waits until kumod answers SMTP — a `220` banner — on each of its ports, checked on the host
 * itself with bash's /dev/tcp (present on Ubuntu, Debian, Rocky, Amazon Linux). Bounded by time
 * and by a probe count; one remote call for all ports.
 */
import type { Role } from "../progress/events";
import type { SshSession } from "../ssh/session";
import { shellQuote } from "../ssh/shell-quote";
import type { ProvisionFacts } from "./host-facts";
import { kumodLogTail } from "./kumod-service";

/** Between probes: a refused connect costs little, and kumod answers soon after it binds. */
const PROBE_INTERVAL_SECONDS = 0.05;

/**
 * The wait, in bash builtins only (the connect and read over /dev/tcp, the clock from
 * $SECONDS, the pause from `read -t` on a pipe nobody writes): a probe that forked
 * `timeout`, `bash` and `head` every 50 ms competed for the CPU with the kumod it waited for.
 * Run with `bash -c`.
 *
 * With `pid` (pid-file supervision), a kumod that exits while we wait ends the wait at once
 * (exit 4) instead of at the timeout: a policy that does not load fails in a second, not a minute.
 */
export function bannerWaitScript(host: string, ports: readonly number[], timeoutSeconds: number, pid?: number): string {
  if (!/^[0-9.:a-fA-F]+$/.test(host)) throw new Error(`not an IP address: ${host}`);
  for (const p of ports) if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`not a port: ${p}`);
  if (pid !== undefined && (!Number.isInteger(pid) || pid < 1)) throw new Error(`not a pid: ${pid}`);
  const maxProbes = Math.ceil(timeoutSeconds / PROBE_INTERVAL_SECONDS) + 5;
  return [
    `exec 9<> <(:)`,
    `end=$(( SECONDS + ${Math.ceil(timeoutSeconds)} ))`,
    `for port in ${ports.join(" ")}; do`,
    `  ok=no`,
    `  for (( i = 0; i < ${maxProbes} && SECONDS <= end; i++ )); do`,
    `    if { exec 3<>/dev/tcp/${host}/$port; } 2>/dev/null; then`,
    `      b=; IFS= read -r -t 3 -n 3 b <&3; exec 3<&-`,
    `      if [ "$b" = 220 ]; then ok=yes; break; fi`,
    `    fi`,
    ...(pid !== undefined ? [`    if ! [ -d /proc/${pid} ]; then echo "exited ${pid}"; exit 4; fi`] : []),
    `    read -t ${PROBE_INTERVAL_SECONDS} -u 9`,
    `  done`,
    `  if [ $ok = yes ]; then echo "banner $port"; else echo "no-banner $port"; exit 3; fi`,
    `done`,
  ].join("\n");
}

export async function waitForSmtpBanner(session: SshSession, facts: ProvisionFacts, role: Role, ports: readonly number[], timeoutMs: number, step: string, pid?: number): Promise<{ detail: string }> {
  const secs = Math.max(1, Math.ceil(timeoutMs / 1000));
  const r = await session.exec(`bash -c ${shellQuote(bannerWaitScript("127.0.0.1", ports, secs, pid))}`, { step, timeoutMs: timeoutMs + 15_000 });
  if (r.code === 0) return { detail: `220 on ${ports.join(", ")}` };
  const missing = /no-banner (\d+)/.exec(r.stdout)?.[1] ?? ports.join("/");
  const exited = r.code === 4 && /^exited \d+$/m.test(r.stdout);
  const log = await kumodLogTail(session, facts, role);
  const what = exited ? `kumod (pid ${pid}) exited before it answered SMTP on 127.0.0.1:${missing}` : `kumod did not answer SMTP (220 banner) on 127.0.0.1:${missing} within ${secs} s`;
  throw session.error(
    "not-ready",
    step,
    `${what}. kumod's log (last lines):\n${log
      .split("\n")
      .map((l) => `    ${l}`)
      .join("\n")}`,
    "fix the cause shown in the log (policy error, port in use by another process, spool permissions), then re-run provisioning",
  );
}
