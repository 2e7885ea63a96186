/**
 * Waits until kumod answers SMTP — a `220` banner — on each of its ports, checked on the host
 * itself with bash's /dev/tcp (present on Ubuntu, Debian, Rocky, Amazon Linux). Bounded by time
 * and by a probe count; one remote call for all ports.
 */
import type { Role } from "../progress/events";
import type { SshSession } from "../ssh/session";
import type { ProvisionFacts } from "./host-facts";
import { kumodLogTail } from "./kumod-service";

export function bannerWaitScript(host: string, ports: readonly number[], timeoutSeconds: number): string {
  if (!/^[0-9.:a-fA-F]+$/.test(host)) throw new Error(`not an IP address: ${host}`);
  for (const p of ports) if (!Number.isInteger(p) || p < 1 || p > 65535) throw new Error(`not a port: ${p}`);
  const maxProbes = Math.ceil(timeoutSeconds / 0.2) + 5;
  return [
    `end=$(( $(date +%s) + ${Math.ceil(timeoutSeconds)} ))`,
    `for port in ${ports.join(" ")}; do`,
    `  ok=no; i=0`,
    `  while [ $i -lt ${maxProbes} ] && [ $(date +%s) -le $end ]; do`,
    `    i=$((i+1))`,
    `    b=$(timeout 3 bash -c "exec 3<>/dev/tcp/${host}/$port && head -c 3 <&3" 2>/dev/null)`,
    `    if [ "$b" = 220 ]; then ok=yes; break; fi`,
    `    sleep 0.2`,
    `  done`,
    `  if [ $ok = yes ]; then echo "banner $port"; else echo "no-banner $port"; exit 3; fi`,
    `done`,
  ].join("\n");
}

export async function waitForSmtpBanner(session: SshSession, facts: ProvisionFacts, role: Role, ports: readonly number[], timeoutMs: number, step: string): Promise<{ detail: string }> {
  const secs = Math.max(1, Math.ceil(timeoutMs / 1000));
  const r = await session.exec(bannerWaitScript("127.0.0.1", ports, secs), { step, timeoutMs: timeoutMs + 15_000 });
  if (r.code === 0) return { detail: `220 on ${ports.join(", ")}` };
  const missing = /no-banner (\d+)/.exec(r.stdout)?.[1] ?? ports.join("/");
  const log = await kumodLogTail(session, facts, role);
  throw session.error(
    "not-ready",
    step,
    `kumod did not answer SMTP (220 banner) on 127.0.0.1:${missing} within ${secs} s. kumod's log (last lines):\n${log
      .split("\n")
      .map((l) => `    ${l}`)
      .join("\n")}`,
    "fix the cause shown in the log (policy error, port in use by another process, spool permissions), then re-run provisioning",
  );
}
