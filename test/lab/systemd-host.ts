/**
 * The opt-in systemd flavour of a namespace lab host (test lab only). Such a host runs in its own
 * PID namespace whose PID 1 is named `systemd` (bash, reaping, with the stand-in service manager
 * of test/fixtures/systemd as its child). It has a private /run/systemd (tmpfs, with
 * /run/systemd/system as a booted systemd makes it), private /etc/systemd/system and
 * /usr/lib/systemd/system, and systemctl/journalctl stand-ins in a private /usr/local/sbin
 * (first on root's PATH in an sshd session and in sudo's secure_path). The packaged
 * kumomta.service is installed and enabled, so it runs the stock init.lua at boot, as on a
 * machine with the package freshly installed.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import { REPO_IN_HOST } from "./install-standins";
import { standinBundles } from "./standin-bundles";

// PID 1 runs inside the host, where the checkout is reachable at REPO_IN_HOST (it may be under /tmp, private there).
const FIXTURES_IN_HOST = path.join(REPO_IN_HOST, "test", "fixtures", "systemd");

/** Bind-mounted from the host's rootDir/fs<dir>, on systemd hosts only. */
export const SYSTEMD_PRIVATE_DIRS = ["/etc/systemd/system", "/usr/lib/systemd/system", "/usr/local/sbin"] as const;
/** The manager's socket path as seen from outside, through PID 1's root. */
export const MANAGER_SOCKET = "/run/systemd/kumolab-manager.sock";

/** What the kumomta package ships (/usr/lib/systemd/system/kumomta.service). */
export const PACKAGED_KUMOMTA_UNIT = [
  "[Unit]",
  "Description=KumoMTA SMTP service",
  "After=network-online.target",
  "Wants=network-online.target",
  "",
  "[Service]",
  "Type=simple",
  "Restart=always",
  "EnvironmentFile=-/opt/kumomta/etc/kumod.env",
  "ExecStart=/opt/kumomta/sbin/kumod --policy /opt/kumomta/etc/policy/init.lua --user kumod",
  "LimitNOFILE=65535",
  "",
  "[Install]",
  "WantedBy=multi-user.target",
  "",
].join("\n");

/** Writes the host's private systemd trees and returns the PID-1 command line. */
export function installSystemdHost(rootDir: string): { init: string[] } {
  const fsRoot = path.join(rootDir, "fs");
  for (const d of SYSTEMD_PRIVATE_DIRS) fs.mkdirSync(path.join(fsRoot, d), { recursive: true, mode: 0o755 });
  const lib = path.join(fsRoot, "usr", "lib", "systemd", "system");
  fs.writeFileSync(path.join(lib, "kumomta.service"), PACKAGED_KUMOMTA_UNIT, { mode: 0o644 });
  const wants = path.join(fsRoot, "etc", "systemd", "system", "multi-user.target.wants");
  fs.mkdirSync(wants, { recursive: true });
  fs.symlinkSync("/usr/lib/systemd/system/kumomta.service", path.join(wants, "kumomta.service"));
  // Bundled like the other stand-ins: starting tsx costs a second or more on a loaded 2-core
  // machine, and the clients run several times per provisioning.
  const bundles = standinBundles();
  const clientJs = path.join(REPO_IN_HOST, bundles.systemdClient);
  const pid1Dir = path.join(rootDir, "pid1");
  fs.mkdirSync(pid1Dir, { recursive: true });
  const sbin = path.join(fsRoot, "usr", "local", "sbin");
  for (const tool of ["systemctl", "journalctl"]) {
    const w = ["#!/bin/sh", "# systemd stand-in for the namespace test lab (test/fixtures/systemd); not the real tool.", `exec '${process.execPath}' '${clientJs}' ${tool} "$@"`, ""].join("\n");
    fs.writeFileSync(path.join(sbin, tool), w, { mode: 0o755 });
  }
  // The kernel names a process after the file it executes: a link called `systemd` gives comm "systemd".
  const link = path.join(pid1Dir, "systemd");
  fs.symlinkSync("/bin/bash", link);
  return { init: [link, path.join(FIXTURES_IN_HOST, "init.sh"), process.execPath, path.join(REPO_IN_HOST, bundles.systemdManager)] };
}

/** Shell commands, run inside the host's mount namespace before the binds, that give it a private /run/systemd. */
export function systemdMountScript(rootDir: string): string {
  const binds = SYSTEMD_PRIVATE_DIRS.map((d) => `mount --bind '${path.join(rootDir, "fs", d)}' '${d}'`);
  return ["mount -t tmpfs -o mode=0755 kumolab-systemd /run/systemd", "mkdir -p /run/systemd/system", ...binds].join(" && ");
}

/** Mount points on this machine the systemd flavour binds over (created if missing; empty dirs). */
export function ensureSystemdMountPoints(): void {
  for (const d of [...SYSTEMD_PRIVATE_DIRS, "/run/systemd"]) fs.mkdirSync(d, { recursive: true });
}
