/**
 * The cloud-init document both VMs boot with, built as an object (testable) and rendered as
 * `#cloud-config` YAML. It installs KumoMTA from KumoMTA's own repository, applies KumoMTA's
 * Linux tuning and file limits for 20,000 connections, shuts outbound TCP 25/465/587 with
 * nftables, and installs the SSH host key generated at `pulumi up` (so clients can pin it).
 * Pure: no Pulumi here, callers pass resolved strings.
 */
import YAML from "yaml";
import type { OsImage } from "../lab-config/schema";
import { BLOCKED_SMTP_PORTS } from "./firewall-rules";

/** `generator`: the optional third VM running traffic-gen (lab-config/generator.ts), on AWS beside the sender. */
export type LabRole = "sender" | "sink" | "generator";

export interface CloudInitInput {
  role: LabRole;
  os: OsImage;
  kumomta: { channel: "stable" | "dev"; version: string | null };
  sshUser: string;
  /** The lab's login public key (`ssh-ed25519 AAAA…`). */
  loginPublicKey: string;
  /** This host's generated SSH host key (OpenSSH format). */
  hostKey: { privateOpenssh: string; publicOpenssh: string };
  /**
   * The EBS volume id of the sender's spool volume (`aws.spoolVolume`), e.g. `vol-0123456789abcdef0`:
   * the boot script formats it and mounts it at the spool path. Default: none (spool on the root volume).
   */
  spoolVolumeId?: string;
}

/** Open files per process: far above 20,000 sockets plus spool and log files. */
export const NOFILE_LIMIT = 262_144;

/**
 * The kernel settings KumoMTA's Linux tuning page tells operators to review, with values for a
 * 20,000-connection benchmark (wide local port range on the sender, large file table).
 */
export const KUMOMTA_SYSCTLS: Readonly<Record<string, string>> = {
  "vm.max_map_count": "768000",
  "net.core.rmem_default": "32768",
  "net.core.wmem_default": "32768",
  "net.core.rmem_max": "262143",
  "net.core.wmem_max": "262143",
  "fs.file-max": "2097152",
  "net.ipv4.ip_local_port_range": "1024 65000",
  "net.ipv4.tcp_tw_reuse": "1",
  "kernel.shmmax": "68719476736",
  "net.core.somaxconn": "65535",
  "vm.nr_hugepages": "20",
  "kernel.shmmni": "4096",
};

export const SYSCTL_FILE = "/etc/sysctl.d/90-kumolab.conf";
export const LIMITS_FILE = "/etc/security/limits.d/90-kumolab.conf";
export const KUMOMTA_SERVICE_OVERRIDE = "/etc/systemd/system/kumomta.service.d/90-kumolab-limits.conf";
export const NFTABLES_FILE = "/etc/nftables.conf";
export const KUMOMTA_KEYRING = "/usr/share/keyrings/kumomta.gpg";
/** The first-boot script cloud-init runs (runcmd): every step below, stopping at the first failure. */
export const BOOT_SCRIPT = "/usr/local/sbin/kumolab-boot";
/** What the boot script leaves for provisioning: `state=running|ok|failed`, `step=…`, `exit=…`, `at=…` (scripts/provision/host-facts.ts). */
export const BOOT_STATUS_FILE = "/var/lib/kumolab/boot-status";
export const BOOT_LOG_FILE = "/var/log/kumolab-boot.log";
/** apt waits for the dpkg lock instead of failing while unattended-upgrades runs at first boot (apt.conf(5): DPkg::Lock::Timeout, apt ≥ 1.9.11). */
export const APT_LOCK_CONF = "/etc/apt/apt.conf.d/90-kumolab-lock-timeout";
export const APT_LOCK_TIMEOUT_SECONDS = 600;
export const KUMOMTA_APT_LIST = "/etc/apt/sources.list.d/kumomta.list";
/** kumod's spool (KumoMTA's assets/build-deb.sh creates it; the lab's policy spools there: scripts/provision/policies.ts). */
export const KUMOMTA_SPOOL_DIR = "/var/spool/kumomta";
/** kumomta.service starts only with the spool volume mounted (systemd.unit(5): RequiresMountsFor=). */
export const KUMOMTA_SPOOL_MOUNT_OVERRIDE = "/etc/systemd/system/kumomta.service.d/90-kumolab-spool-mount.conf";
/** How long the boot script waits for the spool volume's device: it is attached after the instance starts. */
export const SPOOL_DEVICE_WAIT = { tries: 90, delaySeconds: 2 } as const;

