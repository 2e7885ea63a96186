/**
 * Typed progress events. Long work (provisioning, trials, the sweep) reports through a
 * ProgressSink and never prints directly, so the same steps drive a terminal, a log file or a test.
 */
export type Role = "sender" | "sink" | "generator";

export type ProgressEvent = (
  /** `brief`: a short step whose start is worth a line only if it is still running a moment later. */
  | { type: "step-start"; host?: string; step: string; detail?: string; brief?: true }
  | { type: "step-done"; host?: string; step: string; ms: number; detail?: string; changed?: boolean }
  | { type: "step-fail"; host?: string; step: string; ms: number; error: string }
  | { type: "log"; host?: string; level: "info" | "warn"; message: string }
  /** Live traffic-gen progress, parsed from its progress line. */
  | { type: "rate"; msgsPerSec: number; sent: number; total?: number }
  /** Sweep position, for the ETA. */
  | { type: "sweep"; sizeId: string; /** Absent for the published workload. */ workload?: string; trial: number; trials: number; done: number; total: number; etaSeconds?: number; /** The ETA is the plan's estimate (no trial has run yet). */ etaFromPlan?: true }
) & {
  /** Which lab of a parallel sweep (`lab1`, `lab2`, …; scripts/sweep/lab-slots.ts); absent with one lab. */
  lab?: string;
};

export type ProgressSink = (event: ProgressEvent) => void;

/** Every event of `sink` marked with its lab, so lines, bars and logs say which lab they come from. */
export function labProgress(sink: ProgressSink, lab: string): ProgressSink {
  return (e) => sink({ ...e, lab });
}

/** A sink that drops everything (for callers that don't show progress). */
export const silentProgress: ProgressSink = () => undefined;

/**
 * Runs `fn` as a named step, reporting start/done/fail with its duration. The error is rethrown
 * unchanged: reporting a failure never swallows it.
 */
export async function step<T>(progress: ProgressSink, name: string, host: string | undefined, fn: () => Promise<T>, detail?: (result: T) => string | undefined): Promise<T> {
  const started = Date.now();
  progress({ type: "step-start", host, step: name });
  try {
    const result = await fn();
    progress({ type: "step-done", host, step: name, ms: Date.now() - started, detail: detail?.(result) });
    return result;
  } catch (e) {
    progress({ type: "step-fail", host, step: name, ms: Date.now() - started, error: (e as Error).message });
    throw e;
  }
}
