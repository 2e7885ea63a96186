/**
 * The lab as a Pulumi stack, driven by the Automation API (local program in infra/).
 * Everything it does to Pulumi goes through the narrow `StackApi` seam, so the calls it makes
 * (config per size, up/destroy/cancel/refresh, backend) are testable with a fake.
 */
import { LocalWorkspace, type Stack } from "@pulumi/pulumi/automation";
import path from "node:path";
import { PROJECT_DIR } from "../../lab-config/load";
import type { SenderSize } from "../../lab-config/schema";
import { backendUrl, assertSecretsProviderReady } from "../cloud/backend";
import { progressFromEngineEvent } from "../cloud/engine-events";
import { pulumiCommand } from "../cloud/pulumi-cli";
import { hostsFromStackOutputs } from "../hosts/from-stack";
import type { LabHosts } from "../hosts/lab-hosts";
import type { ProgressSink } from "../progress/events";
import type { LabDriver, LabReady, TeardownOutcome } from "./lab-driver";
import { ec2SpotLaunchRefusal, reclaimedHosts, type ReclaimedHost, type ReclaimProbe, type ReclaimTargets, type SpotChoice, type SpotHost } from "./spot-reclaim";
import { z } from "zod";
import { labIdFor } from "../../infra/tags";
import { labWorkspaceEnv } from "./lab-workspace";
import { awsShortId, CLOUD_TYPE_OF, manualRemoval, type CloudInventory, type TaggedResource } from "../cloud/cloud-inventory";

/** How long the look-up and removal of orphans (pending creates) may take before the teardown goes on without them. */
export const ORPHAN_DEADLINE_MS = 15 * 60_000;

const stateSchema = z.object({
  deployment: z
    .object({
      resources: z.array(z.object({ urn: z.string().optional(), type: z.string().optional(), id: z.string().optional() }).loose()).optional(),
      pending_operations: z
        .array(z.object({ type: z.string(), resource: z.object({ urn: z.string(), type: z.string(), id: z.string().optional(), inputs: z.record(z.string(), z.unknown()).optional() }).loose() }).loose())
        .optional()
        .nullable(),
    })
    .loose()
    .optional(),
});

/** An operation an interrupted update started and never finished: a create of a resource the state does not hold. */
export interface PendingCreate {
  urn: string;
  type: string;
  /** The AWS `Name` tag the program gave it, when it has one (narrows the look-up). */
  nameTag: string | undefined;
}

/** The pending creates and the cloud ids already in state, from an exported deployment. */
export function pendingCreatesOf(exported: unknown): { pending: PendingCreate[]; idsInState: Set<string> } {
  const parsed = stateSchema.parse(exported);
  const pending = (parsed.deployment?.pending_operations ?? [])
    .filter((op) => op.type === "creating")
    .map((op): PendingCreate => {
      const tags = op.resource.inputs?.["tags"];
      const name = tags !== null && typeof tags === "object" ? (tags as Record<string, unknown>)["Name"] : undefined;
      return { urn: op.resource.urn, type: op.resource.type, nameTag: typeof name === "string" ? name : undefined };
    });
  const idsInState = new Set((parsed.deployment?.resources ?? []).flatMap((r) => (r.id === undefined ? [] : [r.id])));
  return { pending, idsInState };
}

/** The lab id a URN's project and stack give (`urn:pulumi:<stack>::<project>::…`), as the program derives it. */
export function labIdOfUrn(urn: string): string | undefined {
  const m = /^urn:pulumi:([^:]+)::([^:]+)::/.exec(urn);
  return m?.[1] !== undefined && m[2] !== undefined ? labIdFor(m[2], m[1]) : undefined;
}

/** The part of an Automation API Stack the lab uses. */
export type StackApi = Pick<Stack, "name" | "setConfig" | "up" | "outputs" | "cancel" | "refresh" | "destroy" | "exportStack">;

