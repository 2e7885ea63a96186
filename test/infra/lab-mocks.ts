/**
 * Pulumi mocks for the lab program: records every resource's type, name and inputs, and answers
 * with the provider-computed fields the program reads (IPs, ids, keys, the clock). Deterministic:
 * the same inputs give the same answers, so two runs can be compared field by field.
 * Addresses are in 198.18.0.0/15 (the house's test range); nothing here touches a network.
 */
import * as pulumi from "@pulumi/pulumi";

export interface RecordedResource {
  type: string;
  name: string;
  /** Inputs with secrets unwrapped. */
  inputs: Record<string, unknown>;
  /** Dotted paths of the inputs that arrived as secrets (e.g. `osProfile.customData`). */
  secretPaths: string[];
  provider: string | undefined;
}

/** How the SDK marks a secret on the wire (@pulumi/pulumi runtime/rpc: specialSigKey/specialSecretSig). */
const SIG_KEY = "4dabf18193072939515e22adb298388d";
const SECRET_SIG = "1b47061264138c4ac30d75fd1eb44270";

function unwrapSecrets(v: unknown, path: string, found: string[]): unknown {
  if (Array.isArray(v)) return v.map((x, i) => unwrapSecrets(x, path ? `${path}.${i}` : String(i), found));
  if (v !== null && typeof v === "object") {
    const o = v as Record<string, unknown>;
    if (o[SIG_KEY] === SECRET_SIG) {
      found.push(path);
      return unwrapSecrets(o["value"], path, found);
    }
    return Object.fromEntries(Object.entries(o).map(([k, x]) => [k, unwrapSecrets(x, path ? `${path}.${k}` : k, found)]));
  }
  return v;
}

export interface RecordedCall {
  token: string;
  inputs: Record<string, unknown>;
}

export const MOCK_SENDER_EIP = "198.18.10.10";
export const MOCK_SINK_IP = "198.19.20.20";
/** The standby sender slot's Elastic IP (prefetch: `sender-net-sender-b-eip`). */
export const MOCK_STANDBY_EIP = "198.18.10.11";
export const MOCK_SENDER_PRIVATE_IP = "10.42.1.10";
export const MOCK_SINK_PRIVATE_IP = "10.43.1.4";
export const MOCK_CREATED_AT = "2026-03-01T12:00:00Z";
export const MOCK_ZONES = ["us-west-2a", "us-west-2b"] as const;
export const MOCK_VCPU_QUOTA = 64;
/** The spool volume's id as EC2 gives it (vol- and 17 hex digits): the boot script finds its device by it. */
export const MOCK_SPOOL_VOLUME_ID = "vol-0a1b2c3d4e5f67890";
/** Prefetch's slot b has its own spool volume (an EBS volume attaches to one instance). */
export const MOCK_SPOOL_VOLUME_ID_B = "vol-0b0b0b0b0b0b0b0b0";
export const MOCK_AMI = { x86_64: "ami-0123456789abcdef0", arm64: "ami-0fedcba9876543210" } as const;

/** A fake but well-formed OpenSSH ed25519 key pair, distinct per key name. */
export function fakeKey(name: string): { publicKeyOpenssh: string; privateKeyOpenssh: string; privateKeyPem: string } {
  const b64 = Buffer.from(`fake-ed25519-${name}`).toString("base64");
  return {
    publicKeyOpenssh: `ssh-ed25519 AAAAC3NzaC1lZDI1NTE5${b64}\n`,
    privateKeyOpenssh: `-----BEGIN OPENSSH PRIVATE KEY-----\n${b64}\n-----END OPENSSH PRIVATE KEY-----\n`,
    privateKeyPem: `-----BEGIN PRIVATE KEY-----\n${b64}\n-----END PRIVATE KEY-----\n`,
  };
}

