/**
 * The one narrow interface between the sweep and a lab. Implementations: the Pulumi Automation
 * API (./pulumi-lab-driver.ts), a fixed hosts inventory (./inventory-lab-driver.ts), and in the
 * tests the namespace lab.
 */
import type { SenderSize } from "../../lab-config/schema";
import type { LabHosts } from "../hosts/lab-hosts";
import type { ProgressSink } from "../progress/events";
import type { ReclaimedHost, SpotChoice, SpotHost } from "./spot-reclaim";

export interface LabReady {
  hosts: LabHosts;
  /** What this call did to the lab. */
  change: "created" | "resized" | "unchanged";
}

export type TeardownOutcome =
  | { ok: true; detail: string }
  /** What is still running and exactly how to remove it. */
  | { ok: false; remaining: string[]; howToRemove: string };

export interface LabDriver {
  /** e.g. `stack dev (file:///…/.pulumi-state)` or `inventory lab-config/hosts.yaml`. */
  readonly description: string;
  readonly source: "stack" | "inventory";
  /** Whether ensureLab can change the sender's size in place. */
  readonly canResize: boolean;
  /** The one size an inventory's hosts are (the sweep then runs that size only). */
  readonly fixedSize?: SenderSize;
  /** Builds the lab at `size`, or resizes the sender in place; returns its hosts. */
  ensureLab(size: SenderSize, opts: { progress: ProgressSink; signal: AbortSignal }): Promise<LabReady>;
  /** The lab's hosts if it exists now (for --resume), without changing anything. */
  existingLab(opts: { signal: AbortSignal }): Promise<LabHosts | undefined>;
  /** Clears what an interrupted operation left (lock, pending operations). Safe to call any time. */
  recover(opts: { progress: ProgressSink }): Promise<void>;
  /** Destroys everything this lab created. Never throws for a failed destroy: the outcome says what remains. */
  teardown(opts: { progress: ProgressSink }): Promise<TeardownOutcome>;
  /**
   * Prefetch (README "Prefetch"): builds — or resizes — the lab's standby sender slot at `size`
   * while the active sender is measured, beside it in the same network (same firewall, boot script,
   * port-25 block; the sink admits both). Resolves with the lab's hosts as they will be once the
   * standby is swapped in (`sender` = the standby). Must not touch the active sender or the sink.
   * Absent: the lab has one sender slot (the sweep resizes it in place).
   */
  prepareStandby?(size: SenderSize, opts: { progress: ProgressSink; signal: AbortSignal }): Promise<LabReady>;
  /**
   * Makes the standby prepared by `prepareStandby` the active sender; the old active becomes the
   * standby slot (resized by the next `prepareStandby`, removed by `dropStandby`). Returns the new
   * active's hosts. Changes nothing in the clouds.
   */
  swapStandby?(opts: { progress: ProgressSink }): Promise<LabHosts>;
  /**
   * Removes the standby slot's VM (its address stays, so the sink's firewall and policy do not
   * change): after the last size's swap, or after a failed `prepareStandby` before the sweep
   * resizes in place. Absent with `prepareStandby`.
   */
  dropStandby?(opts: { progress: ProgressSink; signal: AbortSignal }): Promise<void>;
  /** Raise the lab's TTL to `hours` before its next build (labs that expire on their own). Absent: the lab has no TTL. */
  extendTtl?(hours: number): void;
  /** Spot capacity for the hosts from the next ensureLab on (`--spot`). Absent: this lab cannot use spot (an inventory). */
  useSpot?(spot: SpotChoice): void;
  /** These hosts run on demand from the next ensureLab on (the retry of a size whose host was reclaimed). */
  onDemand?(hosts: SpotHost[]): void;
  /**
   * After a failed trial: the hosts on spot that the cloud reclaimed, with its evidence; [] when no
   * host is on spot or none was reclaimed. Bounded in time; a look-up that fails says so (progress)
   * and returns [] — the trial then stays an ordinary failure.
   */
  reclaimed?(opts: { progress: ProgressSink; signal: AbortSignal }): Promise<ReclaimedHost[]>;
}

/**
 * The end of a run's lab: after a failure or an interrupt, clear what an interrupted operation left
 * first; then destroy. A recovery that fails (expired credentials, a provider error) must not skip
 * the destroy, and a driver that throws instead of reporting still leaves the operator what to do.
 * `beforeDestroy` runs between the two (the sweep's timeline marks the destroy's start).
 */
export async function recoverAndTeardown(
  driver: Pick<LabDriver, "description" | "recover" | "teardown">,
  opts: { recover: boolean; progress: ProgressSink; beforeDestroy?: () => Promise<void> },
): Promise<TeardownOutcome> {
  const { progress } = opts;
  if (opts.recover) {
    try {
      await driver.recover({ progress });
    } catch (e) {
      progress({ type: "log", level: "warn", message: `recovery failed (${(e as Error).message.split("\n")[0] ?? ""}); destroying anyway` });
    }
  }
  await opts.beforeDestroy?.();
  try {
    return await driver.teardown({ progress });
  } catch (e) {
    return { ok: false, remaining: [`the teardown itself failed: ${(e as Error).message}`], howToRemove: `check ${driver.description} by hand and destroy what is left ('npm run down' for a stack)` };
  }
}

/** What a failed teardown leaves, and how to remove it, for the operator. */
export function formatTeardownFailure(outcome: Extract<TeardownOutcome, { ok: false }>): string {
  return `destroy FAILED — still there:\n${outcome.remaining.map((r) => `  - ${r}`).join("\n")}\nTo remove: ${outcome.howToRemove}\n`;
}
