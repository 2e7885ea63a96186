/**
 * The knee run on one sender size: build (or reuse) the lab, provision it, one unthrottled trial
 * to measure the maximum, then one trial per fraction of it with traffic-gen's `--throttle`, the
 * cool-down between; every step recorded as it ends; the lab torn down at the end (or on error or
 * interrupt) unless kept. Everything that touches the world comes in through `KneeDeps`, as for
 * the sweep (../sweep/run-sweep.ts), so the namespace lab can drive it in the tests.
 */
import type { LabConfig, SenderSize } from "../../lab-config/schema";
import { durationCap } from "../trial/duration-cap";
import type { LabHosts } from "../hosts/lab-hosts";
import { recoverAndTeardown, type LabDriver, type TeardownOutcome } from "../lab-drivers/lab-driver";
import type { ProgressSink } from "../progress/events";
import type { TrialRecord } from "../results/trial-record";
import type { PreparedLab } from "../sweep/run-sweep";
import type { CoolDown } from "../sweep/settle";
import { coolDownText } from "../sweep/settle";
import { abortableSleep } from "../sweep/interrupts";
import { throttleFor } from "./throttle-spec";
import type { KneeRun, KneeStep } from "./knee-run";

export interface KneeDeps<L extends PreparedLab = PreparedLab> {
  driver: LabDriver;
  prepare(hosts: LabHosts, opts: { progress: ProgressSink; signal: AbortSignal }): Promise<L>;
  /** Runs one step as a trial and records it (failed ones too); "interrupted" = stopped by the user, not recorded. */
  runStep(lab: L, step: KneeStep, opts: { progress: ProgressSink; signal: AbortSignal; coolDown?: CoolDown }): Promise<TrialRecord | "interrupted">;
  /** The settle-checked cool-down (../sweep/settle.ts); absent = a plain sleep. */
  settle?(lab: L, opts: { boundSeconds: number; progress: ProgressSink; signal: AbortSignal }): Promise<CoolDown>;
  /** Saves knee.json after every step. */
  save(run: KneeRun): void;
}

export interface KneeOptions {
  size: SenderSize;
  /** The run as planned (steps empty); its fractions are run in order. */
  run: KneeRun;
  /** The longest cool-down between steps, seconds (ends early once the hosts settle). Default: trials.coolDownSeconds. Example: 120. */
  coolDownSeconds: number;
  /** Keep the lab at the end. Default false. */
  keep: boolean;
  progress: ProgressSink;
  signal: AbortSignal;
  pulumiSignal: AbortSignal;
}

export interface KneeOutcome {
  run: KneeRun;
  interrupted: boolean;
  error?: Error;
  teardown: TeardownOutcome | { ok: true; detail: string };
}

/** The throttled steps for a measured maximum: trial 2, 3, … at each fraction, in order. */
export function throttledSteps(maxMsgsPerSec: number, fractions: readonly number[]): KneeStep[] {
  return fractions.map((fraction, i) => {
    const t = throttleFor(maxMsgsPerSec * fraction);
    return { trial: i + 2, fraction, throttle: t.spec, offeredMsgsPerSec: t.msgsPerSec };
  });
}

/**
 * traffic-gen's `--duration` cap for a throttled message-count step: the run's own cap, or twice
 * the time the throttle needs for the messages if that is longer — the auto cap assumes a
 * pessimistic 50 msgs/s (../trial/duration-cap.ts), and a step throttled below it would hit its
 * deadline by design. A cap set in the config is kept as set (the user chose it).
 */
export function stepDurationCap(traffic: Pick<LabConfig["traffic"], "durationCapSeconds" | "messageCount">, offeredMsgsPerSec: number | null): LabConfig["traffic"]["durationCapSeconds"] {
  if (traffic.durationCapSeconds !== "auto" || offeredMsgsPerSec === null) return traffic.durationCapSeconds;
  const auto = durationCap(traffic).seconds;
  const needed = Math.ceil((2 * traffic.messageCount) / offeredMsgsPerSec);
  return needed > auto ? needed : "auto";
}

export async function runKnee<L extends PreparedLab>(deps: KneeDeps<L>, opts: KneeOptions): Promise<KneeOutcome> {
  const { progress, signal } = opts;
  let run: KneeRun = { ...opts.run, steps: [] };
  let error: Error | undefined;
  const total = opts.run.fractions.length + 1;
  try {
    const ready = await deps.driver.ensureLab(opts.size, { progress, signal: opts.pulumiSignal });
    if (!signal.aborted) {
      const lab = await deps.prepare(ready.hosts, { progress, signal });
      try {
        const unthrottled: KneeStep = { trial: 1, fraction: null, throttle: null, offeredMsgsPerSec: null };
        progress({ type: "log", level: "info", message: `knee step 1 of ${total}: unthrottled, to measure the maximum` });
        const first = await deps.runStep(lab, unthrottled, { progress, signal });
        if (first !== "interrupted") {
          const max = first.status === "ok" && first.trafficGen && first.trafficGen.rate.msgsPerSec > 0 ? first.trafficGen.rate.msgsPerSec : null;
          run = { ...run, maxMsgsPerSec: max, steps: [unthrottled] };
          deps.save(run);
          if (max === null) {
            throw new Error(`the unthrottled step gave no rate to take fractions of (${first.failure ? `${first.failure.step}: ${first.failure.message}` : first.invalidReasons.map((r) => r.code).join(", ") || "nothing sent"}); see ${first.files.trafficGenStderr} in the results folder, fix the lab and run the knee again`);
          }
          for (const step of throttledSteps(max, opts.run.fractions)) {
            if (signal.aborted) break;
            let coolDown: CoolDown | undefined;
            if (opts.coolDownSeconds > 0 && deps.settle) {
              coolDown = await deps.settle(lab, { boundSeconds: opts.coolDownSeconds, progress, signal });
              progress({ type: "log", level: "info", message: `cool-down: ${coolDownText(coolDown)}` });
            } else if (opts.coolDownSeconds > 0) await abortableSleep(opts.coolDownSeconds * 1000, signal);
            if (signal.aborted) break;
            progress({ type: "log", level: "info", message: `knee step ${step.trial} of ${total}: ${Math.round((step.fraction ?? 1) * 100)} % of ${max.toFixed(1)} msgs/s = --throttle ${step.throttle}` });
            const rec = await deps.runStep(lab, step, { progress, signal, ...(coolDown ? { coolDown } : {}) });
            if (rec === "interrupted") break;
            run = { ...run, steps: [...run.steps, step] };
            deps.save(run);
          }
        }
      } finally {
        await lab.close();
      }
    }
  } catch (e) {
    error = signal.aborted ? undefined : (e as Error);
    if (error) progress({ type: "log", level: "warn", message: `knee stopped: ${error.message}` });
  }
  const interrupted = signal.aborted;
  let teardown: KneeOutcome["teardown"] = { ok: true, detail: "lab kept (--keep)" };
  if (!opts.keep) teardown = await recoverAndTeardown(deps.driver, { recover: interrupted || error !== undefined, progress });
  return { run, interrupted, ...(error ? { error } : {}), teardown };
}
