/**
 * The operator's address range, parsed and normalised. The lab is IPv4-only (the sender's Elastic
 * IP and the sink's public IP are IPv4, the subnets have no IPv6), so an IPv6 range would admit no
 * one: it is refused with a message rather than accepted silently.
 */

/** Prefixes shorter than this (IPv4) need `allowWorldOpenOperatorCidr: true`: a /15 is already 131,072 addresses. */
export const MIN_OPERATOR_PREFIX = 16;

export type ParsedCidr = { ok: true; cidr: string; prefix: number } | { ok: false; problem: string };

/**
 * `a.b.c.d/n` → its canonical form: host bits cleared (`1.2.3.4/0` is `0.0.0.0/0`, `203.0.113.7/24`
 * is `203.0.113.0/24`), no leading zeros. A bare address is not accepted: say `/32`.
 */
export function parseOperatorCidr(text: string): ParsedCidr {
  const s = text.trim();
  if (s.includes(":")) {
    return {
      ok: false,
      problem: "is IPv6, but the lab is IPv4-only (its public addresses and subnets are IPv4), so SSH would admit no one; give your IPv4 address as a /32 (or 'auto')",
    };
  }
  // The most common first mistake: a bare address. Say exactly what to write.
  if (/^\d{1,3}(\.\d{1,3}){3}$/.test(s)) return { ok: false, problem: `is an address without a prefix: add /32 for that one address (${s}/32)` };
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})\/(\d{1,2})$/.exec(s);
  if (!m) return { ok: false, problem: "must be an IPv4 CIDR such as 203.0.113.7/32" };
  if (Number(m[5]) > 32) return { ok: false, problem: `has prefix /${m[5]}, but an IPv4 prefix is at most /32 (/32 = that one address)` };
  const octets = m.slice(1, 5).map(Number);
  const prefix = Number(m[5]);
  if (octets.some((o) => o > 255) || prefix > 32) return { ok: false, problem: "must be an IPv4 CIDR such as 203.0.113.7/32 (octets 0-255, prefix 0-32)" };
  const value = octets.reduce((acc, o) => acc * 256 + o, 0);
  const size = 2 ** (32 - prefix);
  const network = Math.floor(value / size) * size;
  const parts = [24, 16, 8, 0].map((shift) => Math.floor(network / 2 ** shift) % 256);
  return { ok: true, cidr: `${parts.join(".")}/${prefix}`, prefix };
}

/** Why a (parsed) operator range is too wide without the opt-in, or undefined when it is not. */
export function wideOperatorCidrProblem(cidr: string, prefix: number): string | undefined {
  if (prefix >= MIN_OPERATOR_PREFIX) return undefined;
  const reach = prefix === 0 ? "the whole internet" : `${(2 ** (32 - prefix)).toLocaleString("en-US")} addresses (wider than a /${MIN_OPERATOR_PREFIX})`;
  return `${cidr} opens SSH to ${reach}; use your own address (or 'auto'), or set allowWorldOpenOperatorCidr: true to accept the risk`;
}