/**
 * Where Ubuntu's udev names an EBS volume on a Nitro instance (every size kumolab uses): the NVMe
 * model "Amazon Elastic Block Store" and the serial, which is the volume id without its dash.
 * The attachment's device name (/dev/sdf) is not visible on Nitro, so the id is what identifies it.
 */
export function spoolDevicePath(volumeId: string): string {
  if (!/^vol-[0-9a-f]{8,17}$/.test(volumeId)) throw new Error(`'${volumeId}' is not an EBS volume id (vol-0123456789abcdef0)`);
  return `/dev/disk/by-id/nvme-Amazon_Elastic_Block_Store_${volumeId.replace("-", "")}`;
}

/**
 * KumoMTA's apt repository for an Ubuntu release (shared/reference/kumomta-facts.md, "Install").
 * KumoMTA builds no Ubuntu 24.04 package (.github/workflows/kumomta.yml: ubuntu 20.04 and 22.04
 * only; docs/userguide/installation/linux.md), so 24.04 — the 2025 round's OS — gets the 22.04 one.
 */
export function kumomtaRepo(os: OsImage): { keyUrl: string; listUrl: string } {
  const release = os === "ubuntu-20.04" ? "20" : "22";
  return {
    keyUrl: `https://openrepo.kumomta.com/kumomta-ubuntu-${release}/public.gpg`,
    listUrl: `https://openrepo.kumomta.com/files/kumomta-ubuntu${release}.list`,
  };
}

/** `kumomta` (stable) or `kumomta-dev`, optionally pinned to a package version: `kumomta=2025.01.29.123456.833f82a8`. */
export function kumomtaPackage(kumomta: CloudInitInput["kumomta"]): string {
  const name = kumomta.channel === "dev" ? "kumomta-dev" : "kumomta";
  return kumomta.version === null ? name : `${name}=${kumomta.version}`;
}

/** Commands (argv arrays: no shell quoting to get wrong) that install KumoMTA from its repository. */
export function kumomtaInstallCommands(os: OsImage, kumomta: CloudInitInput["kumomta"]): string[][] {
  const repo = kumomtaRepo(os);
  // Bounded downloads: a stuck mirror fails the boot visibly instead of hanging it.
  const curl = ["curl", "-fsSL", "--retry", "5", "--connect-timeout", "10", "--max-time", "120"];
  return [
    ["apt-get", "update", "-q"],
    ["apt-get", "install", "-y", "-q", "curl", "gnupg", "ca-certificates"],
    [...curl, "-o", "/tmp/kumomta-public.gpg", repo.keyUrl],
    ["gpg", "--batch", "--yes", "--dearmor", "-o", KUMOMTA_KEYRING, "/tmp/kumomta-public.gpg"],
    ["chmod", "644", KUMOMTA_KEYRING],
    [...curl, "-o", KUMOMTA_APT_LIST, repo.listUrl],
    ["apt-get", "update", "-q"],
    ["apt-get", "install", "-y", "-q", kumomtaPackage(kumomta)],
  ];
}

/** The host firewall: an output chain that rejects TCP to the SMTP submission/relay ports, IPv4 and IPv6. */
export function nftablesRules(ports: readonly number[] = BLOCKED_SMTP_PORTS): string {
  return [
    "#!/usr/sbin/nft -f",
    "# kumolab: no mail leaves this host on the standard SMTP ports, whatever the cloud allows.",
    "# Only this table is replaced, so rules of the cloud agents stay.",
    "table inet kumolab_egress",
    "delete table inet kumolab_egress",
    "table inet kumolab_egress {",
    "  chain output {",
    "    type filter hook output priority filter; policy accept;",
    `    tcp dport { ${ports.join(", ")} } counter reject with tcp reset`,
    "  }",
    "}",
    "",
  ].join("\n");
}

export function sysctlFile(): string {
  return [
    "# kumolab: KumoMTA's Linux tuning, sized for 20,000 concurrent connections.",
    ...Object.entries(KUMOMTA_SYSCTLS).map(([k, v]) => `${k} = ${v}`),
    "",
  ].join("\n");
}

export function limitsFile(): string {
  return [
    "# kumolab: file limits for 20,000 connections (SSH sessions running traffic-gen get these via PAM).",
    `* soft nofile ${NOFILE_LIMIT}`,
    `* hard nofile ${NOFILE_LIMIT}`,
    `root soft nofile ${NOFILE_LIMIT}`,
    `root hard nofile ${NOFILE_LIMIT}`,
    "",
  ].join("\n");
}

/** systemd services ignore limits.d: kumod gets its limit from its unit. */
export function kumomtaServiceOverride(): string {
  return ["[Service]", `LimitNOFILE=${NOFILE_LIMIT}`, ""].join("\n");
}

