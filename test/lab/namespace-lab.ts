/**
 * The namespace test lab: real hosts on this machine for end-to-end tests (never shipped).
 *
 * Each host is a network namespace plus a private mount namespace, held open by an "anchor"
 * process (`sleep infinity`). sshd runs inside the anchor's namespaces, so every SSH session
 * sees the host's private /opt/kumomta, /var/spool/kumomta, /var/log/kumomta, /etc/kumolab,
 * /run/kumolab and /tmp (bind mounts from the host's rootDir). Because the anchor, not sshd, owns
 * the namespaces, sshd can be stopped and started without losing the host's mounts.
 *
 * Networking: a bridge in the root namespace (198.18.N.1/24) and one veth per host
 * (198.18.N.(10+i)/24 as eth0 inside). No default routes: hosts reach only each other and the
 * machine, and only 198.18.0.0/15 addresses are used.
 *
 * Teardown kills every process in each host's network namespace, deletes namespaces, links and
 * state. It runs from destroy(), from process exit/SIGINT/SIGTERM handlers, and (for labs of a
 * crashed earlier run, found by their owner record) at the next createNamespaceLab().
 */
import { spawn, spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as path from "node:path";
import { z } from "zod";
import { cloudLikeLogin } from "./cloud-like-login";
import { installStandins, repoMountScript } from "./install-standins";
import { MANAGER_SOCKET, ensureSystemdMountPoints, installSystemdHost, systemdMountScript } from "./systemd-host";

export interface ExecResult { code: number; stdout: string; stderr: string }
export interface LabHostHandle {
  name: string;
  netns: string;
  address: string;
  sshPort: number;
  rootDir: string;
  hostPublicKey: string;
  exec(argv: string[], opts?: { timeoutMs?: number }): Promise<ExecResult>;
  stopSshd(): Promise<void>;
  startSshd(): Promise<void>;
  replaceHostKey(): Promise<void>;
}
export interface NamespaceLab {
  id: string;
  hosts: Record<string, LabHostHandle>;
  client: { privateKey: string; publicKey: string; privateKeyPath: string };
  nonRootUser: string;
  destroy(): Promise<void>;
}

/** Where every lab keeps its state; outside /tmp because each host mounts a private /tmp. */
export const LAB_STATE_ROOT = "/var/lib/kumolab-lab";
/** Directories each host gets privately (bind-mounted from rootDir/fs<dir>). */
export const PRIVATE_DIRS = ["/opt/kumomta", "/var/spool/kumomta", "/var/log/kumomta", "/etc/kumolab", "/run/kumolab", "/tmp"] as const;
export const NON_ROOT_USER = "kumolab";
const SUDOERS_FILE = "/etc/sudoers.d/kumolab-test";
const SSHD = "/usr/sbin/sshd";

const ownerRecordSchema = z.object({
  id: z.string().regex(/^[a-z0-9]+$/),
  ownerPid: z.number().int().positive(),
  netns: z.array(z.string()),
  links: z.array(z.string()),
  createdAt: z.string(),
});
type OwnerRecord = z.infer<typeof ownerRecordSchema>;

function which(cmd: string): boolean {
  return spawnSync("sh", ["-c", `command -v ${cmd}`], { stdio: "ignore" }).status === 0;
}

/** Root plus the tools the lab needs. Tests skip (locally) or fail (CI) on `ok: false`. */
export function canRunNamespaceLab(): { ok: true } | { ok: false; reason: string } {
  if (process.platform !== "linux") return { ok: false, reason: "the namespace lab needs Linux" };
  if (typeof process.getuid !== "function" || process.getuid() !== 0) {
    return { ok: false, reason: "the namespace lab needs root (network namespaces, bind mounts, sshd); run the tests as root as CI does" };
  }
  const missing = ["ip", "nft", "ssh-keygen", "nsenter", "unshare", "useradd", "lua5.4", "sudo"].filter((c) => !which(c));
  if (!fs.existsSync(SSHD)) missing.push(SSHD);
  if (missing.length > 0) {
    return { ok: false, reason: `missing tools for the namespace lab: ${missing.join(", ")} (apt-get install openssh-server nftables iproute2 lua5.4 sudo util-linux)` };
  }
  return { ok: true };
}

// ---------------------------------------------------------------------------------------------
// small process helpers

function run(argv: string[], timeoutMs = 10_000): ExecResult {
  const [cmd, ...args] = argv;
  if (!cmd) throw new Error("run: empty argv");
  const r = spawnSync(cmd, args, { encoding: "utf8", timeout: timeoutMs });
  if (r.error) return { code: -1, stdout: r.stdout ?? "", stderr: `${r.stderr ?? ""}${r.error.message}` };
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function mustRun(argv: string[], step: string, timeoutMs = 10_000): string {
  const r = run(argv, timeoutMs);
  if (r.code !== 0) throw new Error(`namespace lab: ${step} failed: \`${argv.join(" ")}\` exited ${r.code}: ${r.stderr.trim()}`);
  return r.stdout;
}

function runAsync(argv: string[], timeoutMs: number): Promise<ExecResult> {
  return new Promise((resolve) => {
    const [cmd, ...args] = argv;
    if (!cmd) { resolve({ code: -1, stdout: "", stderr: "empty argv" }); return; }
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    let timedOut = false;
    const timer = setTimeout(() => { timedOut = true; child.kill("SIGKILL"); }, timeoutMs);
    child.stdout.on("data", (b: Buffer) => out.push(b));
    child.stderr.on("data", (b: Buffer) => err.push(b));
    child.on("error", (e) => { clearTimeout(timer); resolve({ code: -1, stdout: "", stderr: e.message }); });
    child.on("close", (code) => {
      clearTimeout(timer);
      const stderr = Buffer.concat(err).toString("utf8") + (timedOut ? `\n(timed out after ${timeoutMs} ms: ${argv.join(" ")})` : "");
      resolve({ code: timedOut ? 124 : (code ?? -1), stdout: Buffer.concat(out).toString("utf8"), stderr });
    });
  });
}

const sleepBuf = new Int32Array(new SharedArrayBuffer(4));
/** Synchronous sleep: teardown must also work inside a process 'exit' handler. */
function sleepSync(ms: number): void { Atomics.wait(sleepBuf, 0, 0, ms); }
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

function pidAlive(pid: number): boolean {
  try { process.kill(pid, 0); return true; } catch (e) { return (e as NodeJS.ErrnoException).code === "EPERM"; }
}

function netnsPids(ns: string): number[] {
  const r = run(["ip", "netns", "pids", ns], 5_000);
  if (r.code !== 0) return [];
  return r.stdout.split(/\s+/).filter((s) => /^\d+$/.test(s)).map(Number);
}

// ---------------------------------------------------------------------------------------------
// teardown (synchronous, idempotent)

function teardownRecord(rec: OwnerRecord): string[] {
  const problems: string[] = [];
  for (const ns of rec.netns) {
    // TERM first, then KILL; bounded: 20 polls × 50 ms.
    for (const pid of netnsPids(ns)) { try { process.kill(pid, "SIGTERM"); } catch { /* already gone */ } }
    let left = netnsPids(ns);
    for (let i = 0; i < 20 && left.length > 0; i++) { sleepSync(50); left = netnsPids(ns); }
    for (const pid of left) { try { process.kill(pid, "SIGKILL"); } catch { /* already gone */ } }
    left = netnsPids(ns);
    for (let i = 0; i < 20 && left.length > 0; i++) { sleepSync(50); left = netnsPids(ns); }
    if (left.length > 0) problems.push(`processes ${left.join(",")} survive in netns ${ns}`);
    if (run(["ip", "netns", "list"]).stdout.split("\n").some((l) => l.split(" ")[0] === ns)) {
      const r = run(["ip", "netns", "delete", ns]);
      if (r.code !== 0) problems.push(`ip netns delete ${ns}: ${r.stderr.trim()}`);
    }
  }
  for (const link of rec.links) {
    if (run(["ip", "link", "show", link]).code === 0) {
      const r = run(["ip", "link", "delete", link]);
      // A veth whose peer was in a deleted namespace vanishes on its own, asynchronously: gone
      // between the check and the delete ("Cannot find device") is the end state we want.
      if (r.code !== 0 && run(["ip", "link", "show", link]).code === 0) problems.push(`ip link delete ${link}: ${r.stderr.trim()}`);
    }
  }
  fs.rmSync(path.join(LAB_STATE_ROOT, rec.id), { recursive: true, force: true });
  return problems;
}

/** Remove labs whose owner process is dead (a crashed or killed earlier run). */
function reapCrashedLabs(): void {
  if (!fs.existsSync(LAB_STATE_ROOT)) return;
  for (const id of fs.readdirSync(LAB_STATE_ROOT)) {
    const file = path.join(LAB_STATE_ROOT, id, "owner.json");
    let rec: OwnerRecord;
    try {
      rec = ownerRecordSchema.parse(JSON.parse(fs.readFileSync(file, "utf8")));
    } catch (e) {
      // A directory without a readable record: a create that died before writing it. Only
      // remove it when it is old enough not to be a create in progress.
      const st = fs.statSync(path.join(LAB_STATE_ROOT, id));
      if (Date.now() - st.mtimeMs > 60_000) fs.rmSync(path.join(LAB_STATE_ROOT, id), { recursive: true, force: true });
      else console.warn(`namespace lab: ignoring ${file} for now (${(e as Error).message})`);
      continue;
    }
    if (rec.ownerPid !== process.pid && pidAlive(rec.ownerPid)) continue;
    if (rec.ownerPid === process.pid && liveLabs.has(rec.id)) continue;
    const problems = teardownRecord(rec);
    if (problems.length > 0) console.warn(`namespace lab: leftovers of crashed lab ${rec.id}: ${problems.join("; ")}`);
  }
}

const liveLabs = new Map<string, OwnerRecord>();
let handlersInstalled = false;

function installExitHandlers(): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  const teardownAll = () => {
    for (const rec of liveLabs.values()) teardownRecord(rec);
    liveLabs.clear();
  };
  process.on("exit", teardownAll);
  for (const sig of ["SIGINT", "SIGTERM"] as const) {
    process.on(sig, () => {
      // Someone else handles this signal (the sweep tears its lab down itself, then exits): let
      // it; the exit handler above still removes whatever is left.
      if (process.listenerCount(sig) > 1) return;
      teardownAll();
      process.exit(sig === "SIGINT" ? 130 : 143);
    });
  }
}

// ---------------------------------------------------------------------------------------------
// creation

let labCounter = 0;

function pickSubnet(): number {
  const used = new Set<number>();
  const addrs = run(["ip", "-o", "-4", "addr", "show"]).stdout;
  for (const m of addrs.matchAll(/inet 198\.18\.(\d+)\./g)) used.add(Number(m[1]));
  const start = (process.pid + labCounter * 7) % 250;
  for (let i = 0; i < 250; i++) {
    const n = 1 + ((start + i) % 250);
    if (!used.has(n)) return n;
  }
  throw new Error("namespace lab: no free 198.18.N.0/24 subnet (250 in use); destroy old labs (`ip -o addr | grep 198.18`)");
}

/**
 * useradd/usermod take /etc/passwd's lock and fail at once ("cannot lock /etc/passwd; try again
 * later", shadow-utils) while another test process holds it: try again, bounded (30 × 100 ms).
 */
function runUserTool(argv: string[]): ReturnType<typeof run> {
  let r = run(argv);
  for (let i = 0; i < 30 && r.code !== 0 && /lock/i.test(r.stderr); i++) {
    sleepSync(100);
    r = run(argv);
  }
  return r;
}

function ensureUser(name: string, opts: { system: boolean }): void {
  if (run(["id", "-u", name]).code === 0) return;
  const argv = opts.system
    ? ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", name]
    : ["useradd", "-m", "-s", "/bin/bash", name];
  const r = runUserTool(argv);
  // Another test process may create the same user at the same moment: it existing now is success.
  if (r.code !== 0 && run(["id", "-u", name]).code !== 0) throw new Error(`namespace lab: create user ${name} failed: \`${argv.join(" ")}\` exited ${r.code}: ${r.stderr.trim()}`);
}

/**
 * The non-root SSH user: exists, can log in by key (password field '*', not the locked '!' that
 * sshd without PAM refuses), and has passwordless sudo. Idempotent; the user and the sudoers
 * drop-in are left in place after destroy (harmless, and other labs may be alive).
 */
function ensureNonRootUser(): void {
  ensureUser(NON_ROOT_USER, { system: false });
  const unlock = runUserTool(["usermod", "-p", "*", NON_ROOT_USER]);
  if (unlock.code !== 0) throw new Error(`namespace lab: unlock ${NON_ROOT_USER} for key login failed: usermod exited ${unlock.code}: ${unlock.stderr.trim()}`);
  const want = `${NON_ROOT_USER} ALL=(ALL) NOPASSWD:ALL\nDefaults:${NON_ROOT_USER} !requiretty\n`;
  fs.mkdirSync("/etc/sudoers.d", { recursive: true });
  if (!fs.existsSync(SUDOERS_FILE) || fs.readFileSync(SUDOERS_FILE, "utf8") !== want) {
    // A temporary file of this process's own: test files run two at a time.
    fs.writeFileSync(`${SUDOERS_FILE}.${process.pid}.tmp`, want, { mode: 0o440 });
    fs.renameSync(`${SUDOERS_FILE}.${process.pid}.tmp`, SUDOERS_FILE);
  }
  fs.chmodSync(SUDOERS_FILE, 0o440);
}

function disableIpv6(link: string): void {
  const f = `/proc/sys/net/ipv6/conf/${link}/disable_ipv6`;
  if (fs.existsSync(f)) fs.writeFileSync(f, "1");
}

function hostNameOk(name: string): boolean { return /^[a-z][a-z0-9]{0,9}$/.test(name); }

interface HostInternals {
  handle: LabHostHandle;
  anchorPid: number;
  /** The process whose namespaces sessions enter: the anchor, or PID 1 of a systemd host. */
  targetPid: number;
  sshdPid: number | undefined;
  /** On systemd hosts nsenter --pid forks: sshd is its child, this is nsenter. */
  sshdLauncherPid: number | undefined;
  configPath: string;
  logPath: string;
  hostKeyPath: string;
}

async function waitForPort(address: string, port: number, deadlineMs: number): Promise<boolean> {
  const net = await import("node:net");
  const start = Date.now();
  for (let i = 0; i < 200 && Date.now() - start < deadlineMs; i++) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect({ host: address, port, timeout: 500 });
      s.once("data", () => { s.destroy(); resolve(true); });
      s.once("error", () => { s.destroy(); resolve(false); });
      s.once("timeout", () => { s.destroy(); resolve(false); });
    });
    if (ok) return true;
    await sleep(50);
  }
  return false;
}

