/**
 * The lab's SSH keys, generated at `pulumi up` and kept in state as secrets:
 * one login key for both VMs, and one host key per VM. The host keys are installed by cloud-init,
 * so the scripts pin each host's key from the stack outputs instead of trusting it on first use.
 */
import * as pulumi from "@pulumi/pulumi";
import * as tls from "@pulumi/tls";

export interface SshKeyPair {
  /** OpenSSH private key (secret). */
  privateKeyOpenssh: pulumi.Output<string>;
  /** `ssh-ed25519 AAAA…` */
  publicKeyOpenssh: pulumi.Output<string>;
  /** PEM private key (secret), for signing the lab clock record. */
  privateKeyPem: pulumi.Output<string>;
}

function ed25519(name: string, parent: pulumi.Resource, created: tls.PrivateKey[]): SshKeyPair {
  const key = new tls.PrivateKey(name, { algorithm: "ED25519" }, { parent, additionalSecretOutputs: ["privateKeyOpenssh", "privateKeyPem", "privateKeyPemPkcs8"] });
  created.push(key);
  return {
    privateKeyOpenssh: pulumi.secret(key.privateKeyOpenssh),
    // Trailing newline and comment vary by provider version; pin exactly "type base64".
    publicKeyOpenssh: key.publicKeyOpenssh.apply((k) => k.trim()),
    privateKeyPem: pulumi.secret(key.privateKeyPem),
  };
}

export class LabSshKeys extends pulumi.ComponentResource {
  /** Login key of `ssh.user` on both VMs. */
  readonly login: SshKeyPair;
  readonly senderHost: SshKeyPair;
  readonly sinkHost: SshKeyPair;
  /** The generator host's key, when the lab has one (lab-config/generator.ts). */
  readonly generatorHost: SshKeyPair | undefined;
  /** The tls resources behind the keys. */
  readonly resources: tls.PrivateKey[] = [];

  /** `withGenerator`: also a host key for the generator host. Default false. */
  constructor(name: string, opts?: pulumi.ComponentResourceOptions, withGenerator = false) {
    super("kumolab:lab:SshKeys", name, {}, opts);
    this.login = ed25519(`${name}-login`, this, this.resources);
    this.senderHost = ed25519(`${name}-sender-host`, this, this.resources);
    this.sinkHost = ed25519(`${name}-sink-host`, this, this.resources);
    this.generatorHost = withGenerator ? ed25519(`${name}-generator-host`, this, this.resources) : undefined;
    this.registerOutputs({});
  }
}