export interface BootStep {
  /** Shown in the status file and in provisioning's error when this step fails. */
  name: string;
  argv: string[];
}

/** Bounded waits: tries × delay seconds (the network: 5 min; the apt lock: 10 min). */
export const NETWORK_WAIT = { tries: 60, delaySeconds: 5 } as const;
export const APT_LOCK_WAIT = { tries: 120, delaySeconds: 5 } as const;

/**
 * The first-boot steps, in order. The public address may take a moment (and unattended-upgrades
 * holds the apt lock at first boot), so the script waits for both before the first download;
 * nftables is installed, not assumed, and loaded before KumoMTA is installed.
 */
export function bootSteps(input: Pick<CloudInitInput, "os" | "kumomta" | "spoolVolumeId">): BootStep[] {
  const repo = kumomtaRepo(input.os);
  const install = kumomtaInstallCommands(input.os, input.kumomta);
  const [update, basics, ...rest] = install;
  if (!update || !basics) throw new Error("kumomtaInstallCommands changed shape: expected apt-get update and the basic packages first");
  return [
    {
      name: "wait for the network (KumoMTA's repository reachable over https)",
      argv: ["retry", String(NETWORK_WAIT.tries), String(NETWORK_WAIT.delaySeconds), "curl", "-fsS", "--connect-timeout", "5", "--max-time", "10", "-o", "/dev/null", repo.keyUrl],
    },
    {
      name: "wait for the apt lock (unattended-upgrades at first boot)",
      argv: ["retry", String(APT_LOCK_WAIT.tries), String(APT_LOCK_WAIT.delaySeconds), "apt_unlocked"],
    },
    { name: "apt-get update", argv: update },
    { name: "install nftables, curl, gnupg", argv: [...basics.slice(0, 4), "nftables", ...basics.slice(4)] },
    { name: "close outbound SMTP ports (nftables)", argv: ["nft", "-f", NFTABLES_FILE] },
    { name: "keep the SMTP block across reboots", argv: ["systemctl", "enable", "nftables.service"] },
    { name: "apply KumoMTA's sysctl tuning", argv: ["sysctl", "--system"] },
    { name: "load the kumomta.service limits", argv: ["systemctl", "daemon-reload"] },
    ...rest.map((argv) => ({ name: `install KumoMTA: ${argv.slice(0, 2).join(" ")}${argv[0] === "curl" ? ` ${argv.at(-1) ?? ""}` : ""}`, argv })),
    // After the package (its preinst creates the kumod user and skips an existing spool directory's
    // ownership), before kumod ever starts (the package enables kumomta.service but does not start it).
    ...(input.spoolVolumeId === undefined
      ? []
      : [{ name: "format and mount the spool volume", argv: ["mount_spool", spoolDevicePath(input.spoolVolumeId), KUMOMTA_SPOOL_DIR, "/etc/fstab"] }]),
    { name: "reload systemd units", argv: ["systemctl", "daemon-reload"] },
    { name: "check kumod runs", argv: ["/opt/kumomta/sbin/kumod", "--version"] },
  ];
}

