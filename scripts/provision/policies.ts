/**
 * Renders our policy templates (lab-config/policy/*.lua). Placeholders are `{{NAME}}`; every
 * value is validated (IP literals, ports, listen addresses) before it is placed inside a Lua
 * string, and a template with an unknown or unfilled placeholder is an error.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { isIPv4, isIPv6 } from "node:net";
import { PROJECT_DIR } from "../../lab-config/load";
import type { LabHosts } from "../hosts/lab-hosts";
import { hostCidr, isIpLiteral } from "../hosts/ip";
import type { KumomtaSettings } from "../../lab-config/schema";
import { ENABLE_TLS, humantimeSeconds } from "../kumomta/policy-api";
import { SENDER_GENERATOR_PORT, SENDER_HTTP_LISTEN, SENDER_SUBMISSION_ADDRESS, SINK_HTTP_LISTEN } from "./lab-endpoints";
import type { ResolvedWorkload, SinkBehaviour } from "../../lab-config/workloads";
import { dkimLua, localLogsLua, routingLua, sinkReceptionLua } from "./workload-policy";

/** The packaged spool directory (data and meta beneath it). */
export const SPOOL_DIR = "/var/spool/kumomta";

export const POLICY_TEMPLATE_DIR = path.join(PROJECT_DIR, "lab-config", "policy");

const PLACEHOLDER = /\{\{([A-Z_]+)\}\}/g;
/** Characters a rendered value may contain: addresses, CIDRs, ports, brackets. Nothing that can end a Lua string. */
const SAFE_VALUE = /^[0-9A-Za-z.:/[\]-]+$/;

/**
 * `code` holds placeholders filled with Lua that kumolab generated itself from validated values
 * (scripts/provision/workload-policy.ts); they skip the value check, never user text.
 */
export function renderTemplate(template: string, values: Record<string, string>, templateName: string, code: Record<string, string> = {}): string {
  const used = new Set<string>();
  const missing = new Set<string>();
  const out = template.replace(PLACEHOLDER, (_, name: string) => {
    const c = code[name];
    if (c !== undefined) {
      used.add(name);
      return c;
    }
    const v = values[name];
    if (v === undefined) {
      missing.add(name);
      return "";
    }
    if (!SAFE_VALUE.test(v)) throw new Error(`${templateName}: value for {{${name}}} has characters not allowed in a policy value: ${JSON.stringify(v)}`);
    used.add(name);
    return v;
  });
  if (missing.size > 0) throw new Error(`${templateName}: no value for ${[...missing].map((m) => `{{${m}}}`).join(", ")}`);
  const unused = [...Object.keys(values), ...Object.keys(code)].filter((k) => !used.has(k));
  if (unused.length > 0) throw new Error(`${templateName}: template has no ${unused.map((m) => `{{${m}}}`).join(", ")} (template and renderer disagree)`);
  if (/\{\{|\}\}/.test(out)) throw new Error(`${templateName}: malformed placeholder left after rendering`);
  return out;
}

function checkPort(port: number, what: string): string {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${what} must be a port 1..65535, got ${port}`);
  return String(port);
}

/**
 * An IPv4 address. The lab is IPv4 only: the sink listens on 0.0.0.0, and kumod's SMTP client takes
 * the TLS server name from `[IPv6:…]` by cutting at the last ':' before removing the brackets
 * (crates/rfc5321/src/client.rs `extract_hostname`), so STARTTLS to an IPv6 literal fails every delivery.
 */
function checkIp(ip: string, what: string): string {
  if (isIPv6(ip)) throw new Error(`${what} is the IPv6 address ${JSON.stringify(ip)}: the lab is IPv4 only (kumod cannot STARTTLS to an [IPv6:…] literal, and the sink listens on 0.0.0.0); give the host's IPv4 address`);
  if (!isIpLiteral(ip)) throw new Error(`${what} must be an IP address (routing uses an [IP] literal), got ${JSON.stringify(ip)}`);
  return ip;
}

