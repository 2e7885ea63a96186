/**
 * The KumoMTA policy API values kumolab renders into the sender's init.lua. One place for these
 * strings; kumod's own defaults, which the lab's init.lua overrides, are named in lab-config/lab.yaml.
 *
 * Sources (KumoCorp/kumomta): crates/kumo-api-types/src/egress_path.rs (`Tls` enum, `max_ready`
 * 1024, `connection_limit` 32, `smtp_port` 25, `enable_tls` default Opportunistic);
 * crates/kumod/src/queue/config.rs (`retry_interval` 20 minutes, `max_retry_interval` none).
 * See ../shared/reference/kumomta-contract.md §1 and §5.
 */
import type { EgressTls } from "../../lab-config/schema";

/** `enable_tls` of `kumo.make_egress_path`, spelled exactly as kumod's `Tls` enum. */
export const ENABLE_TLS: Readonly<Record<EgressTls, string>> = {
  // STARTTLS when offered, the peer's certificate not verified (a kumod sink's is self-signed).
  "opportunistic-insecure": "OpportunisticInsecure",
  "disabled": "Disabled",
};

/** A kumod Duration as a humantime string (`5s`): unambiguous whatever the release reads bare numbers as. */
export function humantimeSeconds(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`a duration must be a whole number of seconds ≥ 1, got ${seconds}`);
  return `${seconds}s`;
}

/**
 * DKIM signers (docs/reference/kumo.dkim/rsa_sha256_signer.md, ed25519_signer.md): each takes
 * `{ domain, selector, headers, key }` (key = a KeySource: a path to an RSA PEM or PKCS8 PEM;
 * Ed25519 PKCS8 PEM since 2023.08.22); the default canonicalization is relaxed/relaxed. A message is
 * signed with `msg:dkim_sign(signer)`.
 */
export const DKIM_SIGNER: Readonly<Record<"rsa2048" | "ed25519", string>> = {
  rsa2048: "kumo.dkim.rsa_sha256_signer",
  ed25519: "kumo.dkim.ed25519_signer",
};
/** The headers kumolab signs (the signer's required `headers`), as KumoMTA's own examples do. */
export const DKIM_SIGNED_HEADERS = ["From", "To", "Subject"] as const;

/**
 * kumo.configure_local_logs (crates/kumod/src/logging/files.rs LogFileParams): `log_dir` is
 * required; `headers` lists the headers each record carries ("can dominate" the cost:
 * docs/reference/kumo/configure_local_logs/headers.md). kumolab logs under the packaged log dir.
 */
export const LOCAL_LOG_DIR = "/var/log/kumomta/kumolab-logs";
export const LOGGED_HEADERS = ["From", "To", "Subject", "Message-Id"] as const;

/**
 * kumo.reject(CODE, MESSAGE) answers the current SMTP command with CODE MESSAGE
 * (docs/reference/kumo/reject.md); from smtp_server_message_received that is the answer to DATA.
 * kumo.sleep(SECONDS) pauses the handler (docs/reference/kumo/sleep.md). The smart-sink example
 * (examples/smart-sink-docker/policy/init.lua) answers `451 later!` and `550 boing!` by default.
 */
export const SMART_SINK_DEFAULT_ANSWERS = { defer: { code: 451, msg: "later!" }, bounce: { code: 550, msg: "boing!" } } as const;

/**
 * traffic-gen appends this to every domain it addresses (crates/traffic-gen/src/main.rs
 * `--domain-suffix`, default "mx-sink.wezfurlong.org"; kumolab never changes it): recipients are
 * `user-N@gmail.com.mx-sink.wezfurlong.org` and senders `noreply@…` under it.
 */
export const TRAFFIC_GEN_DOMAIN_SUFFIX = "mx-sink.wezfurlong.org";

/**
 * The tenant header of KumoMTA's queue helper (assets/policy-extras/queue.lua `tenant_header`,
 * default "X-Tenant"); traffic-gen adds it with `--header "X-Tenant: …"` (traffic.headers).
 */
export const TENANT_HEADER = "X-Tenant";
