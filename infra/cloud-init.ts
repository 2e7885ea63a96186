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

export type LabRole = "sender" | "sink";

export interface CloudInitInput {
  role: LabRole;
  os: OsImage;
  kumomta: { channel: "stable" | "dev"; version: string | null };
  sshUser: string;
  /** The lab's login public key (`ssh-ed25519 AAAA…`). */
  loginPublicKey: string;
  /** This host's generated SSH host key (OpenSSH format). */
  hostKey: { privateOpenssh: string; publicOpenssh: string };
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
export const KUMOMTA_APT_LIST = "/etc/apt/sources.list.d/kumomta.list";

/** KumoMTA's apt repository for an Ubuntu release (shared/reference/kumomta-facts.md, "Install"). */
export function kumomtaRepo(os: OsImage): { keyUrl: string; listUrl: string } {
  const release = os === "ubuntu-22.04" ? "22" : "20";
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
    runcmd: [
      // Port 25/465/587 closed before any package is installed.
      ["nft", "-f", NFTABLES_FILE],
      ["systemctl", "enable", "nftables.service"],
      ["sysctl", "--system"],
      ["systemctl", "daemon-reload"],
      ...kumomtaInstallCommands(input.os, input.kumomta),
      ["systemctl", "daemon-reload"],
      ["/opt/kumomta/sbin/kumod", "--version"],
    ],
  };
}

/** Renders the document; cloud-init only reads user data that starts with `#cloud-config`. */
export function renderCloudInit(input: CloudInitInput): string {
  return `#cloud-config\n${YAML.stringify(cloudInitDocument(input), { lineWidth: 0 })}`;
}
