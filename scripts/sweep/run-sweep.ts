/**
 * The sweep: for each sender size, build or resize the lab, provision it, run the trials with the
 * cool-down between them; at the end (or on error or interrupt) tear the lab down unless kept.
 *
 * Everything that touches the world comes in through `SweepDeps`, so the same loop runs on the
 * cloud (Automation API), an inventory, or the namespace test lab.
 */
import type { SenderSize } from "../../lab-config/schema";
import type { LabHosts } from "../hosts/lab-hosts";
import { recoverAndTeardown, type LabDriver, type LabReady, type TeardownOutcome } from "../lab-drivers/lab-driver";
import type { ProgressSink } from "../progress/events";
import { abortableSleep } from "./interrupts";
import { coolDownText, unsettledBy, type CoolDown } from "./settle";
import { reclaimedText, spotRetryDecision } from "./spot-retry";
import type { ReclaimedHost } from "../lab-drivers/spot-reclaim";

/** How often a long cool-down says how much of it is left. */
const COUNTDOWN_EVERY_SECONDS = 30;
import { PUBLISHED_WORKLOAD } from "../../lab-config/workloads";

/** A lab connected and provisioned for trials; closed when the size is done. */
export interface PreparedLab {
  hosts: LabHosts;
  close(): Promise<void>;
}

export interface TrialSpec {
  sizeId: string;
  size: SenderSize;
  /** 1-based. */
  trial: number;
  trials: number;
  /** The workload (lab-config/workloads.ts); absent = `published`. */
  workload?: string;
  /** The settle-checked cool-down that ran just before this trial, recorded with it (absent after a plain sleep). */
  coolDown?: CoolDown;
}

/** What a trial did. `interrupted` trials are not recorded, so a resume runs them again. */
export type TrialOutcome = {
  status: "ok" | "failed" | "interrupted";
  detail: string;
  /** Whether the trial's figure can be used (scripts/trial/validity.ts); absent = ok means valid. */
  valid?: boolean;
  /** The trial's line for the terminal, ending VALID or INVALID with the reasons (./verdict.ts). */
  verdict?: string;
  /** A failed trial's hosts that the cloud reclaimed (spot): the size is retried on demand once (./spot-retry.ts). */
  reclaimed?: ReclaimedHost[];
};

export type TimelineKind = "lab-up-start" | "lab-up-done" | "size-start" | "size-done" | "lab-destroy-start" | "lab-destroyed" | "interrupted" | "standby-start";

/** A standby sender being built and provisioned in the background for the next size. */
interface StandbyTask<L> {
  size: SenderSize;
  /** Aborts the standby's work when the sweep stops on an error (an interrupt reaches it through the sweep's own signals). */
  stop: AbortController;
  /** Settles once nothing of it runs any more; never rejects. */
  done: Promise<{ ok: true; lab: L; change: LabReady["change"] } | { ok: false; error: Error; stage: "build" | "provision" }>;
}

/** The sizes with trials left, in order: what prefetch prepares next. */
export function sizesToRun(sizes: SenderSize[], todo: TrialSpec[]): SenderSize[] {
  return uniqueSizes(sizes).filter((s) => todo.some((t) => t.sizeId === s.id));
}

/** Whether the sweep prefetches: asked for, supported by the lab and the deps, and more than one size to measure. */
export function usesPrefetch(asked: boolean, driver: Pick<LabDriver, "prepareStandby" | "swapStandby" | "dropStandby">, canProvisionStandby: boolean, sizesLeft: number): boolean {
  return asked && driver.prepareStandby !== undefined && driver.swapStandby !== undefined && driver.dropStandby !== undefined && canProvisionStandby && sizesLeft > 1;
}

export interface SweepDeps<L extends PreparedLab = PreparedLab> {
  driver: LabDriver;
  /** Connect to the lab's hosts and provision them (idempotent: a re-run changes only what differs). */
  prepare(hosts: LabHosts, opts: { progress: ProgressSink; signal: AbortSignal }): Promise<L>;
  /**
   * Prefetch: provisions the standby sender (`hosts.sender`, from LabDriver.prepareStandby) for
   * `workload` while the active sender's trials run, without touching the sink (busy with those
   * trials). The lab it returns becomes the active one at the swap. Absent: no prefetch.
   */
  prepareStandby?(hosts: LabHosts, opts: { workload: string; progress: ProgressSink; signal: AbortSignal }): Promise<L>;
  /** Pushes a workload's policies before its trials (idempotent); absent = one workload only. */
  useWorkload?(lab: L, workload: string, opts: { progress: ProgressSink; signal: AbortSignal }): Promise<void>;
  /** Runs one trial and writes its record (failed trials included). */
  runTrial(lab: L, spec: TrialSpec, opts: { progress: ProgressSink; signal: AbortSignal }): Promise<TrialOutcome>;
  /**
   * Waits between trials until the lab's hosts have settled, never longer than `boundSeconds`
   * (./settle.ts); absent = a plain sleep of the whole cool-down.
   */
  settle?(lab: L, opts: { boundSeconds: number; progress: ProgressSink; signal: AbortSignal }): Promise<CoolDown>;
  /** (sizeId, trial) pairs already recorded in the results folder. */
  recordedTrials(): Promise<Set<string>>;
  timeline(kind: TimelineKind, sizeId?: string, detail?: string): Promise<void>;
}

