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
import { SENDER_HTTP_LISTEN, SENDER_SUBMISSION_ADDRESS, SINK_HTTP_LISTEN } from "./lab-endpoints";
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
}

export function policyInputs(hosts: LabHosts): PolicyInputs {
  const senderAddress = hosts.senderAddressFromSink ?? hosts.sender.address;
  return {
    sinkPort: hosts.sinkPort,
    sinkAddress: checkIp(hosts.sinkAddressFromSender, "the sink's address as the sender reaches it (sinkAddressFromSender)"),
    senderAddress: checkIp(senderAddress, "the sender's address as the sink sees it (senderAddressFromSink / addressSeenBySink)"),
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
      SENDER_CIDR: hostCidr(checkIp(p.senderAddress, "sender address")),
      HTTP_LISTEN: SINK_HTTP_LISTEN,
    },
    "sink.lua",
    { SINK_ANSWER: sinkReceptionLua(sink) },
  );
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
    { DKIM: dkimLua(w.dkim, o.dkimKeyDir), LOCAL_LOGS: localLogsLua(w.logging, o.logDir), ROUTING: routingLua(w.policyHelpers ?? false) },
  );
}
