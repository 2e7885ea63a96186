/**
 * Port and address arithmetic for the policies, on the raw shapes AWS and Azure use.
 * Deliberately independent of infra/ (the pack checks the program, it does not trust its helpers).
 */

/** SMTP, SMTPS, submission: must never be allowed out. */
export const SMTP_PORTS: readonly number[] = [25, 465, 587];
export const SSH_PORT = 22;

/** AWS protocol strings that include TCP: `tcp`, its number 6, and "all" (`-1`/`all`). */
export function awsProtocolIncludesTcp(protocol: string | number | undefined): boolean {
  if (protocol === undefined) return true; // unknown at preview: assume the worst
  const p = String(protocol).toLowerCase();
  return p === "tcp" || p === "6" || p === "-1" || p === "all";
}

/** Does an AWS rule's port range include `port`? Protocol "all" ignores the ports; missing ports are read as "all". */
export function awsRuleCoversPort(protocol: string | number | undefined, fromPort: number | undefined, toPort: number | undefined, port: number): boolean {
  if (!awsProtocolIncludesTcp(protocol)) return false;
  const p = String(protocol ?? "-1").toLowerCase();
  if (p === "-1" || p === "all") return true;
  if (fromPort === undefined || toPort === undefined) return true;
  if (fromPort === 0 && toPort === 0) return true; // tcp 0-0 is read by some tools as "all ports"; fail closed
  return fromPort <= port && port <= toPort;
}

/** Azure protocols that include TCP. */
export function azureProtocolIncludesTcp(protocol: string | undefined): boolean {
  if (protocol === undefined) return true;
  const p = protocol.toLowerCase();
  return p === "tcp" || p === "*" || p === "any";
}

/** Does an Azure port spec (`*`, `25`, `20-30`) include `port`? Unparseable specs count as covering (fail closed). */
export function azurePortSpecCovers(spec: string, port: number): boolean {
  const s = spec.trim();
  if (s === "*") return true;
  const range = /^(\d+)\s*-\s*(\d+)$/.exec(s);
  if (range) return Number(range[1]) <= port && port <= Number(range[2]);
  if (/^\d+$/.test(s)) return Number(s) === port;
  return true;
}

/** Azure rule ports: `destinationPortRange` and/or `destinationPortRanges`; none given means any. */
export function azurePortsCover(single: string | undefined, many: string[] | undefined, port: number): boolean {
  const specs = [...(single !== undefined ? [single] : []), ...(many ?? [])];
  if (specs.length === 0) return true;
  return specs.some((s) => azurePortSpecCovers(s, port));
}

const WORLD_PREFIXES = new Set(["*", "0.0.0.0/0", "::/0", "internet", "any", "0.0.0.0"]);

/** Whether an address prefix (CIDR or Azure service tag) means "anyone on the internet". */
export function isWorld(prefix: string): boolean {
  return WORLD_PREFIXES.has(prefix.trim().toLowerCase());
}
