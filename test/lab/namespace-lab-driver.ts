/**
 * The sweep's LabDriver over the namespace test lab. "Resizing" the sender is emulated with a
 * cgroup-v1 cpuset: the sender's processes (sshd, kumod, everything started over SSH) are confined
 * to the first `vcpu` CPUs of this machine, so `nproc` on the sender reports the size's vCPUs.
 * Test-only: product code sees only the LabDriver interface.
 *
 * With two sender slots (prefetch) the lab has a second sender host, `senderb`, from the start (the
 * sink admits both, as the cloud lab's NSG and sink.lua do); "building" or "resizing" the standby
 * slot is confining that host's CPUs and recording the size, and a swap only changes which host is
 * the sender.
 */
import { spawnSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { SenderSize } from "../../lab-config/schema";
import type { LabHost, LabHosts } from "../../scripts/hosts/lab-hosts";
import type { LabDriver, LabReady, TeardownOutcome } from "../../scripts/lab-drivers/lab-driver";
import type { ReclaimedHost, SpotChoice, SpotHost } from "../../scripts/lab-drivers/spot-reclaim";
import type { ProgressSink } from "../../scripts/progress/events";
import { createNamespaceLab, type LabHostHandle, type NamespaceLab } from "./namespace-lab";

const CPUSET_ROOT = "/sys/fs/cgroup/cpuset";

export const SINK_PORT = 2525;

function run(argv: string[]): string {
  const r = spawnSync(argv[0] as string, argv.slice(1), { encoding: "utf8", timeout: 10_000 });
  if (r.status !== 0) throw new Error(`${argv.join(" ")} failed: ${r.stderr || r.error?.message}`);
  return r.stdout;
}

export function labHostsOf(lab: NamespaceLab, user = "root"): LabHosts {
  const host = (role: "sender" | "sink", h: LabHostHandle): LabHost => ({
    role,
    name: `${role} (${h.address})`,
    address: h.address,
    port: h.sshPort,
    user,
    hostKey: { kind: "pinned", publicKey: h.hostPublicKey },
    credentials: { kind: "private-key", privateKey: lab.client.privateKey },
    size: { label: `namespace host ${h.netns}`, region: "local" },
  });
  const sender = lab.hosts["sender"];
  const sink = lab.hosts["sink"];
  if (!sender || !sink) throw new Error("the namespace lab needs hosts named sender and sink");
  return {
    labId: `ns-${lab.id}`,
    sender: host("sender", sender),
    sink: host("sink", sink),
    sinkAddressFromSender: sink.address,
    sinkPort: SINK_PORT,
    cloudFirewalls: [],
  };
}

/** Confines every process of a host's network namespace (and their future children) to `cpus` CPUs. */
export function confineHostCpus(h: LabHostHandle, cpus: number): string {
  const n = Math.max(1, Math.min(cpus, os.cpus().length));
  const dir = path.join(CPUSET_ROOT, `kumolab-${h.netns}`);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "cpuset.mems"), fs.readFileSync(path.join(CPUSET_ROOT, "cpuset.mems"), "utf8").trim());
  fs.writeFileSync(path.join(dir, "cpuset.cpus"), n === 1 ? "0" : `0-${n - 1}`);
  const pids = run(["ip", "netns", "pids", h.netns]).split(/\s+/).filter((p) => /^\d+$/.test(p));
  for (const pid of pids) {
    try {
      fs.writeFileSync(path.join(dir, "cgroup.procs"), pid);
    } catch (e) {
      // A process that exited between listing and moving is fine; anything else is not.
      if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
    }
  }
  return dir;
}

function releaseCpuset(dir: string): void {
  if (!fs.existsSync(dir)) return;
  const parent = path.join(CPUSET_ROOT, "cgroup.procs");
  for (const pid of fs.readFileSync(path.join(dir, "cgroup.procs"), "utf8").split("\n").filter(Boolean)) {
    try {
      fs.writeFileSync(parent, pid);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "ESRCH") throw e;
    }
  }
  fs.rmdirSync(dir);
}

/** cpusets of namespace hosts that no longer exist (a lab whose owner was killed). */
function reapStaleCpusets(): void {
  if (!fs.existsSync(CPUSET_ROOT)) return;
  const alive = new Set(run(["ip", "netns", "list"]).split("\n").map((l) => l.split(" ")[0]));
  for (const d of fs.readdirSync(CPUSET_ROOT)) {
    if (d.startsWith("kumolab-") && !alive.has(d.slice("kumolab-".length))) releaseCpuset(path.join(CPUSET_ROOT, d));
  }
}