/** The domain literal KumoMTA routes to: `[203.0.113.7]`, `[IPv6:2001:db8::7]`. */
export function domainLiteral(ip: string): string {
  if (isIPv4(ip)) return `[${ip}]`;
  if (isIPv6(ip)) return `[IPv6:${ip}]`;
  throw new Error(`not an IP address: ${JSON.stringify(ip)}`);
}

export interface PolicyInputs {
  sinkPort: number;
  /** The sink as the sender reaches it. */
  sinkAddress: string;
  /** The sender as the sink sees it. */
  senderAddress: string;
  /** Other senders the sink also admits (prefetch: the standby slot), as the sink sees them. Default none. Example: `['198.18.7.9']`. */
  otherSenderAddresses?: string[];
  /**
   * With a generator host: the sender's address it submits to (a second listener binds there, on
   * SENDER_GENERATOR_PORT) and the generator's address as the sender sees it (the only relay host).
   * Absent: traffic-gen runs on the sender, loopback only.
   */
  generator?: { senderAddress: string; generatorAddress: string };
}

export function policyInputs(hosts: LabHosts): PolicyInputs {
  const senderAddress = hosts.senderAddressFromSink ?? hosts.sender.address;
  return {
    sinkPort: hosts.sinkPort,
    sinkAddress: checkIp(hosts.sinkAddressFromSender, "the sink's address as the sender reaches it (sinkAddressFromSender)"),
    senderAddress: checkIp(senderAddress, "the sender's address as the sink sees it (senderAddressFromSink / addressSeenBySink)"),
    ...(hosts.alsoAdmitFromSink && hosts.alsoAdmitFromSink.length > 0
      ? { otherSenderAddresses: hosts.alsoAdmitFromSink.map((a) => checkIp(a, "a standby sender's address as the sink sees it (alsoAdmitFromSink)")) }
      : {}),
    ...(hosts.generator
      ? {
          generator: {
            senderAddress: checkIp(hosts.generator.senderAddress, "the sender's address as the generator reaches it (generator.senderAddress)"),
            generatorAddress: checkIp(hosts.generator.addressSeenBySender, "the generator's address as the sender sees it (generator.addressSeenBySender)"),
          },
        }
      : {}),
  };
}

function readTemplate(name: string, dir: string): string {
  return readFileSync(path.join(dir, name), "utf8");
}

export function renderSinkPolicy(p: PolicyInputs, dir = POLICY_TEMPLATE_DIR, sink: SinkBehaviour = { kind: "discard" }): string {
  if (p.sinkPort === 25) throw new Error("the sink port must not be 25 (the sink already listens there for the port-25 proof)");
  return renderTemplate(
    readTemplate("sink.lua", dir),
    {
      SINK_PORT: checkPort(p.sinkPort, "sinkPort"),
      HTTP_LISTEN: SINK_HTTP_LISTEN,
    },
    "sink.lua",
    { SINK_ANSWER: sinkReceptionLua(sink), SENDER_CIDRS: senderCidrsLua(p) },
  );
}

/**
 * The senders the sink relays for, as Lua string literals. Sorted and deduplicated: with prefetch
 * the active and standby senders trade places at a swap, and the same sink.lua then means no
 * restart of the sink's kumod between sizes.
 */
function senderCidrsLua(p: PolicyInputs): string {
  const all = [p.senderAddress, ...(p.otherSenderAddresses ?? [])].map((a) => hostCidr(checkIp(a, "sender address")));
  const unique = [...new Set(all)].sort();
  for (const c of unique) if (!SAFE_VALUE.test(c)) throw new Error(`sink.lua: sender CIDR has characters not allowed in a policy value: ${JSON.stringify(c)}`);
  return unique.map((c) => `'${c}'`).join(", ");
}

