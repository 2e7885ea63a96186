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
   * Looks at the hosts on spot after a failed trial (EC2 state reason, Azure instance view):
   * scripts/cloud/pulumi-reclaim-probe.ts. Absent: a failed spot trial cannot be told from an
   * ordinary failure, and the driver says so. Default: none.
   */
  reclaimProbe?: ReclaimProbe;
}

/** Opens (creating if needed) the stack in the local program, on the chosen backend. */
export async function openStack(stackName: string, backend?: string): Promise<StackApi> {
  const url = backendUrl(backend);
  assertSecretsProviderReady(url);
  const cmd = await pulumiCommand();
  return LocalWorkspace.createOrSelectStack(
    { stackName, workDir: PROJECT_DIR },
    { pulumiCommand: cmd, envVars: { PULUMI_BACKEND_URL: url } },
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

  constructor(
    private readonly stack: StackApi,
    backend: string,
    private readonly options: PulumiLabDriverOptions = {},
  ) {
    this.policyPacks = [...(options.policyPacks ?? [POLICY_PACK_DIR])];
    this.description = `stack ${stack.name} (${backend})${this.policyPacks.length === 0 ? ", guard rails OFF (no policy pack)" : ""}`;
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
    const resources = ((await this.stack.exportStack()).deployment as { resources?: Array<{ type?: string; id?: string }> } | undefined)?.resources ?? [];
    const idOf = (type: string) => resources.find((r) => r.type === type && typeof r.id === "string" && r.id !== "")?.id;
    const instanceId = idOf("aws:ec2/instance:Instance");
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
    await this.storeSpot(opts.progress);
    await this.stack.setConfig(SIZE_CONFIG_KEY, { value: size.id });
    this.touched = true;
    const up = () =>
      this.stack.up({
        ...(this.policyPacks.length > 0 ? { policyPacks: this.policyPacks } : {}),
        signal: opts.signal,
        onEvent: (e) => {
          const p = progressFromEngineEvent(e);
          if (p) opts.progress(p);
        },
      });
    let result: Awaited<ReturnType<typeof up>>;
    try {
      result = await up();
    } catch (e) {
      // EC2 cannot start the spot sender now (no spot capacity, the account's spot limit): once, on demand.
      const refusal = this.spot.sender && !opts.signal.aborted ? ec2SpotLaunchRefusal((e as Error).message) : undefined;
      if (refusal === undefined) throw e;
      opts.progress({ type: "log", level: "warn", message: `spot: EC2 could not start the sender on spot (${refusal}); starting it on demand — it stays on demand for this sweep` });
      this.onDemand(["sender"]);
      await this.storeSpot(opts.progress);
      result = await up();
    }
    const hosts = hostsFromStackOutputs(plainOutputs(result.outputs));
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