type Slot = "a" | "b";
/** The namespace host of each sender slot (names: [a-z][a-z0-9]{0,9}). */
const SLOT_HOST: Record<Slot, string> = { a: "sender", b: "senderb" };

export interface NamespaceLabDriverOptions {
  /** Sender slots: 2 adds the standby host `senderb` for prefetch. Default 1. Example: 2. */
  senderSlots?: 1 | 2;
  /** The sweep's lab (`lab2`) when it runs several, named in the description. Default: none. */
  label?: string;
}

/** The pids in a host's network namespace (every process the host runs: sshd, kumod, traffic-gen, samplers). */
function hostPids(netns: string): number[] {
  return run(["ip", "netns", "pids", netns]).split(/\s+/).filter((p) => /^\d+$/.test(p)).map(Number);
}

/**
 * A simulated spot reclaim of a namespace host: every process in its network namespace is killed at
 * once (SIGKILL, no notice), as the cloud takes a Spot VM away — the trial's SSH sessions drop, kumod
 * and traffic-gen die mid-run. Bounded: up to 20 rounds.
 */
export function reclaimNamespaceHost(netns: string): number {
  let killed = 0;
  for (let round = 0; round < 20; round++) {
    const pids = hostPids(netns);
    if (pids.length === 0) break;
    for (const pid of pids) {
      try {
        process.kill(pid, "SIGKILL");
        killed++;
      } catch {
        /* exited meanwhile */
      }
    }
  }
  return killed;
}

export class NamespaceLabDriver implements LabDriver {
  readonly source = "inventory" as const;
  readonly canResize = true;
  readonly description: string;
  readonly prepareStandby?: LabDriver["prepareStandby"];
  readonly swapStandby?: LabDriver["swapStandby"];
  readonly dropStandby?: LabDriver["dropStandby"];
  private lab: NamespaceLab | undefined;
  private readonly cpusetDirs = new Set<string>();
  private active: Slot = "a";
  /** The size each slot was last "built" at (undefined: no VM in it). */
  private readonly slotSize: Record<Slot, string | undefined> = { a: undefined, b: undefined };

  constructor(private readonly options: NamespaceLabDriverOptions = {}) {
    const two = options.senderSlots === 2;
    const name = `namespace test lab${options.label !== undefined ? ` ${options.label}` : ""}`;
    this.description = two ? `${name} (two sender slots; sizes as cpusets)` : `${name} (sender resized with a cpuset)`;
    if (two) {
      this.prepareStandby = (size, opts) => this.buildStandby(size, opts);
      this.swapStandby = async (opts) => {
        const next = this.other();
        if (this.slotSize[next] === undefined) throw new Error(`namespace lab: slot ${next} holds no sender to swap in`);
        this.active = next;
        opts.progress({ type: "log", level: "info", message: `namespace lab: slot ${next} (${SLOT_HOST[next]}) is now the sender` });
        return this.hosts();
      };
      this.dropStandby = async (opts) => {
        this.slotSize[this.other()] = undefined;
        opts.progress({ type: "log", level: "info", message: `namespace lab: slot ${this.other()} emptied` });
      };
    }
  }

  private other(): Slot {
    return this.active === "a" ? "b" : "a";
  }

  /** The lab's hosts with `slot` as the sender; with two slots the sink also admits the other one. */
  private hosts(slot: Slot = this.active): LabHosts {
    const lab = this.lab;
    if (!lab) throw new Error("namespace lab: not created yet");
    if (this.options.senderSlots !== 2) return labHostsOf(lab);
    const handle = lab.hosts[SLOT_HOST[slot]] as LabHostHandle;
    const other = lab.hosts[SLOT_HOST[slot === "a" ? "b" : "a"]] as LabHostHandle;
    const base = labHostsOf(lab);
    return {
      ...base,
      sender: { ...base.sender, name: `sender ${slot} (${handle.address})`, address: handle.address, port: handle.sshPort, hostKey: { kind: "pinned", publicKey: handle.hostPublicKey }, size: { label: `namespace host ${handle.netns}`, region: "local" }, slot },
      alsoAdmitFromSink: [other.address],
    };
  }