/** The sender's delivery settings from the lab config (`kumomta.*`). */
export type SenderDelivery = Pick<KumomtaSettings, "egressTls" | "retryIntervalSeconds" | "maxRetryIntervalSeconds" | "maxReady" | "connectionLimit">;

function checkCount(n: number, what: string): string {
  if (!Number.isSafeInteger(n) || n < 1) throw new Error(`${what} must be a whole number ≥ 1, got ${n}`);
  return String(n);
}

/** A workload's sender options, and where the rendered policy keeps its files (tests relocate them). */
export interface SenderPolicyOptions {
  workload?: Pick<ResolvedWorkload["sender"], "dkim" | "spool" | "logging"> & Partial<Pick<ResolvedWorkload["sender"], "policyHelpers">>;
  dkimKeyDir?: string;
  spoolDir?: string;
  logDir?: string;
}

export function renderSenderPolicy(p: PolicyInputs, d: SenderDelivery, dir = POLICY_TEMPLATE_DIR, o: SenderPolicyOptions = {}): string {
  const w = o.workload ?? { dkim: null, spool: { kind: "RocksDB", flush: false }, logging: "off" };
  if (p.sinkPort === 25) throw new Error("the sink port must not be 25: the lab blocks outbound 25 on every host");
  if (d.maxRetryIntervalSeconds < d.retryIntervalSeconds) throw new Error(`kumomta.maxRetryIntervalSeconds (${d.maxRetryIntervalSeconds}) is below kumomta.retryIntervalSeconds (${d.retryIntervalSeconds})`);
  return renderTemplate(
    readTemplate("init.lua", dir),
    {
      SINK_QUEUE: domainLiteral(checkIp(p.sinkAddress, "sink address")),
      SINK_PORT: checkPort(p.sinkPort, "sinkPort"),
      RETRY_INTERVAL: humantimeSeconds(d.retryIntervalSeconds),
      MAX_RETRY_INTERVAL: humantimeSeconds(d.maxRetryIntervalSeconds),
      ENABLE_TLS: ENABLE_TLS[d.egressTls],
      MAX_READY: checkCount(d.maxReady, "kumomta.maxReady"),
      CONNECTION_LIMIT: checkCount(d.connectionLimit, "kumomta.connectionLimit"),
      SUBMISSION_LISTEN: SENDER_SUBMISSION_ADDRESS,
      HTTP_LISTEN: SENDER_HTTP_LISTEN,
      SPOOL_DIR: o.spoolDir ?? SPOOL_DIR,
      SPOOL_KIND: w.spool.kind,
      SPOOL_FLUSH: w.spool.flush ? "true" : "false",
    },
    "init.lua",
    { DKIM: dkimLua(w.dkim, o.dkimKeyDir), LOCAL_LOGS: localLogsLua(w.logging, o.logDir), GENERATOR_LISTENER: generatorListenerLua(p.generator), ROUTING: routingLua(w.policyHelpers ?? false) },
  );
}

/**
 * The sender's listener for traffic-gen on the generator host: on the sender's lab address (not
 * 0.0.0.0: nothing else reaches it), relaying for the generator's address only — kumod refuses to
 * relay for any other peer (relay_hosts, crates/kumod/src/smtp_server.rs). Empty without a generator.
 */
export function generatorListenerLua(g: PolicyInputs["generator"]): string {
  if (!g) return "";
  const listen = `${checkIp(g.senderAddress, "generator.senderAddress")}:${SENDER_GENERATOR_PORT}`;
  const relay = hostCidr(checkIp(g.generatorAddress, "generator.addressSeenBySender"));
  return [
    "  -- traffic-gen on the generator host submits here; only the generator may relay.",
    "  kumo.start_esmtp_listener {",
    `    listen = '${listen}',`,
    "    hostname = 'kumolab-sender',",
    `    relay_hosts = { '${relay}' },`,
    "    max_messages_per_connection = 1000000000,",
    "  }",
  ].join("\n");
}