function sshdConfig(h: { address: string; rootDir: string; hostKeyPath: string; pidPath: string }): string {
  return [
    `ListenAddress ${h.address}:22`,
    `HostKey ${h.hostKeyPath}`,
    `PidFile ${h.pidPath}`,
    `AuthorizedKeysFile ${h.rootDir}/authorized_keys/%u`,
    "PermitRootLogin prohibit-password",
    "PasswordAuthentication no",
    "KbdInteractiveAuthentication no",
    "UsePAM no",
    "StrictModes no",
    "AllowTcpForwarding yes",
    "Subsystem sftp internal-sftp",
    "ClientAliveInterval 15",
    "ClientAliveCountMax 4",
    "MaxSessions 50",
    "MaxStartups 100:30:200",
    "LogLevel VERBOSE",
    "",
  ].join("\n");
}

/** The children of a process (global pids), from /proc. */
function childPids(pid: number): number[] {
  try {
    return fs.readFileSync(`/proc/${pid}/task/${pid}/children`, "utf8").split(/\s+/).filter((s) => /^\d+$/.test(s)).map(Number);
  } catch {
    return [];
  }
}

function comm(pid: number): string {
  try { return fs.readFileSync(`/proc/${pid}/comm`, "utf8").trim(); } catch { return ""; }
}