function computed(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  switch (type) {
    case "tls:index/privateKey:PrivateKey":
      return fakeKey(name);
    case "tls:index/selfSignedCert:SelfSignedCert":
      return { validityStartTime: MOCK_CREATED_AT, certPem: "-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n" };
    case "aws:ec2/eip:Eip":
      return { publicIp: name.endsWith("sender-b-eip") ? MOCK_STANDBY_EIP : MOCK_SENDER_EIP, allocationId: `eipalloc-${name}` };
    case "aws:ec2/instance:Instance":
      return { privateIp: MOCK_SENDER_PRIVATE_IP, arn: `arn:aws:ec2:::instance/${name}` };
    case "aws:ec2/subnet:Subnet":
      // AWS picks a zone when the program names none.
      return { availabilityZone: inputs["availabilityZone"] ?? MOCK_ZONES[0] };
    case "aws:ec2/keyPair:KeyPair":
      return { keyName: `${name}-keyname` };
    case "azure-native:resources:ResourceGroup":
      return { name: `${name}-rgname` };
    case "azure-native:network:VirtualNetwork":
      return { name: `${name}-vnetname` };
    case "azure-native:compute:VirtualMachine":
      return { name: `${name}-vmname` };
    case "azure-native:network:PublicIPAddress":
      return { ipAddress: MOCK_SINK_IP };
    case "azure-native:network:NetworkInterface": {
      const configs = Array.isArray(inputs["ipConfigurations"]) ? (inputs["ipConfigurations"] as Record<string, unknown>[]) : [];
      return { ipConfigurations: configs.map((c) => ({ ...c, privateIPAddress: MOCK_SINK_PRIVATE_IP })) };
    }
    default:
      return {};
  }
}

export class LabMocks implements pulumi.runtime.Mocks {
  readonly resources: RecordedResource[] = [];
  readonly calls: RecordedCall[] = [];

  newResource(args: pulumi.runtime.MockResourceArgs): pulumi.runtime.MockResourceResult {
    const secretPaths: string[] = [];
    const inputs = unwrapSecrets(args.inputs, "", secretPaths) as Record<string, unknown>;
    this.resources.push({ type: args.type, name: args.name, inputs, secretPaths, provider: args.provider });
    return { id: args.type === "aws:ebs/volume:Volume" ? (args.name.startsWith("sender-spool-b") ? MOCK_SPOOL_VOLUME_ID_B : MOCK_SPOOL_VOLUME_ID) : `${args.name}-id`, state: { ...inputs, ...computed(args.type, args.name, inputs) } };
  }

  call(args: pulumi.runtime.MockCallArgs): pulumi.runtime.MockCallResult {
    const inputs = args.inputs as Record<string, unknown>;
    this.calls.push({ token: args.token, inputs });
    if (args.token === "aws:ec2/getAmi:getAmi") {
      const filters = (inputs["filters"] ?? []) as { name: string; values: string[] }[];
      const arch = filters.find((f) => f.name === "architecture")?.values[0];
      if (arch !== "x86_64" && arch !== "arm64") throw new Error(`getAmi mock: no architecture filter in ${JSON.stringify(inputs)}`);
      return { id: MOCK_AMI[arch], imageId: MOCK_AMI[arch], architecture: arch, name: "ubuntu-mock" };
    }
    if (args.token === "aws:ec2/getInstanceTypeOfferings:getInstanceTypeOfferings") {
      // The preflight's zone look-up: every requested type offered in two zones (parallel lists, as the provider returns them).
      const filters = (inputs["filters"] ?? []) as { name: string; values: string[] }[];
      const types = filters.find((f) => f.name === "instance-type")?.values ?? [];
      const zones = MOCK_ZONES.flatMap((zone) => types.map((t) => ({ zone, t })));
      return { id: "offerings", instanceTypes: zones.map((z) => z.t), locations: zones.map((z) => z.zone), locationTypes: zones.map(() => "availability-zone"), region: "us-west-2" };
    }
    if (args.token === "aws:servicequotas/getServiceQuota:getServiceQuota") {
      return { id: "quota", value: MOCK_VCPU_QUOTA, quotaCode: inputs["quotaCode"], serviceCode: "ec2", adjustable: true, defaultValue: 5, globalQuota: false, quotaName: "Running On-Demand Standard instances", region: "us-west-2", serviceName: "Amazon EC2", arn: "arn", usageMetrics: [] };
    }
    throw new Error(`unexpected invoke ${args.token}`);
  }

  ofType(type: string): RecordedResource[] {
    return this.resources.filter((r) => r.type === type);
  }

  one(type: string): RecordedResource {
    const found = this.ofType(type);
    if (found.length !== 1) throw new Error(`expected one ${type}, found ${found.length}: ${found.map((r) => r.name).join(", ")}`);
    return found[0] as RecordedResource;
  }
}

/** Resolves an Output under mocks (preview off, so every value is known). */
export function valueOf<T>(o: pulumi.Input<T>): Promise<T> {
  return new Promise((resolve) => pulumi.output(o).apply((v) => resolve(v as T)));
}

/** Installs fresh mocks; the program must be run after this. */
export async function installMocks(stack = "test"): Promise<LabMocks> {
  const mocks = new LabMocks();
  await pulumi.runtime.setMocks(mocks, "kumolab", stack, false);
  return mocks;
}
