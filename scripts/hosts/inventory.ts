/**
 * The hosts inventory: two Linux machines that already run KumoMTA (bare metal, another cloud, the
 * namespace test lab), described in YAML (default lab-config/hosts.yaml; see hosts.example.yaml).
 * Relative paths are relative to the inventory file; `~/` is the operator's home.
 */
import { existsSync, readFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import YAML from "yaml";
import { z } from "zod";
import { PROJECT_DIR } from "../../lab-config/load";
import { unixNameSchema } from "../../lab-config/schema";
import { parseOpenSshPublicKey } from "../ssh/host-keys";
import { isIpLiteral } from "./ip";
import type { LabHost, LabHosts } from "./lab-hosts";

export const DEFAULT_INVENTORY_FILE = path.join(PROJECT_DIR, "lab-config", "hosts.yaml");
/**
 * How long to keep retrying SSH to an inventory's hosts. They are up already (no VM boots), so a
 * host that does not answer is down or unreachable: say so in seconds, not after a boot's 5 minutes.
 */
export const INVENTORY_CONNECT_DEADLINE_SECONDS = 30;

const port = z.number().int().min(1).max(65535);
const hostAddress = z.string().regex(/^[A-Za-z0-9.:-]+$/, "must be an IP address or DNS name");
const ipLiteral = z.string().refine(isIpLiteral, "must be an IP address (IPv4 or IPv6), not a name: routing uses an [IP] literal");

const openSshKey = z.string().superRefine((v, ctx) => {
  try {
    parseOpenSshPublicKey(v);
  } catch (e) {
    ctx.addIssue({ code: "custom", message: `${(e as Error).message}; copy it from /etc/ssh/ssh_host_ed25519_key.pub on the host` });
  }
});

const hostKeySchema = z.union([
  openSshKey,
  z
    .object({
      /** Explicit opt-in: accept the key seen on first connection and record it in knownHostsFile. */
      recordOnFirstUse: z.literal(true),
      knownHostsFile: z.string().min(1),
    })
    .strict(),
]);

const inventoryHostSchema = z
  .object({
    address: hostAddress,
    port: port.default(22),
    user: unixNameSchema,
    /** The pinned host key (`ssh-ed25519 AAAA…`), or `{ recordOnFirstUse: true, knownHostsFile }`. */
    hostKey: hostKeySchema,
    privateKeyPath: z
      .string()
      .min(1)
      .refine((p) => !p.endsWith(".pub"), "is a public key (.pub): give the private key file beside it (the same path without .pub)"),
    /** Optional; otherwise set KUMOLAB_SSH_PASSPHRASE in the environment (never in this file's history). */
    passphraseEnv: z.string().regex(/^[A-Z_][A-Z0-9_]*$/).optional(),
    size: z
      .object({ label: z.string().min(1), vcpu: z.number().int().positive().optional(), ramGiB: z.number().positive().optional(), region: z.string().optional() })
      .strict()
      .optional(),
  })
  .strict();

export const inventorySchema = z
  .object({
    labId: z.string().regex(/^[a-z0-9][a-z0-9-]{0,39}$/, "must be lower-case letters, digits and dashes"),
    sender: inventoryHostSchema.extend({
      /** The sender's address as the sink sees it (the sink relays only for it); default: sender.address. */
      addressSeenBySink: ipLiteral.optional(),
    }),
    sink: inventoryHostSchema,
    /** Optional: a third host that runs traffic-gen against the sender (README, "The generator host"). */
    generator: inventoryHostSchema
      .extend({
        /** The generator's address as the sender sees it (the sender's generator listener relays only for it); default: address. */
        addressSeenBySender: ipLiteral.optional(),
        /** The sender's address as the generator reaches it (traffic-gen's target). */
        senderAddress: ipLiteral,
      })
      .optional(),
    /** The sink's address as the sender reaches it (an IP literal). */
    sinkAddressFromSender: ipLiteral,
    sinkPort: port
      .refine((p) => p !== 25 && p !== 465 && p !== 587, "must not be 25, 465 or 587: the lab blocks those outbound")
      .refine((p) => p !== 22, "must not be 22: that is sshd's port, which the lab reaches the hosts on; use 2525"),
    /** Other layers that also stop port 25 between the hosts (named if the port-25 proof fails). */
    firewalls: z.array(z.string().min(1)).default([]),
  })
  .strict()
  .superRefine((inv, ctx) => {
    const senderIp = inv.sender.addressSeenBySink ?? inv.sender.address;
    if (senderIp === inv.sinkAddressFromSender || (inv.sender.address === inv.sink.address && inv.sender.port === inv.sink.port)) {
      ctx.addIssue({ code: "custom", path: ["sinkAddressFromSender"], message: `the sender and the sink are the same host (${inv.sinkAddressFromSender}): the sink must be another machine, or the sender would measure itself relaying to itself` });
    }
    if (inv.generator && inv.generator.addressSeenBySender === undefined && !isIpLiteral(inv.generator.address)) {
      ctx.addIssue({ code: "custom", path: ["generator", "addressSeenBySender"], message: "required when generator.address is a DNS name: the sender's relay list needs the generator's IP" });
    }
    if (inv.sender.addressSeenBySink === undefined && !isIpLiteral(inv.sender.address)) {
      ctx.addIssue({ code: "custom", path: ["sender", "addressSeenBySink"], message: "required when sender.address is a DNS name: the sink's relay list needs the sender's IP" });
    }
  });
export type Inventory = z.output<typeof inventorySchema>;

export class InventoryError extends Error {
  constructor(
    readonly file: string,
    readonly issues: string[],
  ) {
    super(`invalid hosts inventory ${file}:\n${issues.map((i) => `  - ${i}`).join("\n")}\nSee lab-config/hosts.example.yaml.`);
    this.name = "InventoryError";
  }
}

function resolvePath(p: string, baseDir: string): string {
  if (p === "~" || p.startsWith("~/")) return path.join(os.homedir(), p.slice(1));
  return path.resolve(baseDir, p);
}

function toLabHost(role: "sender" | "sink" | "generator", h: Inventory["sink"], baseDir: string, env: NodeJS.ProcessEnv): LabHost {
  const passphrase = h.passphraseEnv ? env[h.passphraseEnv] : undefined;
  return {
    role,
    name: `${role} (${h.address})`,
    address: h.address,
    port: h.port,
    user: h.user,
    hostKey: typeof h.hostKey === "string" ? { kind: "pinned", publicKey: h.hostKey.trim() } : { kind: "record-on-first-use", knownHostsFile: resolvePath(h.hostKey.knownHostsFile, baseDir) },
    credentials: passphrase === undefined ? { kind: "private-key-file", path: resolvePath(h.privateKeyPath, baseDir) } : { kind: "private-key-file", path: resolvePath(h.privateKeyPath, baseDir), passphrase },
    ...(h.size ? { size: h.size } : {}),
  };
}

/** Validates a parsed inventory document; `baseDir` anchors relative paths. */
export function hostsFromInventoryData(data: unknown, file: string, env: NodeJS.ProcessEnv = process.env): LabHosts {
  if (data === null || data === undefined || (typeof data === "object" && !Array.isArray(data) && Object.keys(data).length === 0)) {
    throw new InventoryError(file, ["the file is empty: copy lab-config/hosts.example.yaml and fill in both hosts"]);
  }
  const parsed = inventorySchema.safeParse(data);
  if (!parsed.success) {
    throw new InventoryError(file, parsed.error.issues.map((i) => `${i.path.length > 0 ? i.path.join(".") : "(root)"}: ${i.message}`));
  }
  const inv = parsed.data;
  const baseDir = path.dirname(path.resolve(file));
  for (const [role, h] of [["sender", inv.sender], ["sink", inv.sink], ...(inv.generator ? [["generator", inv.generator] as const] : [])] as const) {
    if (h.passphraseEnv && env[h.passphraseEnv] === undefined) throw new InventoryError(file, [`${role}.passphraseEnv: environment variable ${h.passphraseEnv} is not set`]);
  }
  return {
    labId: inv.labId,
    sender: toLabHost("sender", inv.sender, baseDir, env),
    sink: toLabHost("sink", inv.sink, baseDir, env),
    sinkAddressFromSender: inv.sinkAddressFromSender,
    senderAddressFromSink: inv.sender.addressSeenBySink ?? inv.sender.address,
    sinkPort: inv.sinkPort,
    cloudFirewalls: inv.firewalls,
    ...(inv.generator
      ? { generator: { host: toLabHost("generator", inv.generator, baseDir, env), senderAddress: inv.generator.senderAddress, addressSeenBySender: inv.generator.addressSeenBySender ?? inv.generator.address } }
      : {}),
  };
}

/** Reads and validates an inventory file (default lab-config/hosts.yaml). */
export function hostsFromInventory(file: string = DEFAULT_INVENTORY_FILE, env: NodeJS.ProcessEnv = process.env): LabHosts {
  if (!existsSync(file)) throw new InventoryError(file, [`file not found; copy lab-config/hosts.example.yaml to ${path.relative(process.cwd(), file) || file} and fill it in`]);
  const doc = YAML.parseDocument(readFileSync(file, "utf8"));
  if (doc.errors.length > 0) throw new InventoryError(file, doc.errors.map((e) => e.message));
  return hostsFromInventoryData(doc.toJS() as unknown, file, env);
}