export const SIZE_CONFIG_KEY = "kumolab:sender.size";
export const OPERATOR_CIDR_CONFIG_KEY = "kumolab:operatorCidr";
export const TTL_CONFIG_KEY = "kumolab:lab.ttlHours";
/** Prefetch's keys (lab-config/schema.ts, `sender.*`): how many slots, which is active, the standby's size. */
export const SLOTS_CONFIG_KEY = "kumolab:sender.slots";
export const ACTIVE_SLOT_CONFIG_KEY = "kumolab:sender.activeSlot";
export const STANDBY_SIZE_CONFIG_KEY = "kumolab:sender.standbySize";
/** The spot choice per host in the stack's config (lab-config/schema.ts `spot`). */
export const SPOT_CONFIG_KEYS: Record<SpotHost, string> = { sender: "kumolab:spot.sender", sink: "kumolab:spot.sink" };
/** How long the look at the clouds after a failed spot trial may take (a Pulumi engine start and two reads). */
export const RECLAIM_PROBE_TIMEOUT_MS = 120_000;

/** kumolab's CrossGuard pack (policy-pack/): passed to every `up` unless explicitly turned off. */
export const POLICY_PACK_DIR = path.join(PROJECT_DIR, "policy-pack");

export interface PulumiLabDriverOptions {
  /**
   * Policy packs for every `up` (UpOptions.policyPacks). Default: `[POLICY_PACK_DIR]`.
   * `[]` turns the guard rails off (the sweep's `--no-policy-pack`); the driver says so in its description.
   */
  policyPacks?: readonly string[];
  /**
   * When the lab config says `operatorCidr: auto`: looks the operator's address up (once per lab)
   * so that it is stored in the stack's config before the first `up`. Default: none (the config
   * already names a range).
   */
  lookupOperatorCidr?: () => Promise<string>;
  /**
   * The clouds looked up by tag: recovery finds there what an interrupted update created but never
   * recorded (pending creates) and removes it. Absent: pending creates are listed, not looked up.
   */
  inventory?: CloudInventory;
  /**
   * Sender slots of the lab: 2 gives it a standby slot for prefetch (README "Prefetch"), stored in
   * the stack's config before the first `up`, and the driver then offers prepareStandby /
   * swapStandby / dropStandby. Default 1 (the sender is resized in place). Example: 2.
   */
  senderSlots?: 1 | 2;
  /**
   * Looks at the hosts on spot after a failed trial (EC2 state reason, Azure instance view):
   * scripts/cloud/pulumi-reclaim-probe.ts. Absent: a failed spot trial cannot be told from an
   * ordinary failure, and the driver says so. Default: none.
   */
  reclaimProbe?: ReclaimProbe;
}

/**
 * Opens (creating if needed) the stack in the local program, on the chosen backend. `workDir`: a
 * lab's own workspace (./lab-workspace.ts) so that labs of a parallel sweep open at once; default the
 * project folder.
 */
export async function openStack(stackName: string, backend?: string, opts: { workDir?: string } = {}): Promise<StackApi> {
  const url = backendUrl(backend);
  assertSecretsProviderReady(url);
  const cmd = await pulumiCommand();
  const workDir = opts.workDir ?? PROJECT_DIR;
  return LocalWorkspace.createOrSelectStack(
    { stackName, workDir },
    { pulumiCommand: cmd, envVars: { PULUMI_BACKEND_URL: url, ...(workDir === PROJECT_DIR ? {} : labWorkspaceEnv()) } },
  );
}

function plainOutputs(map: Record<string, { value: unknown }>): Record<string, unknown> {
  return Object.fromEntries(Object.entries(map).map(([k, v]) => [k, v.value]));
}

