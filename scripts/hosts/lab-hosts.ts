/**
 * "A lab's two hosts": everything the SSH steps need, whichever source it came from
 * (the cloud stack's outputs, or a hosts inventory file).
 */
import type { Role } from "../progress/events";

export type HostKeyPolicy =
  /** Verify against this OpenSSH public key (`ssh-ed25519 AAAA…`); a mismatch is refused. */
  | { kind: "pinned"; publicKey: string }
  /**
   * Inventory hosts only, by explicit opt-in: record the key on first use in `knownHostsFile`,
   * then pin it. Never silent: the recording is reported.
   */
  | { kind: "record-on-first-use"; knownHostsFile: string };

export type SshCredentials =
  /** OpenSSH/PEM private key text (kept in memory; never logged or written elsewhere). */
  | { kind: "private-key"; privateKey: string; passphrase?: string }
  /** Path to a private key file on the operator's machine. */
  | { kind: "private-key-file"; path: string; passphrase?: string };

export interface LabHost {
  role: Role;
  /** Short name used in progress and errors, e.g. `sender (3.91.2.7)`. */
  name: string;
  /** Where the operator connects: IP or DNS name. */
  address: string;
  port: number;
  user: string;
  hostKey: HostKeyPolicy;
  credentials: SshCredentials;
  /** What the lab knows of its size (instance type / VM size, vCPU, RAM, region); optional for inventories. */
  size?: { label: string; vcpu?: number; ramGiB?: number; region?: string };
  /** Senders only: the lab's sender slot this host fills (prefetch: `a` or `b`). Absent: a one-sender lab. Example: `b`. */
  slot?: string;
}

export interface LabHosts {
  labId: string;
  sender: LabHost;
  sink: LabHost;
  /** The sink's address as the sender reaches it (an IP literal: routing uses `[IP]:port`). */
  sinkAddressFromSender: string;
  /** The sink's SMTP port. */
  sinkPort: number;
  /**
   * The sender's address as the sink sees it (the sink relays only for it). Optional: when absent,
   * `sender.address` is used if it is an IP literal.
   */
  senderAddressFromSink?: string;
  /**
   * Other senders the sink also admits (prefetch: the standby slot's address as the sink sees it),
   * so that provisioning either sender renders the same sink policy. Default: none. Example: `['198.18.4.12']`.
   */
  alsoAdmitFromSink?: string[];
  /** The network layers between the hosts that also block port 25 (for the port-25 proof's error). */
  cloudFirewalls: string[];
  /** The optional generator host: traffic-gen runs there, against the sender (lab-config/generator.ts). */
  generator?: GeneratorHost;
}

export interface GeneratorHost {
  /** How the operator reaches it over SSH, e.g. `{ role: "generator", name: "generator (3.91.2.8)", … }`. */
  host: LabHost;
  /** The sender's address as the generator reaches it (an IP literal; in a cloud lab its private address, e.g. `10.42.1.10`): traffic-gen's target. */
  senderAddress: string;
  /** The generator's address as the sender sees it (an IP literal, e.g. `10.42.1.11`): the only one the sender's generator listener relays for. */
  addressSeenBySender: string;
}
