/**
 * Figure 1: provisioning a fresh two-host namespace lab, kumolab (provisionLab) against the peer
 * (scripted OpenSSH). A new lab per run, destroyed after, so neither benefits from the other's
 * state; the runs alternate, and which goes first alternates too. Only the provisioning itself is
 * timed (not building the lab, not checking the end state).
 */
import { spawn } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { LabHosts } from "../../scripts/hosts/lab-hosts";
import type { ProgressEvent } from "../../scripts/progress/events";
import { KUMOD_PATH, SENDER_SUBMISSION_ADDRESS } from "../../scripts/provision/lab-endpoints";
import { loadLabConfig } from "../../lab-config/load";
import { policyInputs, renderSenderPolicy, renderSinkPolicy } from "../../scripts/provision/policies";
import { port25NftRuleset } from "../../scripts/provision/port25-firewall";
import { provisionLab } from "../../scripts/provision/provision-lab";
import { createNamespaceLab, type LabHostHandle, type NamespaceLab } from "../lab/namespace-lab";
import { labHostsOf } from "../lab/namespace-lab-driver";
import { endStateProblems } from "./end-state";
import { peerProvisionScript } from "./peer-script";
import { median, ratio } from "./stats";

export type Provisioner = "ours" | "peer";

export interface ProvisionRun {
  provisioner: Provisioner;
  run: number;
  ms: number;
  /** kumolab's runs: each step as its progress reported it (host, step, ms), in finishing order. */
  steps?: Array<{ host: string; step: string; ms: number }>;
  /** The stand-in kumod's `--version` on the sender, timed on the host after the run (its caches warm). */
  kumodVersionMs?: number;
}

export interface ProvisioningFigures {
  runs: ProvisionRun[];
  oursMedianMs: number;
  peerMedianMs: number;
  /** ours ÷ peer (goal ≤ 0.5). */
  ratio: number;
  /**
   * The stand-in kumod's start-up (a node start: its `--version`, timed on the host). Both
   * provisioners wait for one kumod start before its SMTP banner; the real binary starts in ms.
   */
  medianKumodVersionMs: number;
  /** (ours − that) ÷ (peer − that): the ratio without the stand-in's start-up in either. */
  ratioWithoutKumodVersion: number;
  /** The last generated peer script, for the record. */
  peerScript: string;
}

/** The run order: ours, peer, peer, ours, ours, peer, … (alternating which goes first). */
export function alternatingOrder(runsEach: number): Provisioner[] {
  const order: Provisioner[] = [];
  for (let i = 0; i < runsEach; i++) order.push(...(i % 2 === 0 ? (["ours", "peer"] as const) : (["peer", "ours"] as const)));
  return order;
}

function runPeer(scriptPath: string, timeoutMs: number): Promise<{ code: number | null; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn("bash", [scriptPath], { stdio: ["ignore", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (b: Buffer) => (stderr += b.toString("utf8")));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      resolve({ code: -1, stderr: e.message });
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stderr });
    });
  });
}

function writePeerFiles(dir: string, lab: NamespaceLab, hosts: LabHosts): { script: string; scriptPath: string } {
  const sender = lab.hosts["sender"] as LabHostHandle;
  const sink = lab.hosts["sink"] as LabHostHandle;
  const inputs = policyInputs(hosts);
  const files = {
    knownHosts: path.join(dir, "known_hosts"),
    sinkPolicy: path.join(dir, "sink.lua"),
    senderPolicy: path.join(dir, "init.lua"),
    nft: path.join(dir, "port25.nft"),
  };
  fs.writeFileSync(files.knownHosts, `${sender.address} ${sender.hostPublicKey}\n${sink.address} ${sink.hostPublicKey}\n`);
  fs.writeFileSync(files.sinkPolicy, renderSinkPolicy(inputs));
  fs.writeFileSync(files.senderPolicy, renderSenderPolicy(inputs, loadLabConfig().config.kumomta));
  fs.writeFileSync(files.nft, port25NftRuleset());
  const script = peerProvisionScript({
    privateKeyPath: lab.client.privateKeyPath,
    knownHostsPath: files.knownHosts,
    user: hosts.sender.user,
    sender: sender.address,
    sink: sink.address,
    sinkAddressFromSender: hosts.sinkAddressFromSender,
    sinkPort: hosts.sinkPort,
    senderSubmissionPort: Number(SENDER_SUBMISSION_ADDRESS.split(":")[1]),
    sinkPolicyFile: files.sinkPolicy,
    senderPolicyFile: files.senderPolicy,
    nftFile: files.nft,
  });
  const scriptPath = path.join(dir, "peer-provision.sh");
  fs.writeFileSync(scriptPath, script, { mode: 0o755 });
  return { script, scriptPath };
}