export class PulumiLabDriver implements LabDriver {
  readonly source = "stack" as const;
  readonly canResize = true;
  readonly description: string;
  /** Set once this driver (not an earlier run) may have created resources. */
  private touched = false;
  private readonly policyPacks: string[];
  private operatorCidrStored = false;
  private ttlHoursToStore: number | undefined;
  /** The hosts on spot as the next `up` builds them (stored in the stack's config before it). */
  private spot: SpotChoice = { sender: false, sink: false };
  private spotToStore: SpotChoice | undefined;
  /** What recovery could not do (a failed refresh, an unreadable state): reported with the teardown. */
  private readonly recoveryProblems: string[] = [];
  /** Resources recovery knows exist (or may exist) outside the state: each with its cloud id, and how to remove it. */
  private readonly orphans: Array<{ what: string; howToRemove: string }> = [];
  readonly prepareStandby?: LabDriver["prepareStandby"];
  readonly swapStandby?: LabDriver["swapStandby"];
  readonly dropStandby?: LabDriver["dropStandby"];
  /** Prefetch state, as stored in the stack's config: the active slot, its size and the standby's. */
  private slots: { stored: boolean; active: "a" | "b"; activeSizeId: string | undefined; standbySizeId: string | null; standbyHosts: LabHosts | undefined } = {
    stored: false,
    active: "a",
    activeSizeId: undefined,
    standbySizeId: null,
    standbyHosts: undefined,
  };

  constructor(
    private readonly stack: StackApi,
    backend: string,
    private readonly options: PulumiLabDriverOptions = {},
  ) {
    this.policyPacks = [...(options.policyPacks ?? [POLICY_PACK_DIR])];
    this.description = `stack ${stack.name} (${backend})${this.policyPacks.length === 0 ? ", guard rails OFF (no policy pack)" : ""}`;
    if (options.senderSlots === 2) {
      this.prepareStandby = (size, opts) => this.buildStandby(size, opts);
      this.swapStandby = (opts) => this.swap(opts);
      this.dropStandby = (opts) => this.removeStandby(opts);
    }
  }

  /** Two slots: stored once before the first `up`; the slot state is read from the stack's last outputs (a resumed lab may be on slot b). */
  private async storeSlots(before: Record<string, unknown>): Promise<void> {
    if (this.options.senderSlots !== 2 || this.slots.stored) return;
    const slot = before["senderSlot"];
    const standby = before["standby"] as { sizeId?: unknown } | undefined;
    if (slot === "a" || slot === "b") this.slots.active = slot;
    this.slots.standbySizeId = typeof standby?.sizeId === "string" ? standby.sizeId : null;
    await this.stack.setConfig(SLOTS_CONFIG_KEY, { value: "2" });
    this.slots.stored = true;
  }

  private async up(progress: ProgressSink, signal: AbortSignal): Promise<Record<string, unknown>> {
    this.touched = true;
    const run = () =>
      this.stack.up({
        ...(this.policyPacks.length > 0 ? { policyPacks: this.policyPacks } : {}),
        signal,
        onEvent: (e) => {
          const p = progressFromEngineEvent(e);
          if (p) progress(p);
        },
      });
    let result: Awaited<ReturnType<typeof run>>;
    try {
      result = await run();
    } catch (e) {
      // EC2 cannot start the spot sender now (no spot capacity, the account's spot limit): once, on demand.
      const refusal = this.spot.sender && !signal.aborted ? ec2SpotLaunchRefusal((e as Error).message) : undefined;
      if (refusal === undefined) throw e;
      progress({ type: "log", level: "warn", message: `spot: EC2 could not start the sender on spot (${refusal}); starting it on demand — it stays on demand for this sweep` });
      this.onDemand(["sender"]);
      await this.storeSpot(progress);
      result = await run();
    }
    return plainOutputs(result.outputs);
  }

  /** The standby slot built or resized at `size` (one `up`; the active sender and the sink do not change). */
  private async buildStandby(size: SenderSize, opts: { progress: ProgressSink; signal: AbortSignal }): Promise<LabReady> {
    const previous = this.slots.standbySizeId;
    await this.stack.setConfig(STANDBY_SIZE_CONFIG_KEY, { value: size.id });
    this.slots.standbySizeId = size.id;
    const outputs = await this.up(opts.progress, opts.signal);
    const hosts = hostsFromStackOutputs(outputs, "standby");
    this.slots.standbyHosts = hosts;
    return { hosts, change: previous === null ? "created" : previous === size.id ? "unchanged" : "resized" };
  }

