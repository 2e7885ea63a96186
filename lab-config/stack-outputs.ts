/**
 * The contract between the Pulumi program (infra/, which produces these outputs) and the
 * scripts (which read them back through the Automation API or `pulumi stack output --json`).
 * Shared as a schema, not as runtime code: infra/ and scripts/ never import each other.
 */
import { z } from "zod";

export const vmOutputSchema = z
  .object({
    /** The address the operator connects to. */
    publicIp: z.string().min(1),
    privateIp: z.string().min(1),
    /** Instance type / VM size, e.g. `c5.large` or `Standard_F8s_v2`. */
    size: z.string().min(1),
    vcpu: z.number().int().positive(),
    ramGiB: z.number().positive(),
    /** AWS region or Azure location. */
    region: z.string().min(1),
    /** The SSH host public key in OpenSSH format (`ssh-ed25519 AAAA…`), pinned by the scripts. */
    hostPublicKey: z.string().regex(/^ssh-[a-z0-9-]+ [A-Za-z0-9+/=]+/, "must be an OpenSSH public key"),
  })
  .strict();
export type VmOutput = z.infer<typeof vmOutputSchema>;

/** Prefetch: the sender slot that is not active — its address (the sink admits it) and its VM, if it has one. */
export const standbySlotSchema = z
  .object({
    slot: z.enum(["a", "b"]),
    publicIp: z.string().min(1),
    /** The size id the slot's VM has; null while it has none. */
    sizeId: z.string().min(1).nullable(),
    vm: vmOutputSchema.nullable(),
  })
  .strict();
export type StandbySlotOutput = z.infer<typeof standbySlotSchema>;

export const stackOutputsSchema = z
  .object({
    labId: z.string().min(1),
    /** The sender size id (from lab-config sender.sizes) this stack was last built with. */
    senderSizeId: z.string().min(1),
    /** Prefetch only (two sender slots): the active slot, which `sender` describes. */
    senderSlot: z.enum(["a", "b"]).optional(),
    /** Prefetch only: the other slot. */
    standby: standbySlotSchema.optional(),
    sshUser: z.string().min(1),
    /** OpenSSH private key for both VMs (a Pulumi secret). */
    sshPrivateKey: z.string().includes("PRIVATE KEY"),
    sinkPort: z.number().int().min(1).max(65535),
    /** ISO time after which `npm run gc` may destroy the lab. */
    expiresAt: z.iso.datetime(),
    sender: vmOutputSchema,
    sink: vmOutputSchema,
    /** The generator host when `generator.enabled` (lab-config/generator.ts); absent otherwise. */
    generator: vmOutputSchema.optional(),
  })
  .strict();
export type StackOutputs = z.infer<typeof stackOutputsSchema>;
