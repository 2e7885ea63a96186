/**
 * `--parallel N`: several labs at once, each running the single-lab loop (./run-sweep.ts) over its
 * own sizes with its own driver (its own stack and Pulumi workspace), results in one run folder.
 *
 * - Each lab's trials are independent: a lab that fails (a step, a trial) stops alone, tears its lab
 *   down and the others go on — unless `--fail-fast`, when the first failure stops every lab.
 * - The first SIGINT/SIGTERM aborts every lab; each recovers and destroys its own lab, all at once.
 * - With one lab this is exactly `runSweep` (no labels, nothing added).
 */
import { EXIT } from "../cli/exit-codes";
import type { LabDriver } from "../lab-drivers/lab-driver";
import type { ProgressSink } from "../progress/events";
import { labProgress } from "../progress/events";
import type { LabSlot } from "./lab-slots";
import { runSweep, type PreparedLab, type SweepDeps, type SweepOptions, type SweepResult } from "./run-sweep";

export interface LabRun<L extends PreparedLab = PreparedLab> {
  slot: LabSlot;
  /** This lab's dependencies: its own driver, and a timeline that names the lab. */
  deps: SweepDeps<L>;
  /** The sizes of `slot.sizes`, resolved, in order. */
  sizes: SweepOptions["sizes"];
}

export interface LabOutcome {
  slot: LabSlot;
  result: SweepResult;
}

export interface ParallelSweepResult {
  /** Every lab's own outcome, in lab order. */
  labs: LabOutcome[];
  /** The sums over the labs; `error` and a failed `teardown` name their lab. */
  total: SweepResult;
}

/** The options of every lab's loop (`sizes` come from each lab). */
export type ParallelSweepOptions = Omit<SweepOptions, "sizes">;

/**
 * One result for the run: counts summed; interrupted when the operator interrupted; an error when
 * any lab stopped on one (each named); the teardown ok only when every lab's was.
 */
export function combineLabResults(labs: readonly LabOutcome[], interrupted: boolean): SweepResult {
  const sum = (f: (r: SweepResult) => number): number => labs.reduce((a, l) => a + f(l.result), 0);
  const errors = labs.filter((l) => l.result.error !== undefined);
  const error = errors.length === 0 ? undefined : labs.length === 1 ? errors[0]?.result.error : new Error(errors.map((l) => `${l.slot.lab}: ${l.result.error?.message ?? ""}`).join("; "));
  const failedTeardowns = labs.flatMap((l) => (l.result.teardown.ok ? [] : [{ lab: l.slot.lab, t: l.result.teardown }]));
  let teardown: SweepResult["teardown"];
  if (labs.length === 1 && labs[0] !== undefined) teardown = labs[0].result.teardown;
  else if (failedTeardowns.length === 0) teardown = { ok: true, detail: labs.map((l) => `${l.slot.lab}: ${l.result.teardown.ok ? l.result.teardown.detail : ""}`).join("; ") };
  else
    teardown = {
      ok: false,
      remaining: failedTeardowns.flatMap(({ lab, t }) => t.remaining.map((r) => `[${lab}] ${r}`)),
      howToRemove: failedTeardowns.map(({ lab, t }) => `${lab}: ${t.howToRemove}`).join("; "),
    };
  return { ran: sum((r) => r.ran), invalid: sum((r) => r.invalid), failed: sum((r) => r.failed), spotInterrupted: sum((r) => r.spotInterrupted), skipped: sum((r) => r.skipped), interrupted, ...(error !== undefined ? { error } : {}), teardown };
}

/**
 * The sweep's exit code (scripts/cli/exit-codes.ts) from the combined result: a lab left standing
 * fails the run whatever else happened; then an interrupt; then any lab's error (a step, a trial
 * under --fail-fast); only a run every lab finished is judged by its figures (`verdictExitCode`).
 */
export function sweepExitCode(result: Pick<SweepResult, "teardown" | "interrupted" | "error">, verdictExitCode: number): number {
  if (!result.teardown.ok) return EXIT.FAILED;
  if (result.interrupted) return EXIT.INTERRUPTED;
  if (result.error !== undefined) return EXIT.FAILED;
  return verdictExitCode;
}

/**
 * Under --fail-fast, a lab's failure (a failed trial, a failed build or provisioning) aborts the
 * other labs at once; without it, the others never hear of it.
 */