  /**
   * The standby becomes the active sender: only the stack's config changes (which slot is active, and
   * the two sizes trade keys), so no resource changes and no `up` is needed; the next `up` (the next
   * standby, or its removal) finds the same slot sizes.
   */
  private async swap(opts: { progress: ProgressSink }): Promise<LabHosts> {
    const hosts = this.slots.standbyHosts;
    const standbySize = this.slots.standbySizeId;
    const activeSize = this.slots.activeSizeId;
    if (hosts === undefined || standbySize === null || activeSize === undefined) throw new Error(`stack ${this.stack.name}: no standby sender was prepared, so there is nothing to swap in`);
    const next = this.slots.active === "a" ? "b" : "a";
    await this.stack.setConfig(ACTIVE_SLOT_CONFIG_KEY, { value: next });
    await this.stack.setConfig(SIZE_CONFIG_KEY, { value: standbySize });
    await this.stack.setConfig(STANDBY_SIZE_CONFIG_KEY, { value: activeSize });
    this.slots = { ...this.slots, active: next, activeSizeId: standbySize, standbySizeId: activeSize, standbyHosts: undefined };
    opts.progress({ type: "log", level: "info", message: `stack ${this.stack.name}: sender slot ${next} (${standbySize}) is now the active sender; slot ${next === "a" ? "b" : "a"} (${activeSize}) the standby` });
    return hosts;
  }

  /** The standby slot's VM removed (its address and interface stay: the sink's firewall does not change). */
  private async removeStandby(opts: { progress: ProgressSink; signal: AbortSignal }): Promise<void> {
    await this.stack.setConfig(STANDBY_SIZE_CONFIG_KEY, { value: "null" });
    this.slots.standbySizeId = null;
    this.slots.standbyHosts = undefined;
    await this.up(opts.progress, opts.signal);
  }

  /** `auto` → the looked-up /32, stored once in the stack's config (visible in `pulumi config`; changed only on request). */
  private async storeOperatorCidr(progress: ProgressSink): Promise<void> {
    const lookup = this.options.lookupOperatorCidr;
    if (lookup === undefined || this.operatorCidrStored) return;
    const cidr = await lookup();
    await this.stack.setConfig(OPERATOR_CIDR_CONFIG_KEY, { value: cidr });
    this.operatorCidrStored = true;
    progress({
      type: "log",
      level: "info",
      message: `operator address ${cidr} stored in stack ${this.stack.name}'s config (${OPERATOR_CIDR_CONFIG_KEY}); later runs keep it: change it with 'npx pulumi config set ${OPERATOR_CIDR_CONFIG_KEY} <cidr> --stack ${this.stack.name}'`,
    });
  }

  async existingLab(): Promise<LabHosts | undefined> {
    const outputs = plainOutputs(await this.stack.outputs());
    if (Object.keys(outputs).length === 0) return undefined;
    return hostsFromStackOutputs(outputs);
  }

  /**
   * Raises the lab's TTL (lab.ttlHours in the stack's config) before the next `up`, when the sweep's
   * plan runs past it (scripts/sweep/lab-ttl.ts decides and says so in the plan). Tags and the VMs'
   * self-termination follow at that `up`.
   */
  extendTtl(hours: number): void {
    this.ttlHoursToStore = hours;
  }

  private async storeTtl(progress: ProgressSink): Promise<void> {
    const hours = this.ttlHoursToStore;
    if (hours === undefined) return;
    await this.stack.setConfig(TTL_CONFIG_KEY, { value: String(hours) });
    this.ttlHoursToStore = undefined;
    progress({ type: "log", level: "info", message: `lab.ttlHours set to ${hours} in stack ${this.stack.name}'s config (${TTL_CONFIG_KEY}) so that the lab outlives the sweep's plan` });
  }

  /** `--spot`: the hosts on spot from the next `up` (stored in the stack's config, so a hand-run `up` keeps them). */
  useSpot(spot: SpotChoice): void {
    this.spot = { ...spot };
    this.spotToStore = { ...spot };
  }

