/** Schema-valid stack outputs (lab-config/stack-outputs.ts) with real key material, for the driver tests. */
import { generateKeyPairSync } from "node:crypto";

/** `ssh-ed25519 AAAA…`: the OpenSSH wire encoding of a fresh ed25519 public key. */
export function opensshEd25519PublicKey(): { publicKey: string; privateKeyPem: string } {
  const { publicKey, privateKey } = generateKeyPairSync("ed25519");
  const jwk = publicKey.export({ format: "jwk" });
  if (typeof jwk.x !== "string") throw new Error("ed25519 key without x");
  const raw = Buffer.from(jwk.x, "base64url");
  const str = (b: Buffer): Buffer => Buffer.concat([Buffer.from([0, 0, 0, b.length]), b]);
  const blob = Buffer.concat([str(Buffer.from("ssh-ed25519")), str(raw)]);
  return { publicKey: `ssh-ed25519 ${blob.toString("base64")}`, privateKeyPem: privateKey.export({ format: "pem", type: "pkcs8" }).toString() };
}

export interface PlainOutputs {
  labId: string;
  senderSizeId: string;
  sshUser: string;
  sshPrivateKey: string;
  sinkPort: number;
  expiresAt: string;
  sender: { publicIp: string; privateIp: string; size: string; vcpu: number; ramGiB: number; region: string; hostPublicKey: string };
  sink: { publicIp: string; privateIp: string; size: string; vcpu: number; ramGiB: number; region: string; hostPublicKey: string };
}

const senderKey = opensshEd25519PublicKey();
const sinkKey = opensshEd25519PublicKey();

/** Outputs of a lab built at `sizeId` (addresses in 198.18.0.0/15, the benchmarking range). */
export function labOutputs(sizeId: string, over: Partial<Pick<PlainOutputs, "labId" | "expiresAt">> = {}): PlainOutputs {
  const shape: Record<string, { size: string; vcpu: number; ramGiB: number }> = {
    "c2-r4": { size: "c5.large", vcpu: 2, ramGiB: 4 },
    "c4-r16": { size: "m5.xlarge", vcpu: 4, ramGiB: 16 },
  };
  const s = shape[sizeId] ?? { size: "m5.2xlarge", vcpu: 8, ramGiB: 32 };
  return {
    labId: over.labId ?? "kumolab-dev",
    senderSizeId: sizeId,
    sshUser: "ubuntu",
    sshPrivateKey: senderKey.privateKeyPem,
    sinkPort: 2525,
    expiresAt: over.expiresAt ?? "2026-03-01T16:00:00.000Z",
    sender: { publicIp: "198.18.0.10", privateIp: "198.18.1.10", ...s, region: "us-west-2", hostPublicKey: senderKey.publicKey },
    sink: { publicIp: "198.19.0.20", privateIp: "198.19.1.20", size: "Standard_F8s_v2", vcpu: 8, ramGiB: 16, region: "westus2", hostPublicKey: sinkKey.publicKey },
  };
}

/** The Automation API's OutputMap shape: every output wrapped as { value, secret }. */
export function outputMap(o: object): Record<string, { value: unknown; secret: boolean }> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, { value: v as unknown, secret: k === "sshPrivateKey" }]));
}