/** Single-quotes a word for bash (no expansion inside; a quote is closed, escaped and reopened). */
export function shellQuote(word: string): string {
  return /^[A-Za-z0-9_./:=@%+,-]+$/.test(word) ? word : `'${word.replace(/'/g, `'\\''`)}'`;
}

/** The boot script: `set -euo pipefail`, a status file at every step, the failed step and exit code on the way out. */
export function bootScript(steps: BootStep[], files: { status: string; log: string } = { status: BOOT_STATUS_FILE, log: BOOT_LOG_FILE }): string {
  return [
    "#!/bin/bash",
    "# kumolab first boot, run once by cloud-init (runcmd). Stops at the first failed step;",
    `# ${files.status} says which step and with what exit code, ${files.log} has the output.`,
    "set -euo pipefail",
    "export DEBIAN_FRONTEND=noninteractive",
    `STATUS=${shellQuote(files.status)}`,
    'mkdir -p "$(dirname "$STATUS")"',
    `exec > >(tee -a ${shellQuote(files.log)}) 2>&1`,
    "current='start'",
    `status() { printf 'state=%s\\nstep=%s\\nexit=%s\\nat=%s\\n' "$1" "$current" "$2" "$(date -u +%Y-%m-%dT%H:%M:%SZ)" > "$STATUS.tmp"; mv "$STATUS.tmp" "$STATUS"; }`,
    `trap 'rc=$?; if [ "$rc" -ne 0 ]; then status failed "$rc"; fi' EXIT`,
    'run() { current="$1"; shift; status running 0; echo "== kumolab boot: $current"; "$@"; }',
    "# retry TRIES DELAY CMD...: bounded; the last failure's exit code is the step's.",
    'retry() { local tries="$1" delay="$2" i=1; shift 2; until "$@"; do if [ "$i" -ge "$tries" ]; then echo "gave up after $tries tries: $*"; return 1; fi; i=$((i + 1)); sleep "$delay"; done; }',
    "apt_unlocked() { ! fuser /var/lib/dpkg/lock-frontend /var/lib/dpkg/lock /var/lib/apt/lists/lock >/dev/null 2>&1; }",
    "# mount_spool DEVICE DIR FSTAB: a fresh ext4 on the spool volume (a new instance starts with an empty",
    "# spool, as on the root volume), in FSTAB by UUID (nofail: a missing volume must not strand the boot",
    "# in emergency mode; kumomta.service requires the mount instead), owned by kumod as the package's own.",
    "# Lazy init off: ext4 would otherwise zero its inode tables in the background during the first trials.",
    `mount_spool() { local dev="$1" dir="$2" fstab="$3" uuid; retry ${SPOOL_DEVICE_WAIT.tries} ${SPOOL_DEVICE_WAIT.delaySeconds} test -e "$dev"; mkfs.ext4 -q -F -L kumolab-spool -E lazy_itable_init=0,lazy_journal_init=0 "$dev"; uuid="$(blkid -s UUID -o value "$dev")"; [ -n "$uuid" ] || { echo "no filesystem UUID on $dev after mkfs"; return 1; }; mkdir -p "$dir"; grep -v " $dir ext4 " "$fstab" > "$fstab.kumolab" || true; echo "UUID=$uuid $dir ext4 defaults,noatime,nofail 0 2" >> "$fstab.kumolab"; mv "$fstab.kumolab" "$fstab"; mount "$dir"; chown kumod:kumod "$dir"; chmod 2770 "$dir"; }`,
    ...steps.map((st) => `run ${shellQuote(st.name)} ${st.argv.map(shellQuote).join(" ")}`),
    "current='done'",
    "status ok 0",
    "",
  ].join("\n");
}

/**
 * Self-termination: the lab expires on the cloud side even when kumolab's machine is gone. A systemd
 * timer (armed first by the boot script, so even a failed boot keeps it) runs EXPIRE_SCRIPT every
 * few minutes; it reads the VM's own `expiresAt` tag from the cloud's instance metadata (AWS IMDSv2
 * instance tags, Azure IMDS tagsList) and powers the VM off once that time has passed. The time is
 * read, not written into the user data: a TTL extension re-tags the VM in place, never replaces it.
 * On AWS the sender's shutdown behaviour is `terminate` (infra/aws-sender.ts); on Azure a powered-off
 * VM still bills until deallocated, which the sink's auto-shutdown schedule does (infra/azure-sink.ts).
 */
export const EXPIRE_SCRIPT = "/usr/local/sbin/kumolab-expire";
export const EXPIRE_SERVICE = "/etc/systemd/system/kumolab-expire.service";
export const EXPIRE_TIMER = "/etc/systemd/system/kumolab-expire.timer";
export const EXPIRE_CHECK_MINUTES = 5;

export function expireScript(cloud: "aws" | "azure"): string {
  const read =
    cloud === "aws"
      ? [
          'TOKEN="$(curl -fsS --max-time 5 -X PUT -H "X-aws-ec2-metadata-token-ttl-seconds: 60" http://169.254.169.254/latest/api/token)"',
          'EXPIRES="$(curl -fsS --max-time 5 -H "X-aws-ec2-metadata-token: $TOKEN" http://169.254.169.254/latest/meta-data/tags/instance/expiresAt)"',
        ]
      : [
          'EXPIRES="$(curl -fsS --max-time 5 -H Metadata:true "http://169.254.169.254/metadata/instance/compute/tagsList?api-version=2021-02-01" | python3 -c \'import json,sys; print(next((t["value"] for t in json.load(sys.stdin) if t["name"] == "expiresAt"), ""))\')"',
        ];
  return [
    "#!/bin/bash",
    `# kumolab: power this VM off once its expiresAt tag (read from the ${cloud === "aws" ? "EC2" : "Azure"} instance metadata) has passed.`,
    "set -euo pipefail",
    ...read,
    'if [ -z "$EXPIRES" ]; then echo "kumolab-expire: no expiresAt tag readable; not stopping"; exit 0; fi',
    'NOW="$(date -u +%s)"; END="$(date -u -d "$EXPIRES" +%s)"',
    'if [ "$NOW" -ge "$END" ]; then echo "kumolab-expire: expiresAt $EXPIRES passed: powering off"; systemctl poweroff; else echo "kumolab-expire: expires $EXPIRES"; fi',
    "",
  ].join("\n");
}