  /** The retry of a reclaimed size: these hosts on demand from the next `up` (which replaces them: infra/capacity.ts). */
  onDemand(hosts: SpotHost[]): void {
    for (const h of hosts) this.spot[h] = false;
    this.spotToStore = { ...this.spot };
  }

  private async storeSpot(progress: ProgressSink): Promise<void> {
    const spot = this.spotToStore;
    if (spot === undefined) return;
    for (const h of ["sender", "sink"] as const) await this.stack.setConfig(SPOT_CONFIG_KEYS[h], { value: String(spot[h]) });
    this.spotToStore = undefined;
    progress({ type: "log", level: "info", message: `capacity: sender ${spot.sender ? "spot" : "on demand"}, sink ${spot.sink ? "spot (where its size and location offer it)" : "on demand"} (stack ${this.stack.name}: ${SPOT_CONFIG_KEYS.sender}, ${SPOT_CONFIG_KEYS.sink})` });
  }

  /** After a failed trial: the hosts on spot the clouds reclaimed (bounded; a failed look-up is said and counts as none). */
  async reclaimed(opts: { progress: ProgressSink; signal: AbortSignal }): Promise<ReclaimedHost[]> {
    if (!this.spot.sender && !this.spot.sink) return [];
    const probe = this.options.reclaimProbe;
    if (probe === undefined) {
      opts.progress({ type: "log", level: "warn", message: "spot: no way to look at the clouds here, so this failure cannot be told from a reclaim; recorded as an ordinary failure" });
      return [];
    }
    try {
      const outputs = plainOutputs(await this.stack.outputs());
      const signal = AbortSignal.any([opts.signal, AbortSignal.timeout(RECLAIM_PROBE_TIMEOUT_MS)]);
      // Bounded even if the probe does not honour its signal.
      const seen = await Promise.race([
        probe.observe(await this.reclaimTargets(outputs), { signal }),
        new Promise<never>((_, reject) => {
          const stop = () => reject(new Error(opts.signal.aborted ? "the sweep was interrupted" : `no answer within ${RECLAIM_PROBE_TIMEOUT_MS / 1000} s`));
          if (signal.aborted) stop();
          else signal.addEventListener("abort", stop, { once: true });
        }),
      ]);
      return reclaimedHosts(this.spot, seen, new Date(), typeof outputs["expiresAt"] === "string" ? outputs["expiresAt"] : undefined);
    } catch (e) {
      opts.progress({ type: "log", level: "warn", message: `spot: could not look at the clouds (${(e as Error).message.split("\n")[0] ?? ""}); recorded as an ordinary failure — check the EC2 and Azure consoles for an interruption` });
      return [];
    }
  }

  /** The ids of the VMs on spot, from the stack's state (the sender's region from its outputs). */
  private async reclaimTargets(outputs: Record<string, unknown>): Promise<ReclaimTargets> {
    const resources = ((await this.stack.exportStack()).deployment as { resources?: Array<{ type?: string; id?: string; urn?: string }> } | undefined)?.resources ?? [];
    const idOf = (type: string, urnPart = "") => resources.find((r) => r.type === type && typeof r.id === "string" && r.id !== "" && (r.urn ?? "").includes(urnPart))?.id;
    // With prefetch's two slots, the measured sender is the active slot's instance (infra/aws-sender.ts names slot b `sender-b-instance-<arch>`).
    const instanceId = idOf("aws:ec2/instance:Instance", outputs["senderSlot"] === "b" ? "::sender-b-instance-" : "::sender-instance-");
    const region = (outputs["sender"] as { region?: unknown } | undefined)?.region;
    const vmId = idOf("azure-native:compute:VirtualMachine");
    return {
      ...(this.spot.sender && instanceId !== undefined && typeof region === "string" ? { sender: { instanceId, region } } : {}),
      ...(this.spot.sink && vmId !== undefined ? { sink: { vmId } } : {}),
    };
  }