/**
 * `systemd`: hosts (by name) that get the systemd flavour (see systemd-host.ts): their own PID
 * namespace with a stand-in systemd as PID 1, systemctl/journalctl, the packaged kumomta.service
 * enabled and running. Other hosts have no init of their own, as before.
 */
/**
 * @param opts.machineLogin keep this machine's root shell start-up (by default each host gets a
 *   cloud-like root .bashrc: see cloud-like-login.ts)
 */
export async function createNamespaceLab(opts: { hosts: string[]; systemd?: string[]; machineLogin?: boolean }): Promise<NamespaceLab> {
  const can = canRunNamespaceLab();
  if (!can.ok) throw new Error(`namespace lab cannot run here: ${can.reason}`);
  if (opts.hosts.length === 0 || opts.hosts.length > 20) throw new Error("namespace lab: give 1..20 host names");
  for (const h of opts.hosts) if (!hostNameOk(h)) throw new Error(`namespace lab: host name ${JSON.stringify(h)} must match [a-z][a-z0-9]{0,9}`);
  if (new Set(opts.hosts).size !== opts.hosts.length) throw new Error("namespace lab: host names must be distinct");
  const systemdHosts = new Set(opts.systemd ?? []);
  for (const h of systemdHosts) if (!opts.hosts.includes(h)) throw new Error(`namespace lab: systemd host ${JSON.stringify(h)} is not one of the hosts (${opts.hosts.join(", ")})`);

  reapCrashedLabs();
  installExitHandlers();

  labCounter++;
  const id = `${(process.pid % 46656).toString(36)}${(labCounter % 36).toString(36)}`.padStart(4, "0");
  const subnet = pickSubnet();
  const labDir = path.join(LAB_STATE_ROOT, id);
  fs.rmSync(labDir, { recursive: true, force: true });
  fs.mkdirSync(labDir, { recursive: true, mode: 0o755 });
  fs.chmodSync(LAB_STATE_ROOT, 0o755);
  const bridge = `kl${id}br`;
  const rec: OwnerRecord = {
    id, ownerPid: process.pid, createdAt: new Date().toISOString(),
    netns: opts.hosts.map((h) => `kl${id}-${h}`),
    links: [bridge, ...opts.hosts.map((_, i) => `kl${id}v${i}`)],
  };
  // The record goes down before anything is created, so a crash at any point is reapable.
  fs.writeFileSync(path.join(labDir, "owner.json"), JSON.stringify(rec, null, 2));
  liveLabs.set(id, rec);

  const internals: HostInternals[] = [];
  try {
    ensureNonRootUser();
    ensureUser("kumod", { system: true });
    fs.mkdirSync("/run/sshd", { recursive: true, mode: 0o755 });
    for (const d of PRIVATE_DIRS) fs.mkdirSync(d, { recursive: true });
    if (systemdHosts.size > 0) ensureSystemdMountPoints();

    // client key, authorised for root and the non-root user on every host
    const clientKeyPath = path.join(labDir, "client_ed25519");
    mustRun(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", `kumolab-test-client-${id}`, "-f", clientKeyPath], "client key generation");
    const client = {
      privateKey: fs.readFileSync(clientKeyPath, "utf8"),
      publicKey: fs.readFileSync(`${clientKeyPath}.pub`, "utf8").trim(),
      privateKeyPath: clientKeyPath,
    };

    mustRun(["ip", "link", "add", bridge, "type", "bridge"], "bridge creation");
    mustRun(["ip", "addr", "add", `198.18.${subnet}.1/24`, "dev", bridge], "bridge address");
    mustRun(["ip", "link", "set", bridge, "up"], "bridge up");
    // Only 198.18.0.0/15 addresses: no IPv6 link-local chatter on the lab's links.
    disableIpv6(bridge);

    const hosts: Record<string, LabHostHandle> = {};
    for (const [i, name] of opts.hosts.entries()) {
      const netns = `kl${id}-${name}`;
      const veth = `kl${id}v${i}`;
      const address = `198.18.${subnet}.${10 + i}`;
      const rootDir = path.join(labDir, name);
      fs.mkdirSync(rootDir, { recursive: true, mode: 0o755 });

      mustRun(["ip", "netns", "add", netns], `netns ${netns}`);
      mustRun(["ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", netns], `veth for ${name}`);
      mustRun(["ip", "link", "set", veth, "master", bridge], `attach ${veth} to bridge`);
      mustRun(["ip", "link", "set", veth, "up"], `${veth} up`);
      disableIpv6(veth);
      mustRun(["ip", "netns", "exec", netns, "sysctl", "-q", "-w", "net.ipv6.conf.eth0.disable_ipv6=1"], `IPv6 off on eth0 in ${netns}`);
      mustRun(["ip", "-n", netns, "link", "set", "lo", "up"], `lo up in ${netns}`);
      mustRun(["ip", "-n", netns, "addr", "add", `${address}/24`, "dev", "eth0"], `address in ${netns}`);
      mustRun(["ip", "-n", netns, "link", "set", "eth0", "up"], `eth0 up in ${netns}`);

      // private directories
      for (const d of PRIVATE_DIRS) fs.mkdirSync(path.join(rootDir, "fs", d), { recursive: true, mode: 0o755 });
      fs.chmodSync(path.join(rootDir, "fs", "tmp"), 0o1777);
      for (const u of ["root", NON_ROOT_USER]) {
        fs.mkdirSync(path.join(rootDir, "authorized_keys"), { recursive: true, mode: 0o755 });
        fs.writeFileSync(path.join(rootDir, "authorized_keys", u), `${client.publicKey}\n`, { mode: 0o644 });
      }
      installStandins(path.join(rootDir, "fs"));
      const withSystemd = systemdHosts.has(name);

      // the anchor: holds the host's net + private mount namespace. On a systemd host it becomes
      // `unshare --pid --fork --mount-proc`, whose child is the host's PID 1 ("systemd").
      const quote = (s: string) => `'${s.replace(/'/g, "'\\''")}'`;
      const mounts = [
        repoMountScript(),
        ...(withSystemd ? [systemdMountScript(rootDir)] : []),
        ...PRIVATE_DIRS.map((d) => `mount --bind '${path.join(rootDir, "fs", d)}' '${d}'`),
      ].join(" && ");
      const tail = withSystemd
        ? `exec unshare --pid --fork --mount-proc ${installSystemdHost(rootDir).init.map(quote).join(" ")}`
        : "exec sleep infinity";
      const anchor = spawn("ip", ["netns", "exec", netns, "unshare", "--mount", "--propagation", "private", "sh", "-c", `${mounts} && ${tail}`], {
        stdio: ["ignore", "ignore", fs.openSync(path.join(rootDir, "anchor.log"), "a")],
        detached: true,
        // Not the caller's directory: a checkout under /tmp does not exist inside the host (its /tmp
        // is private), and a process started there (PID 1 and its service manager) would fail.
        cwd: "/",
      });
      anchor.unref();
      if (anchor.pid === undefined) throw new Error(`namespace lab: could not start the anchor for host ${name}`);
      const anchorPid = anchor.pid;
      // The anchor is ready once it has exec'd sleep (after the mounts succeeded); a systemd host
      // once its PID 1 runs and the service manager listens. Bounded.
      let ready = false;
      let targetPid = anchorPid;
      const deadline = Date.now() + (withSystemd ? 20_000 : 5_000);
      for (let k = 0; k < 1000 && !ready && Date.now() < deadline; k++) {
        if (!fs.existsSync(`/proc/${anchorPid}`)) break;
        if (!withSystemd) {
          ready = comm(anchorPid) === "sleep";
        } else if (comm(anchorPid) === "unshare") {
          const init = childPids(anchorPid).find((p) => comm(p) === "systemd");
          if (init !== undefined) { targetPid = init; ready = fs.existsSync(`/proc/${init}/root${MANAGER_SOCKET}`); }
        }
        if (!ready) await sleep(20);
      }
      if (!ready) {
        const log = fs.existsSync(path.join(rootDir, "anchor.log")) ? fs.readFileSync(path.join(rootDir, "anchor.log"), "utf8") : "";
        throw new Error(`namespace lab: host ${name}: the namespace anchor did not come up (bind mounts failed${withSystemd ? ", or the systemd stand-in did not listen" : ""}?): ${log.trim()}`);
      }

      const hostKeyPath = path.join(rootDir, "ssh_host_ed25519_key");
      mustRun(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", `${name}@kumolab-${id}`, "-f", hostKeyPath], `host key for ${name}`);
      const configPath = path.join(rootDir, "sshd_config");
      const pidPath = path.join(rootDir, "sshd.pid");
      fs.writeFileSync(configPath, sshdConfig({ address, rootDir, hostKeyPath, pidPath }));
      const logPath = path.join(rootDir, "sshd.log");

      const nsenter = ["nsenter", "--target", String(targetPid), "--net", "--mount", ...(withSystemd ? ["--pid"] : []), "--"];
      const int: HostInternals = {
        anchorPid, targetPid, sshdPid: undefined, sshdLauncherPid: undefined, configPath, logPath, hostKeyPath,
        handle: undefined as unknown as LabHostHandle,
      };
      const readHostKey = () => fs.readFileSync(`${hostKeyPath}.pub`, "utf8").trim().split(" ").slice(0, 2).join(" ");
      const handle: LabHostHandle = {
        name, netns, address, sshPort: 22, rootDir,
        hostPublicKey: readHostKey(),
        exec: (argv, o) => runAsync([...nsenter, ...argv], o?.timeoutMs ?? 30_000),
        startSshd: async () => {
          if (int.sshdPid !== undefined && pidAlive(int.sshdPid)) return;
          const [cmd, ...args] = [...nsenter, SSHD, "-D", "-f", configPath, "-E", logPath];
          const child = spawn(cmd as string, args, { stdio: "ignore", detached: true });
          child.unref();
          int.sshdPid = child.pid;
          int.sshdLauncherPid = child.pid;
          // With --pid, nsenter forks and sshd is its child (in the host's PID namespace); signals
          // to nsenter are not passed on, so stopSshd must know sshd's own pid.
          if (withSystemd && child.pid !== undefined) {
            let sshd: number | undefined;
            for (let k = 0; k < 100 && sshd === undefined; k++) {
              sshd = childPids(child.pid)[0];
              if (sshd === undefined) await sleep(20);
            }
            if (sshd === undefined) throw new Error(`namespace lab: sshd on host ${name} did not start under nsenter (pid ${child.pid})`);
            int.sshdPid = sshd;
          }
          if (!(await waitForPort(address, 22, 10_000))) {
            const log = fs.existsSync(logPath) ? fs.readFileSync(logPath, "utf8").split("\n").slice(-10).join("\n") : "(no log)";
            throw new Error(`namespace lab: sshd on host ${name} (${address}:22) did not answer within 10 s; sshd log:\n${log}`);
          }
        },
        stopSshd: async () => {
          const pid = int.sshdPid;
          if (pid === undefined) return;
          try { process.kill(pid, "SIGTERM"); } catch { /* already gone */ }
          for (let k = 0; k < 100 && pidAlive(pid); k++) await sleep(20);
          if (pidAlive(pid)) { try { process.kill(pid, "SIGKILL"); } catch { /* gone */ } }
          // sshd's listener is gone once the master exits; sessions (children) live on, as on a real host.
          int.sshdPid = undefined;
        },
        replaceHostKey: async () => {
          await handle.stopSshd();
          fs.rmSync(hostKeyPath, { force: true });
          fs.rmSync(`${hostKeyPath}.pub`, { force: true });
          mustRun(["ssh-keygen", "-q", "-t", "ed25519", "-N", "", "-C", `${name}@kumolab-${id}-replaced`, "-f", hostKeyPath], `new host key for ${name}`);
          handle.hostPublicKey = readHostKey();
          await handle.startSshd();
        },
      };
      int.handle = handle;
      internals.push(int);
      hosts[name] = handle;
    }
    // start all sshds in parallel (each waits for its banner)
    await Promise.all(internals.map((i) => i.handle.startSshd()));
    if (!opts.machineLogin) await cloudLikeLogin(internals.map((i) => i.handle));

    let destroyed = false;
    return {
      id, hosts, client, nonRootUser: NON_ROOT_USER,
      destroy: async () => {
        if (destroyed) return;
        destroyed = true;
        const problems = teardownRecord(rec);
        liveLabs.delete(id);
        // Let node reap the anchors and sshds it spawned (no zombies left behind); bounded.
        const ours = internals.flatMap((i) => [i.anchorPid, i.sshdLauncherPid]).filter((p): p is number => p !== undefined);
        for (let k = 0; k < 40 && ours.some((p) => fs.existsSync(`/proc/${p}`)); k++) await sleep(25);
        if (problems.length > 0) throw new Error(`namespace lab ${id}: teardown left things behind: ${problems.join("; ")}`);
      },
    };
  } catch (e) {
    const problems = teardownRecord(rec);
    liveLabs.delete(id);
    if (problems.length > 0) console.warn(`namespace lab ${id}: teardown after failed create: ${problems.join("; ")}`);
    throw e;
  }
}

/**
 * For test files: `describe.skipIf(skipNamespaceLab())(...)`. Returns true (with a warning that
 * says why) when the lab cannot run here; throws instead when CI is set, because CI must not skip.
 */
export function skipNamespaceLab(): boolean {
  const can = canRunNamespaceLab();
  if (can.ok) return false;
  if (process.env.CI && process.env.CI !== "false" && process.env.CI !== "0") {
    throw new Error(`namespace lab tests cannot run in CI: ${can.reason}`);
  }
  console.warn(`skipping namespace lab tests: ${can.reason}`);
  return true;
}