/** Timed on the host itself (no SSH), after provisioning: the stand-in kumod's start-up, caches warm. */
async function kumodVersionMs(h: LabHostHandle): Promise<number> {
  const r = await h.exec(["bash", "-c", `s=$(date +%s%N); ${KUMOD_PATH} --version >/dev/null 2>&1; rc=$?; e=$(date +%s%N); echo "$rc $((e-s))"`], { timeoutMs: 30_000 });
  const m = /^0 (\d+)$/.exec(r.stdout.trim());
  if (!m) throw new Error(`bench: \`kumod --version\` failed on ${h.name}: ${r.stdout.trim()} ${r.stderr.trim()}`);
  return Number(m[1]) / 1e6;
}

async function oneRun(provisioner: Provisioner, cloudLike: boolean, log: (m: string) => void): Promise<{ ms: number; script: string; steps?: ProvisionRun["steps"]; kumodVersionMs?: number }> {
  const lab = await createNamespaceLab({ hosts: ["sender", "sink"], machineLogin: !cloudLike });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "kumolab-bench-peer-"));
  try {
    const hosts = labHostsOf(lab);
    const inputs = policyInputs(hosts);
    const want = { sinkPolicy: renderSinkPolicy(inputs), senderPolicy: renderSenderPolicy(inputs, loadLabConfig().config.kumomta) };
    const peer = writePeerFiles(dir, lab, hosts);
    const steps: NonNullable<ProvisionRun["steps"]> = [];
    const progress = (e: ProgressEvent): void => {
      if (e.type === "step-done") steps.push({ host: e.host ?? "", step: e.step, ms: e.ms });
    };
    const start = process.hrtime.bigint();
    if (provisioner === "ours") {
      await provisionLab(hosts, { progress, ssh: { connectDeadlineMs: 20_000, defaultCommandTimeoutMs: 60_000 } });
    } else {
      const r = await runPeer(peer.scriptPath, 180_000);
      if (r.code !== 0) throw new Error(`the peer script failed (exit ${r.code}) on lab ${lab.id}: ${r.stderr.trim().split("\n").slice(-5).join(" | ")}; the script is ${peer.scriptPath}`);
    }
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    const problems = await endStateProblems(lab.hosts["sender"] as LabHostHandle, lab.hosts["sink"] as LabHostHandle, want);
    if (problems.length > 0) throw new Error(`${provisioner} left lab ${lab.id} in the wrong state: ${problems.join("; ")}`);
    log(`  ${provisioner.padEnd(4)} ${(ms / 1000).toFixed(2)} s (end state checked)`);
    if (provisioner === "peer") return { ms, script: peer.script };
    return { ms, script: peer.script, steps, kumodVersionMs: await kumodVersionMs(lab.hosts["sender"] as LabHostHandle) };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
    await lab.destroy();
  }
}

export async function benchProvisioning(runsEach: number, cloudLike: boolean, log: (m: string) => void): Promise<ProvisioningFigures> {
  const runs: ProvisionRun[] = [];
  let peerScript = "";
  const count: Record<Provisioner, number> = { ours: 0, peer: 0 };
  for (const p of alternatingOrder(runsEach)) {
    count[p]++;
    const r = await oneRun(p, cloudLike, log);
    runs.push({ provisioner: p, run: count[p], ms: r.ms, ...(r.steps ? { steps: r.steps } : {}), ...(r.kumodVersionMs !== undefined ? { kumodVersionMs: r.kumodVersionMs } : {}) });
    peerScript = r.script;
  }
  const oursMedianMs = median(runs.filter((r) => r.provisioner === "ours").map((r) => r.ms));
  const peerMedianMs = median(runs.filter((r) => r.provisioner === "peer").map((r) => r.ms));
  const medianKumodVersionMs = median(runs.flatMap((r) => (r.kumodVersionMs !== undefined ? [r.kumodVersionMs] : [])));
  return {
    runs,
    oursMedianMs,
    peerMedianMs,
    ratio: ratio(oursMedianMs, peerMedianMs),
    medianKumodVersionMs,
    ratioWithoutKumodVersion: ratio(oursMedianMs - medianKumodVersionMs, peerMedianMs - medianKumodVersionMs),
    peerScript,
  };
}
