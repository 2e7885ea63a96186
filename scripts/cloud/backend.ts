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

/** The local backend encrypts secrets (the lab's SSH keys) with a passphrase; refuse early and say how to set one. */
export function assertSecretsProviderReady(url: string, env: NodeJS.ProcessEnv = process.env): void {
  if (!url.startsWith("file://")) return;
  if (env["PULUMI_CONFIG_PASSPHRASE"] === undefined && env["PULUMI_CONFIG_PASSPHRASE_FILE"] === undefined) {
    throw new Error(
      `the local state backend (${url}) encrypts the lab's SSH keys with a passphrase: set PULUMI_CONFIG_PASSPHRASE (or PULUMI_CONFIG_PASSPHRASE_FILE) and run again`,
    );
  }
}
