/** IP literal checks shared by the hosts sources and the policy renderer. */
import { isIPv4, isIPv6 } from "node:net";

export function isIpLiteral(s: string): boolean {
  return isIPv4(s) || isIPv6(s);
}

/** The /32 (IPv4) or /128 (IPv6) CIDR of one address. */
export function hostCidr(ip: string): string {
  if (isIPv4(ip)) return `${ip}/32`;
  if (isIPv6(ip)) return `${ip}/128`;
  throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
}
