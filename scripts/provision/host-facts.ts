/**
 * What provisioning must know about a host before changing it: has cloud-init finished (it installs
 * KumoMTA on a fresh VM), does it run systemd, can we act as root, is KumoMTA installed, is
 * nftables there. One remote call, which waits for cloud-init first.
 */
import { z } from "zod";
import { BOOT_LOG_FILE, BOOT_SCRIPT, BOOT_STATUS_FILE } from "../../infra/cloud-init";
import type { SshSession } from "../ssh/session";
import { KUMOD_PATH, KUMOD_USER } from "./lab-endpoints";

export const cloudInitStateSchema = z.enum(["absent", "done", "degraded", "error"]);
export type CloudInitState = z.infer<typeof cloudInitStateSchema>;

export const provisionFactsSchema = z.object({
  /** absent: no cloud-init on the host; degraded: finished with recoverable errors. */
  cloudInit: cloudInitStateSchema,
  uid: z.number().int().nonnegative(),
  systemd: z.boolean(),
  /** root: logged in as root; yes: passwordless sudo works; no: neither. */
  sudo: z.enum(["root", "yes", "no"]),
  kumodInstalled: z.boolean(),
  kumodUser: z.boolean(),
  nft: z.boolean(),
  /** What kumolab's first-boot script left (infra/cloud-init.ts): absent on hosts it did not build. */
  boot: z
    .object({
      state: z.enum(["running", "ok", "failed"]),
      step: z.string(),
      exit: z.number().int(),
      /** The last lines of its log. */
      logTail: z.string(),
    })
    .optional(),
});
export type ProvisionFacts = z.infer<typeof provisionFactsSchema>;

// cloud-init's exit codes: 0 done, 2 done with recoverable errors, 1 error; 124 is `timeout`'s.
const CLOUD_INIT_CODES: Record<string, CloudInitState | "timeout"> = { absent: "absent", "0": "done", "2": "degraded", "124": "timeout" };

const FACTS_LINES = [
  `echo "uid=$(id -u)"`,
  // systemd manages the host only if it is PID 1 and booted the system (as systemd itself checks).
  `if [ "$(cat /proc/1/comm 2>/dev/null)" = systemd ] && [ -d /run/systemd/system ] && command -v systemctl >/dev/null 2>&1; then echo systemd=yes; else echo systemd=no; fi`,
  `if [ "$(id -u)" = 0 ]; then echo sudo=root; elif sudo -n true >/dev/null 2>&1; then echo sudo=yes; else echo sudo=no; fi`,
  // The version is not read here: `kumod --version` starts a kumod (see readKumodVersion).
  `if [ -x ${KUMOD_PATH} ]; then echo kumod=yes; else echo kumod=no; fi`,
  `if id -u ${KUMOD_USER} >/dev/null 2>&1; then echo kumodUser=yes; else echo kumodUser=no; fi`,
  `if command -v nft >/dev/null 2>&1 || [ -x /usr/sbin/nft ] || [ -x /sbin/nft ]; then echo nft=yes; else echo nft=no; fi`,
].join("\n");

/** Lines of the boot log shown when the boot failed. */
export const BOOT_LOG_TAIL_LINES = 15;

function bootLines(files: { status: string; log: string }): string {
  return [
    `if [ -r '${files.status}' ]; then sed -n 's/^state=/bootState=/p; s/^step=/bootStep=/p; s/^exit=/bootExit=/p' '${files.status}'; fi`,
    // base64 on one line: the log may hold anything, even lines that look like facts.
    `if [ -r '${files.log}' ]; then echo "bootLog=$(tail -n ${BOOT_LOG_TAIL_LINES} '${files.log}' | base64 | tr -d '\n')"; fi`,
  ].join("\n");
}

export function factsScript(cloudInitTimeoutSeconds: number, bootFiles: { status: string; log: string } = { status: BOOT_STATUS_FILE, log: BOOT_LOG_FILE }): string {
  return [
    `if command -v cloud-init >/dev/null 2>&1; then timeout ${Math.max(1, Math.ceil(cloudInitTimeoutSeconds))} cloud-init status --wait >/dev/null 2>&1; echo "cloudInit=$?"; else echo cloudInit=absent; fi`,
    FACTS_LINES,
    bootLines(bootFiles),
  ].join("\n");
}

