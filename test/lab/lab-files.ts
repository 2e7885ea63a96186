/**
 * Files the product reads, written for a namespace lab: a hosts inventory and a small lab config
 * (the published run's 100,000 × 100 KB at concurrency 20,000 is far beyond a 2-core test).
 */
import { writeFileSync } from "node:fs";
import path from "node:path";
import YAML from "yaml";
import { DEFAULTS_FILE, readYamlFile } from "../../lab-config/load";
import { resolveLabConfig } from "../../lab-config/resolve";
import type { LabConfig } from "../../lab-config/schema";
import type { LabHostHandle, NamespaceLab } from "./namespace-lab";
import { SINK_PORT } from "./namespace-lab-driver";

export interface SmallTraffic {
  messageCount: number;
  concurrency?: number;
  bodySize?: string;
  trials?: number;
  coolDownSeconds?: number;
}

/** The default lab config with small traffic and fast SSH deadlines. */
export function smallLabConfigObject(t: SmallTraffic): Record<string, unknown> {
  const base = readYamlFile(DEFAULTS_FILE) as Record<string, unknown>;
  return {
    ...base,
    operatorCidr: "198.18.0.0/15",
    // The namespace labs span the whole test range, wider than the /16 the config admits by default.
    allowWorldOpenOperatorCidr: true,
    sender: {
      size: "ns-1cpu",
      sizes: [
        { id: "ns-1cpu", instanceType: "ns.cpu1", vcpu: 1, ramGiB: 4, arch: "x86_64", hourlyUsd: 0.1 },
        { id: "ns-2cpu", instanceType: "ns.cpu2", vcpu: 2, ramGiB: 4, arch: "x86_64", hourlyUsd: 0.2 },
      ],
    },
    traffic: { concurrency: t.concurrency ?? 20, messageCount: t.messageCount, bodySize: t.bodySize ?? "10kb", durationCapSeconds: "auto", domains: [], headers: [], throttle: null },
    trials: { count: t.trials ?? 2, coolDownSeconds: t.coolDownSeconds ?? 1 },
    ssh: { user: "root", connectDeadlineSeconds: 20, commandTimeoutSeconds: 60 },
  };
}

export function smallLabConfig(t: SmallTraffic): LabConfig {
  return resolveLabConfig(smallLabConfigObject(t), {}, "test", "none").config;
}

export function writeSmallLabConfig(dir: string, t: SmallTraffic): string {
  const f = path.join(dir, "lab.yaml");
  writeFileSync(f, YAML.stringify(smallLabConfigObject(t)));
  return f;
}

/** An inventory of the lab's sender and sink, as an operator would write it for two machines. */
export function writeInventory(dir: string, lab: NamespaceLab, user = "root", name = "hosts.yaml"): string {
  const sender = lab.hosts["sender"] as LabHostHandle;
  const sink = lab.hosts["sink"] as LabHostHandle;
  const host = (h: LabHostHandle, size: { label: string; vcpu: number; ramGiB: number }) => ({
    address: h.address,
    port: h.sshPort,
    user,
    privateKeyPath: lab.client.privateKeyPath,
    hostKey: h.hostPublicKey,
    size,
  });
  const f = path.join(dir, name);
  writeFileSync(
    f,
    YAML.stringify({
      labId: `ns-${lab.id}`,
      sender: host(sender, { label: "namespace host", vcpu: 2, ramGiB: 4 }),
      sink: host(sink, { label: "namespace host", vcpu: 2, ramGiB: 4 }),
      sinkAddressFromSender: sink.address,
      sinkPort: SINK_PORT,
    }),
  );
  return f;
}