  async ensureLab(size: SenderSize, opts: { progress: ProgressSink; signal: AbortSignal }): Promise<LabReady> {
    const before = plainOutputs(await this.stack.outputs());
    const previousSize = typeof before["senderSizeId"] === "string" ? before["senderSizeId"] : undefined;
    await this.storeOperatorCidr(opts.progress);
    await this.storeTtl(opts.progress);
    await this.storeSlots(before);
    await this.storeSpot(opts.progress);
    await this.stack.setConfig(SIZE_CONFIG_KEY, { value: size.id });
    this.slots.activeSizeId = size.id;
    const hosts = hostsFromStackOutputs(await this.up(opts.progress, opts.signal));
    const change = previousSize === undefined ? "created" : previousSize === size.id ? "unchanged" : "resized";
    return { hosts, change };
  }

  /**
   * After an interrupted update: release the lock, then forget operations that never finished, so
   * that destroy sees what really exists. Never throws: what fails is reported (progress, and the
   * teardown's outcome) and the destroy runs anyway. Before the pending creates are cleared, the
   * state is exported and each is looked up in the clouds by the lab's tags: found ones are removed,
   * the others listed.
   */
  async recover(opts: { progress: ProgressSink }): Promise<void> {
    const { progress } = opts;
    try {
      await this.stack.cancel();
    } catch (e) {
      progress({ type: "log", level: "info", message: `pulumi cancel: ${firstLine(e)} (nothing to cancel is fine)` });
    }
    let pending: PendingCreate[] = [];
    let idsInState = new Set<string>();
    let stateRead = false;
    try {
      ({ pending, idsInState } = pendingCreatesOf(await this.stack.exportStack()));
      stateRead = true;
    } catch (e) {
      this.problem(progress, `could not export stack ${this.stack.name}'s state to check for pending creates (${firstLine(e)}); pending creates are kept, not cleared`);
    }
    try {
      await this.stack.refresh({
        // Cleared only once they are known: a create nobody looked at is never forgotten silently.
        clearPendingCreates: stateRead,
        onEvent: (e) => {
          const p = progressFromEngineEvent(e);
          if (p) progress(p);
        },
      });
    } catch (e) {
      this.problem(progress, `recovery: 'pulumi refresh' of stack ${this.stack.name} failed (${firstLine(e)}); the destroy runs anyway`);
    }
    if (pending.length > 0) await this.resolvePendingCreates(pending, idsInState, progress);
  }

  private problem(progress: ProgressSink, message: string): void {
    this.recoveryProblems.push(message);
    progress({ type: "log", level: "warn", message });
  }

