/**
 * Where Pulumi keeps the lab's state. Default: a local folder in the project (no Pulumi Cloud
 * account needed). `PULUMI_BACKEND_URL` (or `--backend`) selects another backend.
 */
import path from "node:path";
import { PROJECT_DIR } from "../../lab-config/load";

export const DEFAULT_STATE_DIR = path.join(PROJECT_DIR, ".pulumi-state");

export function backendUrl(explicit?: string, env: NodeJS.ProcessEnv = process.env): string {
  return explicit ?? env["PULUMI_BACKEND_URL"] ?? `file://${DEFAULT_STATE_DIR}`;
}

/**
 * Pulumi Cloud (https://, the service or a self-hosted one) keeps secrets with its own key; every
 * self-managed ("DIY") backend — file://, s3://, azblob://, gs://, postgres:// — uses the
 * passphrase secrets provider by default (Pulumi docs, "State and backends" / "Secrets").
 */
export function isSelfManagedBackend(url: string): boolean {
  return !/^https?:\/\//i.test(url);
}

/** A self-managed backend encrypts secrets (the lab's SSH keys) with a passphrase; refuse early and say how to set one. */
export function assertSecretsProviderReady(url: string, env: NodeJS.ProcessEnv = process.env): void {
  if (!isSelfManagedBackend(url)) return;
  if (env["PULUMI_CONFIG_PASSPHRASE"] === undefined && env["PULUMI_CONFIG_PASSPHRASE_FILE"] === undefined) {
    const kind = url.startsWith("file://") ? "the local state backend" : "the self-managed state backend";
    throw new Error(
      `${kind} (${url}) encrypts the lab's SSH keys with a passphrase: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) and run again`,
    );
  }
}
