/**
 * `operatorCidr: auto` → the operator's public IPv4 as a /32, looked up over https from the
 * configured what's-my-IP URL — once per lab: the sweep stores the answer in the stack's config
 * (kumolab:operatorCidr) before its first `up`, and the program itself never looks up (each
 * `preview`/`up`, anyone's, would otherwise rewrite the firewalls to the caller's address).
 * The lookup is injected so that tests never touch the network.
 */
import type { LabConfig } from "../lab-config/schema";

/** GETs `url` and returns the body text; must give up after `timeoutMs`. */
export type FetchText = (url: string, timeoutMs: number) => Promise<string>;

export const OPERATOR_IP_LOOKUP_TIMEOUT_MS = 10_000;

const IPV4 = /^(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(\.(25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

/** The real lookup: Node's global fetch with a deadline. */
export const fetchTextOverHttp: FetchText = async (url, timeoutMs) => {
  if (!url.startsWith("https://")) throw new Error(`refusing ${url}: the operator address is looked up over https only`);
  const res = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
  if (!res.url.startsWith("https://")) throw new Error(`${url} redirected to ${res.url}, which is not https`);
  if (!res.ok) throw new Error(`HTTP ${res.status} ${res.statusText}`);
  return res.text();
};

/** Parses a what's-my-IP answer: a bare IPv4 address (whitespace around it is fine) → `/32`. */
export function operatorCidrFromLookup(body: string, url: string): string {
  const ip = body.trim();
  if (!IPV4.test(ip)) {
    const shown = ip.length > 60 ? `${ip.slice(0, 60)}…` : ip;
    throw new Error(
      `operatorCidr is 'auto' but ${url} answered '${shown}', not a bare IPv4 address; set kumolab:operatorCidr to your address as a /32 (pulumi config set kumolab:operatorCidr 203.0.113.7/32) or point kumolab:operatorIpLookupUrl at a service that answers with one`,
    );
  }
  return `${ip}/32`;
}

/** The operator CIDR to put in the firewalls: the configured one, or the looked-up /32 for `auto`. */
export async function resolveOperatorCidr(config: LabConfig, fetchText: FetchText, timeoutMs = OPERATOR_IP_LOOKUP_TIMEOUT_MS): Promise<string> {
  if (config.operatorCidr !== "auto") return config.operatorCidr;
  const url = config.operatorIpLookupUrl;
  let body: string;
  try {
    body = await fetchText(url, timeoutMs);
  } catch (e) {
    throw new Error(
      `operatorCidr is 'auto' but looking up your public IP at ${url} failed (${(e as Error).message}, timeout ${timeoutMs} ms); check your connection or set kumolab:operatorCidr to your address as a /32; nothing was created`,
    );
  }
  return operatorCidrFromLookup(body, url);
}

/** The program's operator CIDR: the configured range; `auto` means it was never stored, which the program refuses. */
export function operatorCidrForProgram(config: LabConfig, stack: string): string {
  if (config.operatorCidr !== "auto") return config.operatorCidr;
  throw new Error(
    `operatorCidr is 'auto' in stack ${stack} and no address is stored yet: the program does not look it up at every preview/up (a colleague's up would move SSH to their address). ` +
      `Store it once: 'npx pulumi config set kumolab:operatorCidr "$(curl -fsS https://checkip.amazonaws.com)/32" --stack ${stack}' — or let 'npm run sweep' store it; nothing was created`,
  );
}
