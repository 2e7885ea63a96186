/**
 * What makes a figure reproducible, as the host itself reports it: KumoMTA version, vCPUs, RAM,
 * kernel, and the main interface (with its link speed when the kernel knows it).
 */
import { z } from "zod";
import type { RemoteHost } from "./remote-host";
import { INTERFACE_NAME } from "./resource-sampler";

export const hostFactsSchema = z.object({
  kumodVersion: z.string(),
  vcpu: z.number().int().positive(),
  memGiB: z.number().positive(),
  kernel: z.string().min(1),
  interface: z.string().regex(INTERFACE_NAME),
  /** null when the interface does not report a speed (virtual NICs often don't). */
  linkBitsPerSecond: z.number().positive().nullable(),
});
export type HostFacts = z.infer<typeof hostFactsSchema>;

const IP_LITERAL = /^[0-9a-fA-F.:]+$/;

/**
 * @param peer an IP the host talks to in the lab: its main interface is the one routing there.
 *   Without it, the default route's interface, else the first non-loopback interface that is up.
 */
export function hostFactsScript(kumodPath: string, peer?: string): string {
  if (peer !== undefined && !IP_LITERAL.test(peer)) throw new Error(`not an IP literal: ${JSON.stringify(peer)}`);
  const route = peer ? `ip -o route get ${peer} 2>/dev/null | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p' | head -n1` : "true";
  return [
    `printf 'KUMOD %s\\n' "$(${kumodPath} --version 2>&1 | head -n1)";`,
    `printf 'NPROC %s\\n' "$(nproc)";`,
    `grep '^MemTotal:' /proc/meminfo;`,
    `printf 'KERNEL %s\\n' "$(uname -r)";`,
    `i=$(${route}); [ -n "$i" ] || i=$(ip -o route show default 2>/dev/null | sed -n 's/.* dev \\([^ ]*\\).*/\\1/p' | head -n1);`,
    `[ -n "$i" ] || i=$(ip -o link show up | awk -F': ' '$2 != "lo" {sub(/@.*/, "", $2); print $2; exit}');`,
    `printf 'IFACE %s\\n' "$i";`,
    `printf 'SPEED %s\\n' "$(cat /sys/class/net/$i/speed 2>/dev/null || echo -1)"`,
  ].join(" ");
}

export function parseHostFacts(host: string, text: string): HostFacts {
  const field = (re: RegExp): string | undefined => re.exec(text)?.[1]?.trim();
  const speedMbit = Number(field(/^SPEED (-?\d+)/m) ?? "-1");
  const parsed = hostFactsSchema.safeParse({
    kumodVersion: field(/^KUMOD (.*)$/m) ?? "",
    vcpu: Number(field(/^NPROC (\d+)/m)),
    memGiB: Number(field(/^MemTotal:\s+(\d+)/m)) / (1024 * 1024),
    kernel: field(/^KERNEL (.*)$/m),
    interface: field(/^IFACE (.*)$/m),
    linkBitsPerSecond: speedMbit > 0 ? speedMbit * 1e6 : null,
  });
  if (!parsed.success) {
    throw new Error(`${host}: could not read the host's facts (${parsed.error.issues.map((i) => `${i.path.join(".")}: ${i.message}`).join("; ")}); output was: ${JSON.stringify(text.slice(0, 300))}`);
  }
  return parsed.data;
}

export async function readHostFacts(host: RemoteHost, kumodPath: string, peer: string | undefined, timeoutMs = 15_000): Promise<HostFacts> {
  const r = await host.exec(hostFactsScript(kumodPath, peer), { timeoutMs });
  if (r.code !== 0) throw new Error(`${host.name}: reading host facts exited ${r.code}: ${r.stderr.trim().slice(0, 300)}`);
  return parseHostFacts(host.name, r.stdout);
}