export function parseFacts(stdout: string): ProvisionFacts | "cloud-init-timeout" {
  const kv = new Map<string, string>();
  for (const line of stdout.split("\n")) {
    const m = /^([A-Za-z]+)=(.*)$/.exec(line.trim());
    if (m && m[1] !== undefined && m[2] !== undefined) kv.set(m[1], m[2]);
  }
  const cloudInit = CLOUD_INIT_CODES[kv.get("cloudInit") ?? ""] ?? (kv.has("cloudInit") ? "error" : undefined);
  if (cloudInit === "timeout") return "cloud-init-timeout";
  return provisionFactsSchema.parse({
    cloudInit,
    uid: Number(kv.get("uid")),
    systemd: kv.get("systemd") === "yes",
    sudo: kv.get("sudo"),
    kumodInstalled: kv.get("kumod") === "yes",
    kumodUser: kv.get("kumodUser") === "yes",
    nft: kv.get("nft") === "yes",
    ...(kv.has("bootState")
      ? {
          boot: {
            state: kv.get("bootState"),
            step: kv.get("bootStep") ?? "?",
            exit: Number(kv.get("bootExit") ?? "0"),
            logTail: Buffer.from(kv.get("bootLog") ?? "", "base64").toString("utf8"),
          },
        }
      : {}),
  });
}

const BOOT_SCRIPT_HINT = `sudo ${BOOT_SCRIPT}`;

/** The boot script's failure as provisioning reports it, or undefined when it did not fail. */
export function bootFailure(facts: Pick<ProvisionFacts, "boot" | "cloudInit">): { what: string; hint: string } | undefined {
  const b = facts.boot;
  if (b === undefined || b.state === "ok") return undefined;
  const tail = b.logTail.trimEnd();
  const shown = tail ? `; last lines of ${BOOT_LOG_FILE}:\n${tail}` : "";
  if (b.state === "failed") {
    return {
      what: `the first-boot script (cloud-init) failed at step '${b.step}' (exit ${b.exit})${shown}`,
      hint: `fix the cause, then rebuild the VM (a changed cloud-init replaces it on the next 'pulumi up'), or run '${BOOT_SCRIPT_HINT}' on the host`,
    };
  }
  // Still 'running' though cloud-init has finished: the script was killed (reboot, OOM) mid-step.
  return facts.cloudInit === "absent"
    ? undefined
    : { what: `the first-boot script stopped during step '${b.step}' without finishing${shown}`, hint: `run '${BOOT_SCRIPT_HINT}' on the host, or rebuild the VM` };
}


export async function gatherFacts(session: SshSession, cloudInitTimeoutMs: number): Promise<ProvisionFacts> {
  const step = "gather facts";
  const secs = Math.max(1, Math.ceil(cloudInitTimeoutMs / 1000));
  const r = await session.execOk(factsScript(secs), { step, timeoutMs: cloudInitTimeoutMs + 30_000 });
  let facts: ProvisionFacts | "cloud-init-timeout";
  try {
    facts = parseFacts(r.stdout);
  } catch (e) {
    throw session.error("exit-status", step, `unexpected output from the facts script: ${(e as Error).message}`, "the host may not be a Linux host with a POSIX shell");
  }
  if (facts === "cloud-init-timeout") {
    throw session.error("timeout", step, `cloud-init still running after ${secs} s (it installs KumoMTA on a new VM)`, "look at /var/log/cloud-init-output.log on the host; re-run once it finished");
  }
  if (facts.sudo === "no") {
    throw session.error("auth", step, `user ${session.host.user} is not root and cannot use sudo without a password`, `log in as root, or give ${session.host.user} passwordless sudo (a line '${session.host.user} ALL=(ALL) NOPASSWD:ALL' in /etc/sudoers.d/)`);
  }
  const boot = bootFailure(facts);
  if (boot !== undefined) throw session.error("not-installed", step, boot.what, boot.hint);
  if (!facts.kumodInstalled) {
    throw session.error("not-installed", step, `KumoMTA is not installed (${KUMOD_PATH} is missing)`, "install the kumomta package from KumoMTA's repository (see shared docs: openrepo.kumomta.com), then re-run");
  }
  if (!facts.kumodUser) {
    throw session.error("not-installed", step, `the user '${KUMOD_USER}' does not exist (kumod drops to it with --user)`, "reinstall the kumomta package, which creates it");
  }
  if (!facts.nft) {
    throw session.error("not-installed", step, "nftables (nft) is not installed; the lab blocks outbound port 25 with it", "install it: sudo apt-get install -y nftables (or dnf install nftables)");
  }
  return facts;
}

/**
 * `kumod --version` (first line), or null when it prints nothing. Not part of provisioning (each
 * trial records the version it ran with): `lab provision` reads it for its summary, afterwards.
 */
export async function readKumodVersion(session: SshSession): Promise<string | null> {
  const r = await session.exec(`timeout 10 ${KUMOD_PATH} --version 2>&1 | head -n 1`, { step: "kumod --version", timeoutMs: 20_000 });
  return r.stdout.trim() || null;
}