  private async buildStandby(size: SenderSize, opts: { progress: ProgressSink }): Promise<LabReady> {
    if (!this.lab) throw new Error("namespace lab: build the lab (ensureLab) before its standby");
    const slot = this.other();
    const before = this.slotSize[slot];
    this.cpusetDirs.add(confineHostCpus(this.lab.hosts[SLOT_HOST[slot]] as LabHostHandle, size.vcpu));
    this.slotSize[slot] = size.id;
    opts.progress({ type: "log", level: "info", message: `namespace lab: standby slot ${slot} (${SLOT_HOST[slot]}) confined to ${size.vcpu} CPU(s) for size ${size.id}` });
    return { hosts: this.hosts(slot), change: before === undefined ? "created" : before === size.id ? "unchanged" : "resized" };
}

  private spot: SpotChoice = { sender: false, sink: false };
  /** Hosts to build anew (on demand) at the next ensureLab: the whole namespace lab is rebuilt. */
  private rebuild = false;

  useSpot(spot: SpotChoice): void {
    this.spot = { ...spot };
  }

  onDemand(hosts: SpotHost[]): void {
    for (const h of hosts) this.spot[h] = false;
    this.rebuild = true;
  }

  /** "The cloud": a host on spot whose namespace has no process left was reclaimed (reclaimNamespaceHost). */
  async reclaimed(): Promise<ReclaimedHost[]> {
    if (!this.lab) return [];
    const out: ReclaimedHost[] = [];
    for (const host of ["sender", "sink"] as const) {
      const h = this.lab.hosts[host === "sender" ? SLOT_HOST[this.active] : host];
      if (this.spot[host] && h && hostPids(h.netns).length === 0) out.push({ host, evidence: `namespace host ${h.netns} has no process left (simulated spot reclaim)` });
    }
    return out;
  }

  async ensureLab(size: SenderSize, opts: { progress: ProgressSink }): Promise<LabReady> {
    let change: LabReady["change"] = "unchanged";
    if (this.lab && this.rebuild) {
      // The retry on demand: a new lab, as the cloud would boot a new VM in the reclaimed one's place.
      opts.progress({ type: "log", level: "info", message: "namespace lab: rebuilding the lab on demand after a reclaim" });
      await this.lab.destroy();
      this.lab = undefined;
      for (const dir of this.cpusetDirs) releaseCpuset(dir);
      this.cpusetDirs.clear();
      this.active = "a";
      this.slotSize.a = undefined;
      this.slotSize.b = undefined;
    }
    this.rebuild = false;
    if (!this.lab) {
      const names = this.options.senderSlots === 2 ? [SLOT_HOST.a, SLOT_HOST.b, "sink"] : ["sender", "sink"];
      opts.progress({ type: "log", level: "info", message: `namespace lab: creating hosts ${names.join(", ")}` });
      this.lab = await createNamespaceLab({ hosts: names });
      reapStaleCpusets(); // after create: it reaped the namespaces of labs whose owner died
      change = "created";
    } else {
      change = "resized";
    }
    const sender = this.lab.hosts[SLOT_HOST[this.active]] as LabHostHandle;
    this.cpusetDirs.add(confineHostCpus(sender, size.vcpu));
    this.slotSize[this.active] = size.id;
    opts.progress({ type: "log", level: "info", message: `namespace lab: sender confined to ${size.vcpu} CPU(s) for size ${size.id}` });
    return { hosts: this.hosts(), change };
  }

  async existingLab(): Promise<LabHosts | undefined> {
    return this.lab ? this.hosts() : undefined;
  }

  async recover(): Promise<void> {
    // Nothing half-done to clear: creating the namespace lab is one call.
  }

  async teardown(opts: { progress: ProgressSink }): Promise<TeardownOutcome> {
    if (!this.lab) return { ok: true, detail: "no namespace lab was created" };
    const id = this.lab.id;
    // The lab first (its processes end), then its now-empty cpuset.
    await this.lab.destroy();
    this.lab = undefined;
    for (const dir of this.cpusetDirs) releaseCpuset(dir);
    this.cpusetDirs.clear();
    opts.progress({ type: "log", level: "info", message: `namespace lab ${id} destroyed` });
    return { ok: true, detail: `namespace lab ${id} destroyed` };
  }
}
