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

/** The part of an Automation API Stack the lab uses. */
export type StackApi = Pick<Stack, "name" | "setConfig" | "up" | "outputs" | "cancel" | "refresh" | "destroy" | "exportStack">;

export const SIZE_CONFIG_KEY = "kumolab:sender.size";
export const OPERATOR_CIDR_CONFIG_KEY = "kumolab:operatorCidr";

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

  async ensureLab(size: SenderSize, opts: { progress: ProgressSink; signal: AbortSignal }): Promise<LabReady> {
    const before = plainOutputs(await this.stack.outputs());
    const previousSize = typeof before["senderSizeId"] === "string" ? before["senderSizeId"] : undefined;
    await this.storeOperatorCidr(opts.progress);
    await this.stack.setConfig(SIZE_CONFIG_KEY, { value: size.id });
    this.touched = true;
    const result = await this.stack.up({
      ...(this.policyPacks.length > 0 ? { policyPacks: this.policyPacks } : {}),
      signal: opts.signal,
      onEvent: (e) => {
        const p = progressFromEngineEvent(e);
        if (p) opts.progress(p);
      },
    });
    const hosts = hostsFromStackOutputs(plainOutputs(result.outputs));
    const change = previousSize === undefined ? "created" : previousSize === size.id ? "unchanged" : "resized";
    return { hosts, change };
  }

  async recover(opts: { progress: ProgressSink }): Promise<void> {
    // After an interrupted update: release the lock, then forget operations that never finished,
    // so that destroy sees what really exists.
    try {
      await this.stack.cancel();
    } catch (e) {
      opts.progress({ type: "log", level: "info", message: `pulumi cancel: ${(e as Error).message.split("\n")[0] ?? ""} (nothing to cancel is fine)` });
    }
    await this.stack.refresh({
      clearPendingCreates: true,
      onEvent: (e) => {
        const p = progressFromEngineEvent(e);
        if (p) opts.progress(p);
      },
    });
  }

  async teardown(opts: { progress: ProgressSink }): Promise<TeardownOutcome> {
    try {
      await this.stack.destroy({
        onEvent: (e) => {
          const p = progressFromEngineEvent(e);
          if (p) opts.progress(p);
        },
      });
      return { ok: true, detail: `stack ${this.stack.name} destroyed${this.touched ? "" : " (it was built by an earlier run)"}` };
    } catch (e) {
      const remaining = await this.remainingResources();
      return {
        ok: false,
        remaining: [`destroy failed: ${(e as Error).message.split("\n").slice(0, 3).join(" ")}`, ...remaining],
        howToRemove:
          `run 'npm run down -- --stack ${this.stack.name}' again (it retries the destroy); if a resource keeps failing, ` +
          `delete it in the AWS console (region of the sender) or the Azure portal (resource group of the lab) by the id listed, ` +
          `then 'npx pulumi stack rm ${this.stack.name} --force' to forget it`,
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