export interface SweepOptions {
  sizes: SenderSize[];
  trials: number;
  coolDownSeconds: number;
  /** The plan's estimate of one trial's time (scripts/sweep/plan.ts), for an ETA before any trial has run. */
  plannedTrialSeconds?: (spec: TrialSpec) => number | undefined;
  keep: boolean;
  failFast: boolean;
  /**
   * Prepare each next size's sender on the lab's standby slot while the current size is measured,
   * then swap it in (README "Prefetch"). Used only when the driver and deps support it and more
   * than one size is left. Default: false (the CLI turns it on unless `--no-prefetch`).
   */
  prefetch?: boolean;
  progress: ProgressSink;
  /** Workloads to run at each size, in order (default: published only). */
  workloads?: string[];
  /** Aborts the sweep (first SIGINT/SIGTERM). */
  signal: AbortSignal;
  /** Aborts a running Pulumi operation (see interrupts.ts for why this is separate). */
  pulumiSignal: AbortSignal;
}

export interface SweepResult {
  ran: number;
  /** Of `ran`: trials whose figure was rejected (INVALID). */
  invalid: number;
  failed: number;
  /** Trials lost to a spot interruption and run again on demand (recorded failed; not in `failed`). */
  spotInterrupted: number;
  skipped: number;
  interrupted: boolean;
  error?: Error;
  teardown: TeardownOutcome | { ok: true; detail: string };
}

/** The record key: (size, workload, trial); `published` keeps the key records had before workloads. */
export const trialKey = (sizeId: string, trial: number, workload: string = PUBLISHED_WORKLOAD): string =>
  workload === PUBLISHED_WORKLOAD ? `${sizeId}#${trial}` : `${sizeId}#${workload}#${trial}`;

/** Each size once, first occurrence kept (`--sizes c2-r4,c2-r4` must not run c2-r4's trials twice). */
function uniqueSizes(sizes: SenderSize[]): SenderSize[] {
  return sizes.filter((s, i) => sizes.findIndex((o) => o.id === s.id) === i);
}

/** The (size, trial) pairs still to run, in order. Duplicates are impossible: each pair appears once. */
export function remainingTrials(sizes: SenderSize[], trials: number, recorded: Set<string>, workloads: string[] = [PUBLISHED_WORKLOAD]): TrialSpec[] {
  const ws = workloads.filter((w, i) => workloads.indexOf(w) === i);
  return uniqueSizes(sizes).flatMap((size) =>
    ws.flatMap((workload) =>
      Array.from({ length: trials }, (_, i): TrialSpec => ({ sizeId: size.id, size, trial: i + 1, trials, ...(workload === PUBLISHED_WORKLOAD ? {} : { workload }) })).filter(
        (t) => !recorded.has(trialKey(t.sizeId, t.trial, workload)),
      ),
    ),
  );
}

