/**
 * Installs the KumoMTA stand-ins into a host's private filesystem (the directory bind-mounted at
 * `/` paths inside the host): /opt/kumomta/sbin/{kumod,traffic-gen}, a packaged-looking stock
 * /opt/kumomta/etc/policy/init.lua, and kumod-owned spool/log directories as the package makes them.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { standinBundles } from "./standin-bundles";

const REPO = path.resolve(__dirname, "..", "..");
/**
 * Where each host sees this repository: the checkout itself may sit under a directory the host
 * keeps private (a CI clone in /tmp), so every host bind-mounts it here before its private mounts.
 */
// Outside the harness state root: its crash reaper removes unknown entries there, and removing a
// directory detaches the mounts other namespaces made on it.
export const REPO_IN_HOST = "/var/lib/kumolab-lab-repo";
/** The mount each host's anchor makes first (see namespace-lab.ts). */
export function repoMountScript(): string {
  fs.mkdirSync(REPO_IN_HOST, { recursive: true });
  return `mount --bind '${REPO}' '${REPO_IN_HOST}'`;
}
/** A shell wrapper that runs a stand-in's bundle (see standin-bundles.ts) with this machine's node. */
export function standinWrapper(bundle: string): string {
  return [
    "#!/bin/sh",
    "# KumoMTA stand-in for the namespace test lab (test/fixtures); not the real binary.",
    `exec '${process.execPath}' '${bundle}' "$@"`,
    "",
  ].join("\n");
}

export const STOCK_INIT_LUA = `-- KumoMTA stock policy (as packaged): listen for SMTP on 25, HTTP on loopback, default spools.
local kumo = require 'kumo'

kumo.on('init', function()
  kumo.start_esmtp_listener {
    listen = '0.0.0.0:25',
    hostname = 'mail.example.com',
    relay_hosts = { '127.0.0.1', '::1' },
  }
  kumo.start_http_listener {
    listen = '127.0.0.1:8000',
    trusted_hosts = { '127.0.0.1', '::1' },
  }
  kumo.define_spool {
    name = 'data',
    path = '/var/spool/kumomta/data',
    kind = 'RocksDB',
  }
  kumo.define_spool {
    name = 'meta',
    path = '/var/spool/kumomta/meta',
    kind = 'RocksDB',
  }
  kumo.set_diagnostic_log_filter 'kumod=info'
end)

kumo.on('get_queue_config', function(domain, tenant, campaign, routing_domain)
  return kumo.make_queue_config {}
end)
`;

function idOf(user: string): { uid: number; gid: number } | undefined {
  const u = spawnSync("id", ["-u", user], { encoding: "utf8" });
  const g = spawnSync("id", ["-g", user], { encoding: "utf8" });
  if (u.status !== 0 || g.status !== 0) return undefined;
  return { uid: Number(u.stdout.trim()), gid: Number(g.stdout.trim()) };
}

/** `fsRoot` is the host's private tree: fsRoot/opt/kumomta is the host's /opt/kumomta. */
export function installStandins(fsRoot: string): void {
  const sbin = path.join(fsRoot, "opt", "kumomta", "sbin");
  const policyDir = path.join(fsRoot, "opt", "kumomta", "etc", "policy");
  fs.mkdirSync(sbin, { recursive: true, mode: 0o755 });
  fs.mkdirSync(policyDir, { recursive: true, mode: 0o755 });
  const bundles = standinBundles();
  fs.writeFileSync(path.join(sbin, "kumod"), standinWrapper(path.join(REPO_IN_HOST, bundles.kumod)), { mode: 0o755 });
  fs.writeFileSync(path.join(sbin, "traffic-gen"), standinWrapper(path.join(REPO_IN_HOST, bundles.trafficGen)), { mode: 0o755 });
  fs.writeFileSync(path.join(policyDir, "init.lua"), STOCK_INIT_LUA, { mode: 0o644 });
  const kumod = idOf("kumod");
  for (const d of [["var", "spool", "kumomta", "data"], ["var", "spool", "kumomta", "meta"], ["var", "log", "kumomta"]]) {
    const p = path.join(fsRoot, ...d);
    fs.mkdirSync(p, { recursive: true, mode: 0o755 });
    if (kumod) fs.chownSync(p, kumod.uid, kumod.gid);
  }
  if (kumod) fs.chownSync(path.join(fsRoot, "var", "spool", "kumomta"), kumod.uid, kumod.gid);
  // World-writable (not sticky) so traffic-gen run as any user can (re)write its truth file.
  fs.chmodSync(path.join(fsRoot, "var", "log", "kumomta"), 0o777);
}
