/**
 * Provisioning the optional generator host (lab-config/generator.ts): no kumod runs there, only
 * traffic-gen during trials. Steps, each idempotent: connect, gather facts (cloud-init done, the
 * kumomta package — which ships traffic-gen — installed, nft present), block outbound 25/465/587
 * with the same nftables table as the other hosts, and check traffic-gen is executable. The
 * port-25 proof from the generator runs afterwards (provision-lab.ts), once the sender listens.
 */
import type { ProgressSink } from "../progress/events";
import type { SshSession } from "../ssh/session";
import { TRAFFIC_GEN_PATH } from "../trial/traffic-gen-args";
import { gatherFacts, type ProvisionFacts } from "./host-facts";
import { hostStep } from "./host-step";
import { ensurePort25Table } from "./port25-firewall";
import type { ResolvedWorkload } from "../../lab-config/workloads";
import { pushBodyFileStep } from "./body-file";

export interface GeneratorProvisionResult {
  facts: ProvisionFacts;
  /** Step name → whether it changed anything on the generator. */
  changes: Record<string, boolean>;
}

export interface ProvisionGeneratorOptions {
  /** Where the steps are reported, e.g. the terminal's progress sink. Required. */
  progress: ProgressSink;
  /** How long to wait for cloud-init on a fresh VM, e.g. 600_000 (provisionLab's default). Required. */
  cloudInitTimeoutMs: number;
  /** The workload about to run: its body file is copied here. Default: none (the published workload). */
  workload?: ResolvedWorkload | undefined;
}

export async function provisionGenerator(session: SshSession, opts: ProvisionGeneratorOptions): Promise<GeneratorProvisionResult> {
  const { progress } = opts;
  const name = session.name;
  const changes: Record<string, boolean> = {};
  await hostStep(progress, name, "connect", changes, async () => {
    await session.connect();
    return { changed: false, detail: `${session.host.user}@${session.host.address}:${session.host.port}`, value: undefined };
  });
  const facts = await hostStep(progress, name, "gather facts", changes, async () => {
    const f = await gatherFacts(session, opts.cloudInitTimeoutMs);
    return { changed: false, detail: `${f.cloudInit === "absent" ? "no cloud-init" : `cloud-init ${f.cloudInit}`}, ${f.sudo === "root" ? "root" : "sudo"}`, value: f };
  });
  const firewall = hostStep(progress, name, "block outbound port 25", changes, async () => {
    const r = await ensurePort25Table(session, "block outbound port 25");
    return { changed: r.changed, detail: r.detail, value: undefined };
  });
  firewall.catch(() => undefined); // awaited below, after the check beside it
  await hostStep(progress, name, "check traffic-gen", changes, async () => {
    const step = "check traffic-gen";
    const r = await session.exec(`test -x ${TRAFFIC_GEN_PATH}`, { step, timeoutMs: 15_000 });
    if (r.code !== 0) {
      throw session.error("not-installed", step, `${TRAFFIC_GEN_PATH} is missing or not executable`, "the kumomta package ships traffic-gen: install it on the generator (its cloud-init does), then re-run");
    }
    return { changed: false, detail: TRAFFIC_GEN_PATH, value: undefined };
  });
  // A workload's body file goes where traffic-gen reads it: here, at the same path as on the sender.
  await pushBodyFileStep(progress, name, session, changes, opts.workload);
  await firewall;
  return { facts, changes };
}