export async function runSweep<L extends PreparedLab>(deps: SweepDeps<L>, opts: SweepOptions): Promise<SweepResult> {
  const { progress, signal } = opts;
  const sizes = uniqueSizes(opts.sizes);
  const workloads = opts.workloads ?? [PUBLISHED_WORKLOAD];
  const todo = remainingTrials(sizes, opts.trials, await deps.recordedTrials(), workloads);
  const total = sizes.length * new Set(workloads).size * opts.trials;
  const skipped = total - todo.length;
  if (skipped > 0) progress({ type: "log", level: "info", message: `resuming: ${skipped} of ${total} trials already recorded, ${todo.length} to run` });

  let ran = 0;
  let invalid = 0;
  let failed = 0;
  let error: Error | undefined;
  let labBuilt = false;
  const started = Date.now();
  let trialSecondsSum = 0;
  /** The measured cool-downs so far (seconds each), for the ETA. */
  const coolDownWaits: number[] = [];
  /** Sizes retried on demand after a spot interruption (once each). */
  const retriedOnDemand = new Set<string>();
  let spotInterrupted = 0;

  const toRun = sizesToRun(sizes, todo);
  const prefetch = usesPrefetch(opts.prefetch ?? false, deps.driver, deps.prepareStandby !== undefined, toRun.length);
  if ((opts.prefetch ?? false) && toRun.length > 1 && !prefetch) progress({ type: "log", level: "info", message: `prefetch: off — ${deps.driver.description} has one sender slot; each size resizes the sender in place` });
  let standby: StandbyTask<L> | undefined;
  /** The standby slot holds a VM nobody will use (after the last swap): removed in the background. */
  let retiring: Promise<void> | undefined;

  /** Builds (or resizes) the standby slot at `size` and provisions it, in the background. */
  const startStandby = (size: SenderSize, workload: string): StandbyTask<L> => {
    const stop = new AbortController();
    const driver = deps.driver;
    const prepareStandby = deps.prepareStandby;
    const done = (async (): Promise<Awaited<StandbyTask<L>["done"]>> => {
      progress({ type: "log", level: "info", message: `prefetch: preparing size ${size.id} on the standby sender while the current size is measured` });
      let ready: LabReady;
      try {
        if (!driver.prepareStandby) throw new Error("the lab driver cannot prepare a standby");
        ready = await driver.prepareStandby(size, { progress, signal: AbortSignal.any([opts.pulumiSignal, stop.signal]) });
      } catch (e) {
        return { ok: false, error: e as Error, stage: "build" };
      }
      try {
        if (!prepareStandby) throw new Error("the sweep cannot provision a standby");
        const lab = await prepareStandby(ready.hosts, { workload, progress, signal: AbortSignal.any([signal, stop.signal]) });
        progress({ type: "log", level: "info", message: `prefetch: standby sender ${ready.hosts.sender.name} ready at size ${size.id}` });
        return { ok: true, lab, change: ready.change };
      } catch (e) {
        return { ok: false, error: e as Error, stage: "provision" };
      }
    })();
    return { size, stop, done };
  };

  try {
    for (const [index, size] of toRun.entries()) {
      const specs = todo.filter((t) => t.sizeId === size.id);
      if (signal.aborted) break;

      let lab: L | undefined;
      /** This size's sender came from the standby slot: the other slot now holds the idle former sender. */
      let swapped = false;
      if (standby !== undefined && standby.size.id === size.id) {
        // The size before is done: its sender is idle. Wait for the standby (it may still be booting).
        const task = standby;
        progress({ type: "log", level: "info", message: `prefetch: waiting for the standby sender at size ${size.id}` });
        const result = await task.done;
        standby = undefined;
        if (signal.aborted) {
          if (result.ok) await result.lab.close();
          break;
        }
        if (result.ok) {
          await deps.timeline("size-start", size.id, "swapped in the standby sender");
          lab = result.lab;
          if (!deps.driver.swapStandby) throw new Error("the lab driver cannot swap its standby in");
          const hosts = await deps.driver.swapStandby({ progress }).catch(async (e: unknown) => {
            await result.lab.close();
            throw e;
          });
          if (hosts.sender.address !== lab.hosts.sender.address) {
            await lab.close();
            throw new Error(`prefetch: the lab swapped in sender ${hosts.sender.name}, but the standby prepared was ${lab.hosts.sender.name}; run 'npm run down' and start again`);
          }
          swapped = true;
          progress({ type: "log", level: "info", message: `prefetch: size ${size.id} runs on ${hosts.sender.name}${result.change === "created" ? "" : ` (${result.change})`}; the former sender is now the standby` });
        } else {
          // The standby's VM may be half-built: remove it, then resize the sender in place as without prefetch.
          progress({ type: "log", level: "warn", message: `prefetch: the standby sender for size ${size.id} failed to ${result.stage === "build" ? "build" : "provision"} (${firstLine(result.error)}); removing it and resizing the active sender in place instead` });
          await deps.driver.dropStandby?.({ progress, signal: opts.pulumiSignal });
          if (signal.aborted) break;
        }
      }
      if (lab === undefined) {
        await deps.timeline(labBuilt ? "size-start" : "lab-up-start", size.id);
        const ready = await deps.driver.ensureLab(size, { progress, signal: opts.pulumiSignal });
        labBuilt = true;
        await deps.timeline(ready.change === "created" ? "lab-up-done" : "size-start", size.id, ready.change);
        if (signal.aborted) break;
        lab = await deps.prepare(ready.hosts, { progress, signal });
      }
      // The next size's sender boots and is provisioned while this size is measured; after the
      // last swap the idle former sender is removed instead.
      const next = toRun[index + 1];
      if (prefetch && next !== undefined && !signal.aborted) {
        // The standby's VM costs from its build on: the report's cost starts its size's window here.
        await deps.timeline("standby-start", next.id);
        standby = startStandby(next, todo.find((t) => t.sizeId === next.id)?.workload ?? PUBLISHED_WORKLOAD);
      } else if (prefetch && next === undefined && swapped) {
        const dropStandby = deps.driver.dropStandby;
        retiring = dropStandby
          ? dropStandby({ progress, signal: opts.pulumiSignal }).catch((e: unknown) => {
              // Not fatal: the teardown at the end destroys it with the rest of the lab.
              progress({ type: "log", level: "warn", message: `prefetch: removing the idle standby sender failed (${firstLine(e)}); the teardown removes it` });
            })
          : undefined;
      }
      let current: string | undefined;
      try {
        for (const [k, spec] of specs.entries()) {
          if (signal.aborted) break;
          let coolDown: CoolDown | undefined;
          if (k > 0 && opts.coolDownSeconds > 0 && deps.settle) {
            progress({ type: "log", level: "info", message: `cool-down: up to ${opts.coolDownSeconds} s, until the hosts settle, before trial ${spec.trial} of ${spec.trials} (size ${spec.sizeId})` });
            coolDown = await deps.settle(lab, { boundSeconds: opts.coolDownSeconds, progress, signal });
            if (signal.aborted) break;
            coolDownWaits.push(coolDown.seconds);
            const why = coolDown.outcome === "bounded" ? (coolDown.readings ? unsettledBy(coolDown.readings) : ["no reading came back"]) : [];
            progress({ type: "log", level: "info", message: `cool-down: ${coolDownText(coolDown)}${why.length > 0 ? ` — ${why.join(", ")}` : ""}` });
          } else if (k > 0 && opts.coolDownSeconds > 0) {
            progress({ type: "log", level: "info", message: `cool-down ${opts.coolDownSeconds} s before trial ${spec.trial} of ${spec.trials} (size ${spec.sizeId})` });
            // A countdown every 30 s of a long cool-down, so a quiet terminal is not mistaken for a hang.
            let left = opts.coolDownSeconds;
            for (let i = 0; i < 10_000 && left > COUNTDOWN_EVERY_SECONDS; i++) {
              await abortableSleep(COUNTDOWN_EVERY_SECONDS * 1000, signal);
              left -= COUNTDOWN_EVERY_SECONDS;
              progress({ type: "log", level: "info", message: `… cool-down: ${left} s left` });
            }
            await abortableSleep(left * 1000, signal);
          }
          const done = skipped + ran + failed;
          const avg = ran + failed > 0 ? trialSecondsSum / (ran + failed) : undefined;
          progress({
            type: "sweep",
            sizeId: spec.sizeId,
            ...(spec.workload !== undefined ? { workload: spec.workload } : {}),
            trial: spec.trial,
            trials: spec.trials,
            done,
            total,
            // Cool-downs that end when the hosts settle: the ETA counts the mean wait measured so far.
            ...etaOf(avg ?? opts.plannedTrialSeconds?.(spec), avg === undefined, total - done, coolDownWaits.length > 0 ? coolDownWaits.reduce((a, b) => a + b, 0) / coolDownWaits.length : opts.coolDownSeconds),
          });
          const workload = spec.workload ?? PUBLISHED_WORKLOAD;
          if (deps.useWorkload && workload !== current) {
            await deps.useWorkload(lab, workload, { progress, signal });
            current = workload;
          }
          const t0 = Date.now();
          let outcome = await deps.runTrial(lab, coolDown ? { ...spec, coolDown } : spec, { progress, signal });
          trialSecondsSum += (Date.now() - t0) / 1000;
          // A host on spot reclaimed mid-trial: that trial stays recorded as failed (spot-interrupted);
          // the lab is rebuilt with the host on demand and the trial runs again, once per size.
          const retry = outcome.status === "failed" ? spotRetryDecision({ reclaimed: outcome.reclaimed ?? [], sizeId: size.id, retriedSizes: retriedOnDemand, failFast: opts.failFast }) : undefined;
          if (retry?.action === "retry-on-demand" && deps.driver.onDemand && !signal.aborted) {
            spotInterrupted++;
            if (outcome.verdict !== undefined) progress({ type: "log", level: "warn", message: outcome.verdict });
            progress({ type: "log", level: "warn", message: `spot: ${reclaimedText(retry.hosts)} reclaimed during trial ${spec.trial} of size ${spec.sizeId} — recorded as failed (spot-interrupted); retrying size ${spec.sizeId} with ${retry.hosts.map((h) => h.host).join(" and ")} on demand` });
            retriedOnDemand.add(size.id);
            await lab.close();
            if (standby !== undefined) {
              // One Pulumi operation at a time per stack: the standby's build ends first. Its sender is not
              // swapped in (the rebuild on demand may replace it); the next size resizes in place instead.
              progress({ type: "log", level: "info", message: `spot: waiting for the standby sender's build to end before the rebuild; size ${standby.size.id} will resize the sender in place` });
              const prepared = await standby.done;
              if (prepared.ok) await prepared.lab.close();
              standby = undefined;
            }
            deps.driver.onDemand(retry.hosts.map((h) => h.host));
            const rebuilt = await deps.driver.ensureLab(size, { progress, signal: opts.pulumiSignal });
            if (signal.aborted) break;
            lab = await deps.prepare(rebuilt.hosts, { progress, signal });
            current = undefined;
            if (deps.useWorkload) {
              await deps.useWorkload(lab, workload, { progress, signal });
              current = workload;
            }
            const t1 = Date.now();
            outcome = await deps.runTrial(lab, spec, { progress, signal });
            trialSecondsSum += (Date.now() - t1) / 1000;
          }
          if (outcome.status === "interrupted") break;
          if (outcome.verdict !== undefined) progress({ type: "log", level: outcome.status === "ok" && outcome.valid !== false ? "info" : "warn", message: outcome.verdict });
          if (outcome.status === "ok") {
            ran++;
            if (outcome.valid === false) invalid++;
          } else {
            failed++;
            progress({ type: "log", level: "warn", message: `trial ${spec.trial} of size ${spec.sizeId} failed: ${outcome.detail}` });
            if (opts.failFast) throw new Error(`trial ${spec.trial} of size ${spec.sizeId} failed and --fail-fast is set: ${outcome.detail}`);
          }
        }
      } finally {
        await lab.close();
      }
      if (!signal.aborted) await deps.timeline("size-done", size.id);
    }
  } catch (e) {
    error = signal.aborted ? undefined : (e as Error);
    if (!signal.aborted) progress({ type: "log", level: "warn", message: `sweep stopped: ${(e as Error).message}` });
  }
  // Nothing of a background operation may still run when the lab is recovered and destroyed.
  if (standby !== undefined) {
    const task = standby;
    standby = undefined;
    // An interrupt reached it already (the sweep's signals); an error or an early end did not.
    if (!signal.aborted) task.stop.abort(new Error("the sweep stopped"));
    progress({ type: "log", level: "info", message: `prefetch: stopping the standby sender's preparation (size ${task.size.id}) before the teardown` });
    const result = await task.done;
    if (result.ok) await result.lab.close();
  }
  if (retiring !== undefined) await retiring;

  const interrupted = signal.aborted;
  if (interrupted) await deps.timeline("interrupted", undefined, signal.reason instanceof Error ? signal.reason.message : "interrupted");

  let teardown: SweepResult["teardown"] = { ok: true, detail: "lab kept (--keep)" };
  if (!opts.keep) {
    teardown = await recoverAndTeardown(deps.driver, { recover: interrupted || error !== undefined, progress, beforeDestroy: () => deps.timeline("lab-destroy-start") });
    if (teardown.ok) await deps.timeline("lab-destroyed", undefined, teardown.detail);
  }
  progress({ type: "log", level: "info", message: `sweep finished in ${Math.round((Date.now() - started) / 1000)} s: ${ran - invalid} valid, ${invalid} invalid, ${failed} failed, ${skipped} already recorded${spotInterrupted > 0 ? `, ${spotInterrupted} lost to a spot interruption (retried on demand)` : ""}${interrupted ? ", interrupted" : ""}${error ? ", stopped by an error" : ""}` });
  return { ran, invalid, failed, spotInterrupted, skipped, interrupted, error, teardown };
}

function firstLine(e: unknown): string {
  return (e instanceof Error ? e.message : String(e)).split("\n")[0] ?? "";
}

/** The ETA: measured trial time once one has run, else the plan's estimate (said so); none without either. */
function etaOf(perTrial: number | undefined, fromPlan: boolean, left: number, coolDownSeconds: number): { etaSeconds?: number; etaFromPlan?: true } {
  if (perTrial === undefined) return {};
  const etaSeconds = perTrial * left + Math.max(0, left - 1) * coolDownSeconds;
  return fromPlan ? { etaSeconds, etaFromPlan: true } : { etaSeconds };
}
