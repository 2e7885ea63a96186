/**
 * Port and address arithmetic for the policies, on the raw shapes AWS and Azure use.
 * Deliberately independent of infra/ (the pack checks the program, it does not trust its helpers).
 */

/** SMTP, SMTPS, submission: must never be allowed out. */
export const SMTP_PORTS: readonly number[] = [25, 465, 587];
export const SSH_PORT = 22;

/**
 * What the policies see where the engine sent a value not known yet (preview of a new stack):
 * see ./unknowns.ts. A string no cloud uses, so every check below can treat it as the worst case.
 */
export const UNKNOWN = "(a value not known yet at preview)";

/** AWS protocol strings that include TCP: `tcp`, its number 6, and "all" (`-1`/`all`). */
export function awsProtocolIncludesTcp(protocol: string | number | undefined): boolean {
  if (protocol === undefined || protocol === UNKNOWN) return true; // unknown at preview: assume the worst
  const p = String(protocol).toLowerCase();
  return p === "tcp" || p === "6" || p === "-1" || p === "all";
}

/** Does an AWS rule's port range include `port`? Protocol "all" ignores the ports; missing ports are read as "all". */
export function awsRuleCoversPort(protocol: string | number | undefined, fromPort: number | undefined, toPort: number | undefined, port: number): boolean {
  if (!awsProtocolIncludesTcp(protocol)) return false;
  const p = protocol === UNKNOWN ? "-1" : String(protocol ?? "-1").toLowerCase();
  if (p === "-1" || p === "all") return true;
  if (fromPort === undefined || toPort === undefined) return true;
  if (fromPort === 0 && toPort === 0) return true; // tcp 0-0 is read by some tools as "all ports"; fail closed
  return fromPort <= port && port <= toPort;
}

/** Azure protocols that include TCP. */
export function azureProtocolIncludesTcp(protocol: string | undefined): boolean {
  if (protocol === undefined || protocol === UNKNOWN) return true;
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

const WORLD_NAMES = new Set(["*", "internet", "any", "0.0.0.0", "::"]);

/**
 * Prefixes shorter than these are treated as the world: `0.0.0.0/1` is half the internet, and a
 * CIDR's host bits do not narrow it (`1.2.3.4/0` is `0.0.0.0/0`, `::0/0` is `::/0`). A /8 (one
 * registry block, e.g. 10.0.0.0/8) is still accepted here; the lab config is stricter (/16).
 */
export const WORLD_IPV4_PREFIX_BELOW = 8;
export const WORLD_IPV6_PREFIX_BELOW = 16;

/** The prefix length of an IPv4 or IPv6 CIDR, or undefined when `s` is not one (a service tag, say). */
export function cidrPrefixLength(s: string): { family: 4 | 6; prefix: number } | undefined {
  const m = /^([0-9a-fA-F.:]+)\/(\d{1,3})$/.exec(s.trim());
  if (!m?.[1] || m[2] === undefined) return undefined;
  const prefix = Number(m[2]);
  if (m[1].includes(":")) return prefix <= 128 ? { family: 6, prefix } : undefined;
  return /^\d{1,3}(\.\d{1,3}){3}$/.test(m[1]) && prefix <= 32 ? { family: 4, prefix } : undefined;
}

/**
 * Whether an address prefix (CIDR or Azure service tag) means "anyone on the internet", or near
 * enough; a value not known yet counts as the world (the worst case).
 */
export function isWorld(prefix: string): boolean {
  if (prefix === UNKNOWN) return true;
  const p = prefix.trim().toLowerCase();
  if (WORLD_NAMES.has(p)) return true;
  const cidr = cidrPrefixLength(p);
  if (!cidr) return false;
  return cidr.prefix < (cidr.family === 4 ? WORLD_IPV4_PREFIX_BELOW : WORLD_IPV6_PREFIX_BELOW);
}

/** Exactly everyone (a Deny must reach this far to count as a full cover): `*`, `Internet`, any /0. */
export function isWholeInternet(prefix: string): boolean {
  if (prefix === UNKNOWN) return false;
  const p = prefix.trim().toLowerCase();
  if (p === "*" || p === "internet" || p === "any") return true;
  return cidrPrefixLength(p)?.prefix === 0;
}

/** Azure source port specs that leave no source port out (`*`, `0-65535`, or none given). */
export function azurePortsAreAll(single: string | undefined, many: string[] | undefined): boolean {
  const specs = [...(single !== undefined ? [single] : []), ...(many ?? [])];
  if (specs.length === 0) return true;
  return specs.some((s) => s.trim() === "*" || /^0\s*-\s*65535$/.test(s.trim()));
}

/** Like azurePortsCover, but a spec not known yet or not parseable does not count (for Deny rules). */
export function azurePortsSurelyCover(single: string | undefined, many: string[] | undefined, port: number): boolean {
  const specs = [...(single !== undefined ? [single] : []), ...(many ?? [])];
  if (specs.length === 0) return true;
  return specs.some((s) => (s.trim() === "*" || /^\d+(\s*-\s*\d+)?$/.test(s.trim())) && azurePortSpecCovers(s, port));
}