  /** Each pending create: found by tag (labId, type, Name) and removed, or listed with its id. */
  private async resolvePendingCreates(pending: PendingCreate[], idsInState: Set<string>, progress: ProgressSink): Promise<void> {
    const labId = labIdOfUrn(pending[0]?.urn ?? "") ?? "(unknown)";
    const inventory = this.options.inventory;
    progress({ type: "log", level: "warn", message: `${pending.length} pending create(s) in stack ${this.stack.name} (an interrupted update): ${pending.map((p) => p.urn).join(", ")}` });
    if (inventory === undefined) {
      for (const p of pending) {
        this.orphans.push({
          what: `${p.type} ${p.urn} — created or not, it is not in the state (pending create)`,
          howToRemove: `look it up by tag labId=${labId}${p.nameTag !== undefined ? ` Name=${p.nameTag}` : ""} ('npm run gc' lists kumolab's resources in the clouds) and delete it`,
        });
      }
      return;
    }
    const signal = AbortSignal.timeout(ORPHAN_DEADLINE_MS);
    let found: TaggedResource[];
    try {
      found = (await inventory.list({ labId, signal })).resources;
    } catch (e) {
      for (const p of pending) {
        this.orphans.push({ what: `${p.type} ${p.urn} — pending create, not looked up (${firstLine(e)})`, howToRemove: `run 'npm run gc' to list lab ${labId}'s resources in the clouds` });
      }
      return;
    }
    const inState = (r: TaggedResource) => idsInState.has(r.id) || idsInState.has(awsShortId(r.id));
    const matches = (p: PendingCreate, r: TaggedResource) =>
      r.tags["labId"] === labId && r.cloudType === CLOUD_TYPE_OF[p.type] && !inState(r) && (p.nameTag === undefined || r.tags["Name"] === undefined || r.tags["Name"] === p.nameTag);
    const orphans = found.filter((r) => pending.some((p) => matches(p, r)));
    for (const p of pending.filter((p) => !orphans.some((r) => matches(p, r)))) {
      progress({ type: "log", level: "info", message: `pending create ${p.urn}: nothing tagged labId=${labId} of its type outside the state in ${inventory.description} (it was not created; the clouds' tag index can lag minutes: 'npm run gc' later shows anything left)` });
    }
    if (orphans.length === 0) return;
    progress({ type: "log", level: "warn", message: `found by tag, not in the state: ${orphans.map((r) => r.id).join(", ")}; removing them` });
    const removal = await inventory.remove(orphans, { signal });
    for (const id of removal.removed) progress({ type: "log", level: "info", message: `orphan ${id} removed` });
    removal.remaining.forEach((what, i) => this.orphans.push({ what, howToRemove: removal.howToRemove[i] ?? removal.howToRemove.join("; ") }));
    for (const r of orphans.filter((o) => !removal.removed.includes(o.id) && !removal.remaining.some((w) => w.includes(o.id)))) {
      this.orphans.push({ what: `${r.cloudType} ${r.id} (pending create, not in the state)`, howToRemove: manualRemoval(r) });
    }
  }

  async teardown(opts: { progress: ProgressSink }): Promise<TeardownOutcome> {
    const notes = this.recoveryProblems.length > 0 ? ` (despite: ${this.recoveryProblems.join("; ")})` : "";
    const orphanLines = this.orphans.map((o) => `${o.what} — not in the state: ${o.howToRemove}`);
    try {
      await this.stack.destroy({
        onEvent: (e) => {
          const p = progressFromEngineEvent(e);
          if (p) opts.progress(p);
        },
      });
      if (orphanLines.length > 0) {
        return { ok: false, remaining: [`stack ${this.stack.name} destroyed${notes}, but outside its state:`, ...orphanLines], howToRemove: this.orphans.map((o) => o.howToRemove).join("; ") };
      }
      return { ok: true, detail: `stack ${this.stack.name} destroyed${this.touched ? "" : " (it was built by an earlier run)"}${notes}` };
    } catch (e) {
      const remaining = await this.remainingResources();
      return {
        ok: false,
        remaining: [`destroy failed: ${(e as Error).message.split("\n").slice(0, 3).join(" ")}`, ...this.recoveryProblems, ...remaining, ...orphanLines],
        howToRemove:
          `run 'npm run down -- --stack ${this.stack.name}' again (it retries the destroy); if a resource keeps failing, ` +
          `delete it in the AWS console (region of the sender) or the Azure portal (resource group of the lab) by the id listed, ` +
          `then 'npx pulumi stack rm ${this.stack.name} --force' to forget it` +
          (this.orphans.length > 0 ? `; outside the state: ${this.orphans.map((o) => o.howToRemove).join("; ")}` : ""),
      };
    }
  }

  /** Resource URNs and cloud ids still in the stack's state. */
  private async remainingResources(): Promise<string[]> {
    try {
      const state = await this.stack.exportStack();
      const deployment = state.deployment as { resources?: Array<{ urn?: string; type?: string; id?: string }> } | undefined;
      return (deployment?.resources ?? [])
        .filter((r) => r.type !== undefined && !r.type.startsWith("pulumi:"))
        .map((r) => `${r.type} ${r.id ?? "(no id)"} — ${r.urn ?? ""}`);
    } catch (e) {
      return [`(could not read the stack's state to list what remains: ${(e as Error).message})`];
    }
  }
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}
