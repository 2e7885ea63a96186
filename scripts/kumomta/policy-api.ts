/**
 * The KumoMTA policy API values kumolab renders into the sender's init.lua, and the defaults kumod
 * applies when a policy is silent (shown beside the lab's values). One place for these strings.
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

/** What kumod does where the policy says nothing. */
export const KUMOD_DEFAULTS = {
  /** Verifies the certificate and does not fall back to clear text: fails against a self-signed sink. */
  enableTls: "Opportunistic",
  retryIntervalSeconds: 20 * 60,
  maxReady: 1024,
  connectionLimit: 32,
} as const;

/** A kumod Duration as a humantime string (`5s`): unambiguous whatever the release reads bare numbers as. */
export function humantimeSeconds(seconds: number): string {
  if (!Number.isInteger(seconds) || seconds < 1) throw new Error(`a duration must be a whole number of seconds ≥ 1, got ${seconds}`);
  return `${seconds}s`;
}