export function expireUnits(): { service: string; timer: string } {
  return {
    service: ["[Unit]", "Description=kumolab: power off once the lab's expiresAt tag has passed", "", "[Service]", "Type=oneshot", `ExecStart=${EXPIRE_SCRIPT}`, ""].join("\n"),
    timer: ["[Unit]", "Description=kumolab: check the lab's expiresAt tag", "", "[Timer]", "OnBootSec=2min", `OnUnitActiveSec=${EXPIRE_CHECK_MINUTES}min`, "", "[Install]", "WantedBy=timers.target", ""].join("\n"),
  };
}

/** The boot script's first step: arm the expiry timer before anything can fail. */
export const ARM_EXPIRY_STEP: BootStep = { name: "arm the expiry timer (power off at expiresAt)", argv: ["systemctl", "enable", "--now", "kumolab-expire.timer"] };

export interface WriteFile {
  path: string;
  content: string;
  permissions: string;
  owner: string;
}

/** The cloud-config document as an object (see https://cloudinit.readthedocs.io, module reference). */
export function cloudInitDocument(input: CloudInitInput): Record<string, unknown> {
  const writeFiles: WriteFile[] = [
    { path: SYSCTL_FILE, content: sysctlFile(), permissions: "0644", owner: "root:root" },
    { path: LIMITS_FILE, content: limitsFile(), permissions: "0644", owner: "root:root" },
    { path: KUMOMTA_SERVICE_OVERRIDE, content: kumomtaServiceOverride(), permissions: "0644", owner: "root:root" },
    { path: NFTABLES_FILE, content: nftablesRules(), permissions: "0755", owner: "root:root" },
    { path: APT_LOCK_CONF, content: `DPkg::Lock::Timeout "${APT_LOCK_TIMEOUT_SECONDS}";\n`, permissions: "0644", owner: "root:root" },
    { path: EXPIRE_SCRIPT, content: expireScript(input.role === "sink" ? "azure" : "aws"), permissions: "0755", owner: "root:root" },
    { path: EXPIRE_SERVICE, content: expireUnits().service, permissions: "0644", owner: "root:root" },
    { path: EXPIRE_TIMER, content: expireUnits().timer, permissions: "0644", owner: "root:root" },
    { path: BOOT_SCRIPT, content: bootScript([ARM_EXPIRY_STEP, ...bootSteps(input)]), permissions: "0755", owner: "root:root" },
    ...(input.spoolVolumeId === undefined
      ? []
      : [{ path: KUMOMTA_SPOOL_MOUNT_OVERRIDE, content: ["[Unit]", `RequiresMountsFor=${KUMOMTA_SPOOL_DIR}`, ""].join("\n"), permissions: "0644", owner: "root:root" }]),
  ];
  return {
    hostname: `kumolab-${input.role}`,
    // Host key: replace the image's keys with the one generated at `pulumi up`, and generate no others,
    // so whichever algorithm a client negotiates, the host presents the pinned key.
    ssh_deletekeys: true,
    ssh_genkeytypes: [],
    ssh_keys: {
      ed25519_private: input.hostKey.privateOpenssh.endsWith("\n") ? input.hostKey.privateOpenssh : `${input.hostKey.privateOpenssh}\n`,
      ed25519_public: input.hostKey.publicOpenssh.trim(),
    },
    ssh_pwauth: false,
    disable_root: true,
    users: [
      {
        name: input.sshUser,
        shell: "/bin/bash",
        sudo: "ALL=(ALL) NOPASSWD:ALL",
        groups: ["adm", "sudo"],
        lock_passwd: true,
        ssh_authorized_keys: [input.loginPublicKey.trim()],
      },
    ],
    // Firewall and tuning are files first, so they are in place before KumoMTA starts.
    write_files: writeFiles,
    // One script, so that the first failed step stops the boot and leaves its name (cloud-init's own
    // runcmd goes on after a failed command).
    runcmd: [[BOOT_SCRIPT]],
  };
}

/** Renders the document; cloud-init only reads user data that starts with `#cloud-config`. */
export function renderCloudInit(input: CloudInitInput): string {
  return `#cloud-config\n${YAML.stringify(cloudInitDocument(input), { lineWidth: 0 })}`;
}