function reportingFailures<L extends PreparedLab>(deps: SweepDeps<L>, failed: (why: string) => void): SweepDeps<L> {
  const watch = async <T>(what: string, p: Promise<T>): Promise<T> => {
    try {
      return await p;
    } catch (e) {
      failed(`${what}: ${(e as Error).message.split("\n")[0] ?? ""}`);
      throw e;
    }
  };
  const d = deps.driver;
  const driver: LabDriver = {
    description: d.description,
    source: d.source,
    canResize: d.canResize,
    ...(d.fixedSize !== undefined ? { fixedSize: d.fixedSize } : {}),
    ensureLab: (size, o) => watch(`building the lab at ${size.id}`, d.ensureLab(size, o)),
    existingLab: (o) => d.existingLab(o),
    recover: (o) => d.recover(o),
    teardown: (o) => d.teardown(o),
  };
  return {
    ...deps,
    driver,
    prepare: (hosts, o) => watch("provisioning", deps.prepare(hosts, o)),
    runTrial: async (lab, spec, o) => {
      const outcome = await watch(`trial ${spec.trial} of size ${spec.sizeId}`, deps.runTrial(lab, spec, o));
      if (outcome.status === "failed") failed(`trial ${spec.trial} of size ${spec.sizeId} failed: ${outcome.detail}`);
      return outcome;
    },
    ...(deps.useWorkload ? { useWorkload: (lab: L, w: string, o: { progress: ProgressSink; signal: AbortSignal }) => watch(`workload ${w}`, (deps.useWorkload as NonNullable<typeof deps.useWorkload>)(lab, w, o)) } : {}),
  };
}

export async function runParallelSweep<L extends PreparedLab>(labs: readonly LabRun<L>[], opts: ParallelSweepOptions): Promise<ParallelSweepResult> {
  const only = labs[0];
  if (labs.length === 1 && only !== undefined) {
    const result = await runSweep(only.deps, { ...opts, sizes: only.sizes });
    return { labs: [{ slot: only.slot, result }], total: combineLabResults([{ slot: only.slot, result }], opts.signal.aborted) };
  }
  const { progress } = opts;
  // --fail-fast stops the *other* labs: the failing lab ends on its own error, which an abort of its
  // own signal would turn into an interrupt (runSweep treats an aborted signal as one).
  const stops = labs.map(() => new AbortController());
  let stoppedBy: Error | undefined;
  progress({ type: "log", level: "info", message: `${labs.length} labs at once: ${labs.map((l) => `${l.slot.lab}${l.slot.stack !== undefined ? ` (stack ${l.slot.stack})` : ""}: ${l.slot.sizes.join(", ")}`).join("; ")}` });
  const outcomes = await Promise.all(
    labs.map(async (l, i): Promise<LabOutcome> => {
      const lp = labProgress(progress, l.slot.lab);
      const signal = AbortSignal.any([opts.signal, (stops[i] as AbortController).signal]);
      const deps = opts.failFast
        ? reportingFailures(l.deps, (why) => {
            if (stoppedBy !== undefined || opts.signal.aborted) return;
            stoppedBy = new Error(`--fail-fast: ${l.slot.lab} failed (${why})`);
            progress({ type: "log", level: "warn", message: `--fail-fast: ${l.slot.lab} failed (${why}); stopping the other labs` });
            stops.forEach((c, j) => j !== i && c.abort(stoppedBy));
          })
        : l.deps;
      try {
        const result = await runSweep(deps, { ...opts, sizes: l.sizes, progress: lp, signal });
        return { slot: l.slot, result };
      } catch (e) {
        // runSweep reports rather than throws; if it throws, this lab's teardown did not run.
        return { slot: l.slot, result: { ran: 0, invalid: 0, failed: 0, spotInterrupted: 0, skipped: 0, interrupted: false, error: e as Error, teardown: { ok: false, remaining: [`${l.deps.driver.description}: the sweep loop itself failed (${(e as Error).message})`], howToRemove: `destroy it with 'npm run down'${l.slot.stack !== undefined ? ` -- --stack ${l.slot.stack}` : ""}` } } };
      }
    }),
  );
  const total = combineLabResults(outcomes, opts.signal.aborted);
  // A lab stopped by --fail-fast was interrupted by the sweep, not the operator: the run failed.
  if (stoppedBy !== undefined && !opts.signal.aborted && total.error === undefined) total.error = stoppedBy;
  progress({
    type: "log",
    level: "info",
    message: `all ${labs.length} labs finished: ${total.ran - total.invalid} valid, ${total.invalid} invalid, ${total.failed} failed, ${total.skipped} already recorded${total.interrupted ? ", interrupted" : ""}${total.error ? ", stopped by an error" : ""}`,
  });
  return { labs: outcomes, total };
}
